#include "services/auth/gatekeeper.h"

#include <time.h>

#include <algorithm>
#include <future>

#include "services/auth/peer_identity.h"
#include "services/common/grpc_errors.h"
#include "services/common/log.h"
#include "services/common/text.h"

namespace casecoord::auth {
namespace {

// Runs a handler's work so that nothing it throws can reach a gRPC or worker thread (where it
// would end the process): an exception is logged and answered INTERNAL, and the call's prepared
// changes are dropped because the outcome is not OK. Handlers are written not to throw; this is
// the net under them.
Status RunWork(const std::function<Status(Call&)>& work, Call& call, std::string_view method) {
  std::string what;
  try {
    return work(call);
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
    what = "an exception that is not a std::exception";
  }
  log::Error("handler threw; answered INTERNAL, nothing changed",
             {{"method", std::string(method)}, {"exception", what.substr(0, 200)}});
  return Status(Reason::kHandlerFailed,
                "the server failed while handling this request; nothing was changed");
}

// The CPU time any call may use without a charge beyond its cost. Point reads take a fraction of
// it, more under a sanitizer or on a busy machine, and must not drain their caller's bucket by
// being measured: the charge is for calls whose work runs far past what the table prices.
constexpr double kUnchargedCpuMilliseconds = 5;

// CPU time of the calling thread, in milliseconds.
double ThreadCpuMilliseconds() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) * 1e3 + static_cast<double>(now.tv_nsec) / 1e6;
}

}  // namespace

void Call::set_resource(std::string resource) {
  if (resource.size() > kMaxAuditedResourceBytes) {
    resource = ShortQuote(resource, 64) + " (" + std::to_string(resource.size()) + " bytes)";
  }
  resource_ = std::move(resource);
}

void Call::AddReturned(std::string_view name) {
  if (name.size() > kMaxAuditedResourceBytes) {
    returned_overflow_ = true;
    return;
  }
  auto [it, added] = returned_seen_.emplace(name);
  if (!added) return;
  if (returned_.size() >= kMaxReturnedRecords) {
    returned_overflow_ = true;
    return;
  }
  returned_.push_back(*it);
}

Status Call::CheckRecordAccess(const std::string& resource, bool in_normal_scope) {
  if (in_normal_scope) return Status::Ok();
  if (emergency_ != nullptr) {
    if (auto grant = emergency_->ActiveGrant(caller_.user_id, resource)) {
      legal_basis_ = "break-glass";
      break_glass_reason_ = grant->reason();
      return Status::Ok();
    }
  }
  return Status(Reason::kNotFound, resource + " not found");
}

grpc::ServerUnaryReactor* Gatekeeper::Handle(grpc::CallbackServerContext* context,
                                             std::string_view method,
                                             std::function<Status(Call&)> work) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  Dispatch(context, method, std::move(work),
           [reactor](const Status& status) { reactor->Finish(ToGrpcStatus(status)); });
  return reactor;
}

void Gatekeeper::Dispatch(grpc::CallbackServerContext* context, std::string_view method,
                          std::function<Status(Call&)> work, std::function<void(Status)> done) {
  CallOrigin origin = OriginOf(*context, deps_.gateway);
  const MethodRule* rule = deps_.policy->Find(method);
  if (rule != nullptr && rule->execution == Execution::kInline) {
    RunAsync(origin, method, work, std::move(done));
    return;
  }
  bool queued = deps_.workers->Submit([this, context, origin = std::move(origin),
                                       method = std::string(method), work = std::move(work), done] {
    if (context->IsCancelled()) {
      done(Status(Reason::kCancelled, "cancelled before it ran"));
      return;
    }
    RunAsync(origin, method, work, done);
  });
  if (!queued) {
    done(Status(Reason::kServerBusy, "the server's work queue is full or shutting down"));
  }
}

Status Gatekeeper::Run(const std::optional<std::string>& user_id, std::string_view method,
                       const std::function<Status(Call&)>& work) {
  CallOrigin origin;
  origin.user_id = user_id;
  return Run(origin, method, work);
}

Status Gatekeeper::Run(const CallOrigin& origin, std::string_view method,
                       const std::function<Status(Call&)>& work) {
  std::promise<Status> outcome;
  RunAsync(origin, method, work, [&outcome](const Status& status) { outcome.set_value(status); });
  return outcome.get_future().get();
}

