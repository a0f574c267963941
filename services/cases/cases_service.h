// gRPC adapter for casecoord.v1.Cases: every call goes through the gatekeeper (identity, role,
// audit); the stores of the cases area (CaseStores) own the rules. Need to know is decided here
// from the caller: a case outside the caller's scope is NOT_FOUND (Call::CheckRecordAccess, which
// also honours break-glass grants).
#pragma once

#include "casecoord/v1/cases.grpc.pb.h"
#include "services/auth/gatekeeper.h"
#include "services/cases/case_consultations.h"
#include "services/cases/case_counting.h"
#include "services/cases/case_import.h"
#include "services/cases/case_maintenance.h"
#include "services/cases/case_referrals.h"
#include "services/cases/case_store.h"

namespace casecoord::cases {

// ListCasesRequest.filter (see cases.proto), for `caller` at `now` (overdue compares with today in
// JST). INVALID_ARGUMENT "filter" naming what is wrong.
Result<CaseFilter> ParseCaseFilter(const std::string& text, const auth::Caller& caller,
                                   std::chrono::system_clock::time_point now);

// Full gRPC method name of a Cases RPC.
std::string CasesMethod(std::string_view rpc);

// The stores of the cases area a CasesService serves; all must outlive it.
struct CaseStores {
  CaseStore& cases;
  CaseReferrals& referrals;
  CaseConsultations& consultations;
  CaseCounting& counting;
  CaseMaintenance& maintenance;
  const CaseImports& imports;
};

// The criteria of `request` in the form the store searches with; INVALID_ARGUMENT naming the field
// for a criterion that normalises to nothing, a bad birth date or case number, or no criterion.
Result<SearchQuery> ParseSearchQuery(const v1::SearchCasesRequest& request);

class CasesService final : public v1::Cases::CallbackService {
 public:
  // All must outlive the service.
  CasesService(auth::Gatekeeper& gatekeeper, const CaseStores& stores, const Clock& clock)
      : gatekeeper_(gatekeeper),
        store_(stores.cases),
        referrals_(stores.referrals),
        consultations_(stores.consultations),
        counting_(stores.counting),
        maintenance_(stores.maintenance),
        imports_(stores.imports),
        clock_(clock) {}

  grpc::ServerUnaryReactor* CreateCase(grpc::CallbackServerContext* context,
                                       const v1::CreateCaseRequest* request,
                                       v1::Case* response) override;
  grpc::ServerUnaryReactor* GetCase(grpc::CallbackServerContext* context,
                                    const v1::GetCaseRequest* request, v1::Case* response) override;
  grpc::ServerUnaryReactor* ListCases(grpc::CallbackServerContext* context,
                                      const v1::ListCasesRequest* request,
                                      v1::ListCasesResponse* response) override;
  grpc::ServerUnaryReactor* UpdateCase(grpc::CallbackServerContext* context,
                                       const v1::UpdateCaseRequest* request,
                                       v1::Case* response) override;
  grpc::ServerUnaryReactor* TransitionCase(grpc::CallbackServerContext* context,
                                           const v1::TransitionCaseRequest* request,
                                           v1::Case* response) override;
  grpc::ServerUnaryReactor* GetCaseHistory(grpc::CallbackServerContext* context,
                                           const v1::GetCaseHistoryRequest* request,
                                           v1::GetCaseHistoryResponse* response) override;
  grpc::ServerUnaryReactor* AppendConsultation(grpc::CallbackServerContext* context,
                                               const v1::AppendConsultationRequest* request,
                                               v1::ConsultationEntry* response) override;
  grpc::ServerUnaryReactor* ListConsultations(grpc::CallbackServerContext* context,
                                              const v1::ListConsultationsRequest* request,
                                              v1::ListConsultationsResponse* response) override;
  grpc::ServerUnaryReactor* CreateReferral(grpc::CallbackServerContext* context,
                                           const v1::CreateReferralRequest* request,
                                           v1::Referral* response) override;
  grpc::ServerUnaryReactor* ListReferrals(grpc::CallbackServerContext* context,
                                          const v1::ListReferralsRequest* request,
                                          v1::ListReferralsResponse* response) override;
  grpc::ServerUnaryReactor* AcceptReferral(grpc::CallbackServerContext* context,
                                           const v1::AnswerReferralRequest* request,
                                           v1::Referral* response) override;
  grpc::ServerUnaryReactor* DeclineReferral(grpc::CallbackServerContext* context,
                                            const v1::AnswerReferralRequest* request,
                                            v1::Referral* response) override;
  grpc::ServerUnaryReactor* RevokeReferral(grpc::CallbackServerContext* context,
                                           const v1::AnswerReferralRequest* request,
                                           v1::Referral* response) override;
  grpc::ServerUnaryReactor* RemoveTeamMember(grpc::CallbackServerContext* context,
                                             const v1::RemoveTeamMemberRequest* request,
                                             v1::Case* response) override;
  grpc::ServerUnaryReactor* PurgeCase(grpc::CallbackServerContext* context,
                                      const v1::PurgeCaseRequest* request,
                                      v1::Case* response) override;
  grpc::ServerUnaryReactor* RebuildCaseCounters(grpc::CallbackServerContext* context,
                                                const v1::RebuildCaseCountersRequest* request,
                                                v1::RebuildCaseCountersResponse* response) override;
  grpc::ServerUnaryReactor* SearchCases(grpc::CallbackServerContext* context,
                                        const v1::SearchCasesRequest* request,
                                        v1::SearchCasesResponse* response) override;
  grpc::ServerReadReactor<v1::ImportCasesRequest>* ImportCases(
      grpc::CallbackServerContext* context, v1::ImportCasesResponse* response) override;

  // The most an ImportCases upload may carry in all.
  static constexpr size_t kMaxImportBytes = 64 << 20;

 private:
  // The case `name` if the caller may see it; NOT_FOUND (as for an absent case) otherwise.
  Result<v1::Case> Visible(auth::Call& call, const std::string& name) const;
  // As Visible, from the case's public part (no key unwrapped, nothing decrypted): for the calls
  // that load the case again in the store, or read nothing of it.
  Status CheckVisible(auth::Call& call, const std::string& name) const;
  // For ListReferrals: CheckVisible of the case `parent`, or, for the inbox ("cases/-"),
  // FAILED_PRECONDITION "NO_AGENCY" for a caller outside every agency.
  Status CheckReferralsVisible(auth::Call& call, const std::string& parent) const;
  // Accept / decline / revoke: `method` names the RPC.
  grpc::ServerUnaryReactor* Answer(grpc::CallbackServerContext* context, const char* method,
                                   const v1::AnswerReferralRequest* request,
                                   CaseReferrals::Answer answer, v1::Referral* response);

  auth::Gatekeeper& gatekeeper_;
  CaseStore& store_;
  CaseReferrals& referrals_;
  CaseConsultations& consultations_;
  CaseCounting& counting_;
  CaseMaintenance& maintenance_;
  const CaseImports& imports_;
  const Clock& clock_;
};

}  // namespace casecoord::cases
