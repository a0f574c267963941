// gRPC adapter for casecoord.v1.AgencyDirectory: every call goes through the gatekeeper; the
// AgencyStore owns validation, etags and the search index.
#pragma once

#include "casecoord/v1/directory.grpc.pb.h"
#include "services/auth/gatekeeper.h"
#include "services/directory/agency_store.h"
#include "services/directory/cooperation_survey_store.h"

namespace casecoord::directory {

// Full gRPC method name of an AgencyDirectory RPC.
std::string DirectoryMethod(std::string_view rpc);

class DirectoryService final : public v1::AgencyDirectory::CallbackService {
 public:
  // All must outlive the service.
  DirectoryService(auth::Gatekeeper& gatekeeper, AgencyStore& store,
                   CooperationSurveyStore& surveys)
      : gatekeeper_(gatekeeper), store_(store), surveys_(surveys) {}

  // The largest file ImportAgencies accepts, in bytes.
  static constexpr size_t kMaxImportBytes = 64 << 20;
  // The size of the chunks ExportAgencies sends, in bytes.
  static constexpr size_t kExportChunkBytes = 1 << 20;

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
  grpc::ServerReadReactor<v1::ImportAgenciesRequest>* ImportAgencies(
      grpc::CallbackServerContext* context, v1::ImportAgenciesResponse* response) override;
  grpc::ServerWriteReactor<v1::ExportAgenciesResponse>* ExportAgencies(
      grpc::CallbackServerContext* context, const v1::ExportAgenciesRequest* request) override;
  grpc::ServerUnaryReactor* RecordCooperationSurveyAnswer(
      grpc::CallbackServerContext* context, const v1::RecordCooperationSurveyAnswerRequest* request,
      v1::CooperationSurveyAnswer* response) override;
  grpc::ServerUnaryReactor* ListCooperationSurveyAnswers(
      grpc::CallbackServerContext* context, const v1::ListCooperationSurveyAnswersRequest* request,
      v1::ListCooperationSurveyAnswersResponse* response) override;
  grpc::ServerUnaryReactor* DeleteCooperationSurveyAnswer(
      grpc::CallbackServerContext* context, const v1::DeleteCooperationSurveyAnswerRequest* request,
      v1::DeleteCooperationSurveyAnswerResponse* response) override;
  grpc::ServerUnaryReactor* GetCooperationSurveySummary(
      grpc::CallbackServerContext* context, const v1::GetCooperationSurveySummaryRequest* request,
      v1::CooperationSurveySummary* response) override;

 private:
  class ExportReactor;

  auth::Gatekeeper& gatekeeper_;
  AgencyStore& store_;
  CooperationSurveyStore& surveys_;
};

}  // namespace casecoord::directory
