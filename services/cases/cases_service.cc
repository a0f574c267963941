#include "services/cases/cases_service.h"

#include <algorithm>
#include <utility>

#include "services/auth/upload_reactor.h"
#include "services/common/filter.h"
#include "services/common/fiscal_year.h"
#include "services/common/log.h"
#include "services/common/pagination.h"
#include "services/common/resource_names.h"
#include "services/common/text.h"
#include "services/storage/request_ledger.h"

namespace casecoord::cases {
namespace {

Viewer ViewerOf(const auth::Caller& caller) {
  return Viewer{caller.Has(v1::COORDINATOR), caller.agency};
}

// "cases/{case}/referrals/{number}" as (case, number), for ordering; (0, 0) for another name.
std::pair<uint64_t, uint64_t> ReferralPosition(std::string_view name) {
  constexpr std::string_view kCases = "cases/", kReferrals = "/referrals/";
  const size_t at = name.find(kReferrals);
  if (!name.starts_with(kCases) || at == std::string_view::npos) return {0, 0};
  auto id = ParseDecimalId(name.substr(kCases.size(), at - kCases.size()));
  auto number = ParseDecimalId(name.substr(at + kReferrals.size()), /*allow_zero=*/true);
  return {id.value_or(0), number.value_or(0)};
}

// The first of `referrals` (sorted by ReferralPosition) after the one named `after_key`; the
// first of all for an empty key.
std::vector<v1::Referral>::iterator FirstReferralAfter(const std::string& after_key,
                                                       std::vector<v1::Referral>* referrals) {
  if (after_key.empty()) return referrals->begin();
  const auto after = ReferralPosition(after_key);
  return std::find_if(referrals->begin(), referrals->end(),
                      [&](const v1::Referral& r) { return ReferralPosition(r.name()) > after; });
}

// my_agency and overdue, which take true or false.
Status ApplyFlagClause(const FilterClause& clause, const auth::Caller& caller, CaseFilter* filter) {
  auto yes = [](const std::string& value) { return value == "true"; };
  if (clause.value != "true" && clause.value != "false") {
    return Status::InvalidArgument("filter", clause.key + " must be true or false");
  }
  if (clause.key == "overdue") {
    filter->overdue = yes(clause.value);
  } else if (yes(clause.value)) {
    if (caller.agency.empty()) {
      return Status::InvalidArgument("filter", "my_agency: you do not belong to an agency");
    }
    filter->agency = caller.agency;
  }
  return Status::Ok();
}

// One clause of a ListCasesRequest.filter into `filter`.
Status ApplyClause(const FilterClause& clause, const auth::Caller& caller, CaseFilter* filter) {
  if (clause.op != "=") {
    return Status::InvalidArgument("filter", "only = is supported, not " + clause.op);
  }
  if (clause.key == "state") {
    if (!v1::CaseState_Parse(clause.value, &filter->state) ||
        filter->state == v1::CASE_STATE_UNSPECIFIED) {
      return Status::InvalidArgument("filter", "unknown state \"" + clause.value + "\"");
    }
  } else if (clause.key == "district") {
    filter->district = clause.value;
  } else if (clause.key == "tag") {
    filter->tag = clause.value;
  } else if (clause.key == "fiscal_year") {
    const auto year =
        clause.value.size() == 4 ? ParseDecimalInt(clause.value, 1000, 9999) : std::nullopt;
    if (!year) {
      return Status::InvalidArgument("filter", "fiscal_year is the starting year, e.g. 2024");
    }
    filter->fiscal_year = static_cast<int>(*year);
  } else if (clause.key == "agency") {
    if (clause.value.rfind(kAgencyPrefix, 0) != 0) {
      return Status::InvalidArgument("filter", "agency must look like \"agencies/{agency}\"");
    }
    filter->agency = clause.value;
  } else if (clause.key == "my_agency" || clause.key == "overdue") {
    return ApplyFlagClause(clause, caller, filter);
  } else {
    return Status::InvalidArgument(
        "filter", "cannot filter on \"" + clause.key +
                      "\"; use state, district, fiscal_year, tag, agency, my_agency or overdue");
  }
  return Status::Ok();
}

}  // namespace

Result<CaseFilter> ParseCaseFilter(const std::string& text, const auth::Caller& caller,
                                   std::chrono::system_clock::time_point now) {
  auto clauses = ParseFilterClauses(text);
  if (!clauses.ok()) return clauses.status();
  CaseFilter filter;
  for (const auto& clause : *clauses) {
    CASECOORD_RETURN_IF_ERROR(ApplyClause(clause, caller, &filter));
  }
  filter.today = JstDateOf(now);
  return filter;
}

Result<SearchQuery> ParseSearchQuery(const v1::SearchCasesRequest& request) {
  SearchQuery query;
  FieldViolations violations;
  const auto folded = [&](const std::string& text, const char* field, std::string* out) {
    if (text.empty()) return;
    *out = FoldSearchText(text);
    if (out->empty()) violations(field, "has no letters to search for");
  };
  folded(request.name(), "name", &query.name);
  folded(request.kana(), "kana", &query.kana);
  if (!request.phone().empty()) {
    query.phone = PhoneDigits(request.phone());
    if (query.phone.empty()) violations("phone", "has no digits");
  }
  if (request.has_birth_date()) {
    const v1::Date& date = request.birth_date();
    if (!JstMidnight(date.year(), date.month(), date.day())) {
      violations("birth_date", "not a date");
    } else {
      query.birth_date = date;
    }
  }
  if (!request.case_number().empty()) {
    query.case_number = ParseCaseNumber(request.case_number());
    if (!query.case_number) {
      violations("case_number", "must look like R6-0042 or H30-0001");
    }
  }
  CASECOORD_RETURN_IF_ERROR(violations.ToStatus());
  if (query.name.empty() && query.kana.empty() && !query.birth_date && query.phone.empty() &&
      !query.case_number) {
    return Status::InvalidArgument("name",
                                   "give at least one of name, kana, birth_date, phone and "
                                   "case_number");
  }
  return query;
}

std::string CasesMethod(std::string_view rpc) {
  return "/" + std::string(v1::Cases::service_full_name()) + "/" + std::string(rpc);
}

Result<v1::Case> CasesService::Visible(auth::Call& call, const std::string& name) const {
  call.set_resource(name);
  auto record = store_.Get(name);
  if (!record.ok()) return record.status();
  CASECOORD_RETURN_IF_ERROR(call.CheckRecordAccess(name, CanSee(*record, ViewerOf(call.caller()))));
  return record;
}

Status CasesService::CheckReferralsVisible(auth::Call& call, const std::string& parent) const {
  if (parent != "cases/-") return CheckVisible(call, parent);
  call.set_resource("cases/-/referrals");
  if (call.caller().agency.empty()) {
    return Status(Reason::kNoAgency, "the inbox is for users who belong to an agency");
  }
  return Status::Ok();
}

Status CasesService::CheckVisible(auth::Call& call, const std::string& name) const {
  call.set_resource(name);
  auto record = store_.GetPublic(name);
  if (!record.ok()) return record.status();
  return call.CheckRecordAccess(name, CanSee(*record, ViewerOf(call.caller())));
}

grpc::ServerUnaryReactor* CasesService::CreateCase(grpc::CallbackServerContext* context,
                                                   const v1::CreateCaseRequest* request,
                                                   v1::Case* response) {
  return gatekeeper_.Handle(
      context, CasesMethod("CreateCase"), [this, request, response](auth::Call& call) {
        call.set_resource("cases");
        call.HoldUntilCommitted(store_.LockNewCase());
        auto created = store_.PrepareCreate(
            call.caller().user_id, request->request_id(), request->case_(), &call.changes(),
            request->allow_duplicate() ? Duplicates::kAllow : Duplicates::kWarn);
        if (!created.ok()) return created.status();
        call.set_resource(created->name());
        *response = std::move(created).value();
        return Status::Ok();
      });
}

grpc::ServerUnaryReactor* CasesService::GetCase(grpc::CallbackServerContext* context,
                                                const v1::GetCaseRequest* request,
                                                v1::Case* response) {
  return gatekeeper_.Handle(context, CasesMethod("GetCase"),
                            [this, request, response](auth::Call& call) {
                              auto record = Visible(call, request->name());
                              if (!record.ok()) return record.status();
                              *response = std::move(record).value();
                              return Status::Ok();
                            });
}

grpc::ServerUnaryReactor* CasesService::ListCases(grpc::CallbackServerContext* context,
                                                  const v1::ListCasesRequest* request,
                                                  v1::ListCasesResponse* response) {
  return gatekeeper_.Handle(
      context, CasesMethod("ListCases"), [this, request, response](auth::Call& call) {
        call.set_resource("cases");
        auto filter = ParseCaseFilter(request->filter(), call.caller(), clock_.Now());
        if (!filter.ok()) return filter.status();
        // The page token is bound to the filter as written (and, for my_agency, to the agency).
        const std::string fingerprint = request->filter() + "|" + filter->agency;
        auto page = ParsePageRequest(request->page_size(), request->page_token(), fingerprint);
        if (!page.ok()) return page.status();
        auto cases = store_.List(ViewerOf(call.caller()), *filter, page->after_key, page->size);
        if (!cases.ok()) return cases.status();
        for (auto& record : cases->cases) {
          call.AddReturned(record.name());
          *response->add_cases() = std::move(record);
        }
        if (!cases->next_after_id.empty()) {
          response->set_next_page_token(MakePageToken(cases->next_after_id, fingerprint));
        }
        return Status::Ok();
      });
}

grpc::ServerUnaryReactor* CasesService::UpdateCase(grpc::CallbackServerContext* context,
                                                   const v1::UpdateCaseRequest* request,
                                                   v1::Case* response) {
  return gatekeeper_.Handle(
      context, CasesMethod("UpdateCase"), [this, request, response](auth::Call& call) {
        call.HoldUntilCommitted(store_.LockCase(request->case_().name()));
        CASECOORD_RETURN_IF_ERROR(CheckVisible(call, request->case_().name()));
        auto updated = store_.PrepareUpdate(call.caller().user_id, *request, &call.changes());
        if (!updated.ok()) return updated.status();
        *response = std::move(updated).value();
        return Status::Ok();
      });
}

grpc::ServerUnaryReactor* CasesService::TransitionCase(grpc::CallbackServerContext* context,
                                                       const v1::TransitionCaseRequest* request,
                                                       v1::Case* response) {
  return gatekeeper_.Handle(
      context, CasesMethod("TransitionCase"), [this, request, response](auth::Call& call) {
        call.HoldUntilCommitted(store_.LockCase(request->name()));
        CASECOORD_RETURN_IF_ERROR(CheckVisible(call, request->name()));
        auto moved = store_.PrepareTransition(call.caller().user_id, *request, &call.changes());
        if (!moved.ok()) return moved.status();
        *response = std::move(moved).value();
        return Status::Ok();
      });
}

grpc::ServerUnaryReactor* CasesService::GetCaseHistory(grpc::CallbackServerContext* context,
                                                       const v1::GetCaseHistoryRequest* request,
                                                       v1::GetCaseHistoryResponse* response) {
  return gatekeeper_.Handle(
      context, CasesMethod("GetCaseHistory"), [this, request, response](auth::Call& call) {
        CASECOORD_RETURN_IF_ERROR(CheckVisible(call, request->name()));
        auto page = ParsePageRequest(request->page_size(), request->page_token(), request->name());
        if (!page.ok()) return page.status();
        auto after = page->AfterNumber();
        if (!after.ok()) return after.status();
        // One more than the page, to know whether another follows.
        auto events = store_.History(request->name(), static_cast<int64_t>(*after), page->size + 1);
        if (!events.ok()) return events.status();
        const bool more = static_cast<int>(events->size()) > page->size;
        if (more) events->pop_back();
        for (auto& event : *events) *response->add_events() = std::move(event);
        if (more) {
          response->set_next_page_token(MakePageToken(
              std::to_string(response->events().rbegin()->sequence()), request->name()));
        }
        return Status::Ok();
      });
}

grpc::ServerUnaryReactor* CasesService::AppendConsultation(
    grpc::CallbackServerContext* context, const v1::AppendConsultationRequest* request,
    v1::ConsultationEntry* response) {
  return gatekeeper_.Handle(
      context, CasesMethod("AppendConsultation"), [this, request, response](auth::Call& call) {
        call.HoldUntilCommitted(store_.LockCase(request->parent()));
        CASECOORD_RETURN_IF_ERROR(CheckVisible(call, request->parent()));
        auto entry = storage::WriteOnce<v1::ConsultationEntry>(
            store_.requests(), "AppendConsultation", call.caller().user_id, request->request_id(),
            *request, &call.changes(),
            [this, request](const std::string& name) -> Result<v1::ConsultationEntry> {
              const std::string prefix = request->parent() + "/consultations/";
              auto number = name.rfind(prefix, 0) == 0
                                ? ParseDecimalId(std::string_view(name).substr(prefix.size()))
                                : std::nullopt;
              if (!number) return Status(Reason::kRequestLedgerCorrupt, "not an entry name");
              auto entries = consultations_.Consultations(request->parent(),
                                                          static_cast<int64_t>(*number) - 1, 1);
              if (!entries.ok()) return entries.status();
              if (entries->empty() || entries->front().name() != name) {
                return Status(Reason::kNotFound, "the entry this request made is gone");
              }
              return std::move(entries->front());
            },
            [this, request, &call] {
              return consultations_.PrepareAppendConsultation(
                  call.caller().user_id, request->parent(), request->entry(), &call.changes());
            },
            [](const v1::ConsultationEntry& written) { return written.name(); });
        if (!entry.ok()) return entry.status();
        *response = std::move(entry).value();
        return Status::Ok();
      });
}

grpc::ServerUnaryReactor* CasesService::ListConsultations(
    grpc::CallbackServerContext* context, const v1::ListConsultationsRequest* request,
    v1::ListConsultationsResponse* response) {
  return gatekeeper_.Handle(
      context, CasesMethod("ListConsultations"), [this, request, response](auth::Call& call) {
        CASECOORD_RETURN_IF_ERROR(CheckVisible(call, request->parent()));
        auto page =
            ParsePageRequest(request->page_size(), request->page_token(), request->parent());
        if (!page.ok()) return page.status();
        auto after = page->AfterNumber();
        if (!after.ok()) return after.status();
        auto entries = consultations_.Consultations(request->parent(), static_cast<int64_t>(*after),
                                                    page->size + 1);
        if (!entries.ok()) return entries.status();
        const bool more = static_cast<int>(entries->size()) > page->size;
        if (more) entries->pop_back();
        for (auto& entry : *entries) *response->add_entries() = std::move(entry);
        if (more) {
          response->set_next_page_token(
              MakePageToken(std::to_string(*after + response->entries_size()), request->parent()));
        }
        return Status::Ok();
      });
}

grpc::ServerUnaryReactor* CasesService::CreateReferral(grpc::CallbackServerContext* context,
                                                       const v1::CreateReferralRequest* request,
                                                       v1::Referral* response) {
  return gatekeeper_.Handle(
      context, CasesMethod("CreateReferral"), [this, request, response](auth::Call& call) {
        call.HoldUntilCommitted(store_.LockCase(request->parent()));
        CASECOORD_RETURN_IF_ERROR(CheckVisible(call, request->parent()));
        auto referral = storage::WriteOnce<v1::Referral>(
            store_.requests(), "CreateReferral", call.caller().user_id, request->request_id(),
            *request, &call.changes(),
            [this](const std::string& name) { return referrals_.ReferralOf(name); },
            [this, request, &call] {
              return referrals_.PrepareRefer(call.caller().user_id, request->parent(),
                                             request->referral(), &call.changes());
            },
            [](const v1::Referral& written) { return written.name(); });
        if (!referral.ok()) return referral.status();
        *response = std::move(referral).value();
        return Status::Ok();
      });
}

grpc::ServerUnaryReactor* CasesService::ListReferrals(grpc::CallbackServerContext* context,
                                                      const v1::ListReferralsRequest* request,
                                                      v1::ListReferralsResponse* response) {
  return gatekeeper_.Handle(
      context, CasesMethod("ListReferrals"), [this, request, response](auth::Call& call) {
        if (!request->filter().empty()) {
          return Status::InvalidArgument("filter", "not supported yet");
        }
        CASECOORD_RETURN_IF_ERROR(CheckReferralsVisible(call, request->parent()));
        const std::string fingerprint = request->parent() + "|" + call.caller().agency;
        auto page = ParsePageRequest(request->page_size(), request->page_token(), fingerprint);
        if (!page.ok()) return page.status();
        auto referrals = referrals_.Referrals(request->parent(), call.caller().agency);
        if (!referrals.ok()) return referrals.status();
        // The store answers a case's or an inbox's referrals whole (they are few); the page is cut
        // here, in (case, number) order, after the referral the token names, so that referrals
        // leaving the inbox between pages move nothing.
        std::sort(referrals->begin(), referrals->end(),
                  [](const v1::Referral& a, const v1::Referral& b) {
                    return ReferralPosition(a.name()) < ReferralPosition(b.name());
                  });
        auto it = FirstReferralAfter(page->after_key, &*referrals);
        for (; it != referrals->end() && response->referrals_size() < page->size; ++it) {
          call.AddReturned(it->name().substr(0, it->name().find("/referrals/")));
          call.AddReturned(it->name());
          *response->add_referrals() = std::move(*it);
        }
        if (it != referrals->end()) {
          response->set_next_page_token(
              MakePageToken(response->referrals().rbegin()->name(), fingerprint));
        }
        return Status::Ok();
      });
}

grpc::ServerUnaryReactor* CasesService::Answer(grpc::CallbackServerContext* context,
                                               const char* method,
                                               const v1::AnswerReferralRequest* request,
                                               CaseReferrals::Answer answer,
                                               v1::Referral* response) {
  return gatekeeper_.Handle(
      context, CasesMethod(method), [this, request, answer, response](auth::Call& call) {
        call.set_resource(request->name());
        call.HoldUntilCommitted(store_.LockCase(request->name()));
        const bool coordinator = call.caller().Has(v1::COORDINATOR);
        auto referral = referrals_.ReferralOf(request->name());
        if (!referral.ok()) {
          // Only coordinators, who see every case, may learn that a case was purged; to anyone
          // else its referrals answer exactly as ones that never existed.
          if (!coordinator && referral.status().Is(Reason::kCasePurged)) {
            return Status(Reason::kNotFound, request->name() + " not found");
          }
          return referral.status();
        }
        // Coordinators may record any answer; an agency answers only what is addressed to it.
        const bool addressee =
            answer != CaseReferrals::Answer::kRevoke && call.caller().agency == referral->agency();
        CASECOORD_RETURN_IF_ERROR(
            call.CheckRecordAccess(request->name(), coordinator || addressee));
        auto answered =
            referrals_.PrepareAnswer(call.caller().user_id, *request, answer, &call.changes());
        if (!answered.ok()) return answered.status();
        *response = std::move(answered).value();
        return Status::Ok();
      });
}

grpc::ServerUnaryReactor* CasesService::AcceptReferral(grpc::CallbackServerContext* context,
                                                       const v1::AnswerReferralRequest* request,
                                                       v1::Referral* response) {
  return Answer(context, "AcceptReferral", request, CaseReferrals::Answer::kAccept, response);
}

grpc::ServerUnaryReactor* CasesService::DeclineReferral(grpc::CallbackServerContext* context,
                                                        const v1::AnswerReferralRequest* request,
                                                        v1::Referral* response) {
  return Answer(context, "DeclineReferral", request, CaseReferrals::Answer::kDecline, response);
}

grpc::ServerUnaryReactor* CasesService::RevokeReferral(grpc::CallbackServerContext* context,
                                                       const v1::AnswerReferralRequest* request,
                                                       v1::Referral* response) {
  return Answer(context, "RevokeReferral", request, CaseReferrals::Answer::kRevoke, response);
}

grpc::ServerUnaryReactor* CasesService::RemoveTeamMember(grpc::CallbackServerContext* context,
                                                         const v1::RemoveTeamMemberRequest* request,
                                                         v1::Case* response) {
  return gatekeeper_.Handle(
      context, CasesMethod("RemoveTeamMember"), [this, request, response](auth::Call& call) {
        call.HoldUntilCommitted(store_.LockCase(request->name()));
        CASECOORD_RETURN_IF_ERROR(CheckVisible(call, request->name()));
        auto updated =
            referrals_.PrepareRemoveTeamMember(call.caller().user_id, *request, &call.changes());
        if (!updated.ok()) return updated.status();
        *response = std::move(updated).value();
        return Status::Ok();
      });
}

grpc::ServerUnaryReactor* CasesService::PurgeCase(grpc::CallbackServerContext* context,
                                                  const v1::PurgeCaseRequest* request,
                                                  v1::Case* response) {
  return gatekeeper_.Handle(
      context, CasesMethod("PurgeCase"), [this, request, response](auth::Call& call) {
        call.set_resource(request->name());
        call.HoldUntilCommitted(store_.LockCase(request->name()));
        auto purged = maintenance_.PreparePurge(call.caller().user_id, *request, &call.changes());
        if (!purged.ok()) return purged.status();
        call.OnCommitted([this, name = request->name()] {
          // The key is gone from the records; now from the live files too. A failure here is
          // retried at start-up and before the next backup.
          Status erased = maintenance_.EraseDestroyed();
          if (!erased.ok()) {
            log::Warning("purged key not yet erased from live files",
                         {{"case", name}, {"error", erased.ToString()}});
          }
        });
        *response = std::move(purged).value();
        return Status::Ok();
      });
}

grpc::ServerUnaryReactor* CasesService::RebuildCaseCounters(
    grpc::CallbackServerContext* context, const v1::RebuildCaseCountersRequest* request,
    v1::RebuildCaseCountersResponse* response) {
  return gatekeeper_.Handle(
      context, CasesMethod("RebuildCaseCounters"), [this, request, response](auth::Call& call) {
        call.set_resource("counters");
        call.HoldUntilCommitted(store_.LockAllWriters());
        auto rebuild = counting_.PrepareRebuildCounters(request->validate_only(), &call.changes());
        if (!rebuild.ok()) return rebuild.status();
        for (const auto& difference : rebuild->differences) {
          auto* out = response->add_differences();
          out->set_fiscal_year(difference.key.fiscal_year);
          out->set_metric(difference.key.metric);
          out->set_dimension(difference.key.dimension);
          out->set_value(difference.key.value);
          out->set_stored(difference.stored);
          out->set_recomputed(difference.recomputed);
        }
        response->set_counters_recomputed(static_cast<int64_t>(rebuild->counters_recomputed));
        response->set_replaced(!request->validate_only() && !rebuild->differences.empty());
        return Status::Ok();
      });
}

grpc::ServerReadReactor<v1::ImportCasesRequest>* CasesService::ImportCases(
    grpc::CallbackServerContext* context, v1::ImportCasesResponse* response) {
  return new auth::UploadReactor<v1::ImportCasesRequest, v1::ImportCasesResponse>(
      gatekeeper_, context, CasesMethod("ImportCases"), kMaxImportBytes, response,
      [this](auth::Call& call, const v1::CaseImportOptions& options, const std::string& file,
             v1::ImportCasesResponse* answer) {
        call.set_resource("cases");
        CASECOORD_ASSIGN_OR_RETURN(const CaseImportFile parsed,
                                   ParseCaseImport(file, options.sheet(), JstToday(clock_)));
        call.HoldUntilCommitted(store_.LockNewCase());
        CASECOORD_ASSIGN_OR_RETURN(
            *answer, imports_.Prepare(call.caller().user_id, parsed, options, &call.changes()));
        return Status::Ok();
      });
}

grpc::ServerUnaryReactor* CasesService::SearchCases(grpc::CallbackServerContext* context,
                                                    const v1::SearchCasesRequest* request,
                                                    v1::SearchCasesResponse* response) {
  return gatekeeper_.Handle(
      context, CasesMethod("SearchCases"), [this, request, response](auth::Call& call) {
        call.set_resource("cases");
        auto query = ParseSearchQuery(*request);
        if (!query.ok()) return query.status();
        // The page token is bound to the criteria as sent (the agency bounds them for staff).
        v1::SearchCasesRequest criteria = *request;
        criteria.clear_page_size();
        criteria.clear_page_token();
        const std::string fingerprint = criteria.SerializeAsString() + "|" + call.caller().agency;
        auto page = ParsePageRequest(request->page_size(), request->page_token(), fingerprint);
        if (!page.ok()) return page.status();
        auto found = store_.Search(ViewerOf(call.caller()), *query, page->after_key, page->size);
        if (!found.ok()) return found.status();
        for (auto& record : found->cases) {
          call.AddReturned(record.name());
          *response->add_cases() = std::move(record);
        }
        if (!found->next_after_id.empty()) {
          response->set_next_page_token(MakePageToken(found->next_after_id, fingerprint));
        }
        return Status::Ok();
      });
}

}  // namespace casecoord::cases
