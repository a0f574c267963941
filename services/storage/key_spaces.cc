#include "services/storage/key_spaces.h"

#include "services/storage/key_encoding.h"

namespace casecoord::storage {

std::string KeySpace::Prefix() const {
  if (form == KeyForm::kWholeKey) return name;
  std::string prefix;
  AppendString(&prefix, name);
  return prefix;
}

std::string KeySpace::Key(std::string_view id) const {
  std::string key = Prefix();
  AppendString(&key, id);
  return key;
}

std::string KeySpace::Key(uint64_t id) const {
  std::string key = Prefix();
  AppendUint64(&key, id);
  return key;
}

std::span<const KeySpace> AllKeySpaces() {
  using namespace key_spaces;
  static const KeySpace kAll[] = {
      kErasePending,
      kBackupsSuperseded,
      kRequestLedger,
      kCounter,
      kUser,
      kUserCredential,
      kAuditHead,
      kAuditByUser,
      kAuditByResource,
      kAuditByTime,
      kEmergencyGrant,
      kEmergencyByUser,
      kAgency,
      kAgencyKana,
      kAgencyRetiredTerm,
      kAgencyRetiredPartner,
      kAgencyIndexVersion,
      kCooperationAnswer,
      kCooperationCounts,
      kCase,
      kCaseKeyLegacy,
      kCaseEvent,
      kCaseEntry,
      kCaseLastEvent,
      kCaseLastEntry,
      kCaseReferral,
      kReferralInbox,
      kCaseNextId,
      kCaseNumber,
      kCaseRequest,
      kCaseTeam,
      kCaseImportSource,
      kCaseIndexVersion,
      kCaseIntakeDatesFilled,
      kCaseSearch,
      kCaseByNumber,
      kCaseSearchVersion,
      kMeeting,
      kMeetingKey,
      kMeetingNextId,
      kMeetingRequest,
      kMeetingOfParticipant,
      kMeetingIndexVersion,
      kSupportPlan,
      kAdviser,
      kAdviserOfUser,
      kDispatch,
      kDispatchKey,
      kDispatchNextId,
      kDispatchRequest,
      kDispatchOfCase,
      kDispatchOfAdviser,
      kMonitoring,
      kMonitoringCheck,
      kDue,
      kDueOf,
      kWelfarePlan,
      kYearRelease,
      kVocabularyTerm,
  };
  return kAll;
}

}  // namespace casecoord::storage
