// The work list at city scale: one coordinator with --cases open cases (default 100,000), each with
// a monitoring schedule of --dates-per-case listed check dates spread over the next year (default
// 10: 1,000,000 scheduled checks), so that the coordinator's list holds every case's next check;
// plus --extra-items further work-list entries of the other kinds (role assignments and plan
// reviews, as meetings and plans write them; default 900,000), so that the list the coordinator
// reads from holds about 1,000,000 entries over the year.
//
// Loading goes through the stores (CaseStore for intake and the move to COORDINATING,
// MonitoringStore for the schedules, worklist::PrepareSetDue for the extra items) into the
// server's own data directory, with Storage::CommitUnsynced, while the server is stopped (the
// TestServer is started once to create its users, stopped, loaded, and started again).
//
// Measured:
//   store     MonitoringStore::ListDue in this process on the loaded database, before the server
//             opens it: the server's own work for a ListDueItems call (without gRPC, TLS, the
//             gatekeeper and the audit append): p50/p99 wall time, as loaded (memtables and level
//             0) and after Storage::CompactAll (as after a flush). Goal: p99 <= 5 ms.
//   latency   ListDueItems (default page size and due_by, the coordinator's own list) over the real
//             server (production mode, mutual TLS, 16 workers), one client, one call at a time:
//             p50/p99 as the client sees it. ListDueItems is audited (a read of the list is in the
//             trail before the answer leaves), so each call waits for a synced audit append.
//   QPS       closed-loop clients at --concurrency (default 1,16,64) over min(concurrency, 8) TLS
//             connections, against three baselines in the same process, measured in alternating
//             half-second slices (A B C D D C B A ...): "echo", an empty Admin.GetServerInfo behind
//             the same TLS (bench/baseline_server.h); "info", caseserver's own GetServerInfo
//             (the gatekeeper's floor, not audited), and "audited", caseserver's Admin.GetUser as
//             admin (a small audited read, audit_bench's audited target: the floor of any audited
//             read). Ratios are medians of the per-round ratios.
//
//   worklist_bench [--cases 100000] [--dates-per-case 10] [--extra-items 900000]
//                  [--seconds 2] [--rounds 3] [--concurrency 1,16,64] [--store-calls 2000]
//                  [--seed 20261122]
//
// This is a program, not a test: it prints figures and never fails on them. It exits non-zero if a
// load step or any call fails, or if a page is not the size the data predicts.

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bench/baseline_server.h"
#include "bench/bench_support.h"
#include "casecoord/v1/admin.grpc.pb.h"
#include "casecoord/v1/monitoring.grpc.pb.h"
#include "clients/cli/client.h"
#include "services/cases/case_store.h"
#include "services/common/fiscal_year.h"
#include "services/common/log.h"
#include "services/common/pagination.h"
#include "services/directory/agency_store.h"
#include "services/monitoring/monitoring_store.h"
#include "services/vocab/term_catalog.h"
#include "services/worklist/due_index.h"
#include "tests/support/test_server.h"

