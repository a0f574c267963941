#include "services/stats/statistics_service.h"

#include <google/protobuf/util/time_util.h>

#include "services/common/fiscal_year.h"
#include "services/common/pagination.h"

namespace casecoord::stats {

std::string StatisticsMethod(std::string_view rpc) {
  return "/" + std::string(v1::Statistics::service_full_name()) + "/" + std::string(rpc);
}

grpc::ServerUnaryReactor* StatisticsService::GetYearlyReport(
    grpc::CallbackServerContext* context, const v1::GetYearlyReportRequest* request,
    v1::YearlyReport* response) {
  return gatekeeper_.Handle(context, StatisticsMethod("GetYearlyReport"),
                            [this, request, response](auth::Call& call) {
                              call.set_resource("statistics/yearly");
                              auto report = reporter_.YearlyReport(*request);
                              if (!report.ok()) return report.status();
                              *response = std::move(report).value();
                              return Status::Ok();
                            });
}

grpc::ServerUnaryReactor* StatisticsService::PublishYear(grpc::CallbackServerContext* context,
                                                         const v1::PublishYearRequest* request,
                                                         v1::YearRelease* response) {
  return gatekeeper_.Handle(
      context, StatisticsMethod("PublishYear"), [this, request, response](auth::Call& call) {
        const int year = request->fiscal_year();
        call.set_resource("statistics/releases");
        const int current = FiscalYearOf(reporter_.clock().Now());
        if (year < kFirstReportableFiscalYear || year > 9999) {
          return Status::InvalidArgument(
              "fiscal_year",
              "must be a fiscal year from " + std::to_string(kFirstReportableFiscalYear));
        }
        call.set_resource(YearReleaseName(year));
        call.HoldUntilCommitted(releases_.LockForPublish());
        if (Status publishable = releases_.CheckPublishable(year, current); !publishable.ok()) {
          return publishable;
        }
        auto snapshot = reporter_.Snapshot();
        if (!snapshot.ok()) return snapshot.status();
        auto frozen = snapshot->Freeze(year);
        if (!frozen.ok()) return frozen.status();
        *response = releases_.PreparePublish(std::move(frozen).value(), call.caller().user_id,
                                             reporter_.clock().Now(), &call.changes());
        return Status::Ok();
      });
}

grpc::ServerUnaryReactor* StatisticsService::CreateWelfarePlan(
    grpc::CallbackServerContext* context, const v1::CreateWelfarePlanRequest* request,
    v1::WelfarePlan* response) {
  return gatekeeper_.Handle(
      context, StatisticsMethod("CreateWelfarePlan"), [this, request, response](auth::Call& call) {
        call.set_resource("plans");
        call.HoldUntilCommitted(plans_.LockForWrite());
        auto created = plans_.PrepareCreate(request->plan_id(), request->plan(),
                                            reporter_.clock().Now(), &call.changes());
        if (!created.ok()) return created.status();
        call.set_resource(created->name());
        *response = std::move(created).value();
        return Status::Ok();
      });
}

grpc::ServerUnaryReactor* StatisticsService::GetWelfarePlan(
    grpc::CallbackServerContext* context, const v1::GetWelfarePlanRequest* request,
    v1::WelfarePlan* response) {
  return gatekeeper_.Handle(context, StatisticsMethod("GetWelfarePlan"),
                            [this, request, response](auth::Call& call) {
                              call.set_resource(request->name());
                              auto plan = plans_.Get(request->name());
                              if (!plan.ok()) return plan.status();
                              *response = std::move(plan).value();
                              return Status::Ok();
                            });
}

grpc::ServerUnaryReactor* StatisticsService::ListWelfarePlans(
    grpc::CallbackServerContext* context, const v1::ListWelfarePlansRequest* request,
    v1::ListWelfarePlansResponse* response) {
  return gatekeeper_.Handle(
      context, StatisticsMethod("ListWelfarePlans"), [this, request, response](auth::Call& call) {
        call.set_resource("plans");
        auto page = ParsePageRequest(request->page_size(), request->page_token(), "plans");
        if (!page.ok()) return page.status();
        auto plans = plans_.List(page->after_key, page->size);
        if (!plans.ok()) return plans.status();
        for (auto& plan : plans->plans) *response->add_plans() = std::move(plan);
        if (!plans->next_after_id.empty()) {
          response->set_next_page_token(MakePageToken(plans->next_after_id, "plans"));
        }
        return Status::Ok();
      });
}

grpc::ServerUnaryReactor* StatisticsService::UpdateWelfarePlan(
    grpc::CallbackServerContext* context, const v1::UpdateWelfarePlanRequest* request,
    v1::WelfarePlan* response) {
  return gatekeeper_.Handle(
      context, StatisticsMethod("UpdateWelfarePlan"), [this, request, response](auth::Call& call) {
        call.set_resource(request->plan().name());
        call.HoldUntilCommitted(plans_.LockForWrite());
        auto updated = plans_.PrepareUpdate(request->plan(), request->update_mask(),
                                            reporter_.clock().Now(), &call.changes());
        if (!updated.ok()) return updated.status();
        *response = std::move(updated).value();
        return Status::Ok();
      });
}

grpc::ServerUnaryReactor* StatisticsService::RecordIndicatorYear(
    grpc::CallbackServerContext* context, const v1::RecordIndicatorYearRequest* request,
    v1::WelfarePlan* response) {
  return gatekeeper_.Handle(context, StatisticsMethod("RecordIndicatorYear"),
                            [this, request, response](auth::Call& call) {
                              call.set_resource(request->indicator());
                              call.HoldUntilCommitted(plans_.LockForWrite());
                              auto updated = plans_.PrepareRecordYear(
                                  request->indicator(), request->year(), request->etag(),
                                  reporter_.clock().Now(), &call.changes());
                              if (!updated.ok()) return updated.status();
                              *response = std::move(updated).value();
                              return Status::Ok();
                            });
}

grpc::ServerUnaryReactor* StatisticsService::GetPlanProgress(
    grpc::CallbackServerContext* context, const v1::GetPlanProgressRequest* request,
    v1::PlanProgress* response) {
  return gatekeeper_.Handle(
      context, StatisticsMethod("GetPlanProgress"), [this, request, response](auth::Call& call) {
        call.set_resource(request->name());
        auto plan = plans_.Get(request->name());
        if (!plan.ok()) return plan.status();
        auto snapshot = reporter_.Snapshot();
        if (!snapshot.ok()) return snapshot.status();
        const auto now = reporter_.clock().Now();
        auto progress =
            ComputePlanProgress(*plan, *snapshot, cooperation_share_, FiscalYearOf(now));
        if (!progress.ok()) return progress.status();
        *progress->mutable_disclosure() = reporter_.Disclosure(*snapshot);
        *progress
             ->mutable_generate_time() = google::protobuf::util::TimeUtil::NanosecondsToTimestamp(
            std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count());
        *response = std::move(progress).value();
        return Status::Ok();
      });
}

}  // namespace casecoord::stats
