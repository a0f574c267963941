// The one access policy. Every RPC is listed in the method table (policy.cc) with the roles that
// may call it and how it is audited; a method missing from the table is refused (fail closed), and
// the access-matrix test fails for any RPC of the API that the table does not list.
//
// Two kinds of refusal:
// - the caller's roles never allow the method: PERMISSION_DENIED;
// - the method is allowed but the caller has no access to the particular record: NOT_FOUND, so that
//   existence leaks nothing (domain stores ask CanSeeRecord-style questions of the policy).
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "casecoord/v1/identity.pb.h"
#include "services/common/status.h"

namespace casecoord::auth {

// An authenticated, active user, as the registry knows them.
struct Caller {
  std::string user_id;
  std::string agency;
  std::set<v1::Role> roles;
  bool Has(v1::Role role) const { return roles.count(role) > 0; }
};

enum class AuditKind {
  kNone,   // no personal data and no change (server info, the agency directory): not audited
  kRead,   // reads personal data or the audit trail: audited before the answer leaves
  kWrite,  // changes something: audited in the same batch as the change
};

enum class Execution {
  kWorker,  // may block on storage: runs on the worker pool
  kInline,  // memory only and unaudited: runs on the gRPC callback thread (a hop costs more)
};

struct MethodRule {
  std::string method;  // "/casecoord.v1.Admin/GetUser"
  std::set<v1::Role> roles;
  AuditKind audit = AuditKind::kRead;
  Execution execution = Execution::kWorker;
  // Tokens of the caller's rate-limit bucket one call takes up front (see the cost table in
  // policy.cc). The gatekeeper charges more afterwards if the call's work took more CPU time than
  // this pays for (kTokensPerCpuMillisecond), or than 5 ms, which any call may use.
  int cost = 1;
};

// What a millisecond of a handler's CPU time costs its caller's rate-limit bucket. The table's
// costs are guesses for a typical database; the work of a page of 1,000 agencies, or of a chain of
// a million audit entries, grows with the data. Charging the CPU a call really used keeps one
// user's share bounded whatever the data: at the default 200 tokens a second, a user sustains at
// most 200 ms of handler CPU a second, a tenth of a two-core server.
inline constexpr double kTokensPerCpuMillisecond = 1.0;

class Policy {
 public:
  // The table in policy.cc.
  static const Policy& Default();

  explicit Policy(std::vector<MethodRule> rules);

  // nullptr if the method is not in the table.
  const MethodRule* Find(std::string_view method) const;
  const std::vector<MethodRule>& rules() const { return rules_; }

  // PERMISSION_DENIED if none of the caller's roles may call `method`; INTERNAL (fail closed) if
  // the method is not in the table. On success, `legal_basis` is "role:<ROLE>" for the first role
  // that allows it.
  Status AuthorizeMethod(const Caller& caller, std::string_view method,
                         std::string* legal_basis) const;

 private:
  std::vector<MethodRule> rules_;
};

std::string RoleName(v1::Role role);

}  // namespace casecoord::auth
