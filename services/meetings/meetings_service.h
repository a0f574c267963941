// gRPC adapter for casecoord.v1.Meetings: meetings and support plans. Every call goes through the
// gatekeeper (identity, role, audit). Need to know is decided here from the caller: a meeting is
// NOT_FOUND to anyone but its participants and the coordinators, and its content is refused to a
// participant until they acknowledge confidentiality; a plan follows its case's visibility.
#pragma once

#include "casecoord/v1/meetings.grpc.pb.h"
#include "services/auth/gatekeeper.h"
#include "services/meetings/meeting_store.h"
#include "services/meetings/plan_store.h"

namespace casecoord::meetings {

class MeetingsService final : public v1::Meetings::CallbackService {
 public:
  // All must outlive the service.
  MeetingsService(auth::Gatekeeper& gatekeeper, MeetingStore& meetings, PlanStore& plans,
                  const cases::CaseAccess& cases)
      : gatekeeper_(gatekeeper), meetings_(meetings), plans_(plans), cases_(cases) {}

  grpc::ServerUnaryReactor* CreateMeeting(grpc::CallbackServerContext* context,
                                          const v1::CreateMeetingRequest* request,
                                          v1::Meeting* response) override;
  grpc::ServerUnaryReactor* GetMeeting(grpc::CallbackServerContext* context,
                                       const v1::GetMeetingRequest* request,
                                       v1::Meeting* response) override;
  grpc::ServerUnaryReactor* ListMeetings(grpc::CallbackServerContext* context,
                                         const v1::ListMeetingsRequest* request,
                                         v1::ListMeetingsResponse* response) override;
  grpc::ServerUnaryReactor* UpdateMeeting(grpc::CallbackServerContext* context,
                                          const v1::UpdateMeetingRequest* request,
                                          v1::Meeting* response) override;
  grpc::ServerUnaryReactor* AcknowledgeConfidentiality(
      grpc::CallbackServerContext* context, const v1::AcknowledgeConfidentialityRequest* request,
      v1::Meeting* response) override;
  grpc::ServerUnaryReactor* RecordMinutes(grpc::CallbackServerContext* context,
                                          const v1::RecordMinutesRequest* request,
                                          v1::Meeting* response) override;
  grpc::ServerUnaryReactor* CancelMeeting(grpc::CallbackServerContext* context,
                                          const v1::CancelMeetingRequest* request,
                                          v1::Meeting* response) override;
  grpc::ServerUnaryReactor* UpdateAssignment(grpc::CallbackServerContext* context,
                                             const v1::UpdateAssignmentRequest* request,
                                             v1::Meeting* response) override;
  grpc::ServerUnaryReactor* ExportMeetingRecord(grpc::CallbackServerContext* context,
                                                const v1::ExportMeetingRecordRequest* request,
                                                v1::ExportMeetingRecordResponse* response) override;
  grpc::ServerUnaryReactor* CreatePlanVersion(grpc::CallbackServerContext* context,
                                              const v1::CreatePlanVersionRequest* request,
                                              v1::SupportPlan* response) override;
  grpc::ServerUnaryReactor* GetPlan(grpc::CallbackServerContext* context,
                                    const v1::GetPlanRequest* request,
                                    v1::SupportPlan* response) override;
  grpc::ServerUnaryReactor* ListPlanVersions(grpc::CallbackServerContext* context,
                                             const v1::ListPlanVersionsRequest* request,
                                             v1::ListPlanVersionsResponse* response) override;
  grpc::ServerUnaryReactor* ReviewPlan(grpc::CallbackServerContext* context,
                                       const v1::ReviewPlanRequest* request,
                                       v1::SupportPlan* response) override;

 private:
  // The meeting with its content if the caller may read it: NOT_FOUND outside its participants
  // and the coordinators, FAILED_PRECONDITION before the caller's acknowledgement.
  Result<v1::Meeting> Readable(auth::Call& call, const std::string& name) const;
  // NOT_FOUND unless the caller may see case `case_name`.
  Status CheckCaseVisible(auth::Call& call, const std::string& case_name) const;

  auth::Gatekeeper& gatekeeper_;
  MeetingStore& meetings_;
  PlanStore& plans_;
  const cases::CaseAccess& cases_;
};

}  // namespace casecoord::meetings
