// Every key space of the database, in one table: the name each key begins with, and the column
// family it lives in. A store names its keys through this table, never with a literal of its own,
// so that tests/storage/key_spaces_test.cc can prove that no two spaces of a family overlap — a
// key one store writes can never be read, scanned or range-deleted by another.
//
// Two forms:
//  - kPrefix: keys are the name as a key_encoding string (AppendString) followed by components;
//    the encoded name ends in a terminator, so distinct names never prefix one another.
//  - kWholeKey: the key is exactly the name (single kMeta settings such as a sequence).
//
// Renaming a space changes the bytes on disk: add a migration, never edit a name in place.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "services/storage/column_families.h"

namespace casecoord::storage {

enum class KeyForm { kPrefix, kWholeKey };

struct KeySpace {
  ColumnFamily family;
  const char* name;
  KeyForm form;

  // The bytes every key of the space begins with (the whole key for kWholeKey).
  std::string Prefix() const;
  // A key of a kPrefix space: the prefix followed by `id` (key_encoding's string or uint64).
  std::string Key(std::string_view id) const;
  std::string Key(uint64_t id) const;
};

namespace key_spaces {
using enum ColumnFamily;
using enum KeyForm;

// Storage itself.
inline constexpr KeySpace kErasePending{kMeta, "erase-pending", kPrefix};
inline constexpr KeySpace kBackupsSuperseded{kMeta, "backups-superseded", kPrefix};
inline constexpr KeySpace kRequestLedger{kIndexes, "request-ledger", kPrefix};
inline constexpr KeySpace kCounter{kCounters, "stat", kPrefix};

// Users, audit and emergency access (services/auth).
inline constexpr KeySpace kUser{kRecords, "user", kPrefix};
inline constexpr KeySpace kUserCredential{kRecords, "user-credential", kPrefix};
inline constexpr KeySpace kAuditHead{kMeta, "audit-head", kWholeKey};
inline constexpr KeySpace kAuditByUser{kIndexes, "audit-user", kPrefix};
inline constexpr KeySpace kAuditByResource{kIndexes, "audit-resource", kPrefix};
inline constexpr KeySpace kAuditByTime{kIndexes, "audit-time", kPrefix};
inline constexpr KeySpace kEmergencyGrant{kRecords, "emergency-access", kPrefix};
inline constexpr KeySpace kEmergencyByUser{kIndexes, "emergency-by-user", kPrefix};

// The agency directory.
inline constexpr KeySpace kAgency{kRecords, "agency", kPrefix};
inline constexpr KeySpace kAgencyKana{kIndexes, "agency-kana", kPrefix};
inline constexpr KeySpace kAgencyRetiredTerm{kIndexes, "agency-term", kPrefix};
inline constexpr KeySpace kAgencyRetiredPartner{kIndexes, "agency-partner", kPrefix};
inline constexpr KeySpace kAgencyIndexVersion{kMeta, "agency-index-version", kWholeKey};
inline constexpr KeySpace kCooperationAnswer{kRecords, "coop-survey", kPrefix};
inline constexpr KeySpace kCooperationCounts{kCounters, "coop-survey-counts", kPrefix};

// Cases.
inline constexpr KeySpace kCase{kRecords, "case", kPrefix};
inline constexpr KeySpace kCaseKeyLegacy{kRecords, "case-key", kPrefix};
inline constexpr KeySpace kCaseEvent{kRecords, "case-event", kPrefix};
inline constexpr KeySpace kCaseEntry{kRecords, "case-entry", kPrefix};
inline constexpr KeySpace kCaseLastEvent{kRecords, "case-last-event", kPrefix};
inline constexpr KeySpace kCaseLastEntry{kRecords, "case-last-entry", kPrefix};
inline constexpr KeySpace kCaseReferral{kRecords, "case-referral", kPrefix};
inline constexpr KeySpace kReferralInbox{kIndexes, "referral-inbox", kPrefix};
inline constexpr KeySpace kCaseNextId{kMeta, "case-next-id", kWholeKey};
inline constexpr KeySpace kCaseNumber{kMeta, "case-number", kPrefix};
inline constexpr KeySpace kCaseRequest{kIndexes, "case-request", kPrefix};
inline constexpr KeySpace kCaseTeam{kIndexes, "case-team", kPrefix};
// A city's own number of an imported case (ImportCases) → the case id.
inline constexpr KeySpace kCaseImportSource{kIndexes, "case-import-source", kPrefix};
inline constexpr KeySpace kCaseIndexVersion{kMeta, "case-index-version", kWholeKey};
// Present once every case has its intake_date (start-up migration, CaseMaintenance).
inline constexpr KeySpace kCaseIntakeDatesFilled{kMeta, "case-intake-dates", kWholeKey};
// Household search (services/cases/case_search.h): keyed hashes of normalised terms → case ids,
// never the terms; case numbers (fiscal year, number) → case id; and the version (layout and KEK)
// the search index was built with.
inline constexpr KeySpace kCaseSearch{kIndexes, "case-search", kPrefix};
inline constexpr KeySpace kCaseByNumber{kIndexes, "case-by-number", kPrefix};
inline constexpr KeySpace kCaseSearchVersion{kMeta, "case-search-version", kWholeKey};

// Meetings and support plans.
inline constexpr KeySpace kMeeting{kRecords, "meeting", kPrefix};
inline constexpr KeySpace kMeetingKey{kRecords, "meeting-key", kPrefix};
inline constexpr KeySpace kMeetingNextId{kMeta, "meeting-next-id", kWholeKey};
inline constexpr KeySpace kMeetingRequest{kIndexes, "meeting-request", kPrefix};
inline constexpr KeySpace kMeetingOfParticipant{kIndexes, "meeting-of", kPrefix};
inline constexpr KeySpace kMeetingIndexVersion{kMeta, "meeting-index-version", kWholeKey};
inline constexpr KeySpace kSupportPlan{kRecords, "case-plan", kPrefix};

// Advisers and dispatches.
inline constexpr KeySpace kAdviser{kRecords, "adviser", kPrefix};
inline constexpr KeySpace kAdviserOfUser{kIndexes, "adviser-user", kPrefix};
inline constexpr KeySpace kDispatch{kRecords, "dispatch", kPrefix};
inline constexpr KeySpace kDispatchKey{kRecords, "dispatch-key", kPrefix};
inline constexpr KeySpace kDispatchNextId{kMeta, "dispatch-next-id", kWholeKey};
inline constexpr KeySpace kDispatchRequest{kIndexes, "dispatch-request", kPrefix};
inline constexpr KeySpace kDispatchOfCase{kIndexes, "dispatch-case", kPrefix};
inline constexpr KeySpace kDispatchOfAdviser{kIndexes, "dispatch-adviser", kPrefix};

// Monitoring and the work list.
inline constexpr KeySpace kMonitoring{kRecords, "monitoring", kPrefix};
inline constexpr KeySpace kMonitoringCheck{kRecords, "monitoring-check", kPrefix};
inline constexpr KeySpace kDue{kIndexes, "due", kPrefix};
inline constexpr KeySpace kDueOf{kIndexes, "due-of", kPrefix};

// Statistics: welfare plans with their indicators, frozen published years.
inline constexpr KeySpace kWelfarePlan{kRecords, "stat-plan", kPrefix};
inline constexpr KeySpace kYearRelease{kRecords, "stat-release", kPrefix};

// Managed vocabularies (services/vocab): one record per term, keyed "{list}:{term_id}".
inline constexpr KeySpace kVocabularyTerm{kRecords, "vocab-term", kPrefix};

}  // namespace key_spaces

// Every space above, for the overlap test and for tools that walk the database.
std::span<const KeySpace> AllKeySpaces();

}  // namespace casecoord::storage
