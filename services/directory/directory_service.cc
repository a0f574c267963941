#include "services/directory/directory_service.h"

#include "services/common/pagination.h"

namespace casecoord::directory {

std::string DirectoryMethod(std::string_view rpc) {
  return "/" + std::string(v1::AgencyDirectory::service_full_name()) + "/" + std::string(rpc);
}

grpc::ServerUnaryReactor* DirectoryService::CreateAgency(grpc::CallbackServerContext* context,
                                                         const v1::CreateAgencyRequest* request,
                                                         v1::Agency* response) {
  return gatekeeper_.Handle(
      context, DirectoryMethod("CreateAgency"), [this, request, response](auth::Call& call) {
        call.set_resource("agencies/" + request->agency_id());
        call.HoldUntilCommitted(store_.LockForWrite());
        auto created =
            store_.PrepareCreate(request->agency_id(), request->agency(), &call.changes());
        if (!created.ok()) return created.status();
        *response = *created;
        return Status::Ok();
      });
}

grpc::ServerUnaryReactor* DirectoryService::GetAgency(grpc::CallbackServerContext* context,
                                                      const v1::GetAgencyRequest* request,
                                                      v1::Agency* response) {
  return gatekeeper_.Handle(context, DirectoryMethod("GetAgency"),
                            [this, request, response](auth::Call& call) {
                              call.set_resource(request->name());
                              auto agency = store_.Get(request->name());
                              if (!agency.ok()) return agency.status();
                              *response = *agency;
                              return Status::Ok();
                            });
}

grpc::ServerUnaryReactor* DirectoryService::ListAgencies(grpc::CallbackServerContext* context,
                                                         const v1::ListAgenciesRequest* request,
                                                         v1::ListAgenciesResponse* response) {
  return gatekeeper_.Handle(
      context, DirectoryMethod("ListAgencies"), [this, request, response](auth::Call& call) {
        call.set_resource("agencies");
        auto filter = ParseAgencyFilter(request->filter());
        if (!filter.ok()) return filter.status();
        auto page =
            ParsePageRequest(request->page_size(), request->page_token(), filter->Fingerprint());
        if (!page.ok()) return page.status();
        bool more = false;
        auto agencies = store_.List(*filter, page->after_key, page->size, &more);
        if (!agencies.ok()) return agencies.status();
        for (auto& agency : *agencies) *response->add_agencies() = std::move(agency);
        if (more) {
          const std::string& last = response->agencies().rbegin()->name();
          response->set_next_page_token(
              MakePageToken(last.substr(last.find('/') + 1), filter->Fingerprint()));
        }
        return Status::Ok();
      });
}

grpc::ServerUnaryReactor* DirectoryService::UpdateAgency(grpc::CallbackServerContext* context,
                                                         const v1::UpdateAgencyRequest* request,
                                                         v1::Agency* response) {
  return gatekeeper_.Handle(
      context, DirectoryMethod("UpdateAgency"), [this, request, response](auth::Call& call) {
        call.set_resource(request->agency().name());
        call.HoldUntilCommitted(store_.LockForWrite());
        auto updated =
            store_.PrepareUpdate(request->agency(), request->update_mask(), &call.changes());
        if (!updated.ok()) return updated.status();
        *response = *updated;
        return Status::Ok();
      });
}

grpc::ServerUnaryReactor* DirectoryService::DeleteAgency(grpc::CallbackServerContext* context,
                                                         const v1::DeleteAgencyRequest* request,
                                                         v1::DeleteAgencyResponse*) {
  return gatekeeper_.Handle(
      context, DirectoryMethod("DeleteAgency"), [this, request](auth::Call& call) {
        call.set_resource(request->name());
        call.HoldUntilCommitted(store_.LockForWrite());
        return store_.PrepareDelete(request->name(), request->etag(), &call.changes());
      });
}

grpc::ServerUnaryReactor* DirectoryService::SearchAgencies(grpc::CallbackServerContext* context,
                                                           const v1::SearchAgenciesRequest* request,
                                                           v1::SearchAgenciesResponse* response) {
  return gatekeeper_.Handle(
      context, DirectoryMethod("SearchAgencies"), [this, request, response](auth::Call& call) {
        call.set_resource("agencies");
        if (request->page_size() < 0) {
          return Status::InvalidArgument("page_size", "must not be negative");
        }
        int limit = request->page_size() == 0 ? 20 : std::min(request->page_size(), 200);
        auto matches = store_.Search(request->query(), limit);
        if (!matches.ok()) return matches.status();
        for (auto& match : *matches) *response->add_matches() = std::move(match);
        return Status::Ok();
      });
}

grpc::ServerUnaryReactor* DirectoryService::FindPartners(grpc::CallbackServerContext* context,
                                                         const v1::FindPartnersRequest* request,
                                                         v1::FindPartnersResponse* response) {
  return gatekeeper_.Handle(
      context, DirectoryMethod("FindPartners"), [this, request, response](auth::Call& call) {
        call.set_resource("agencies");
        if (request->page_size() < 0) {
          return Status::InvalidArgument("page_size", "must not be negative");
        }
        int limit = request->page_size() == 0 ? 20 : std::min(request->page_size(), 200);
        std::vector<std::string> tags(request->issue_tags().begin(), request->issue_tags().end());
        auto partners = store_.FindPartners(tags, request->district(), limit);
        if (!partners.ok()) return partners.status();
        for (auto& partner : *partners) *response->add_partners() = std::move(partner);
        return Status::Ok();
      });
}

}  // namespace casecoord::directory
