// What our server costs per call compared with an empty gRPC server: closed-loop clients (one unary
// call at a time each) against
//   echo        an in-process Admin service whose GetServerInfo finishes at once on gRPC's reactor
//               thread with an empty response, behind the same mutual TLS as ours, and
//   caseserver  the real server (casecoord::testing::TestServer, production mode, mutual TLS),
//               whose GetServerInfo hops to the worker pool and reads storage statistics.
// Both run in this process on the same machine and are measured in alternating half-second slices
// (A B B A ...), so noise from the shared machine hits both alike. The figure that matters is
// caseserver QPS / echo QPS per concurrency (goal >= 0.9), the median of the per-round ratios.
//
//   rpc_bench [--seconds S] [--rounds R] [--concurrency 1,16,64]
//
// This is a program, not a test: it prints figures and never fails on them.

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
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
#include "services/common/log.h"
#include "tests/support/test_pki.h"
#include "tests/support/test_server.h"

namespace casecoord::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr double kGoal = 0.9;
constexpr int kMaxChannels = 8;
constexpr double kSliceSeconds = 0.5;
// Long enough for freshly started client threads to have their first call in flight.
constexpr double kSliceWarmupSeconds = 0.05;

struct Flags {
  double seconds = 3.0;
  int rounds = 3;
  std::vector<int> concurrency = {1, 16, 64};
};

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
  return Measurement{tally.calls / tally.seconds, Percentile(tally.latencies_us, 0.50),
                     Percentile(tally.latencies_us, 0.99)};
}

