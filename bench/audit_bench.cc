// What authorization and a durable audit entry cost on a read: closed-loop clients (one unary call
// at a time each) against three targets, all behind the same mutual TLS, all in this process:
//   echo       an Admin service whose GetServerInfo finishes at once on gRPC's reactor thread with
//              an empty response (the floor, as in rpc_bench);
//   unaudited  an Admin service whose GetUser does the same read as caseserver's without the
//              gatekeeper: it hops to a WorkerPool (as many threads as caseserver's), looks the
//              user up in an auth::UserRegistry over its own encrypted storage::Storage, fills the
//              response and finishes. No identity, no rate limit, no policy, no audit;
//   audited    the real server (casecoord::testing::TestServer, production mode), Admin.GetUser of
//              "users/coordinator" as user "admin": identity from the certificate, rate limit,
//              policy, the read, then a hash-chained audit entry committed with a synced write
//              (concurrent callers share one fsync) before the answer.
// The targets are measured in alternating half-second slices (A B C C B A ...), so noise from the
// shared machine hits all alike. The figures that matter are audited/unaudited QPS (what
// authorization + audit cost) and audited/echo QPS (goal >= 0.50 at concurrency 64), each the
// median of the per-round ratios. For the audited target the program also counts the fsyncs the
// process makes during its slices, hence the audit entries written per fsync (group size), and
// for every target the process CPU time per call.
//
//   audit_bench [--seconds S] [--rounds R] [--concurrency 1,16,64] [--workers 16]
//
// --workers sets the worker threads of both caseserver and the unaudited server (default 16, the
// server's default): a caller blocks its worker until its audit group is durable, so the pool
// size bounds how many entries one fsync can carry.
//
// This is a program, not a test: it prints figures and never fails on them. It exits non-zero if
// any call fails or if the audit chain does not hold an entry for every audited call.

#include <dlfcn.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "bench/baseline_server.h"
#include "bench/bench_support.h"
#include "casecoord/v1/admin.grpc.pb.h"
#include "clients/cli/client.h"
#include "services/auth/user_registry.h"
#include "services/common/log.h"
#include "services/common/worker_pool.h"
#include "services/server/server.h"
#include "services/storage/storage.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_pki.h"
#include "tests/support/test_server.h"

// Every fsync and fdatasync of this process, counted and timed. RocksDB syncs its WAL with
// fdatasync; during the audited target's slices only caseserver's database writes (one synced
// commit per audit group, plus the rare flush), so calls / syncs is the audit group size. These
// definitions take the place of libc's for the whole program and forward to it.
namespace {
std::atomic<uint64_t> g_syncs{0};
std::atomic<uint64_t> g_sync_nanos{0};

template <typename Fn>
Fn RealLibcFunction(const char* name) {
  void* symbol = dlsym(RTLD_NEXT, name);
  if (symbol == nullptr) {
    std::fprintf(stderr, "audit_bench: cannot find libc's %s\n", name);
    std::abort();
  }
  return reinterpret_cast<Fn>(symbol);
}

int CountedSync(int (*real)(int), int fd) {
  auto start = std::chrono::steady_clock::now();
  int result = real(fd);
  auto nanos =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start)
          .count();
  g_syncs.fetch_add(1, std::memory_order_relaxed);
  g_sync_nanos.fetch_add(static_cast<uint64_t>(nanos), std::memory_order_relaxed);
  return result;
}
}  // namespace

extern "C" int fdatasync(int fd) {
  static const auto real = RealLibcFunction<int (*)(int)>("fdatasync");
  return CountedSync(real, fd);
}

extern "C" int fsync(int fd) {
  static const auto real = RealLibcFunction<int (*)(int)>("fsync");
  return CountedSync(real, fd);
}

namespace casecoord::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr double kGoal = 0.50;
constexpr int kGoalConcurrency = 64;
constexpr int kMaxChannels = 8;
constexpr double kSliceSeconds = 0.5;
// Long enough for freshly started client threads to have their first call in flight.
constexpr double kSliceWarmupSeconds = 0.05;
constexpr char kCaller[] = "admin";
constexpr char kReadUser[] = "users/coordinator";

struct Flags {
  double seconds = 3.0;
  int rounds = 3;
  std::vector<int> concurrency = {1, 16, 64};
  int workers = 16;  // caseserver's default worker-threads
};

// ---- the baselines ----

// caseserver's GetUser without the gatekeeper: the same hop to a worker and the same registry
// lookup, then the answer.
class UnauditedAdminService final : public v1::Admin::CallbackService {
 public:
  UnauditedAdminService(const auth::UserRegistry& users, WorkerPool& workers)
      : users_(users), workers_(workers) {}