namespace casecoord::bench {
namespace {

// The district and issue tags the generated households use, as the city's vocabularies: the
// stores accept only terms of their lists.
const vocab::TermCatalog& BenchVocabulary() {
  static const vocab::TermCatalog* const terms = [] {
    auto* catalog = new vocab::TermCatalog();
    catalog->PutActive(vocab::Vocabulary::kDistricts, "kita", "北区", "きたく");
    catalog->PutActive(vocab::Vocabulary::kIssueTags, "hikikomori", "hikikomori");
    return catalog;
  }();
  return *terms;
}

using Steady = std::chrono::steady_clock;

constexpr double kGoalP99Us = 5000;
constexpr int kMaxChannels = 8;
constexpr double kSliceSeconds = 0.5;
constexpr double kSliceWarmupSeconds = 0.05;
constexpr int kBatchItems = 1000;
constexpr char kCoordinator[] = "coordinator";

struct Flags {
  int cases = 100000;
  int dates_per_case = 10;
  int extra_items = 900000;
  double seconds = 2.0;
  int rounds = 3;
  std::vector<int> concurrency = {1, 16, 64};
  int store_calls = 2000;
  int seed = 20261122;
};

[[noreturn]] void Fail(const std::string& what, const Status& status) {
  std::fprintf(stderr, "worklist_bench: %s: %s\n", what.c_str(), status.ToString().c_str());
  std::exit(1);
}

void Check(const std::string& what, const Status& status) {
  if (!status.ok()) Fail(what, status);
}

double SecondsSince(Steady::time_point start) {
  return std::chrono::duration<double>(Steady::now() - start).count();
}

// ---- loading ----

struct LoadStats {
  double seconds = 0;
  int due_in_default_window = 0;  // items due within today + 14 days (what page 1 draws from)
};

// Loads the data into `storage` (the stopped server's database, opened with its `keyring`).
LoadStats Load(const Flags& flags, std::shared_ptr<const storage::Keyring> keyring,
               const Clock& clock, storage::Storage& storage) {
  const auto start = Steady::now();
  directory::AgencyStore agencies(storage, BenchVocabulary(), clock);
  cases::CaseKeyring keys(keyring);
  cases::CaseStore cases(storage, agencies, BenchVocabulary(), keys, clock);
  monitoring::MonitoringStore monitoring(storage, cases, clock);
  {
    v1::Agency agency;
    agency.set_display_name("架空市北第一地域包括支援センター");
    agency.set_kana("カクウシキタダイイチ");
    agency.set_kind(v1::COMMUNITY_GENERAL_SUPPORT_CENTER);
    storage::WriteBatch batch(storage);
    Check("agency", agencies.PrepareCreate("kita-1", agency, &batch).status());
    Check("agency commit", storage.CommitUnsynced(batch));
  }
  std::mt19937_64 rng(static_cast<uint64_t>(flags.seed));
  const v1::Date today = JstDateOf(clock.Now());
  const int window = worklist::DayNumber(worklist::AddDays(today, 14));
  LoadStats stats;

  // Intake, one commit each (the id and case-number sequences are read from storage).
  v1::Case input;
  auto* member = input.add_members();
  member->set_member_id("m1");
  member->set_display_name("架空 太郎");
  member->set_principal(true);
  member->add_issue_tags("hikikomori");
  input.set_district("kita");
  input.set_referring_agency("agencies/kita-1");
  input.set_presenting_problem("母の認知症が進み、長男は外出していない");
  std::vector<std::string> names;
  names.reserve(flags.cases);
  for (int i = 0; i < flags.cases; ++i) {
    storage::WriteBatch batch(storage);
    auto created = cases.PrepareCreate(kCoordinator, "bench-" + std::to_string(i), input, &batch);
    if (!created.ok()) Fail("intake", created.status());
    Check("intake commit", storage.CommitUnsynced(batch));
    names.push_back(created->name());
    if ((i + 1) % 20000 == 0) {
      std::fprintf(stderr, "  %d cases opened (%.0f s)\n", i + 1, SecondsSince(start));
    }
  }
  // Coordination and schedules: different cases, so many share a batch.
  for (size_t begin = 0; begin < names.size(); begin += kBatchItems) {
    const size_t end = std::min(names.size(), begin + kBatchItems);
    storage::WriteBatch moves(storage);
    for (size_t i = begin; i < end; ++i) {
      v1::TransitionCaseRequest move;
      move.set_name(names[i]);
      move.set_to(v1::COORDINATING);
      Check("coordination", cases.PrepareTransition(kCoordinator, move, &moves).status());
    }
    Check("coordination commit", storage.CommitUnsynced(moves));
    storage::WriteBatch schedules(storage);
    for (size_t i = begin; i < end; ++i) {
      v1::SetMonitoringScheduleRequest set;
      set.set_name(names[i] + "/monitoring");
      set.set_track(i % 4 == 0 ? v1::WORK : v1::LIFE);
      // `dates_per_case` distinct days over the next year, ascending.
      std::vector<int> offsets;
      while (static_cast<int>(offsets.size()) < flags.dates_per_case) {
        const int offset = 1 + static_cast<int>(rng() % 365);
        if (std::find(offsets.begin(), offsets.end(), offset) == offsets.end()) {
          offsets.push_back(offset);
        }
      }
      std::sort(offsets.begin(), offsets.end());
      for (int offset : offsets)
        *set.mutable_schedule()->add_dates() = worklist::AddDays(today, offset);
      auto record = monitoring.PrepareSetSchedule(set, &schedules);
      if (!record.ok()) Fail("schedule", record.status());
      if (worklist::DayNumber(record->next_check_date()) <= window) ++stats.due_in_default_window;
    }
    Check("schedule commit", storage.CommitUnsynced(schedules));
    if (end % 20000 == 0) {
      std::fprintf(stderr, "  %zu cases scheduled (%.0f s)\n", end, SecondsSince(start));
    }
  }
  // The other kinds, as meetings and plans write them.
  for (int begin = 0; begin < flags.extra_items; begin += kBatchItems) {
    storage::WriteBatch batch(storage);
    for (int i = begin; i < std::min(flags.extra_items, begin + kBatchItems); ++i) {
      const size_t owner_case = static_cast<size_t>(rng() % names.size());
      v1::DueItem item;
      const bool review = i % 3 == 0;
      item.set_kind(review ? v1::PLAN_REVIEW_DUE : v1::ASSIGNMENT_DUE);
      item.set_case_(names[owner_case]);
      item.set_case_number("R8-" + std::to_string(owner_case + 1));
      item.set_subject(review ? names[owner_case] + "/plans/" + std::to_string(i)
                              : "meetings/" + std::to_string(i) + "#r1");
      if (!review) item.set_agency("agencies/kita-1");
      const int offset = 1 + static_cast<int>(rng() % 365);
      *item.mutable_due_date() = worklist::AddDays(today, offset);
      if (worklist::DayNumber(item.due_date()) <= window) ++stats.due_in_default_window;
      Check("extra item", worklist::PrepareSetDue(storage, item, {"users/coordinator"}, &batch));
    }
    Check("extra commit", storage.CommitUnsynced(batch));
  }
  stats.seconds = SecondsSince(start);
  return stats;
}

// ---- in-process store timing ----

struct StoreTiming {
  double p50_us = NAN;
  double p99_us = NAN;
  double max_us = NAN;
};

// MonitoringStore::ListDue as ListDueItems calls it (default page size, due_by today + 14), from
// the start and from positions spread over the list (as later pages do).
StoreTiming TimeStore(const monitoring::MonitoringStore& store, const Clock& clock,
                      const std::vector<std::string>& positions, int calls, int expected) {
  const v1::Date due_by = worklist::AddDays(JstDateOf(clock.Now()), 14);
  std::vector<float> samples;
  samples.reserve(calls);
  for (int i = 0; i < calls; ++i) {
    const std::string& after = i % 2 == 0 ? positions[0] : positions[i % positions.size()];
    const auto start = Steady::now();
    auto page = store.ListDue("users/coordinator", due_by, after, kDefaultPageSize);
    const float us = std::chrono::duration<float, std::micro>(Steady::now() - start).count();
    if (!page.ok()) Fail("ListDue", page.status());
    if (after.empty() && static_cast<int>(page->items.size()) != expected) {
      std::fprintf(stderr, "worklist_bench: a page of %zu items, expected %d\n", page->items.size(),
                   expected);
      std::exit(1);
    }
    samples.push_back(us);
  }
  StoreTiming timing;
  timing.p50_us = Percentile(samples, 0.5);
  timing.p99_us = Percentile(samples, 0.99);
  timing.max_us = *std::max_element(samples.begin(), samples.end());
  return timing;
}

// Positions inside the default window: "" (page 1) and the next_after of some later pages.
std::vector<std::string> Positions(const monitoring::MonitoringStore& store, const Clock& clock) {
  const v1::Date due_by = worklist::AddDays(JstDateOf(clock.Now()), 14);
  std::vector<std::string> positions = {""};
  std::string after;
  for (int page = 0; page < 400; ++page) {
    auto listed = store.ListDue("users/coordinator", due_by, after, kDefaultPageSize);
    if (!listed.ok()) Fail("ListDue", listed.status());
    if (listed->next_after.empty()) break;
    after = listed->next_after;
    if (page % 20 == 19) positions.push_back(after);
  }
  return positions;
}

// ---- RPC measurement ----

enum Kind { kEcho = 0, kInfo = 1, kAudited = 2, kList = 3, kTargets = 4 };
constexpr const char* kTargetNames[kTargets] = {"echo", "info", "audited", "ListDueItems"};

struct Tally {
  uint64_t calls = 0;
  double seconds = 0;
  std::vector<float> latencies_us;
};

struct Measurement {
  double qps = 0;
  double p50_us = NAN;
  double p99_us = NAN;
};

Measurement ResultOf(Tally& tally) {
  return {tally.calls / tally.seconds, Percentile(tally.latencies_us, 0.50),
          Percentile(tally.latencies_us, 0.99)};
}

grpc::Status CallOnce(Kind kind, const std::shared_ptr<grpc::Channel>& channel, int expected) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  if (kind == kList) {
    auto stub = v1::Monitoring::NewStub(channel);
    v1::ListDueItemsResponse response;
    grpc::Status status = stub->ListDueItems(&context, v1::ListDueItemsRequest(), &response);
    if (status.ok() && response.items_size() != expected) {
      return grpc::Status(grpc::StatusCode::INTERNAL,
                          "a page of " + std::to_string(response.items_size()) + " items");
    }
    return status;
  }
  auto stub = v1::Admin::NewStub(channel);
  if (kind == kAudited) {
    v1::GetUserRequest request;
    request.set_name("users/coordinator");
    v1::User user;
    return stub->GetUser(&context, request, &user);
  }
  v1::ServerInfo info;
  return stub->GetServerInfo(&context, v1::GetServerInfoRequest(), &info);
}

void RunSlice(Kind kind, const Target& target, int concurrency, double warmup, double seconds,
              int expected, Tally* tally) {
  const int channels = std::min<int>(concurrency, static_cast<int>(target.channels.size()));
  std::atomic<int> phase{0};
  std::atomic<int> errors{0};
  std::vector<std::vector<float>> latencies(concurrency);
  std::vector<std::thread> clients;
  for (int i = 0; i < concurrency; ++i) {
    clients.emplace_back([&, i] {
      auto& mine = latencies[i];
      while (true) {
        const int before = phase.load(std::memory_order_relaxed);
        if (before == 2) break;
        const auto start = Steady::now();
        grpc::Status status = CallOnce(kind, target.channels[i % channels], expected);
        const auto end = Steady::now();
        if (!status.ok()) {
          if (errors.fetch_add(1) == 0) {
            std::fprintf(stderr, "worklist_bench: %s: %s\n", target.name.c_str(),
                         status.error_message().c_str());
          }
          continue;
        }
        if (before == 1 && phase.load(std::memory_order_relaxed) == 1) {
          mine.push_back(std::chrono::duration<float, std::micro>(end - start).count());
        }
      }
    });
  }
  const double measured = MeasureWindow(phase, warmup, seconds);
  for (auto& client : clients) client.join();
  if (errors > 0) {
    std::fprintf(stderr, "worklist_bench: %d failed calls to %s\n", errors.load(),
                 target.name.c_str());
    std::exit(1);
  }
  for (auto& mine : latencies) {
    tally->calls += mine.size();
    tally->latencies_us.insert(tally->latencies_us.end(), mine.begin(), mine.end());
  }
  tally->seconds += measured;
}

// Slices A B C C B A ... (A rotating with the round) until each target has had `seconds`.
std::array<Measurement, kTargets> Interleave(const std::array<const Target*, kTargets>& targets,
                                             int concurrency, double seconds, int rotation,
                                             int expected) {
  std::array<int, kTargets> order;
  for (int t = 0; t < kTargets; ++t) order[t] = (t + rotation) % kTargets;
  for (int t : order) {
    Tally discard;
    RunSlice(static_cast<Kind>(t), *targets[t], concurrency, 0, 0.3, expected, &discard);
  }
  const int passes = std::max(2, static_cast<int>(std::lround(seconds / kSliceSeconds)));
  std::array<Tally, kTargets> tallies;
  for (int pass = 0; pass < passes; ++pass) {
    for (int k = 0; k < kTargets; ++k) {
      const int t = pass % 2 == 0 ? order[k] : order[kTargets - 1 - k];
      RunSlice(static_cast<Kind>(t), *targets[t], concurrency, kSliceWarmupSeconds,
               seconds / passes, expected, &tallies[t]);
    }
  }
  std::array<Measurement, kTargets> out;
  for (int t = 0; t < kTargets; ++t) out[t] = ResultOf(tallies[t]);
  return out;
}

int Main(int argc, char** argv) {
  Flags flags;
  ParseFlags(argc, argv,
             "worklist_bench [--cases 100000] [--dates-per-case 10] [--extra-items 900000] "
             "[--seconds 2] [--rounds 3] [--concurrency 1,16,64] [--store-calls 2000] "
             "[--seed 20261122]",
             FlagSpec{{{"--seconds", &flags.seconds}},
                      {{"--cases", &flags.cases},
                       {"--dates-per-case", &flags.dates_per_case},
                       {"--extra-items", &flags.extra_items},
                       {"--rounds", &flags.rounds},
                       {"--store-calls", &flags.store_calls},
                       {"--seed", &flags.seed}},
                      {{"--concurrency", &flags.concurrency}}});
  if (flags.dates_per_case > 365) {
    std::fprintf(stderr, "worklist_bench: --dates-per-case is at most 365\n");
    return 2;
  }
  log::SetMinimumLevel(log::Level::kWarning);
  const Clock& clock = SystemClock::Instance();

  testing::TestServer server;  // creates the sample users; production mode, mutual TLS
  server.Stop();
  std::printf(
      "worklist_bench: %d cases of one coordinator, %d listed check dates each over the next "
      "year (%lld scheduled checks), %d further work-list items; %u hardware threads\n\n",
      flags.cases, flags.dates_per_case, static_cast<long long>(flags.cases) * flags.dates_per_case,
      flags.extra_items, std::thread::hardware_concurrency());
  int expected = 0;
  {
    storage::StorageOptions options;
    options.path = server.config().data_dir;
    options.keyring = server.keyring();
    auto opened = storage::Storage::Open(options);
    if (!opened.ok()) Fail("opening the data directory", opened.status());
    storage::Storage& storage = **opened;
    const LoadStats load = Load(flags, server.keyring(), clock, storage);
    expected = std::min(load.due_in_default_window, kDefaultPageSize);
    const auto storage_stats = storage.Stats();
    std::printf("load: %.1f s; %d work-list items due within 14 days; about %llu keys\n\n",
                load.seconds, load.due_in_default_window,
                static_cast<unsigned long long>(storage_stats.estimated_keys));

    directory::AgencyStore agencies(storage, BenchVocabulary(), clock);
    cases::CaseKeyring keys(server.keyring());
    cases::CaseStore cases(storage, agencies, BenchVocabulary(), keys, clock);
    monitoring::MonitoringStore monitoring(storage, cases, clock);
    const std::vector<std::string> positions = Positions(monitoring, clock);
    std::printf(
        "store: MonitoringStore::ListDue, page of %d, due_by today + 14, %d calls "
        "(half page 1, half %zu later pages)\n",
        kDefaultPageSize, flags.store_calls, positions.size() - 1);
    std::printf("  %-22s %10s %10s %10s\n", "state", "p50 us", "p99 us", "max us");
    StoreTiming loaded = TimeStore(monitoring, clock, positions, flags.store_calls, expected);
    std::printf("  %-22s %10.0f %10.0f %10.0f\n", "as loaded", loaded.p50_us, loaded.p99_us,
                loaded.max_us);
    Check("compaction", storage.CompactAll());
    StoreTiming compacted = TimeStore(monitoring, clock, positions, flags.store_calls, expected);
    std::printf("  %-22s %10.0f %10.0f %10.0f\n", "after CompactAll", compacted.p50_us,
                compacted.p99_us, compacted.max_us);
    std::printf("  goal p99 <= %.0f us: %s\n\n", kGoalP99Us,
                std::max(loaded.p99_us, compacted.p99_us) <= kGoalP99Us ? "met" : "NOT met");
  }
  server.Restart();

  EchoAdminService echo_service;
  TlsServer echo(server.ca(), server.config(), &echo_service);
  Target echo_target{"echo", {}}, info_target{"info", {}}, audited_target{"audited", {}},
      list_target{"ListDueItems", {}};
  for (int i = 0; i < kMaxChannels; ++i) {
    testing::KeyPair pair = server.ca().IssueClient(kCoordinator);
    echo_target.channels.push_back(client::Connect(client::ConnectionPems{
        echo.target(), server.ca().root_pem(), pair.certificate_pem, pair.private_key_pem}));
    info_target.channels.push_back(server.ChannelFor(kCoordinator));
    audited_target.channels.push_back(server.ChannelFor("admin"));
    list_target.channels.push_back(server.ChannelFor(kCoordinator));
  }
  for (const Target* target : {&echo_target, &info_target, &audited_target, &list_target}) {
    WaitConnected(*target);
  }
  const std::array<const Target*, kTargets> targets = {&echo_target, &info_target, &audited_target,
                                                       &list_target};

  std::printf(
      "rpc: closed loop, %d rounds, %.1f s measured per target and concurrency (%.1f s slices, "
      "alternating), min(concurrency, %d) TLS connections; latency in us\n",
      flags.rounds, flags.seconds, kSliceSeconds, kMaxChannels);
  std::printf("%-5s %5s %9s %9s %9s %9s %15s %9s %9s %9s\n", "round", "conc", "echo QPS",
              "info QPS", "audit QPS", "list QPS", "list p50/p99", "list/echo", "list/info",
              "list/aud");
  const size_t levels = flags.concurrency.size();
  std::vector<std::array<std::vector<Measurement>, kTargets>> runs(levels);
  std::vector<std::vector<double>> to_echo(levels), to_info(levels), to_audited(levels);
  for (int round = 0; round < flags.rounds; ++round) {
    for (size_t level = 0; level < levels; ++level) {
      const int c = flags.concurrency[level];
      auto m = Interleave(targets, c, flags.seconds, round, expected);
      for (int t = 0; t < kTargets; ++t) runs[level][t].push_back(m[t]);
      to_echo[level].push_back(m[kList].qps / m[kEcho].qps);
      to_info[level].push_back(m[kList].qps / m[kInfo].qps);
      to_audited[level].push_back(m[kList].qps / m[kAudited].qps);
      std::printf("%-5d %5d %9.0f %9.0f %9.0f %9.0f %6.0f / %-6.0f %9.3f %9.3f %9.3f\n", round + 1,
                  c, m[kEcho].qps, m[kInfo].qps, m[kAudited].qps, m[kList].qps, m[kList].p50_us,
                  m[kList].p99_us, to_echo[level].back(), to_info[level].back(),
                  to_audited[level].back());
      std::fflush(stdout);
    }
  }
  std::printf("\nmedians over %d rounds\n", flags.rounds);
  std::printf("%5s %-13s %10s %10s %10s\n", "conc", "target", "QPS", "p50 us", "p99 us");
  for (size_t level = 0; level < levels; ++level) {
    for (int t = 0; t < kTargets; ++t) {
      std::vector<double> qps, p50, p99;
      for (const auto& m : runs[level][t]) {
        qps.push_back(m.qps);
        p50.push_back(m.p50_us);
        p99.push_back(m.p99_us);
      }
      std::printf("%5d %-13s %10.0f %10.0f %10.0f\n", flags.concurrency[level], kTargetNames[t],
                  Median(qps), Median(p50), Median(p99));
    }
    std::printf(
        "%5d list/echo %.3f, list/info %.3f, list/audited %.3f (medians of the per-round "
        "ratios)\n",
        flags.concurrency[level], Median(to_echo[level]), Median(to_info[level]),
        Median(to_audited[level]));
  }
  return 0;
}

}  // namespace
}  // namespace casecoord::bench

int main(int argc, char** argv) { return casecoord::bench::Main(argc, argv); }
