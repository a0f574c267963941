// gRPC adapter for casecoord.v1.Statistics: every call goes through the gatekeeper (identity,
// role, audit); StatisticsReporter builds the protected tables and PlanStore keeps the plans.
//
// Nothing this service answers names a household: the yearly report and plan progress are built
// only from the protected (suppressed, audited) tables of yearly_report.h. Planners reach this
// service and nothing that holds personal data (policy.cc).
#pragma once

#include <string>
#include <string_view>

#include "casecoord/v1/statistics.grpc.pb.h"
#include "services/auth/gatekeeper.h"
#include "services/stats/plan_store.h"
#include "services/stats/year_release.h"
#include "services/stats/yearly_report.h"

namespace casecoord::stats {

// Full gRPC method name of a Statistics RPC.
std::string StatisticsMethod(std::string_view rpc);

class StatisticsService final : public v1::Statistics::CallbackService {
 public:
  // All must outlive the service. `cooperation_share` answers the directory's survey share.
  StatisticsService(auth::Gatekeeper& gatekeeper, const StatisticsReporter& reporter,
                    PlanStore& plans, YearReleases& releases, CooperationShare cooperation_share)
      : gatekeeper_(gatekeeper),
        reporter_(reporter),
        plans_(plans),
        releases_(releases),
        cooperation_share_(std::move(cooperation_share)) {}

  grpc::ServerUnaryReactor* GetYearlyReport(grpc::CallbackServerContext* context,
                                            const v1::GetYearlyReportRequest* request,
                                            v1::YearlyReport* response) override;
  grpc::ServerUnaryReactor* PublishYear(grpc::CallbackServerContext* context,
                                        const v1::PublishYearRequest* request,
                                        v1::YearRelease* response) override;
  grpc::ServerUnaryReactor* CreateWelfarePlan(grpc::CallbackServerContext* context,
                                              const v1::CreateWelfarePlanRequest* request,
                                              v1::WelfarePlan* response) override;
  grpc::ServerUnaryReactor* GetWelfarePlan(grpc::CallbackServerContext* context,
                                           const v1::GetWelfarePlanRequest* request,
                                           v1::WelfarePlan* response) override;
  grpc::ServerUnaryReactor* ListWelfarePlans(grpc::CallbackServerContext* context,
                                             const v1::ListWelfarePlansRequest* request,
                                             v1::ListWelfarePlansResponse* response) override;
  grpc::ServerUnaryReactor* UpdateWelfarePlan(grpc::CallbackServerContext* context,
                                              const v1::UpdateWelfarePlanRequest* request,
                                              v1::WelfarePlan* response) override;
  grpc::ServerUnaryReactor* RecordIndicatorYear(grpc::CallbackServerContext* context,
                                                const v1::RecordIndicatorYearRequest* request,
                                                v1::WelfarePlan* response) override;
  grpc::ServerUnaryReactor* GetPlanProgress(grpc::CallbackServerContext* context,
                                            const v1::GetPlanProgressRequest* request,
                                            v1::PlanProgress* response) override;

 private:
  auth::Gatekeeper& gatekeeper_;
  const StatisticsReporter& reporter_;
  PlanStore& plans_;
  YearReleases& releases_;
  CooperationShare cooperation_share_;
};

}  // namespace casecoord::stats
