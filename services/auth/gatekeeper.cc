#include "services/auth/gatekeeper.h"

#include "services/auth/peer_identity.h"
#include "services/common/grpc_errors.h"

namespace casecoord::auth {

Status Call::CheckRecordAccess(const std::string& resource, bool in_normal_scope) {
  if (in_normal_scope) return Status::Ok();
  if (emergency_ != nullptr && caller_.Has(v1::COORDINATOR)) {
    if (auto grant = emergency_->ActiveGrant(caller_.user_id, resource)) {
      legal_basis_ = "break-glass";
      break_glass_reason_ = grant->reason();
      return Status::Ok();
    }
  }
  return Status::NotFound("NOT_FOUND", resource + " not found");
}

grpc::ServerUnaryReactor* Gatekeeper::Handle(grpc::CallbackServerContext* context,
                                             std::string_view method,
                                             std::function<Status(Call&)> work) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  std::optional<std::string> user_id = UserIdFromAuthContext(*context->auth_context());
  const MethodRule* rule = deps_.policy->Find(method);
  if (rule != nullptr && rule->audit == AuditKind::kNone) {
    // Unaudited methods touch only memory; a hop to a worker would cost more than the call.
    reactor->Finish(ToGrpcStatus(Run(user_id, method, work)));
    return reactor;
  }
  bool queued = deps_.workers->Submit(
      [this, reactor, context, user_id = std::move(user_id), method = std::string(method),
       work = std::move(work)] {
        if (context->IsCancelled()) {
          reactor->Finish(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled before it ran"));
          return;
        }
        reactor->Finish(ToGrpcStatus(Run(user_id, method, work)));
      });
  if (!queued) {
    reactor->Finish(ToGrpcStatus(Status(StatusCode::kResourceExhausted, "SERVER_BUSY",
                                        "the server's work queue is full or shutting down")));
  }
  return reactor;
}

Status Gatekeeper::Run(const std::optional<std::string>& user_id, std::string_view method,
                       const std::function<Status(Call&)>& work) {
  const std::string bucket = user_id.value_or("");
  if (!deps_.rate_limiter->TryAcquire(bucket)) {
    return Status(StatusCode::kResourceExhausted, "RATE_LIMITED",
                  "too many requests from this user; slow down and retry");
  }
  std::optional<Caller> caller;
  if (user_id) caller = deps_.users->FindActive(*user_id);
  if (!caller) {
    Status refused(StatusCode::kUnauthenticated, "UNKNOWN_OR_DISABLED_USER",
                   user_id ? "user " + *user_id + " is not an active user"
                           : "no client certificate identifies a user");
    Status audited = Audit(bucket, "", method, "", refused, "", "", nullptr);
    return audited.ok() ? refused : audited;
  }
  std::string legal_basis;
  Status authorized = deps_.policy->AuthorizeMethod(*caller, method, &legal_basis);
  if (!authorized.ok()) {
    Status audited = Audit(caller->user_id, caller->agency, method, "", authorized, "", "", nullptr);
    return audited.ok() ? authorized : audited;
  }
  const MethodRule* rule = deps_.policy->Find(method);

  Call call(*caller, *deps_.storage, deps_.emergency);
  call.legal_basis_ = legal_basis;
  Status outcome = work(call);
  if (rule->audit != AuditKind::kNone) {
    const bool commit_changes = outcome.ok() && rule->audit == AuditKind::kWrite;
    Status audited = Audit(caller->user_id, caller->agency, method, call.resource_, outcome,
                           outcome.ok() ? call.legal_basis_ : "", call.break_glass_reason_,
                           commit_changes ? &call.changes_ : nullptr);
    if (!audited.ok()) {
      return Status(StatusCode::kUnavailable, "AUDIT_UNAVAILABLE",
                    "the access could not be recorded in the audit trail, so it was refused: " +
                        audited.message());
    }
  } else if (call.changes_.count() > 0) {
    return Status::Internal("UNAUDITED_WRITE", std::string(method) + " may not change data");
  }
  if (outcome.ok()) {
    for (auto& callback : call.on_committed_) callback();
  }
  return outcome;
}

Status Gatekeeper::Audit(const std::string& user_id, const std::string& agency,
                         std::string_view method, const std::string& resource,
                         const Status& outcome, const std::string& legal_basis,
                         const std::string& break_glass_reason, storage::WriteBatch* changes) {
  AuditRecord record{user_id,
                     agency,
                     std::string(method),
                     resource,
                     StatusCodeName(outcome.code()),
                     legal_basis,
                     break_glass_reason};
  return deps_.audit->Append(record, changes);
}

}  // namespace casecoord::auth