void Gatekeeper::RunAsync(const CallOrigin& origin, std::string_view method,
                          const std::function<Status(Call&)>& work,
                          std::function<void(Status)> done) {
  const std::string bucket = origin.user_id.value_or("");
  // Looked up once: its cost is charged now; AuthorizeMethod refuses a method without a rule.
  const MethodRule* rule = deps_.policy->Find(method);
  std::chrono::milliseconds retry_after{0};
  if (!deps_.rate_limiter->TryAcquire(bucket, rule != nullptr ? rule->cost : 1, &retry_after)) {
    // A refused call did nothing: the client may retry it once the bucket can pay (RetryInfo).
    done(Status(Reason::kRateLimited, "too many requests from this user; slow down and retry")
             .WithRetryAfter(retry_after));
    return;
  }
  std::string legal_basis;
  std::optional<Caller> caller = Admit(origin, method, &legal_basis, done);
  if (!caller) return;

  // Shared with the audit callback: the changes must live until they are committed.
  std::shared_ptr<Call> call(new Call(*caller, origin, *deps_.storage, deps_.emergency));
  call->legal_basis_ = legal_basis;
  const double cpu_before = ThreadCpuMilliseconds();
  Status outcome = RunWork(work, *call, method);
  // What the work used beyond the method's up-front cost is charged now, so that expensive calls
  // cost their caller what they cost the server (a caller in debt is refused until it is repaid).
  const double beyond = (ThreadCpuMilliseconds() - cpu_before) * kTokensPerCpuMillisecond -
                        std::max(static_cast<double>(rule->cost),
                                 kUnchargedCpuMilliseconds * kTokensPerCpuMillisecond);
  if (beyond > 0) deps_.rate_limiter->Charge(bucket, beyond);
  if (outcome.ok() && call->returned_overflow_) {
    log::Error("answer names more records than an audit entry holds; refused",
               {{"method", std::string(method)}});
    outcome = Status(Reason::kAuditEntryTooLarge,
                     "the answer was too large to be recorded in the audit trail");
  }
  if (rule->audit == AuditKind::kNone) {
    if (call->changes_.count() > 0) {
      outcome = Status(Reason::kUnauditedWrite, std::string(method) + " may not change data");
    }
    done(outcome);
    return;
  }
  const bool commit_changes = outcome.ok() && rule->audit == AuditKind::kWrite;
  AuditRecord record{caller->user_id,
                     caller->agency,
                     std::string(method),
                     call->resource_,
                     StatusCodeName(outcome.code()),
                     outcome.ok() ? call->legal_basis_ : "",
                     call->break_glass_reason_,
                     outcome.ok() ? std::move(call->returned_) : std::vector<std::string>{},
                     origin.channel,
                     origin.session_id};
  storage::WriteBatch* changes = commit_changes ? &call->changes_ : nullptr;
  auto finish = [call, outcome, done = std::move(done)](const Status& audited) {
    if (!audited.ok()) {
      done(Status(Reason::kAuditUnavailable,
                  "the access could not be recorded in the audit trail, so it was refused: " +
                      audited.message()));
      return;
    }
    if (outcome.ok()) {
      for (auto& callback : call->on_committed_) callback();
    }
    done(outcome);
  };
  if (!call->thread_bound_locks_) {
    // Any handoff locks are released with the last reference to `call`, after `done`, on the
    // thread that reports the commit.
    deps_.audit->AppendAsync(std::move(record), changes, std::move(finish));
  } else {
    // Wait here: the locks must be released by the thread that took them.
    Status audited = deps_.audit->Append(record, changes);
    finish(audited);
  }
}

void Gatekeeper::AuditStreamMessage(const CallOrigin& origin, std::string_view method,
                                    std::string resource, std::vector<std::string> returned,
                                    std::function<void(Status)> done) {
  std::string legal_basis;
  std::optional<Caller> caller = Admit(origin, method, &legal_basis, done);
  if (!caller) return;
  if (returned.size() > kMaxReturnedRecords) {
    done(Status(Reason::kAuditEntryTooLarge,
                "the message was too large to be recorded in the audit trail"));
    return;
  }
  AuditRecord record{caller->user_id,
                     caller->agency,
                     std::string(method),
                     std::move(resource),
                     "OK",
                     legal_basis,
                     "",
                     std::move(returned),
                     origin.channel,
                     origin.session_id};
  deps_.audit->AppendAsync(
      std::move(record), nullptr, [done = std::move(done)](const Status& audited) {
        done(audited.ok()
                 ? audited
                 : Status(Reason::kAuditUnavailable,
                          "the message could not be recorded in the audit trail, so it was "
                          "not sent: " +
                              audited.message()));
      });
}

std::optional<Caller> Gatekeeper::Admit(const CallOrigin& origin, std::string_view method,
                                        std::string* legal_basis,
                                        std::function<void(Status)>& done) {
  const std::optional<std::string>& user_id = origin.user_id;
  std::optional<Caller> caller;
  if (user_id) caller = deps_.users->FindActive(*user_id);
  if (!caller) {
    AuditRefusal(origin, "", method,
                 Status(Reason::kUnknownOrDisabledUser,
                        user_id ? "user " + *user_id + " is not an active user"
                        : origin.channel == kChannelHttp
                            ? "not signed in: no live session or client certificate"
                            : "no client certificate identifies a user"),
                 std::move(done));
    return std::nullopt;
  }
  Status authorized = deps_.policy->AuthorizeMethod(*caller, method, legal_basis);
  if (!authorized.ok()) {
    AuditRefusal(origin, caller->agency, method, authorized, std::move(done));
    return std::nullopt;
  }
  return caller;
}

void Gatekeeper::AuditRefusal(const CallOrigin& origin, const std::string& agency,
                              std::string_view method, const Status& refusal,
                              std::function<void(Status)> done) {
  AuditRecord record{origin.user_id.value_or(""),
                     agency,
                     std::string(method),
                     "",
                     StatusCodeName(refusal.code()),
                     "",
                     "",
                     {},
                     origin.channel,
                     origin.session_id};
  deps_.audit->AppendAsync(std::move(record), nullptr,
                           [refusal, done = std::move(done)](const Status& audited) {
                             done(audited.ok() ? refusal : audited);
                           });
}

}  // namespace casecoord::auth
