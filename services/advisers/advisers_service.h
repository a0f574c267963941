// gRPC adapter for casecoord.v1.Advisers: every call goes through the gatekeeper (identity, role,
// audit); AdviserStore and DispatchStore own the rules. Need to know is decided here from the
// caller: a dispatch outside the caller's scope is NOT_FOUND (Call::CheckRecordAccess, which also
// honours break-glass grants). The registry holds no personal data of households: every user reads
// it, unaudited, as the agency directory.
//
// Who may write a dispatch (beyond the policy table's roles): coordinators do everything; the
// session and follow-ups may also be recorded by the user linked to the assigned adviser
// (Adviser.user). A caller who can see the dispatch but is neither is PERMISSION_DENIED
// "NOT_ASSIGNED".
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "casecoord/v1/advisers.grpc.pb.h"
#include "services/advisers/adviser_store.h"
#include "services/advisers/dispatch_store.h"
#include "services/auth/gatekeeper.h"

namespace casecoord::advisers {

// Full gRPC method name of an Advisers RPC.
std::string AdvisersMethod(std::string_view rpc);

class AdvisersService final : public v1::Advisers::CallbackService {
 public:
  // All must outlive the service.
  AdvisersService(auth::Gatekeeper& gatekeeper, AdviserStore& advisers, DispatchStore& dispatches)
      : gatekeeper_(gatekeeper), advisers_(advisers), dispatches_(dispatches) {}

  grpc::ServerUnaryReactor* CreateAdviser(grpc::CallbackServerContext* context,
                                          const v1::CreateAdviserRequest* request,
                                          v1::Adviser* response) override;
  grpc::ServerUnaryReactor* GetAdviser(grpc::CallbackServerContext* context,
                                       const v1::GetAdviserRequest* request,
                                       v1::Adviser* response) override;
  grpc::ServerUnaryReactor* ListAdvisers(grpc::CallbackServerContext* context,
                                         const v1::ListAdvisersRequest* request,
                                         v1::ListAdvisersResponse* response) override;
  grpc::ServerUnaryReactor* UpdateAdviser(grpc::CallbackServerContext* context,
                                          const v1::UpdateAdviserRequest* request,
                                          v1::Adviser* response) override;
  grpc::ServerUnaryReactor* CreateDispatch(grpc::CallbackServerContext* context,
                                           const v1::CreateDispatchRequest* request,
                                           v1::Dispatch* response) override;
  grpc::ServerUnaryReactor* GetDispatch(grpc::CallbackServerContext* context,
                                        const v1::GetDispatchRequest* request,
                                        v1::Dispatch* response) override;
  grpc::ServerUnaryReactor* ListDispatches(grpc::CallbackServerContext* context,
                                           const v1::ListDispatchesRequest* request,
                                           v1::ListDispatchesResponse* response) override;
  grpc::ServerUnaryReactor* ApproveDispatch(grpc::CallbackServerContext* context,
                                            const v1::ApproveDispatchRequest* request,
                                            v1::Dispatch* response) override;
  grpc::ServerUnaryReactor* DeclineDispatch(grpc::CallbackServerContext* context,
                                            const v1::DeclineDispatchRequest* request,
                                            v1::Dispatch* response) override;
  grpc::ServerUnaryReactor* RecordSession(grpc::CallbackServerContext* context,
                                          const v1::RecordSessionRequest* request,
                                          v1::Dispatch* response) override;
  grpc::ServerUnaryReactor* RecordFollowUp(grpc::CallbackServerContext* context,
                                           const v1::RecordFollowUpRequest* request,
                                           v1::Dispatch* response) override;
  grpc::ServerUnaryReactor* CloseDispatch(grpc::CallbackServerContext* context,
                                          const v1::CloseDispatchRequest* request,
                                          v1::Dispatch* response) override;

 private:
  // Who the caller is for need-to-know: coordinator, agency staff, linked adviser.
  Result<DispatchViewer> ViewerOf(const auth::Caller& caller) const;
  // The dispatch `name` if the caller may see it; NOT_FOUND (as for an absent one) otherwise.
  // `viewer`, if given, gets who the caller is.
  Result<v1::Dispatch> Visible(auth::Call& call, const std::string& name,
                               DispatchViewer* viewer = nullptr) const;
  // Runs a change of the dispatch `name` under its write lock, after the visibility check:
  // `prepare` (given the caller) fills the response. `adviser_may_write`: the assigned adviser may
  // make it too.
  grpc::ServerUnaryReactor* Change(
      grpc::CallbackServerContext* context, const char* rpc, const std::string& name,
      bool adviser_may_write,
      std::function<Result<v1::Dispatch>(const auth::Caller&, storage::WriteBatch*)> prepare,
      v1::Dispatch* response, bool lock_advisers = false);

  auth::Gatekeeper& gatekeeper_;
  AdviserStore& advisers_;
  DispatchStore& dispatches_;
};

}  // namespace casecoord::advisers
