#include "services/auth/policy.h"

namespace casecoord::auth {
namespace {

using v1::Role;

constexpr char kAdmin[] = "/casecoord.v1.Admin/";
constexpr char kDirectory[] = "/casecoord.v1.AgencyDirectory/";
constexpr char kCases[] = "/casecoord.v1.Cases/";

std::vector<MethodRule> DefaultRules() {
  const std::set<Role> everyone = {Role::ADMIN,   Role::COORDINATOR, Role::AGENCY_STAFF,
                                   Role::ADVISER, Role::PLANNER,     Role::AUDITOR};
  auto admin = [](const char* name) { return std::string(kAdmin) + name; };
  auto directory = [](const char* name) { return std::string(kDirectory) + name; };
  const std::set<Role> directory_editors = {Role::ADMIN, Role::COORDINATOR};
  auto cases = [](const char* name) { return std::string(kCases) + name; };
  // Case readers: coordinators see every case, agency staff their team's (checked per record).
  const std::set<Role> case_readers = {Role::COORDINATOR, Role::AGENCY_STAFF};
  return {
      {admin("GetServerInfo"), everyone, AuditKind::kNone, Execution::kInline},
      {admin("CreateBackup"), {Role::ADMIN}, AuditKind::kWrite},
      {admin("ListBackups"), {Role::ADMIN}, AuditKind::kRead},
      {admin("RestoreBackup"), {Role::ADMIN}, AuditKind::kWrite},
      {admin("CreateUser"), {Role::ADMIN}, AuditKind::kWrite},
      {admin("GetUser"), {Role::ADMIN}, AuditKind::kRead},
      {admin("ListUsers"), {Role::ADMIN}, AuditKind::kRead},
      {admin("UpdateUser"), {Role::ADMIN}, AuditKind::kWrite},
      {admin("ListAuditEntries"), {Role::AUDITOR}, AuditKind::kRead},
      {admin("VerifyAuditChain"), {Role::AUDITOR, Role::ADMIN}, AuditKind::kRead},
      {admin("RequestEmergencyAccess"), {Role::COORDINATOR}, AuditKind::kWrite},
      {admin("ListEmergencyAccesses"), {Role::AUDITOR, Role::ADMIN}, AuditKind::kRead},
      // The directory holds no personal data: reads are open to every user and not audited.
      {directory("CreateAgency"), directory_editors, AuditKind::kWrite},
      {directory("GetAgency"), everyone, AuditKind::kNone},
      {directory("ListAgencies"), everyone, AuditKind::kNone},
      {directory("UpdateAgency"), directory_editors, AuditKind::kWrite},
      {directory("DeleteAgency"), directory_editors, AuditKind::kWrite},
      {directory("SearchAgencies"), everyone, AuditKind::kNone},
      {directory("FindPartners"), everyone, AuditKind::kNone},
      {directory("ImportAgencies"), directory_editors, AuditKind::kWrite},
      // A bulk copy of the directory leaving the server is worth a line in the trail.
      {directory("ExportAgencies"), everyone, AuditKind::kRead},
      // Survey answers are entered by the city from the returned questionnaires.
      {directory("RecordCooperationSurveyAnswer"), directory_editors, AuditKind::kWrite},
      {directory("ListCooperationSurveyAnswers"), everyone, AuditKind::kNone},
      {directory("DeleteCooperationSurveyAnswer"), directory_editors, AuditKind::kWrite},
      {directory("GetCooperationSurveySummary"), everyone, AuditKind::kNone},
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
  };
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
    return Status::Internal("METHOD_WITHOUT_POLICY",
                            std::string(method) + " has no access rule; refusing");
  }
  for (Role role : rule->roles) {
    if (caller.Has(role)) {
      *legal_basis = "role:" + RoleName(role);
      return Status::Ok();
    }
  }
  return Status(StatusCode::kPermissionDenied, "ROLE_NOT_ALLOWED",
                "no role of user " + caller.user_id + " allows " + std::string(method));
}

}  // namespace casecoord::auth
