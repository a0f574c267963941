// The gate every RPC handler goes through, so that no handler hand-rolls authentication,
// authorization or auditing.
//
// For each call, on a worker thread:
//   1. the user comes from the TLS peer certificate (never from the request), or, for a call of the
//      HTTP gateway, from the origin it vouches for (call_origin.h);
//   2. the user's token bucket is charged the method's cost (RESOURCE_EXHAUSTED when it does not
//      hold that much; not audited, so that a runaway client cannot flood the trail);
//   3. an unknown or disabled user is UNAUTHENTICATED (audited);
//   4. the policy table decides whether the user's roles allow the method (PERMISSION_DENIED,
//      audited);
//   5. the handler's work runs with a Call: it names the resource, reads, or prepares changes into
//      call.changes() without committing them. The thread CPU time it used beyond what the
//      method's cost paid for (kTokensPerCpuMillisecond; 5 ms is free to any call) is then
//      charged to the same bucket, which may go into debt;
//   6. unless the method is unaudited, the audit entry is appended, with the changes of a
//      successful write in the same synced batch, and naming every record a list returned. If
//      that fails, the call fails: no answer leaves unaudited. The worker does not wait for the
//      fsync: the audit log's committer finishes the call when the group is durable (calls that
//      hold a lock wait, so that the lock is released where it was taken);
//   7. call.OnCommitted() callbacks run, then the reactor finishes.
#pragma once

#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "services/auth/audit_log.h"
#include "services/auth/call_origin.h"
#include "services/auth/emergency_access.h"
#include "services/auth/policy.h"
#include "services/auth/rate_limiter.h"
#include "services/auth/user_registry.h"
#include "services/common/worker_pool.h"

namespace casecoord::auth {

class Gatekeeper;

inline constexpr size_t kMaxAuditedResourceBytes = 256;
// Room for a full page of kMaxPageSize records with the case each belongs to.
inline constexpr size_t kMaxReturnedRecords = 2000;

template <typename Lock>
concept ReleasableOnAnyThread = requires {
  requires Lock::kReleasableOnAnyThread;
};

// What a handler's work sees of its call.
class Call {
 public:
  const Caller& caller() const { return caller_; }
  // Where the call came from (transport and session), for streams that audit later messages.
  const CallOrigin& origin() const { return origin_; }
  // Names the resource acted on, for the audit entry ("users/alice", or the collection "users").
  // Handlers name it from the request before validating it, so a name longer than
  // kMaxAuditedResourceBytes (no valid name is) is recorded as its first bytes and its length:
  // a refused call costs the trail a bounded entry whatever the caller sent.
  void set_resource(std::string resource);
  // Names a record the answer carries (a list item, or the case it belongs to), so that the
  // audit trail of that record shows this call. Each name is recorded once. The answer is refused
  // (INTERNAL, AUDIT_ENTRY_TOO_LARGE: a handler's bug, as pages are bounded) rather than sent if
  // the names exceed kMaxReturnedRecords or one exceeds kMaxAuditedResourceBytes.
  void AddReturned(std::string_view name);
  // Changes committed with the audit entry if the work returns OK.
  storage::WriteBatch& changes() { return changes_; }
  // Runs after the changes and the audit entry are durable (e.g. refresh a cache).
  void OnCommitted(std::function<void()> callback) { on_committed_.push_back(std::move(callback)); }
  // Keeps `lock` (any movable lock, or a struct of locks) held until the call has committed, so
  // that read-check-write sequences cannot interleave. A lock type that declares
  // `static constexpr bool kReleasableOnAnyThread = true` (built on common/handoff_lock.h) is
  // released by the audit committer once the batch is durable, and the worker returns to the pool
  // meanwhile. Any other lock makes the worker wait for the commit and release it itself.
  template <typename Lock>
  void HoldUntilCommitted(Lock lock) {
    if constexpr (!ReleasableOnAnyThread<Lock>) thread_bound_locks_ = true;
    locks_.push_back(std::make_shared<Lock>(std::move(lock)));
  }

