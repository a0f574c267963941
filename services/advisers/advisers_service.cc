#include "services/advisers/advisers_service.h"

#include "services/common/pagination.h"
#include "services/common/resource_names.h"
#include "services/storage/request_ledger.h"

namespace casecoord::advisers {

std::string AdvisersMethod(std::string_view rpc) {
  return "/" + std::string(v1::Advisers::service_full_name()) + "/" + std::string(rpc);
}

Result<DispatchViewer> AdvisersService::ViewerOf(const auth::Caller& caller) const {
  DispatchViewer viewer;
  viewer.every_dispatch = caller.Has(v1::COORDINATOR);
  // Only agency staff see by agency: an adviser heading an agency sees what they are assigned.
  if (caller.Has(v1::AGENCY_STAFF)) viewer.agency = caller.agency;
  if (!viewer.every_dispatch) {
    auto adviser = advisers_.OfUser(kUserPrefix + caller.user_id);
    if (!adviser.ok()) return adviser.status();
    if (adviser->has_value()) viewer.adviser = (*adviser)->name();
  }
  return viewer;
}

Result<v1::Dispatch> AdvisersService::Visible(auth::Call& call, const std::string& name,
                                              DispatchViewer* viewer) const {
  call.set_resource(name);
  auto dispatch = dispatches_.Get(name);
  if (!dispatch.ok()) return dispatch.status();
  auto caller = ViewerOf(call.caller());
  if (!caller.ok()) return caller.status();
  auto visible = dispatches_.CanSee(*dispatch, *caller);
  if (!visible.ok()) return visible.status();
  CASECOORD_RETURN_IF_ERROR(call.CheckRecordAccess(name, *visible));
  if (viewer != nullptr) *viewer = std::move(caller).value();
  return dispatch;
}

grpc::ServerUnaryReactor* AdvisersService::CreateAdviser(grpc::CallbackServerContext* context,
                                                         const v1::CreateAdviserRequest* request,
                                                         v1::Adviser* response) {
  return gatekeeper_.Handle(
      context, AdvisersMethod("CreateAdviser"), [this, request, response](auth::Call& call) {
        call.set_resource("advisers");
        call.HoldUntilCommitted(advisers_.LockForWrite());
        auto created =
            advisers_.PrepareCreate(request->adviser_id(), request->adviser(), &call.changes());
        if (!created.ok()) return created.status();
        call.set_resource(created->name());
        *response = std::move(created).value();
        return Status::Ok();
      });
}

grpc::ServerUnaryReactor* AdvisersService::GetAdviser(grpc::CallbackServerContext* context,
                                                      const v1::GetAdviserRequest* request,
                                                      v1::Adviser* response) {
  return gatekeeper_.Handle(context, AdvisersMethod("GetAdviser"),
                            [this, request, response](auth::Call& call) {
                              call.set_resource(request->name());
                              auto adviser = advisers_.Get(request->name());
                              if (!adviser.ok()) return adviser.status();
                              *response = std::move(adviser).value();
                              return Status::Ok();
                            });
}

grpc::ServerUnaryReactor* AdvisersService::ListAdvisers(grpc::CallbackServerContext* context,
                                                        const v1::ListAdvisersRequest* request,
                                                        v1::ListAdvisersResponse* response) {
  return gatekeeper_.Handle(
      context, AdvisersMethod("ListAdvisers"), [this, request, response](auth::Call& call) {
        call.set_resource("advisers");
        auto filter = ParseAdviserFilter(request->filter());
        if (!filter.ok()) return filter.status();
        const std::string fingerprint = filter->Fingerprint();
        auto page = ParsePageRequest(request->page_size(), request->page_token(), fingerprint);
        if (!page.ok()) return page.status();
        auto advisers = advisers_.List(*filter, page->after_key, page->size);
        if (!advisers.ok()) return advisers.status();
        for (auto& adviser : advisers->advisers) *response->add_advisers() = std::move(adviser);
        if (!advisers->next_after_id.empty()) {
          response->set_next_page_token(MakePageToken(advisers->next_after_id, fingerprint));
        }
        return Status::Ok();
      });
}

grpc::ServerUnaryReactor* AdvisersService::UpdateAdviser(grpc::CallbackServerContext* context,
                                                         const v1::UpdateAdviserRequest* request,
                                                         v1::Adviser* response) {
  return gatekeeper_.Handle(
      context, AdvisersMethod("UpdateAdviser"), [this, request, response](auth::Call& call) {
        call.set_resource(request->adviser().name());
        call.HoldUntilCommitted(advisers_.LockForWrite());
        auto updated =
            advisers_.PrepareUpdate(request->adviser(), request->update_mask(), &call.changes());
        if (!updated.ok()) return updated.status();
        *response = std::move(updated).value();
        return Status::Ok();
      });
}

grpc::ServerUnaryReactor* AdvisersService::CreateDispatch(grpc::CallbackServerContext* context,
                                                          const v1::CreateDispatchRequest* request,
                                                          v1::Dispatch* response) {
  return gatekeeper_.Handle(
      context, AdvisersMethod("CreateDispatch"), [this, request, response](auth::Call& call) {
        call.set_resource("dispatches");
        call.HoldUntilCommitted(dispatches_.LockForCreate(request->dispatch()));
        auto created = dispatches_.PrepareCreate(call.caller().user_id, request->request_id(),
                                                 request->dispatch(), &call.changes());
        if (!created.ok()) return created.status();
        call.set_resource(created->name());
        *response = std::move(created).value();
        return Status::Ok();
      });
}

grpc::ServerUnaryReactor* AdvisersService::GetDispatch(grpc::CallbackServerContext* context,
                                                       const v1::GetDispatchRequest* request,
                                                       v1::Dispatch* response) {
  return gatekeeper_.Handle(context, AdvisersMethod("GetDispatch"),
                            [this, request, response](auth::Call& call) {
                              auto dispatch = Visible(call, request->name());
                              if (!dispatch.ok()) return dispatch.status();
                              *response = std::move(dispatch).value();
                              return Status::Ok();
                            });
}

grpc::ServerUnaryReactor* AdvisersService::ListDispatches(grpc::CallbackServerContext* context,
                                                          const v1::ListDispatchesRequest* request,
                                                          v1::ListDispatchesResponse* response) {
  return gatekeeper_.Handle(
      context, AdvisersMethod("ListDispatches"), [this, request, response](auth::Call& call) {
        call.set_resource("dispatches");
        auto filter = ParseDispatchFilter(request->filter());
        if (!filter.ok()) return filter.status();
        const std::string fingerprint = filter->Fingerprint();
        auto page = ParsePageRequest(request->page_size(), request->page_token(), fingerprint);
        if (!page.ok()) return page.status();
        auto viewer = ViewerOf(call.caller());
        if (!viewer.ok()) return viewer.status();
        auto dispatches = dispatches_.List(*viewer, *filter, page->after_key, page->size);
        if (!dispatches.ok()) return dispatches.status();
        for (auto& dispatch : dispatches->dispatches) {
          call.AddReturned(dispatch.name());
          if (!dispatch.case_().empty()) call.AddReturned(dispatch.case_());
          *response->add_dispatches() = std::move(dispatch);
        }
        if (!dispatches->next_before_id.empty()) {
          response->set_next_page_token(MakePageToken(dispatches->next_before_id, fingerprint));
        }
        return Status::Ok();
      });
}

grpc::ServerUnaryReactor* AdvisersService::Change(
    grpc::CallbackServerContext* context, const char* rpc, const std::string& name,
    bool adviser_may_write,
    std::function<Result<v1::Dispatch>(const auth::Caller&, storage::WriteBatch*)> prepare,
    v1::Dispatch* response, bool lock_advisers) {
  return gatekeeper_.Handle(
      context, AdvisersMethod(rpc),
      [this, name, adviser_may_write, prepare = std::move(prepare), response,
       lock_advisers](auth::Call& call) {
        call.set_resource(name);
        auto lock = dispatches_.LockDispatch(name);
        if (!lock.ok()) return lock.status();
        call.HoldUntilCommitted(std::move(lock).value());
        if (lock_advisers) call.HoldUntilCommitted(advisers_.LockForWrite());
        DispatchViewer viewer;
        auto visible = Visible(call, name, &viewer);
        if (!visible.ok()) return visible.status();
        // Seeing a dispatch (agency staff on the team) is not being allowed to write it.
        if (!call.caller().Has(v1::COORDINATOR)) {
          const bool assigned =
              !viewer.adviser.empty() && visible->assigned_adviser() == viewer.adviser;
          if (!adviser_may_write || !assigned) {
            return Status(Reason::kNotAssigned,
                          adviser_may_write
                              ? "only a coordinator or the assigned adviser records this"
                              : "only a coordinator does this");
          }
        }
        auto changed = prepare(call.caller(), &call.changes());
        if (!changed.ok()) return changed.status();
        *response = std::move(changed).value();
        return Status::Ok();
      });
}

grpc::ServerUnaryReactor* AdvisersService::ApproveDispatch(
    grpc::CallbackServerContext* context, const v1::ApproveDispatchRequest* request,
    v1::Dispatch* response) {
  return Change(
      context, "ApproveDispatch", request->name(), /*adviser_may_write=*/false,
      [this, request](const auth::Caller&, storage::WriteBatch* batch) {
        return dispatches_.PrepareApprove(*request, batch);
      },
      response, /*lock_advisers=*/true);
}

grpc::ServerUnaryReactor* AdvisersService::DeclineDispatch(
    grpc::CallbackServerContext* context, const v1::DeclineDispatchRequest* request,
    v1::Dispatch* response) {
  return Change(
      context, "DeclineDispatch", request->name(), /*adviser_may_write=*/false,
      [this, request](const auth::Caller&, storage::WriteBatch* batch) {
        return dispatches_.PrepareDecline(*request, batch);
      },
      response);
}

grpc::ServerUnaryReactor* AdvisersService::RecordSession(grpc::CallbackServerContext* context,
                                                         const v1::RecordSessionRequest* request,
                                                         v1::Dispatch* response) {
  return Change(
      context, "RecordSession", request->name(), /*adviser_may_write=*/true,
      [this, request](const auth::Caller& caller, storage::WriteBatch* batch) {
        return storage::WriteOnce<v1::Dispatch>(
            dispatches_.requests(), "RecordSession", caller.user_id, request->request_id(),
            *request, batch, [this](const std::string& name) { return dispatches_.Get(name); },
            [this, request, batch] { return dispatches_.PrepareRecordSession(*request, batch); },
            [](const v1::Dispatch& written) { return written.name(); });
      },
      response);
}

grpc::ServerUnaryReactor* AdvisersService::RecordFollowUp(grpc::CallbackServerContext* context,
                                                          const v1::RecordFollowUpRequest* request,
                                                          v1::Dispatch* response) {
  return Change(
      context, "RecordFollowUp", request->name(), /*adviser_may_write=*/true,
      [this, request](const auth::Caller& caller, storage::WriteBatch* batch) {
        return storage::WriteOnce<v1::Dispatch>(
            dispatches_.requests(), "RecordFollowUp", caller.user_id, request->request_id(),
            *request, batch, [this](const std::string& name) { return dispatches_.Get(name); },
            [this, request, batch] { return dispatches_.PrepareRecordFollowUp(*request, batch); },
            [](const v1::Dispatch& written) { return written.name(); });
      },
      response);
}

grpc::ServerUnaryReactor* AdvisersService::CloseDispatch(grpc::CallbackServerContext* context,
                                                         const v1::CloseDispatchRequest* request,
                                                         v1::Dispatch* response) {
  return Change(
      context, "CloseDispatch", request->name(), /*adviser_may_write=*/false,
      [this, request](const auth::Caller&, storage::WriteBatch* batch) {
        return dispatches_.PrepareClose(*request, batch);
      },
      response);
}

}  // namespace casecoord::advisers
