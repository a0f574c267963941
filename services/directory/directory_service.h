// gRPC adapter for casecoord.v1.AgencyDirectory: every call goes through the gatekeeper; the
// AgencyStore owns validation, etags and the search index.
#pragma once

#include "casecoord/v1/directory.grpc.pb.h"
#include "services/auth/gatekeeper.h"
#include "services/directory/agency_store.h"

namespace casecoord::directory {

// Full gRPC method name of an AgencyDirectory RPC.
std::string DirectoryMethod(std::string_view rpc);

class DirectoryService final : public v1::AgencyDirectory::CallbackService {
 public:
  // Both must outlive the service.
  DirectoryService(auth::Gatekeeper& gatekeeper, AgencyStore& store)
      : gatekeeper_(gatekeeper), store_(store) {}

  grpc::ServerUnaryReactor* CreateAgency(grpc::CallbackServerContext* context,
                                         const v1::CreateAgencyRequest* request,
                                         v1::Agency* response) override;
  grpc::ServerUnaryReactor* GetAgency(grpc::CallbackServerContext* context,
                                      const v1::GetAgencyRequest* request,
                                      v1::Agency* response) override;
  grpc::ServerUnaryReactor* ListAgencies(grpc::CallbackServerContext* context,
                                         const v1::ListAgenciesRequest* request,
                                         v1::ListAgenciesResponse* response) override;
  grpc::ServerUnaryReactor* UpdateAgency(grpc::CallbackServerContext* context,
                                         const v1::UpdateAgencyRequest* request,
                                         v1::Agency* response) override;
  grpc::ServerUnaryReactor* DeleteAgency(grpc::CallbackServerContext* context,
                                         const v1::DeleteAgencyRequest* request,
                                         v1::DeleteAgencyResponse* response) override;
  grpc::ServerUnaryReactor* SearchAgencies(grpc::CallbackServerContext* context,
                                           const v1::SearchAgenciesRequest* request,
                                           v1::SearchAgenciesResponse* response) override;
  grpc::ServerUnaryReactor* FindPartners(grpc::CallbackServerContext* context,
                                         const v1::FindPartnersRequest* request,
                                         v1::FindPartnersResponse* response) override;

 private:
  auth::Gatekeeper& gatekeeper_;
  AgencyStore& store_;
};

}  // namespace casecoord::directory