  grpc::ServerUnaryReactor* GetUser(grpc::CallbackServerContext* context,
                                    const v1::GetUserRequest* request,
                                    v1::User* response) override {
    auto* reactor = context->DefaultReactor();
    bool queued = workers_.Submit([this, reactor, request, response] {
      auto user_id = auth::UserRegistry::ParseUserName(request->name(), "name");
      if (!user_id.ok()) {
        reactor->Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "bad name"));
        return;
      }
      auto user = users_.Find(*user_id);
      if (!user) {
        reactor->Finish(grpc::Status(grpc::StatusCode::NOT_FOUND, request->name()));
        return;
      }
      *response = *user;
      reactor->Finish(grpc::Status::OK);
    });
    if (!queued) reactor->Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "busy"));
    return reactor;
  }

 private:
  const auth::UserRegistry& users_;
  WorkerPool& workers_;
};

template <typename T>
T OrDie(Result<T> result, const char* what) {
  if (!result.ok()) {
    std::fprintf(stderr, "audit_bench: %s: %s\n", what, result.status().ToString().c_str());
    std::exit(1);
  }
  return std::move(result).value();
}

// The unaudited target with what it reads: an encrypted database in a temporary directory holding
// the same users as TestServer, a registry over it and a worker pool like caseserver's.
class UnauditedServer {
 public:
  UnauditedServer(const testing::TestCa& ca, const server::ServerConfig& config)
      : workers_(config.worker_threads, static_cast<size_t>(config.max_queued_requests)) {
    storage::StorageOptions options;
    options.path = dir_.Sub("db");
    options.keyring =
        std::make_shared<const storage::Keyring>(storage::KeyEncryptionKey::Generate());
    storage_ = OrDie(storage::Storage::Open(options), "opening the unaudited database");
    users_ = OrDie(auth::UserRegistry::Open(*storage_), "opening the unaudited registry");
    Seed();
    service_ = std::make_unique<UnauditedAdminService>(*users_, workers_);
    server_ = std::make_unique<TlsServer>(ca, config, service_.get());
  }
  ~UnauditedServer() {
    server_->Shutdown();  // in-flight calls finish on the still-running workers
    workers_.Shutdown();
  }

  std::string target() const { return server_->target(); }

 private:
  // The users TestServer creates, with the same fields, so that responses are the same size.
  void Seed() {
    struct Sample {
      const char* id;
      v1::Role role;
      const char* agency;
    };
    const Sample samples[] = {{"admin", v1::ADMIN, ""},
                              {"coordinator", v1::COORDINATOR, ""},
                              {"agency-staff", v1::AGENCY_STAFF, "agencies/a1"},
                              {"other-staff", v1::AGENCY_STAFF, "agencies/a2"},
                              {"adviser", v1::ADVISER, ""},
                              {"planner", v1::PLANNER, ""},
                              {"auditor", v1::AUDITOR, ""}};
    storage::WriteBatch batch(*storage_);
    std::vector<v1::User> created;
    for (const auto& sample : samples) {
      v1::User user;
      user.set_display_name(std::string("テスト ") + sample.id);
      user.add_roles(sample.role);
      user.set_agency(sample.agency);
      created.push_back(OrDie(users_->PrepareCreate(sample.id, user, &batch), "seeding a user"));
    }
    Status committed = storage_->Commit(batch);
    if (!committed.ok()) {
      std::fprintf(stderr, "audit_bench: seeding users: %s\n", committed.ToString().c_str());
      std::exit(1);
    }
    for (const auto& user : created) users_->Publish(user);
  }

  testing::TempDir dir_;
  std::unique_ptr<storage::Storage> storage_;
  std::unique_ptr<auth::UserRegistry> users_;
  WorkerPool workers_;
  std::unique_ptr<UnauditedAdminService> service_;
  std::unique_ptr<TlsServer> server_;
};

// ---- the load ----

enum class Method { kGetServerInfo, kGetUser };

struct AuditTarget : Target {
  Method method = Method::kGetServerInfo;
  bool audited = false;  // each successful call writes one audit entry
};

struct Tally {
  uint64_t calls = 0;  // started and completed inside the measured windows
  double seconds = 0;
  std::vector<float> latencies_us;
  // Over whole slices (warm-up and tail included): group size and CPU per call.
  uint64_t completed = 0;
  uint64_t syncs = 0;
  uint64_t sync_nanos = 0;
  double slice_seconds = 0;
  double cpu_seconds = 0;  // of the whole process: clients, TLS on both ends, the server
};

