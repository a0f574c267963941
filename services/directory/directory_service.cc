#include "services/directory/directory_service.h"

#include <algorithm>

#include "services/auth/upload_reactor.h"
#include "services/common/fiscal_year.h"
#include "services/common/grpc_errors.h"
#include "services/common/pagination.h"
#include "services/common/resource_names.h"
#include "services/directory/agency_csv.h"

namespace casecoord::directory {

std::string DirectoryMethod(std::string_view rpc) {
  return "/" + std::string(v1::AgencyDirectory::service_full_name()) + "/" + std::string(rpc);
}

grpc::ServerUnaryReactor* DirectoryService::CreateAgency(grpc::CallbackServerContext* context,
                                                         const v1::CreateAgencyRequest* request,
                                                         v1::Agency* response) {
  return gatekeeper_.Handle(
      context, DirectoryMethod("CreateAgency"), [this, request, response](auth::Call& call) {
        call.set_resource(kAgencyPrefix + request->agency_id());
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
        auto order = ParseAgencyOrder(request->order_by());
        if (!order.ok()) return order.status();
        const std::string fingerprint =
            filter->Fingerprint() + ";order=" + std::to_string(static_cast<int>(*order));
        auto page = ParsePageRequest(request->page_size(), request->page_token(), fingerprint);
        if (!page.ok()) return page.status();
        auto agencies = store_.List(*filter, *order, page->after_key, page->size);
        if (!agencies.ok()) return agencies.status();
        for (auto& agency : agencies->agencies) *response->add_agencies() = std::move(agency);
        if (!agencies->next_after_key.empty()) {
          response->set_next_page_token(MakePageToken(agencies->next_after_key, fingerprint));
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

namespace {

// page_size of SearchAgencies and FindPartners: 0 means 20, at most 200.
Result<int> ResultLimit(int32_t page_size) {
  if (page_size < 0) return Status::InvalidArgument("page_size", "must not be negative");
  return page_size == 0 ? 20 : std::min(page_size, 200);
}

Result<v1::AgencyView> ResultView(v1::AgencyView view) {
  if (view == v1::AGENCY_VIEW_UNSPECIFIED) return v1::AGENCY_VIEW_BASIC;
  if (!v1::AgencyView_IsValid(view)) {
    return Status::InvalidArgument("view", "not an AgencyView: " + std::to_string(view));
  }
  return view;
}

}  // namespace

grpc::ServerUnaryReactor* DirectoryService::SearchAgencies(grpc::CallbackServerContext* context,
                                                           const v1::SearchAgenciesRequest* request,
                                                           v1::SearchAgenciesResponse* response) {
  return gatekeeper_.Handle(
      context, DirectoryMethod("SearchAgencies"), [this, request, response](auth::Call& call) {
        call.set_resource("agencies");
        auto limit = ResultLimit(request->page_size());
        if (!limit.ok()) return limit.status();
        auto view = ResultView(request->view());
        if (!view.ok()) return view.status();
        auto filter = ParseAgencyFilter(request->filter());
        if (!filter.ok()) return filter.status();
        auto matches = store_.Search(request->query(), *limit, &*filter, *view);
        if (!matches.ok()) return matches.status();
        response->mutable_matches()->Reserve(static_cast<int>(matches->size()));
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
        auto limit = ResultLimit(request->page_size());
        if (!limit.ok()) return limit.status();
        auto view = ResultView(request->view());
        if (!view.ok()) return view.status();
        std::vector<std::string> tags(request->issue_tags().begin(), request->issue_tags().end());
        auto partners = store_.FindPartners(tags, request->district(), *limit, *view);
        if (!partners.ok()) return partners.status();
        response->mutable_partners()->Reserve(static_cast<int>(partners->size()));
        for (auto& partner : *partners) *response->add_partners() = std::move(partner);
        return Status::Ok();
      });
}

grpc::ServerReadReactor<v1::ImportAgenciesRequest>* DirectoryService::ImportAgencies(
    grpc::CallbackServerContext* context, v1::ImportAgenciesResponse* response) {
  return new auth::UploadReactor<v1::ImportAgenciesRequest, v1::ImportAgenciesResponse>(
      gatekeeper_, context, DirectoryMethod("ImportAgencies"), kMaxImportBytes, response,
      [this](auth::Call& call, const v1::AgencyImportOptions& options, const std::string& file,
             v1::ImportAgenciesResponse* answer) {
        call.set_resource("agencies");
        CASECOORD_ASSIGN_OR_RETURN(auto csv, ParseAgencyCsv(file));
        call.HoldUntilCommitted(store_.LockForWrite());
        CASECOORD_ASSIGN_OR_RETURN(*answer, store_.PrepareImport(csv, options, &call.changes()));
        return Status::Ok();
      });
}

// Builds the whole file on a worker (through the gatekeeper), then sends it in chunks.
class DirectoryService::ExportReactor final
    : public grpc::ServerWriteReactor<v1::ExportAgenciesResponse> {
 public:
  ExportReactor(DirectoryService& service, grpc::CallbackServerContext* context,
                const v1::ExportAgenciesRequest* request)
      : request_(*request) {
    service.gatekeeper_.Dispatch(
        context, DirectoryMethod("ExportAgencies"),
        [this, &service](auth::Call& call) { return Build(service.store_, call); },
        [this](const Status& status) {
          if (!status.ok()) {
            Finish(ToGrpcStatus(status));
          } else {
            WriteNext();
          }
        });
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "the client stopped reading"));
      return;
    }
    WriteNext();
  }

  void OnDone() override { delete this; }

 private:
  Status Build(const AgencyStore& store, auth::Call& call) {
    call.set_resource("agencies");
    auto filter = ParseAgencyFilter(request_.filter());
    if (!filter.ok()) return filter.status();
    auto order = ParseAgencyOrder(request_.order_by());
    if (!order.ok()) return order.status();
    auto agencies = store.ListAll(*filter, *order);
    if (!agencies.ok()) return agencies.status();
    const std::string date = FormatJstDate(std::chrono::system_clock::now());
    std::string stamp;
    std::copy_if(date.begin(), date.end(), std::back_inserter(stamp),
                 [](char c) { return c != '-'; });
    switch (request_.format()) {
      case v1::CSV_UTF8_BOM:
      case v1::CSV_CP932: {
        const bool cp932 = request_.format() == v1::CSV_CP932;
        auto csv = AgenciesToCsv(*agencies, cp932 ? CsvEncoding::kCp932 : CsvEncoding::kUtf8Bom);
        if (!csv.ok()) {
          if (csv.status().Is(Reason::kUnmappableCharacter)) {
            return Status(Reason::kNotRepresentableInCp932,
                          csv.status().message() + "; export as CSV_UTF8_BOM instead");
          }
          return csv.status();
        }
        file_ = std::move(csv).value();
        header_.set_content_type(cp932 ? "text/csv; charset=Shift_JIS" : "text/csv; charset=utf-8");
        header_.set_file_name("agencies-" + stamp + ".csv");
        break;
      }
      case v1::HSDS_JSON:
        file_ = AgenciesToHsdsJson(*agencies);
        header_.set_content_type("application/json");
        header_.set_file_name("agencies-" + stamp + ".json");
        break;
      default:
        return Status::InvalidArgument("format", "choose CSV_UTF8_BOM, CSV_CP932 or HSDS_JSON");
    }
    header_.set_total_bytes(static_cast<int64_t>(file_.size()));
    header_.set_agency_count(static_cast<int32_t>(agencies->size()));
    return Status::Ok();
  }

  void WriteNext() {
    if (sent_ >= file_.size() && sent_any_) {
      Finish(grpc::Status::OK);
      return;
    }
    const size_t length = std::min(kExportChunkBytes, file_.size() - sent_);
    response_ = header_;
    response_.set_chunk(file_.substr(sent_, length));
    sent_ += length;
    sent_any_ = true;
    StartWrite(&response_);
  }

  const v1::ExportAgenciesRequest request_;
  v1::ExportAgenciesResponse header_;
  v1::ExportAgenciesResponse response_;
  std::string file_;
  size_t sent_ = 0;
  bool sent_any_ = false;
};

grpc::ServerWriteReactor<v1::ExportAgenciesResponse>* DirectoryService::ExportAgencies(
    grpc::CallbackServerContext* context, const v1::ExportAgenciesRequest* request) {
  return new ExportReactor(*this, context, request);
}

grpc::ServerUnaryReactor* DirectoryService::RecordCooperationSurveyAnswer(
    grpc::CallbackServerContext* context, const v1::RecordCooperationSurveyAnswerRequest* request,
    v1::CooperationSurveyAnswer* response) {
  return gatekeeper_.Handle(context, DirectoryMethod("RecordCooperationSurveyAnswer"),
                            [this, request, response](auth::Call& call) {
                              call.set_resource(request->parent() + "/cooperationSurveys/" +
                                                std::to_string(request->fiscal_year()));
                              call.HoldUntilCommitted(surveys_.LockForWrite());
                              auto answer = surveys_.PrepareRecord(
                                  request->parent(), request->fiscal_year(),
                                  request->close_cooperation(), kUserPrefix + call.caller().user_id,
                                  &call.changes());
                              if (!answer.ok()) return answer.status();
                              *response = std::move(answer).value();
                              return Status::Ok();
                            });
}

grpc::ServerUnaryReactor* DirectoryService::ListCooperationSurveyAnswers(
    grpc::CallbackServerContext* context, const v1::ListCooperationSurveyAnswersRequest* request,
    v1::ListCooperationSurveyAnswersResponse* response) {
  return gatekeeper_.Handle(
      context, DirectoryMethod("ListCooperationSurveyAnswers"),
      [this, request, response](auth::Call& call) {
        call.set_resource("agencies/-/cooperationSurveys/" +
                          std::to_string(request->fiscal_year()));
        const std::string fingerprint = "fiscal_year=" + std::to_string(request->fiscal_year());
        auto page = ParsePageRequest(request->page_size(), request->page_token(), fingerprint);
        if (!page.ok()) return page.status();
        bool more = false;
        auto answers = surveys_.List(request->fiscal_year(), page->after_key, page->size, &more);
        if (!answers.ok()) return answers.status();
        for (auto& answer : *answers) *response->add_answers() = std::move(answer);
        if (more) {
          response->set_next_page_token(
              MakePageToken(AnswerAgencyId(*response->answers().rbegin()), fingerprint));
        }
        return Status::Ok();
      });
}

grpc::ServerUnaryReactor* DirectoryService::DeleteCooperationSurveyAnswer(
    grpc::CallbackServerContext* context, const v1::DeleteCooperationSurveyAnswerRequest* request,
    v1::DeleteCooperationSurveyAnswerResponse*) {
  return gatekeeper_.Handle(context, DirectoryMethod("DeleteCooperationSurveyAnswer"),
                            [this, request](auth::Call& call) {
                              call.set_resource(request->name());
                              call.HoldUntilCommitted(surveys_.LockForWrite());
                              return surveys_.PrepareDelete(request->name(), &call.changes());
                            });
}

grpc::ServerUnaryReactor* DirectoryService::GetCooperationSurveySummary(
    grpc::CallbackServerContext* context, const v1::GetCooperationSurveySummaryRequest* request,
    v1::CooperationSurveySummary* response) {
  return gatekeeper_.Handle(context, DirectoryMethod("GetCooperationSurveySummary"),
                            [this, request, response](auth::Call& call) {
                              call.set_resource("agencies/-/cooperationSurveys/" +
                                                std::to_string(request->fiscal_year()));
                              auto summary = surveys_.Summary(request->fiscal_year());
                              if (!summary.ok()) return summary.status();
                              *response = std::move(summary).value();
                              return Status::Ok();
                            });
}

}  // namespace casecoord::directory
