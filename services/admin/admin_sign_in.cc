// The Admin RPCs of sign-in for people: credentials (admins) and sessions (everyone their own).
#include <google/protobuf/util/time_util.h>

#include <algorithm>

#include "services/admin/admin_service.h"
#include "services/auth/user_registry.h"
#include "services/common/resource_names.h"

namespace casecoord::admin {
namespace {

using google::protobuf::util::TimeUtil;

google::protobuf::Timestamp ToTimestamp(std::chrono::system_clock::time_point time) {
  return TimeUtil::NanosecondsToTimestamp(
      std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch()).count());
}

v1::SignInSession ToProto(const auth::Session& session) {
  v1::SignInSession out;
  out.set_session_id(session.session_id);
  out.set_user(std::string(kUserPrefix) + session.user_id);
  *out.mutable_create_time() = ToTimestamp(session.created);
  *out.mutable_last_seen_time() = ToTimestamp(session.last_seen);
  out.set_client(session.client_note);
  return out;
}

}  // namespace

Result<std::string> AdminService::ExistingUser(const std::string& name, const char* field) const {
  auto user_id = auth::UserRegistry::ParseUserName(name, field);
  if (!user_id.ok()) return user_id.status();
  if (!deps_.users->Find(*user_id)) return Status(Reason::kNotFound, name + " not found");
  return user_id;
}

grpc::ServerUnaryReactor* AdminService::ResetUserPassword(
    grpc::CallbackServerContext* context, const v1::ResetUserPasswordRequest* request,
    v1::ResetUserPasswordResponse* response) {
  return deps_.gatekeeper->Handle(
      context, AdminMethod("ResetUserPassword"), [this, request, response](auth::Call& call) {
        call.set_resource(request->name());
        auto user_id = ExistingUser(request->name(), "name");
        if (!user_id.ok()) return user_id.status();
        auto password = deps_.sign_in->PrepareResetPassword(*user_id, request->temporary_password(),
                                                            &call.changes());
        if (!password.ok()) return password.status();
        if (request->temporary_password().empty()) response->set_temporary_password(*password);
        call.OnCommitted([this, id = *user_id] { deps_.sign_in->CredentialsChanged(id); });
        return Status::Ok();
      });
}

grpc::ServerUnaryReactor* AdminService::ResetUserSecondFactor(
    grpc::CallbackServerContext* context, const v1::ResetUserSecondFactorRequest* request,
    v1::ResetUserSecondFactorResponse* /*response*/) {
  return deps_.gatekeeper->Handle(
      context, AdminMethod("ResetUserSecondFactor"), [this, request](auth::Call& call) {
        call.set_resource(request->name());
        auto user_id = ExistingUser(request->name(), "name");
        if (!user_id.ok()) return user_id.status();
        CASECOORD_RETURN_IF_ERROR(
            deps_.sign_in->PrepareResetSecondFactor(*user_id, &call.changes()));
        call.OnCommitted([this, id = *user_id] { deps_.sign_in->CredentialsChanged(id); });
        return Status::Ok();
      });
}

grpc::ServerUnaryReactor* AdminService::UnlockUser(grpc::CallbackServerContext* context,
                                                   const v1::UnlockUserRequest* request,
                                                   v1::UnlockUserResponse* response) {
  return deps_.gatekeeper->Handle(
      context, AdminMethod("UnlockUser"), [this, request, response](auth::Call& call) {
        call.set_resource(request->name());
        auto user_id = ExistingUser(request->name(), "name");
        if (!user_id.ok()) return user_id.status();
        // The lock lives in memory; it is lifted once the audit entry recording it is durable.
        response->set_was_locked(deps_.sign_in->LockedUntil(*user_id).has_value());
        call.OnCommitted([this, id = *user_id] { deps_.sign_in->Unlock(id); });
        return Status::Ok();
      });
}

grpc::ServerUnaryReactor* AdminService::ListSessions(grpc::CallbackServerContext* context,
                                                     const v1::ListSessionsRequest* request,
                                                     v1::ListSessionsResponse* response) {
  return deps_.gatekeeper->Handle(
      context, AdminMethod("ListSessions"), [this, request, response](auth::Call& call) {
        call.set_resource(request->user().empty() ? "sessions" : request->user());
        const bool admin = call.caller().Has(v1::ADMIN);
        std::string user_id = call.caller().user_id;
        if (!request->user().empty()) {
          auto asked = auth::UserRegistry::ParseUserName(request->user(), "user");
          if (!asked.ok()) return asked.status();
          if (!admin && *asked != user_id) {
            return Status(Reason::kNotFound, request->user() + " not found");
          }
          user_id = *asked;
        }
        const std::vector<auth::Session> sessions = admin && request->user().empty()
                                                        ? deps_.sign_in->sessions().ListAll()
                                                        : deps_.sign_in->sessions().ListOf(user_id);
        for (const auth::Session& session : sessions) *response->add_sessions() = ToProto(session);
        return Status::Ok();
      });
}

grpc::ServerUnaryReactor* AdminService::RevokeSession(grpc::CallbackServerContext* context,
                                                      const v1::RevokeSessionRequest* request,
                                                      v1::RevokeSessionResponse* /*response*/) {
  return deps_.gatekeeper->Handle(
      context, AdminMethod("RevokeSession"), [this, request](auth::Call& call) {
        call.set_resource("sessions/" + request->session_id());
        auth::SessionTable& sessions = deps_.sign_in->sessions();
        const std::vector<auth::Session> visible = call.caller().Has(v1::ADMIN)
                                                       ? sessions.ListAll()
                                                       : sessions.ListOf(call.caller().user_id);
        // Someone else's session is as unknown as one that does not exist.
        if (std::none_of(visible.begin(), visible.end(), [&](const auth::Session& session) {
              return session.session_id == request->session_id();
            })) {
          return Status(Reason::kNotFound, "sessions/" + request->session_id() + " not found");
        }
        call.OnCommitted(
            [this, id = request->session_id()] { deps_.sign_in->sessions().Revoke(id); });
        return Status::Ok();
      });
}

}  // namespace casecoord::admin