struct Measurement {
  double qps = 0;
  double p50_us = NAN;
  double p99_us = NAN;
  double calls_per_sync = NAN;
  double syncs_per_second = NAN;
  double sync_ms = NAN;  // mean duration of one fsync/fdatasync
  double cpu_us_per_call = NAN;
  double cpu_cores = NAN;  // process CPU seconds per second (2 = both cores of this machine busy)
};

double ProcessCpuSeconds() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

Measurement ResultOf(Tally& tally) {
  Measurement m{tally.calls / tally.seconds, Percentile(tally.latencies_us, 0.50),
                Percentile(tally.latencies_us, 0.99)};
  m.cpu_us_per_call = tally.cpu_seconds * 1e6 / static_cast<double>(tally.completed);
  m.cpu_cores = tally.cpu_seconds / tally.slice_seconds;
  if (tally.syncs > 0) {
    m.calls_per_sync = static_cast<double>(tally.completed) / tally.syncs;
    m.syncs_per_second = tally.syncs / tally.slice_seconds;
    m.sync_ms = tally.sync_nanos / 1e6 / tally.syncs;
  }
  return m;
}

// Every successful audited call so far, warm-ups included: the audit chain must hold as many.
std::atomic<uint64_t> g_audited_calls{0};

// `concurrency` client threads, each with a blocking stub on channel (i mod channels), calling
// back to back: warm-up, then a measured window in which only calls that start and complete inside
// it count. Any failed call ends the program.
void RunSlice(const AuditTarget& target, int concurrency, double warmup_seconds, double seconds,
              Tally* tally) {
  const int channels = std::min<int>(concurrency, static_cast<int>(target.channels.size()));
  std::atomic<int> phase{0};  // 0 warm-up, 1 measuring, 2 stop
  std::atomic<int> errors{0};
  std::atomic<uint64_t> completed{0};
  std::vector<std::vector<float>> latencies(concurrency);
  std::vector<std::thread> clients;
  const uint64_t syncs_before = g_syncs.load();
  const uint64_t sync_nanos_before = g_sync_nanos.load();
  const auto slice_start = Clock::now();
  const double cpu_start = ProcessCpuSeconds();
  for (int i = 0; i < concurrency; ++i) {
    clients.emplace_back([&, i] {
      auto stub = v1::Admin::NewStub(target.channels[i % channels]);
      auto& mine = latencies[i];
      mine.reserve(1 << 14);
      uint64_t done = 0;
      v1::GetServerInfoRequest info_request;
      v1::GetUserRequest user_request;
      user_request.set_name(kReadUser);
      while (true) {
        int before = phase.load(std::memory_order_relaxed);
        if (before == 2) break;
        grpc::ClientContext context;
        context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
        grpc::Status status;
        auto start = Clock::now();
        if (target.method == Method::kGetServerInfo) {
          v1::ServerInfo response;
          status = stub->GetServerInfo(&context, info_request, &response);
        } else {
          v1::User response;
          status = stub->GetUser(&context, user_request, &response);
          if (status.ok() && response.name() != kReadUser) {
            status = grpc::Status(grpc::StatusCode::INTERNAL, "got " + response.name());
          }
        }
        auto end = Clock::now();
        if (!status.ok()) {
          if (errors.fetch_add(1) == 0) {
            std::fprintf(stderr, "audit_bench: %s: %s\n", target.name.c_str(),
                         status.error_message().c_str());
          }
          continue;
        }
        ++done;
        if (before == 1 && phase.load(std::memory_order_relaxed) == 1) {
          mine.push_back(std::chrono::duration<float, std::micro>(end - start).count());
        }
      }
      completed += done;
    });
  }
  const double measured = MeasureWindow(phase, warmup_seconds, seconds);
  for (auto& client : clients) client.join();
  const auto slice_end = Clock::now();
  const double cpu_end = ProcessCpuSeconds();
  if (errors > 0) {
    // Failed calls are fast; counting them would flatter the target, so the figures are void.
    std::fprintf(stderr, "audit_bench: %d failed calls to %s\n", errors.load(),
                 target.name.c_str());
    std::exit(1);
  }
  for (auto& mine : latencies) {
    tally->calls += mine.size();
    tally->latencies_us.insert(tally->latencies_us.end(), mine.begin(), mine.end());
  }
  tally->seconds += measured;
  tally->completed += completed;
  tally->syncs += g_syncs.load() - syncs_before;
  tally->sync_nanos += g_sync_nanos.load() - sync_nanos_before;
  tally->slice_seconds += std::chrono::duration<double>(slice_end - slice_start).count();
  tally->cpu_seconds += cpu_end - cpu_start;
  if (target.audited) g_audited_calls += completed;
}