// `concurrency` client threads, each with a blocking stub on channel (i mod channels), calling
// GetServerInfo back to back: warm-up, then a measured window in which only calls that start and
// complete inside it count.
void RunSlice(const Target& target, int concurrency, double warmup_seconds, double seconds,
              Tally* tally) {
  const int channels = std::min<int>(concurrency, static_cast<int>(target.channels.size()));
  std::atomic<int> phase{0};  // 0 warm-up, 1 measuring, 2 stop
  std::atomic<int> errors{0};
  std::vector<std::vector<float>> latencies(concurrency);
  std::vector<std::thread> clients;
  for (int i = 0; i < concurrency; ++i) {
    clients.emplace_back([&, i] {
      auto stub = v1::Admin::NewStub(target.channels[i % channels]);
      auto& mine = latencies[i];
      mine.reserve(1 << 14);
      v1::GetServerInfoRequest request;
      while (true) {
        int before = phase.load(std::memory_order_relaxed);
        if (before == 2) break;
        grpc::ClientContext context;
        context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
        v1::ServerInfo response;
        auto start = Clock::now();
        grpc::Status status = stub->GetServerInfo(&context, request, &response);
        auto end = Clock::now();
        if (!status.ok()) {
          if (errors.fetch_add(1) == 0) {
            std::fprintf(stderr, "rpc_bench: %s: %s\n", target.name.c_str(),
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
  const double measured = MeasureWindow(phase, warmup_seconds, seconds);
  for (auto& client : clients) client.join();
  if (errors > 0) {
    // Failed calls are fast; counting them would flatter the target, so the figures are void.
    std::fprintf(stderr, "rpc_bench: %d failed calls to %s\n", errors.load(), target.name.c_str());
    std::exit(1);
  }
  for (auto& mine : latencies) {
    tally->calls += mine.size();
    tally->latencies_us.insert(tally->latencies_us.end(), mine.begin(), mine.end());
  }
  tally->seconds += measured;
}

// Warms both targets, then alternates slices A B B A A B ... (A = `first`) until each has had
// `seconds` of measured time.
std::array<Measurement, 2> Interleave(const std::array<const Target*, 2>& targets, int concurrency,
                                      double seconds, int first) {
  for (int t : {first, 1 - first}) {
    Tally discard;
    RunSlice(*targets[t], concurrency, 0, std::min(0.5, seconds / 4), &discard);
  }
  int pairs = std::max(2, static_cast<int>(std::lround(seconds / kSliceSeconds)));
  std::array<Tally, 2> tallies;
  for (int i = 0; i < pairs; ++i) {
    int a = i % 2 == 0 ? first : 1 - first;
    for (int t : {a, 1 - a}) {
      RunSlice(*targets[t], concurrency, kSliceWarmupSeconds, seconds / pairs, &tallies[t]);
    }
  }
  return {ResultOf(tallies[0]), ResultOf(tallies[1])};
}

int Main(int argc, char** argv) {
  Flags flags;
  ParseFlags(argc, argv, "rpc_bench [--seconds S] [--rounds R] [--concurrency 1,16,64]",
             FlagSpec{{{"--seconds", &flags.seconds}},
                      {{"--rounds", &flags.rounds}},
                      {{"--concurrency", &flags.concurrency}}});
  // The server's startup and shutdown lines would interleave with the table.
  log::SetMinimumLevel(log::Level::kWarning);

  testing::TestServer caseserver;  // production mode, mutual TLS, 16 workers
  EchoAdminService echo_service;
  TlsServer echo(caseserver.ca(), caseserver.config(), &echo_service);

  // caseserver answers only registered, active users (an unknown one would be refused, and the
  // refusal audited with a synced write), so clients use the TestServer's sample users.
  std::vector<std::string> users;
  for (const auto& user : testing::kSampleUsers) {
    if (user != "disabled") users.push_back(user);
  }
  Target echo_target{"echo", {}};
  Target ours_target{"caseserver", {}};
  for (int i = 0; i < kMaxChannels; ++i) {
    const std::string& user = users[i % users.size()];
    testing::KeyPair pair = caseserver.ca().IssueClient(user);
    echo_target.channels.push_back(client::Connect(client::ConnectionPems{
        echo.target(), caseserver.ca().root_pem(), pair.certificate_pem, pair.private_key_pem}));
    ours_target.channels.push_back(caseserver.ChannelFor(user));
  }
  WaitConnected(echo_target);
  WaitConnected(ours_target);
  const std::array<const Target*, 2> targets = {&echo_target, &ours_target};

  std::printf(
      "rpc_bench: Admin.GetServerInfo, closed loop, %d rounds, %.1f s measured per target and "
      "concurrency (in %.1f s slices, alternating), min(concurrency, %d) TLS connections, one "
      "thread per client, %u hardware threads\n\n",
      flags.rounds, flags.seconds, kSliceSeconds, kMaxChannels,
      std::thread::hardware_concurrency());
  std::printf("%-5s %5s %12s %18s %16s %18s %10s\n", "round", "conc", "echo QPS", "echo p50/p99 us",
              "caseserver QPS", "ours p50/p99 us", "ours/echo");

  const size_t levels = flags.concurrency.size();
  // [level][target] one entry per round.
  std::vector<std::array<std::vector<Measurement>, 2>> runs(levels);
  std::vector<std::vector<double>> ratios(levels);
  for (int round = 0; round < flags.rounds; ++round) {
    for (size_t level = 0; level < levels; ++level) {
      int c = flags.concurrency[level];
      auto m = Interleave(targets, c, flags.seconds, round % 2);
      for (int t : {0, 1}) runs[level][t].push_back(m[t]);
      double ratio = m[1].qps / m[0].qps;
      ratios[level].push_back(ratio);
      std::printf("%-5d %5d %12.0f %8.0f / %-7.0f %16.0f %8.0f / %-7.0f %10.3f\n", round + 1, c,
                  m[0].qps, m[0].p50_us, m[0].p99_us, m[1].qps, m[1].p50_us, m[1].p99_us, ratio);
      std::fflush(stdout);
    }
  }

  std::printf("\nmedians over %d rounds (ratio = median of the per-round ratios)\n", flags.rounds);
  std::printf("%5s %12s %10s %10s %16s %10s %10s %10s\n", "conc", "echo QPS", "echo p50",
              "echo p99", "caseserver QPS", "ours p50", "ours p99", "ours/echo");
  for (size_t level = 0; level < levels; ++level) {
    std::array<Measurement, 2> median;
    for (int t : {0, 1}) {
      std::vector<double> qps, p50, p99;
      for (const auto& m : runs[level][t]) {
        qps.push_back(m.qps);
        p50.push_back(m.p50_us);
        p99.push_back(m.p99_us);
      }
      median[t] = Measurement{Median(qps), Median(p50), Median(p99)};
    }
    std::printf("%5d %12.0f %10.0f %10.0f %16.0f %10.0f %10.0f %10.3f\n", flags.concurrency[level],
                median[0].qps, median[0].p50_us, median[0].p99_us, median[1].qps, median[1].p50_us,
                median[1].p99_us, Median(ratios[level]));
  }
  std::printf("\n");
  for (size_t level = 0; level < levels; ++level) {
    double ratio = Median(ratios[level]);
    std::printf("ratio caseserver/echo QPS c=%d: %.2f (goal >= %.2f: %s)\n",
                flags.concurrency[level], ratio, kGoal, ratio >= kGoal ? "met" : "NOT met");
  }
  return 0;
}

}  // namespace
}  // namespace casecoord::bench

int main(int argc, char** argv) { return casecoord::bench::Main(argc, argv); }
