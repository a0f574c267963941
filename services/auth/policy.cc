#include "services/auth/policy.h"

#include <iterator>
#include <map>

namespace casecoord::auth {
namespace {

using v1::Role;

constexpr char kAdmin[] = "/casecoord.v1.Admin/";
constexpr char kDirectory[] = "/casecoord.v1.AgencyDirectory/";
constexpr char kCases[] = "/casecoord.v1.Cases/";
constexpr char kAdvisers[] = "/casecoord.v1.Advisers/";
constexpr char kMeetings[] = "/casecoord.v1.Meetings/";
constexpr char kMonitoring[] = "/casecoord.v1.Monitoring/";
constexpr char kStatistics[] = "/casecoord.v1.Statistics/";
constexpr char kVocabularies[] = "/casecoord.v1.Vocabularies/";

// The role sets the rules share.
struct RoleSets {
  std::set<Role> everyone = {Role::ADMIN,   Role::COORDINATOR, Role::AGENCY_STAFF,
                             Role::ADVISER, Role::PLANNER,     Role::AUDITOR};
  // Planners see aggregates only (domain.md): they reach the statistics and nothing else, not even
  // the directory and the adviser registry, which name people and places.
  std::set<Role> everyone_but_planners = {Role::ADMIN, Role::COORDINATOR, Role::AGENCY_STAFF,
                                          Role::ADVISER, Role::AUDITOR};
  std::set<Role> statistics_readers = {Role::PLANNER, Role::COORDINATOR, Role::ADMIN,
                                       Role::AUDITOR};
  std::set<Role> directory_editors = {Role::ADMIN, Role::COORDINATOR};
  // Case readers: coordinators see every case, agency staff their team's (checked per record).
  std::set<Role> case_readers = {Role::COORDINATOR, Role::AGENCY_STAFF};
  // Meeting participants come from the agencies and the advisers (checked per meeting).
  std::set<Role> meeting_readers = {Role::COORDINATOR, Role::AGENCY_STAFF, Role::ADVISER};
  // Dispatch readers: coordinators, agency staff (their team's cases) and the assigned adviser
  // (checked per dispatch).
  std::set<Role> dispatch_readers = {Role::COORDINATOR, Role::AGENCY_STAFF, Role::ADVISER};
};

std::string AdminMethod(const char* name) { return std::string(kAdmin) + name; }
std::string DirectoryMethod(const char* name) { return std::string(kDirectory) + name; }
std::string CasesMethod(const char* name) { return std::string(kCases) + name; }
std::string MeetingsMethod(const char* name) { return std::string(kMeetings) + name; }
std::string MonitoringMethod(const char* name) { return std::string(kMonitoring) + name; }
std::string AdvisersMethod(const char* name) { return std::string(kAdvisers) + name; }
std::string StatisticsMethod(const char* name) { return std::string(kStatistics) + name; }

// The table is in parts of at most 80 lines. Each part binds the role sets and the method-name
// helpers to short local names (everyone, admin("...")) so that the rows read alike in all of them.

// Administration and the agency directory.
std::vector<MethodRule> AdminAndDirectoryRules(const RoleSets& roles) {
  const auto& [everyone, everyone_but_planners, statistics_readers, directory_editors, case_readers,
               meeting_readers, dispatch_readers] = roles;
  const auto admin = AdminMethod;
  const auto directory = DirectoryMethod;
  return {
      {admin("GetServerInfo"), everyone, AuditKind::kNone, Execution::kInline},
      {admin("CreateBackup"), {Role::ADMIN}, AuditKind::kWrite},
      {admin("ListBackups"), {Role::ADMIN}, AuditKind::kRead},
      {admin("RestoreBackup"), {Role::ADMIN}, AuditKind::kWrite},
      {admin("CreateUser"), {Role::ADMIN}, AuditKind::kWrite},
      {admin("GetUser"), {Role::ADMIN}, AuditKind::kRead},
      {admin("ListUsers"), {Role::ADMIN}, AuditKind::kRead},
      {admin("UpdateUser"), {Role::ADMIN}, AuditKind::kWrite},
      {admin("LookupUsers"), everyone_but_planners, AuditKind::kNone},
      {admin("ListAuditEntries"), {Role::AUDITOR}, AuditKind::kRead},
      {admin("VerifyAuditChain"), {Role::AUDITOR, Role::ADMIN}, AuditKind::kRead},
      // Break-glass is for those whose normal scope can miss a record they urgently need.
      {admin("RequestEmergencyAccess"),
       {Role::COORDINATOR, Role::AGENCY_STAFF, Role::ADVISER},
       AuditKind::kWrite},
      {admin("ListEmergencyAccesses"), {Role::AUDITOR, Role::ADMIN}, AuditKind::kRead},
      // Sign-in for people (issue 17): admins manage credentials; everyone sees and ends their
      // own sessions (the handler limits non-admins to their own).
      {admin("ResetUserPassword"), {Role::ADMIN}, AuditKind::kWrite},
      {admin("ResetUserSecondFactor"), {Role::ADMIN}, AuditKind::kWrite},
      {admin("UnlockUser"), {Role::ADMIN}, AuditKind::kWrite},
      {admin("ListSessions"), everyone, AuditKind::kRead},
      {admin("RevokeSession"), everyone, AuditKind::kWrite},
      // The directory holds no personal data: reads are open to every user and not audited.
      {directory("CreateAgency"), directory_editors, AuditKind::kWrite},
      {directory("GetAgency"), everyone_but_planners, AuditKind::kNone},
      {directory("ListAgencies"), everyone_but_planners, AuditKind::kNone},
      {directory("UpdateAgency"), directory_editors, AuditKind::kWrite},
      {directory("DeleteAgency"), directory_editors, AuditKind::kWrite},
      // Answered from the in-memory AgencyCatalog, so on the callback thread.
      {directory("SearchAgencies"), everyone_but_planners, AuditKind::kNone, Execution::kInline},
      {directory("FindPartners"), everyone_but_planners, AuditKind::kNone, Execution::kInline},
      {directory("ImportAgencies"), directory_editors, AuditKind::kWrite},
      // A bulk copy of the directory leaving the server is worth a line in the trail.
      {directory("ExportAgencies"), everyone_but_planners, AuditKind::kRead},
      // Survey answers are entered by the city from the returned questionnaires.
      {directory("RecordCooperationSurveyAnswer"), directory_editors, AuditKind::kWrite},
      {directory("ListCooperationSurveyAnswers"), everyone_but_planners, AuditKind::kNone},
      {directory("DeleteCooperationSurveyAnswer"), directory_editors, AuditKind::kWrite},
      {directory("GetCooperationSurveySummary"), everyone_but_planners, AuditKind::kNone},
  };
}

// Cases, meetings and plans, monitoring.
std::vector<MethodRule> CaseRules(const RoleSets& roles) {
  const auto& [everyone, everyone_but_planners, statistics_readers, directory_editors, case_readers,
               meeting_readers, dispatch_readers] = roles;
  const auto cases = CasesMethod;
  const auto meetings = MeetingsMethod;
  const auto monitoring = MonitoringMethod;
  return {
      // Case records hold the most sensitive data: every access is audited.
      {cases("CreateCase"), {Role::COORDINATOR}, AuditKind::kWrite},
      {cases("GetCase"), case_readers, AuditKind::kRead},
      {cases("ListCases"), case_readers, AuditKind::kRead},
      {cases("TransitionCase"), {Role::COORDINATOR}, AuditKind::kWrite},
      {cases("GetCaseHistory"), case_readers, AuditKind::kRead},
      // The agencies on the team record what they did, as the coordinators do.
      {cases("AppendConsultation"), case_readers, AuditKind::kWrite},
      {cases("ListConsultations"), case_readers, AuditKind::kRead},
      {cases("CreateReferral"), {Role::COORDINATOR}, AuditKind::kWrite},
      {cases("ListReferrals"), case_readers, AuditKind::kRead},
      {cases("AcceptReferral"), case_readers, AuditKind::kWrite},
      {cases("DeclineReferral"), case_readers, AuditKind::kWrite},
      {cases("RevokeReferral"), {Role::COORDINATOR}, AuditKind::kWrite},
      {cases("RemoveTeamMember"), {Role::COORDINATOR}, AuditKind::kWrite},
      {cases("UpdateCase"), {Role::COORDINATOR}, AuditKind::kWrite},
      // Destroying personal data, and rewriting the statistics, are administration.
      {cases("PurgeCase"), {Role::ADMIN}, AuditKind::kWrite},
      {cases("RebuildCaseCounters"), {Role::ADMIN}, AuditKind::kWrite},
      // Bringing a city's existing cases over is opening cases, many at once.
      {cases("ImportCases"), {Role::COORDINATOR}, AuditKind::kWrite},
      // Household search (issue 16): a read of the cases it returns, as ListCases.
      {cases("SearchCases"), case_readers, AuditKind::kRead},
      {meetings("CreateMeeting"), {Role::COORDINATOR}, AuditKind::kWrite},
      {meetings("GetMeeting"), meeting_readers, AuditKind::kRead},
      {meetings("ListMeetings"), meeting_readers, AuditKind::kRead},
      {meetings("UpdateMeeting"), {Role::COORDINATOR}, AuditKind::kWrite},
      {meetings("AcknowledgeConfidentiality"), meeting_readers, AuditKind::kWrite},
      {meetings("RecordMinutes"), {Role::COORDINATOR}, AuditKind::kWrite},
      {meetings("CancelMeeting"), {Role::COORDINATOR}, AuditKind::kWrite},
      {meetings("UpdateAssignment"), case_readers, AuditKind::kWrite},
      {meetings("ExportMeetingRecord"), meeting_readers, AuditKind::kRead},
      {meetings("CreatePlanVersion"), {Role::COORDINATOR}, AuditKind::kWrite},
      {meetings("GetPlan"), case_readers, AuditKind::kRead},
      {meetings("ListPlanVersions"), case_readers, AuditKind::kRead},
      {meetings("ReviewPlan"), {Role::COORDINATOR}, AuditKind::kWrite},
      // Monitoring follows its case (checked per record). The schedule is the meeting's decision,
      // entered by the coordinator; the agencies on the team record their checks as coordinators
      // do. A work list is its owner's alone (checked per owner): it names cases, so it is audited,
      // a watch once when it starts.
      {monitoring("SetMonitoringSchedule"), {Role::COORDINATOR}, AuditKind::kWrite},
      {monitoring("GetMonitoring"), case_readers, AuditKind::kRead},
      {monitoring("RecordCheck"), case_readers, AuditKind::kWrite},
      {monitoring("ListDueItems"), case_readers, AuditKind::kRead},
      {monitoring("WatchDueItems"), case_readers, AuditKind::kRead},
  };
}

// Advisers and dispatch, statistics.
std::vector<MethodRule> AdviserAndStatisticsRules(const RoleSets& roles) {
  const auto& [everyone, everyone_but_planners, statistics_readers, directory_editors, case_readers,
               meeting_readers, dispatch_readers] = roles;
  const auto advisers = AdvisersMethod;
  const auto statistics = StatisticsMethod;
  return {
      // The adviser registry holds no personal data of households: read as the directory is.
      {advisers("CreateAdviser"), directory_editors, AuditKind::kWrite},
      {advisers("GetAdviser"), everyone_but_planners, AuditKind::kNone},
      {advisers("ListAdvisers"), everyone_but_planners, AuditKind::kNone},
      {advisers("UpdateAdviser"), directory_editors, AuditKind::kWrite},
      // Dispatch notes are about households: every access is audited. Coordinators run the
      // lifecycle; the assigned adviser also records the session and follow-ups (checked per
      // dispatch).
      {advisers("CreateDispatch"), {Role::COORDINATOR}, AuditKind::kWrite},
      {advisers("GetDispatch"), dispatch_readers, AuditKind::kRead},
      {advisers("ListDispatches"), dispatch_readers, AuditKind::kRead},
      {advisers("ApproveDispatch"), {Role::COORDINATOR}, AuditKind::kWrite},
      {advisers("DeclineDispatch"), {Role::COORDINATOR}, AuditKind::kWrite},
      {advisers("RecordSession"), {Role::COORDINATOR, Role::ADVISER}, AuditKind::kWrite},
      {advisers("RecordFollowUp"), {Role::COORDINATOR, Role::ADVISER}, AuditKind::kWrite},
      {advisers("CloseDispatch"), {Role::COORDINATOR}, AuditKind::kWrite},
      // Anonymised aggregates only, yet who looked at which figures is worth a line in the trail
      // (two answers set against each other are how small counts leak). Plans are the planners'.
      {statistics("GetYearlyReport"), statistics_readers, AuditKind::kRead},
      {statistics("CreateWelfarePlan"), {Role::PLANNER}, AuditKind::kWrite},
      {statistics("GetWelfarePlan"), statistics_readers, AuditKind::kRead},
      {statistics("ListWelfarePlans"), statistics_readers, AuditKind::kRead},
      {statistics("UpdateWelfarePlan"), {Role::PLANNER}, AuditKind::kWrite},
      {statistics("RecordIndicatorYear"), {Role::PLANNER}, AuditKind::kWrite},
      {statistics("PublishYear"), {Role::PLANNER}, AuditKind::kWrite},
      {statistics("GetPlanProgress"), statistics_readers, AuditKind::kRead},
  };
}

void SetCosts(std::vector<MethodRule>& rules) {
  const auto admin = AdminMethod;
  const auto directory = DirectoryMethod;
  const auto cases = CasesMethod;
  const auto meetings = MeetingsMethod;
  const auto advisers = AdvisersMethod;
  const auto statistics = StatisticsMethod;
  // What a call costs the caller's rate-limit bucket, for calls that walk many records, parse
  // much, or write much: a user flooding them runs dry long before one flooding point reads would,
  // so one user cannot take the server's time from the others. Every other call costs 1. The
  // handler's CPU time beyond this is charged afterwards (kTokensPerCpuMillisecond); what it does
  // not see, gRPC serializing and encrypting the answer, is priced here: ListAgencies answers the
  // largest pages of any call (1,000 full agency records, ~450 KB), and at 5 one user flooding it
  // tripled another's GetCase p99 (bench/cost_bench.cc, docs/performance.md "Cost").
  const std::map<std::string, int> costs = {
      {directory("ListAgencies"), 20},
      {directory("SearchAgencies"), 5},
      {directory("FindPartners"), 5},
      {directory("ImportAgencies"), 50},
      {directory("ExportAgencies"), 50},
      {cases("ListCases"), 10},
      {cases("ListReferrals"), 5},
      {cases("GetCaseHistory"), 5},
      {cases("ListConsultations"), 5},
      {meetings("ListMeetings"), 10},
      {meetings("ExportMeetingRecord"), 10},
      {advisers("ListDispatches"), 10},
      {admin("ListAuditEntries"), 10},
      {admin("VerifyAuditChain"), 200},
      {admin("CreateBackup"), 200},
      {cases("RebuildCaseCounters"), 200},
      {statistics("GetYearlyReport"), 5},
      {statistics("PublishYear"), 5},
      {statistics("GetPlanProgress"), 5},
      {cases("ImportCases"), 50},
      {cases("SearchCases"), 10},
  };
  for (MethodRule& rule : rules) {
    auto cost = costs.find(rule.method);
    if (cost != costs.end()) rule.cost = cost->second;
  }
}

// Managed vocabularies (issue 16). Labels are not personal data: every role reads them, from the
// in-memory catalogue, unaudited; admins write them, audited.
std::vector<MethodRule> VocabularyRules(const RoleSets& roles) {
  const auto vocabularies = [](const char* name) { return std::string(kVocabularies) + name; };
  return {
      {vocabularies("ListTerms"), roles.everyone, AuditKind::kNone, Execution::kInline},
      {vocabularies("CreateTerm"), {Role::ADMIN}, AuditKind::kWrite},
      {vocabularies("UpdateTerm"), {Role::ADMIN}, AuditKind::kWrite},
      {vocabularies("RetireTerm"), {Role::ADMIN}, AuditKind::kWrite},
      {vocabularies("ReactivateTerm"), {Role::ADMIN}, AuditKind::kWrite},
      {vocabularies("ImportTerms"), {Role::ADMIN}, AuditKind::kWrite},
  };
}

std::vector<MethodRule> DefaultRules() {
  const RoleSets roles;
  std::vector<MethodRule> rules = AdminAndDirectoryRules(roles);
  for (std::vector<MethodRule> (*part)(const RoleSets&) :
       {&CaseRules, &AdviserAndStatisticsRules, &VocabularyRules}) {
    std::vector<MethodRule> more = part(roles);
    rules.insert(rules.end(), std::make_move_iterator(more.begin()),
                 std::make_move_iterator(more.end()));
  }
  SetCosts(rules);
  return rules;
}

}  // namespace

std::string RoleName(v1::Role role) { return v1::Role_Name(role); }

const Policy& Policy::Default() {
  static const Policy policy(DefaultRules());
  return policy;
}

Policy::Policy(std::vector<MethodRule> rules) : rules_(std::move(rules)) {}

const MethodRule* Policy::Find(std::string_view method) const {
  for (const auto& rule : rules_) {
    if (rule.method == method) return &rule;
  }
  return nullptr;
}

Status Policy::AuthorizeMethod(const Caller& caller, std::string_view method,
                               std::string* legal_basis) const {
  const MethodRule* rule = Find(method);
  if (rule == nullptr) {
    return Status(Reason::kMethodWithoutPolicy,
                  std::string(method) + " has no access rule; refusing");
  }
  for (Role role : rule->roles) {
    if (caller.Has(role)) {
      *legal_basis = "role:" + RoleName(role);
      return Status::Ok();
    }
  }
  return Status(Reason::kRoleNotAllowed,
                "no role of user " + caller.user_id + " allows " + std::string(method));
}

}  // namespace casecoord::auth
