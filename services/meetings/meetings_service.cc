#include "services/meetings/meetings_service.h"

#include "services/common/filter.h"
#include "services/common/pagination.h"
#include "services/common/resource_names.h"
#include "services/common/text.h"
#include "services/storage/request_ledger.h"

namespace casecoord::meetings {
namespace {

std::string MeetingsMethod(std::string_view rpc) {
  return "/" + std::string(v1::Meetings::service_full_name()) + "/" + std::string(rpc);
}

MeetingViewer ViewerOf(const auth::Caller& caller) {
  return MeetingViewer{caller.Has(v1::COORDINATOR), kUserPrefix + caller.user_id};
}

Result<MeetingFilter> ParseMeetingFilter(const std::string& text) {
  auto clauses = ParseFilterClauses(text);
  if (!clauses.ok()) return clauses.status();
  MeetingFilter filter;
  for (const auto& clause : *clauses) {
    if (clause.op != "=") {
      return Status::InvalidArgument("filter", "only = is supported, not " + clause.op);
    }
    if (clause.key == "case") {
      filter.case_name = clause.value;
    } else if (clause.key == "type") {
      if (!v1::MeetingType_Parse(clause.value, &filter.type) ||
          filter.type == v1::MEETING_TYPE_UNSPECIFIED) {
        return Status::InvalidArgument("filter", "unknown type \"" + clause.value + "\"");
      }
    } else if (clause.key == "state") {
      if (!v1::MeetingState_Parse(clause.value, &filter.state) ||
          filter.state == v1::MEETING_STATE_UNSPECIFIED) {
        return Status::InvalidArgument("filter", "unknown state \"" + clause.value + "\"");
      }
    } else {
      return Status::InvalidArgument(
          "filter", "cannot filter on \"" + clause.key + "\"; use case, type or state");
    }
  }
  return filter;
}

}  // namespace

Result<v1::Meeting> MeetingsService::Readable(auth::Call& call, const std::string& name) const {
  call.set_resource(name);
  auto meeting = meetings_.GetPublic(name);
  if (!meeting.ok()) return meeting.status();
  auto access_for = meetings_.AccessFor(*meeting, ViewerOf(call.caller()));
  if (!access_for.ok()) return access_for.status();
  const Access access = *access_for;
  CASECOORD_RETURN_IF_ERROR(call.CheckRecordAccess(name, access != Access::kNone));
  if (access == Access::kUnacknowledged) {
    return Status(Reason::kConfidentialityNotAcknowledged,
                  "acknowledge the duty of confidentiality for " + name +
                      " first (AcknowledgeConfidentiality) / 守秘義務の確認が必要です");
  }
  return meetings_.Get(name);
}

Status MeetingsService::CheckCaseVisible(auth::Call& call, const std::string& case_name) const {
  auto record = cases_.Get(case_name);
  if (!record.ok()) return record.status();
  const cases::Viewer viewer{call.caller().Has(v1::COORDINATOR), call.caller().agency};
  return call.CheckRecordAccess(case_name, cases::CanSee(*record, viewer));
}

grpc::ServerUnaryReactor* MeetingsService::CreateMeeting(grpc::CallbackServerContext* context,
                                                         const v1::CreateMeetingRequest* request,
                                                         v1::Meeting* response) {
  return gatekeeper_.Handle(
      context, MeetingsMethod("CreateMeeting"), [this, request, response](auth::Call& call) {
        call.set_resource("meetings");
        call.HoldUntilCommitted(meetings_.LockNewMeeting(request->meeting().case_()));
        auto created = meetings_.PrepareCreate(call.caller().user_id, request->request_id(),
                                               request->meeting(), &call.changes());
        if (!created.ok()) return created.status();
        call.set_resource(created->name());
        *response = std::move(created).value();
        return Status::Ok();
      });
}

grpc::ServerUnaryReactor* MeetingsService::GetMeeting(grpc::CallbackServerContext* context,
                                                      const v1::GetMeetingRequest* request,
                                                      v1::Meeting* response) {
  return gatekeeper_.Handle(context, MeetingsMethod("GetMeeting"),
                            [this, request, response](auth::Call& call) {
                              auto meeting = Readable(call, request->name());
                              if (!meeting.ok()) return meeting.status();
                              *response = std::move(meeting).value();
                              return Status::Ok();
                            });
}

grpc::ServerUnaryReactor* MeetingsService::ListMeetings(grpc::CallbackServerContext* context,
                                                        const v1::ListMeetingsRequest* request,
                                                        v1::ListMeetingsResponse* response) {
  return gatekeeper_.Handle(
      context, MeetingsMethod("ListMeetings"), [this, request, response](auth::Call& call) {
        call.set_resource("meetings");
        auto filter = ParseMeetingFilter(request->filter());
        if (!filter.ok()) return filter.status();
        auto page =
            ParsePageRequest(request->page_size(), request->page_token(), request->filter());
        if (!page.ok()) return page.status();
        auto listed = meetings_.List(ViewerOf(call.caller()), *filter, page->after_key, page->size);
        if (!listed.ok()) return listed.status();
        for (auto& meeting : listed->meetings) {
          call.AddReturned(meeting.name());
          if (!meeting.case_().empty()) call.AddReturned(meeting.case_());
          *response->add_meetings() = std::move(meeting);
        }
        if (!listed->next_after_id.empty()) {
          response->set_next_page_token(MakePageToken(listed->next_after_id, request->filter()));
        }
        return Status::Ok();
      });
}

grpc::ServerUnaryReactor* MeetingsService::UpdateMeeting(grpc::CallbackServerContext* context,
                                                         const v1::UpdateMeetingRequest* request,
                                                         v1::Meeting* response) {
  return gatekeeper_.Handle(context, MeetingsMethod("UpdateMeeting"),
                            [this, request, response](auth::Call& call) {
                              call.set_resource(request->meeting().name());
                              auto lock = meetings_.LockMeeting(request->meeting().name());
                              if (!lock.ok()) return lock.status();
                              call.HoldUntilCommitted(std::move(lock).value());
                              auto updated = meetings_.PrepareUpdate(*request, &call.changes());
                              if (!updated.ok()) return updated.status();
                              *response = std::move(updated).value();
                              return Status::Ok();
                            });
}

grpc::ServerUnaryReactor* MeetingsService::AcknowledgeConfidentiality(
    grpc::CallbackServerContext* context, const v1::AcknowledgeConfidentialityRequest* request,
    v1::Meeting* response) {
  return gatekeeper_.Handle(context, MeetingsMethod("AcknowledgeConfidentiality"),
                            [this, request, response](auth::Call& call) {
                              call.set_resource(request->name());
                              auto lock = meetings_.LockMeeting(request->name());
                              if (!lock.ok()) return lock.status();
                              call.HoldUntilCommitted(std::move(lock).value());
                              auto meeting = meetings_.GetPublic(request->name());
                              if (!meeting.ok()) return meeting.status();
                              MeetingViewer participant = ViewerOf(call.caller());
                              participant.coordinator = false;  // only participants acknowledge
                              auto access = meetings_.AccessFor(*meeting, participant);
                              if (!access.ok()) return access.status();
                              CASECOORD_RETURN_IF_ERROR(call.CheckRecordAccess(
                                  request->name(), *access != Access::kNone));
                              auto acknowledged =
                                  meetings_.PrepareAcknowledge(kUserPrefix + call.caller().user_id,
                                                               request->name(), &call.changes());
                              if (!acknowledged.ok()) return acknowledged.status();
                              *response = std::move(acknowledged).value();
                              return Status::Ok();
                            });
}

grpc::ServerUnaryReactor* MeetingsService::RecordMinutes(grpc::CallbackServerContext* context,
                                                         const v1::RecordMinutesRequest* request,
                                                         v1::Meeting* response) {
  return gatekeeper_.Handle(
      context, MeetingsMethod("RecordMinutes"), [this, request, response](auth::Call& call) {
        call.set_resource(request->name());
        auto lock = meetings_.LockMeeting(request->name());
        if (!lock.ok()) return lock.status();
        call.HoldUntilCommitted(std::move(lock).value());
        auto held =
            meetings_.PrepareRecordMinutes(call.caller().user_id, *request, &call.changes());
        if (!held.ok()) return held.status();
        *response = std::move(held).value();
        return Status::Ok();
      });
}

grpc::ServerUnaryReactor* MeetingsService::CancelMeeting(grpc::CallbackServerContext* context,
                                                         const v1::CancelMeetingRequest* request,
                                                         v1::Meeting* response) {
  return gatekeeper_.Handle(context, MeetingsMethod("CancelMeeting"),
                            [this, request, response](auth::Call& call) {
                              call.set_resource(request->name());
                              auto lock = meetings_.LockMeeting(request->name());
                              if (!lock.ok()) return lock.status();
                              call.HoldUntilCommitted(std::move(lock).value());
                              auto cancelled = meetings_.PrepareCancel(*request, &call.changes());
                              if (!cancelled.ok()) return cancelled.status();
                              *response = std::move(cancelled).value();
                              return Status::Ok();
                            });
}

grpc::ServerUnaryReactor* MeetingsService::UpdateAssignment(
    grpc::CallbackServerContext* context, const v1::UpdateAssignmentRequest* request,
    v1::Meeting* response) {
  return gatekeeper_.Handle(
      context, MeetingsMethod("UpdateAssignment"), [this, request, response](auth::Call& call) {
        call.set_resource(request->meeting() + "#" + request->assignment_id());
        auto lock = meetings_.LockMeeting(request->meeting());
        if (!lock.ok()) return lock.status();
        call.HoldUntilCommitted(std::move(lock).value());
        auto meeting = meetings_.GetPublic(request->meeting());
        if (!meeting.ok()) return meeting.status();
        // Coordinators, and the staff of the agency the assignment is given to.
        bool allowed = call.caller().Has(v1::COORDINATOR);
        for (const auto& assignment : meeting->minutes().assignments()) {
          if (assignment.assignment_id() == request->assignment_id() &&
              !call.caller().agency.empty() && assignment.agency() == call.caller().agency) {
            allowed = true;
          }
        }
        CASECOORD_RETURN_IF_ERROR(call.CheckRecordAccess(request->meeting(), allowed));
        auto updated = meetings_.PrepareUpdateAssignment(*request, &call.changes());
        if (!updated.ok()) return updated.status();
        *response = std::move(updated).value();
        auto access = meetings_.AccessFor(*response, ViewerOf(call.caller()));
        if (!access.ok()) return access.status();
        if (!call.caller().Has(v1::COORDINATOR) && *access != Access::kFull) {
          // Staff outside the meeting learn only that the change was made.
          v1::Meeting receipt;
          receipt.set_name(response->name());
          receipt.set_etag(response->etag());
          *response = std::move(receipt);
        }
        return Status::Ok();
      });
}

grpc::ServerUnaryReactor* MeetingsService::ExportMeetingRecord(
    grpc::CallbackServerContext* context, const v1::ExportMeetingRecordRequest* request,
    v1::ExportMeetingRecordResponse* response) {
  return gatekeeper_.Handle(context, MeetingsMethod("ExportMeetingRecord"),
                            [this, request, response](auth::Call& call) {
                              auto meeting = Readable(call, request->name());
                              if (!meeting.ok()) return meeting.status();
                              response->set_text(MeetingStore::RecordText(*meeting));
                              return Status::Ok();
                            });
}

grpc::ServerUnaryReactor* MeetingsService::CreatePlanVersion(
    grpc::CallbackServerContext* context, const v1::CreatePlanVersionRequest* request,
    v1::SupportPlan* response) {
  return gatekeeper_.Handle(
      context, MeetingsMethod("CreatePlanVersion"), [this, request, response](auth::Call& call) {
        call.set_resource(request->parent() + "/plans");
        auto case_name = PlanStore::CaseOf(request->parent());
        if (!case_name.ok()) return case_name.status();
        call.HoldUntilCommitted(cases_.LockCase(*case_name));
        CASECOORD_RETURN_IF_ERROR(CheckCaseVisible(call, *case_name));
        auto plan = storage::WriteOnce<v1::SupportPlan>(
            plans_.requests(), "CreatePlanVersion", call.caller().user_id, request->request_id(),
            *request, &call.changes(), [this](const std::string& name) { return plans_.Get(name); },
            [this, request, &call] {
              return plans_.PrepareCreateVersion(call.caller().user_id, request->parent(),
                                                 request->plan(), &call.changes());
            },
            [](const v1::SupportPlan& written) { return written.name(); });
        if (!plan.ok()) return plan.status();
        call.set_resource(plan->name());
        *response = std::move(plan).value();
        return Status::Ok();
      });
}

grpc::ServerUnaryReactor* MeetingsService::GetPlan(grpc::CallbackServerContext* context,
                                                   const v1::GetPlanRequest* request,
                                                   v1::SupportPlan* response) {
  return gatekeeper_.Handle(context, MeetingsMethod("GetPlan"),
                            [this, request, response](auth::Call& call) {
                              call.set_resource(request->name());
                              auto case_name = PlanStore::CaseOf(request->name());
                              if (!case_name.ok()) return case_name.status();
                              CASECOORD_RETURN_IF_ERROR(CheckCaseVisible(call, *case_name));
                              auto plan = plans_.Get(request->name());
                              if (!plan.ok()) return plan.status();
                              *response = std::move(plan).value();
                              return Status::Ok();
                            });
}

grpc::ServerUnaryReactor* MeetingsService::ListPlanVersions(
    grpc::CallbackServerContext* context, const v1::ListPlanVersionsRequest* request,
    v1::ListPlanVersionsResponse* response) {
  return gatekeeper_.Handle(
      context, MeetingsMethod("ListPlanVersions"), [this, request, response](auth::Call& call) {
        call.set_resource(request->parent() + "/plans");
        auto case_name = PlanStore::CaseOf(request->parent());
        if (!case_name.ok()) return case_name.status();
        CASECOORD_RETURN_IF_ERROR(CheckCaseVisible(call, *case_name));
        auto page =
            ParsePageRequest(request->page_size(), request->page_token(), request->parent());
        if (!page.ok()) return page.status();
        auto before = page->AfterNumber();
        if (!before.ok()) return before.status();
        if (*before > INT32_MAX) {
          return Status::InvalidArgument("page_token", "not a position of this list");
        }
        auto plans = plans_.List(request->parent(), static_cast<int>(*before), page->size + 1);
        if (!plans.ok()) return plans.status();
        const bool more = static_cast<int>(plans->size()) > page->size;
        if (more) plans->pop_back();
        for (auto& plan : *plans) *response->add_plans() = std::move(plan);
        if (more) {
          const std::string& last = response->plans().rbegin()->name();
          response->set_next_page_token(
              MakePageToken(last.substr(last.rfind('/') + 1), request->parent()));
        }
        return Status::Ok();
      });
}

grpc::ServerUnaryReactor* MeetingsService::ReviewPlan(grpc::CallbackServerContext* context,
                                                      const v1::ReviewPlanRequest* request,
                                                      v1::SupportPlan* response) {
  return gatekeeper_.Handle(
      context, MeetingsMethod("ReviewPlan"), [this, request, response](auth::Call& call) {
        call.set_resource(request->name());
        auto case_name = PlanStore::CaseOf(request->name());
        if (!case_name.ok()) return case_name.status();
        call.HoldUntilCommitted(cases_.LockCase(*case_name));
        CASECOORD_RETURN_IF_ERROR(CheckCaseVisible(call, *case_name));
        auto reviewed = plans_.PrepareReview(call.caller().user_id, *request, &call.changes());
        if (!reviewed.ok()) return reviewed.status();
        *response = std::move(reviewed).value();
        return Status::Ok();
      });
}

}  // namespace casecoord::meetings