constexpr size_t kTargets = 3;
using Targets = std::array<const AuditTarget*, kTargets>;

// Warms every target, then runs slices in the order o, reverse(o), o, ... (o = the targets
// rotated by `rotation`) until each has had `seconds` of measured time.
std::array<Measurement, kTargets> Interleave(const Targets& targets, int concurrency,
                                             double seconds, int rotation) {
  std::array<size_t, kTargets> order;
  for (size_t k = 0; k < kTargets; ++k) order[k] = (k + rotation) % kTargets;
  for (size_t t : order) {
    Tally discard;
    RunSlice(*targets[t], concurrency, 0, std::min(0.5, seconds / 4), &discard);
  }
  int passes = std::max(2, static_cast<int>(std::lround(seconds / kSliceSeconds)));
  std::array<Tally, kTargets> tallies;
  for (int i = 0; i < passes; ++i) {
    for (size_t k = 0; k < kTargets; ++k) {
      size_t t = i % 2 == 0 ? order[k] : order[kTargets - 1 - k];
      RunSlice(*targets[t], concurrency, kSliceWarmupSeconds, seconds / passes, &tallies[t]);
    }
  }
  std::array<Measurement, kTargets> results;
  for (size_t t = 0; t < kTargets; ++t) results[t] = ResultOf(tallies[t]);
  return results;
}

enum { kEcho = 0, kUnaudited = 1, kAudited = 2 };