  // Record-level check. `in_normal_scope` is the domain's answer (team membership and so on). A
  // record outside it is NOT_FOUND, unless the caller holds an unexpired break-glass grant for it,
  // in which case access is allowed and the audit entry is marked "break-glass" with the reason.
  Status CheckRecordAccess(const std::string& resource, bool in_normal_scope);

 private:
  friend class Gatekeeper;
  Call(Caller caller, CallOrigin origin, const storage::Storage& storage,
       const EmergencyAccessStore* emergency)
      : caller_(std::move(caller)),
        origin_(std::move(origin)),
        changes_(storage),
        emergency_(emergency) {}

  Caller caller_;
  CallOrigin origin_;
  std::string resource_;
  std::string legal_basis_;
  std::string break_glass_reason_;
  std::vector<std::string> returned_;
  std::unordered_set<std::string> returned_seen_;
  bool returned_overflow_ = false;
  storage::WriteBatch changes_;
  const EmergencyAccessStore* emergency_;
  std::vector<std::function<void()>> on_committed_;
  std::vector<std::shared_ptr<void>> locks_;  // type-erased locks, released on destruction
  bool thread_bound_locks_ = false;           // some lock must be released where it was taken
};

struct GatekeeperDependencies {
  storage::Storage* storage = nullptr;
  UserRegistry* users = nullptr;
  AuditLog* audit = nullptr;
  RateLimiter* rate_limiter = nullptr;
  EmergencyAccessStore* emergency = nullptr;
  WorkerPool* workers = nullptr;
  const Policy* policy = &Policy::Default();
  // Set when the HTTP gateway runs: the key its in-process calls' origins are sealed with.
  const GatewayVouchers* gateway = nullptr;
};

class Gatekeeper {
 public:
  explicit Gatekeeper(GatekeeperDependencies deps) : deps_(deps) {}

  // `method` is the full gRPC method name, e.g. "/casecoord.v1.Admin/GetUser".
  grpc::ServerUnaryReactor* Handle(grpc::CallbackServerContext* context, std::string_view method,
                                   std::function<Status(Call&)> work);

  // Handle() for calls whose reactor is not the default unary one (streaming): `done` gets the
  // outcome instead of a reactor being finished. `context` must stay valid until `done` runs.
  void Dispatch(grpc::CallbackServerContext* context, std::string_view method,
                std::function<Status(Call&)> work, std::function<void(Status)> done);

  // Runs steps 2-7 for a call from `origin` (its user nullopt: nobody identified); `done` gets
  // the call's outcome, on this thread or on the audit committer's. Handle() calls this on a
  // worker.
  void RunAsync(const CallOrigin& origin, std::string_view method,
                const std::function<Status(Call&)>& work, std::function<void(Status)> done);

  // For a stream that keeps sending after its start (WatchDueItems): before a message naming
  // `returned` (see Call::AddReturned) is sent, checks that the stream's user (`origin`, from
  // Call::origin()) is still active and allowed `method`, and appends an audit entry for the
  // message (resource `resource`). `done` gets OK once the entry is durable; otherwise the
  // refusal (audited) or AUDIT_UNAVAILABLE, and the message must not be sent.
  void AuditStreamMessage(const CallOrigin& origin, std::string_view method, std::string resource,
                          std::vector<std::string> returned, std::function<void(Status)> done);

  // RunAsync for a gRPC call of `user_id`, waiting for the outcome (tests).
  Status Run(const std::optional<std::string>& user_id, std::string_view method,
             const std::function<Status(Call&)>& work);
  // RunAsync, waiting for the outcome (tests).
  Status Run(const CallOrigin& origin, std::string_view method,
             const std::function<Status(Call&)>& work);

 private:
  // Steps 3 and 4: the active user of `origin` if the policy lets them call `method` (and
  // *legal_basis says why); otherwise nullopt, and the refusal is audited and handed to `done`
  // (moved from).
  std::optional<Caller> Admit(const CallOrigin& origin, std::string_view method,
                              std::string* legal_basis, std::function<void(Status)>& done);
  // Audits a refusal, then reports `refusal` (or the audit failure) to `done`.
  void AuditRefusal(const CallOrigin& origin, const std::string& agency, std::string_view method,
                    const Status& refusal, std::function<void(Status)> done);

  GatekeeperDependencies deps_;
};

}  // namespace casecoord::auth