int Main(int argc, char** argv) {
  Flags flags;
  ParseFlags(argc, argv,
             "audit_bench [--seconds S] [--rounds R] [--concurrency 1,16,64] [--workers 16]",
             FlagSpec{{{"--seconds", &flags.seconds}},
                      {{"--rounds", &flags.rounds}, {"--workers", &flags.workers}},
                      {{"--concurrency", &flags.concurrency}}});
  // The servers' startup and shutdown lines would interleave with the table.
  log::SetMinimumLevel(log::Level::kWarning);

  // Production mode, mutual TLS, huge rate limits; both servers get the same number of workers.
  testing::TestServer caseserver(testing::TestServerOptions{.worker_threads = flags.workers});
  EchoAdminService echo_service;
  TlsServer echo(caseserver.ca(), caseserver.config(), &echo_service);
  UnauditedServer unaudited(caseserver.ca(), caseserver.config());

  // Every client is "admin" (the only role allowed to read users). The baselines ignore identity
  // but get the same kind of certificate.
  AuditTarget echo_target{{"echo", {}}, Method::kGetServerInfo, false};
  AuditTarget unaudited_target{{"unaudited", {}}, Method::kGetUser, false};
  AuditTarget audited_target{{"audited", {}}, Method::kGetUser, true};
  for (int i = 0; i < kMaxChannels; ++i) {
    testing::KeyPair pair = caseserver.ca().IssueClient(kCaller);
    for (auto* baseline : {&echo_target, &unaudited_target}) {
      std::string address = baseline == &echo_target ? echo.target() : unaudited.target();
      baseline->channels.push_back(client::Connect(client::ConnectionPems{
          address, caseserver.ca().root_pem(), pair.certificate_pem, pair.private_key_pem}));
    }
    audited_target.channels.push_back(caseserver.ChannelFor(kCaller));
  }
  const Targets targets = {&echo_target, &unaudited_target, &audited_target};
  for (const AuditTarget* target : targets) WaitConnected(*target);
  // TestServer's setup (creating the sample users) left entries of its own.
  const int64_t entries_before = caseserver.server().audit_log().Verify().entries_checked;

  std::printf(
      "audit_bench: echo = GetServerInfo answered inline; unaudited = GetUser(%s) hop + registry "
      "read; audited = caseserver GetUser(%s) as %s (auth + policy + read + synced audit entry). "
      "Closed loop, %d rounds, %.1f s measured per target and concurrency (in %.1f s slices, "
      "alternating), min(concurrency, %d) TLS connections, one thread per client, %u hardware "
      "threads, %d worker threads per server\n\n",
      kReadUser, kReadUser, kCaller, flags.rounds, flags.seconds, kSliceSeconds, kMaxChannels,
      std::thread::hardware_concurrency(), flags.workers);
  std::printf("%-5s %5s %9s %15s %9s %15s %9s %15s %9s %9s %10s\n", "round", "conc", "echo QPS",
              "p50/p99 us", "unaud QPS", "p50/p99 us", "aud QPS", "p50/p99 us", "aud/unaud",
              "aud/echo", "entr/fsync");

  const size_t levels = flags.concurrency.size();
  // [level][target] one entry per round.
  std::vector<std::array<std::vector<Measurement>, kTargets>> runs(levels);
  std::vector<std::vector<double>> cost_ratios(levels), goal_ratios(levels);
  for (int round = 0; round < flags.rounds; ++round) {
    for (size_t level = 0; level < levels; ++level) {
      int c = flags.concurrency[level];
      auto m = Interleave(targets, c, flags.seconds, round % static_cast<int>(kTargets));
      for (size_t t = 0; t < kTargets; ++t) runs[level][t].push_back(m[t]);
      double cost = m[kAudited].qps / m[kUnaudited].qps;
      double goal = m[kAudited].qps / m[kEcho].qps;
      cost_ratios[level].push_back(cost);
      goal_ratios[level].push_back(goal);
      std::printf("%-5d %5d", round + 1, c);
      for (size_t t = 0; t < kTargets; ++t) {
        std::printf(" %9.0f %7.0f/%-7.0f", m[t].qps, m[t].p50_us, m[t].p99_us);
      }
      std::printf(" %9.3f %9.3f %10.1f\n", cost, goal, m[kAudited].calls_per_sync);
      std::fflush(stdout);
    }
  }

  std::printf(
      "\nmedians over %d rounds (ratios = median of the per-round ratios; CPU = this "
      "whole process, clients and TLS included, per completed call)\n",
      flags.rounds);
  std::printf("%5s %-10s %9s %9s %9s %12s %10s %14s %9s %9s %10s %10s\n", "conc", "target", "QPS",
              "p50 us", "p99 us", "CPU us/call", "CPU cores", "entries/fsync", "fsync/s",
              "ms/fsync", "aud/unaud", "aud/echo");
  for (size_t level = 0; level < levels; ++level) {
    for (size_t t = 0; t < kTargets; ++t) {
      auto median_of = [&](double Measurement::*field) {
        std::vector<double> values;
        for (const auto& m : runs[level][t]) values.push_back(m.*field);
        return Median(values);
      };
      std::printf("%5d %-10s %9.0f %9.0f %9.0f %12.0f %10.2f", flags.concurrency[level],
                  targets[t]->name.c_str(), median_of(&Measurement::qps),
                  median_of(&Measurement::p50_us), median_of(&Measurement::p99_us),
                  median_of(&Measurement::cpu_us_per_call), median_of(&Measurement::cpu_cores));
      if (t == kAudited) {
        std::printf(" %14.1f %9.0f %9.2f %10.3f %10.3f\n", median_of(&Measurement::calls_per_sync),
                    median_of(&Measurement::syncs_per_second), median_of(&Measurement::sync_ms),
                    Median(cost_ratios[level]), Median(goal_ratios[level]));
      } else {
        std::printf("\n");
      }
    }
  }

  // Each successful audited call must have left exactly one entry in an intact chain.
  auth::AuditVerification chain = caseserver.server().audit_log().Verify();
  const uint64_t audited_calls = g_audited_calls.load();
  const uint64_t new_entries = static_cast<uint64_t>(chain.entries_checked - entries_before);
  const bool chain_ok = chain.intact && new_entries == audited_calls;
  std::printf("\naudit chain: %s, %llu new entries for %llu audited calls\n",
              chain.intact ? "intact" : ("BROKEN: " + chain.problem).c_str(),
              static_cast<unsigned long long>(new_entries),
              static_cast<unsigned long long>(audited_calls));

  std::printf("\n");
  for (size_t level = 0; level < levels; ++level) {
    std::printf("ratio audited/unaudited c=%d: %.2f (the cost of authorization + audit)\n",
                flags.concurrency[level], Median(cost_ratios[level]));
  }
  for (size_t level = 0; level < levels; ++level) {
    int c = flags.concurrency[level];
    double ratio = Median(goal_ratios[level]);
    if (c == kGoalConcurrency) {
      std::printf("ratio audited/echo c=%d: %.2f (goal >= %.2f: %s)\n", c, ratio, kGoal,
                  ratio >= kGoal ? "met" : "NOT met");
    } else {
      std::printf("ratio audited/echo c=%d: %.2f\n", c, ratio);
    }
  }
  if (!chain_ok) {
    std::fprintf(stderr, "audit_bench: the audit chain does not account for every audited call\n");
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace casecoord::bench

int main(int argc, char** argv) { return casecoord::bench::Main(argc, argv); }
