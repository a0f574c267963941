// What the HTTP API (Connect protocol, issue 17) costs compared with gRPC for the same call, and
// what one sign-in costs.
//
// Part 1, GetCase: one real caseserver (casecoord::testing::TestServer: production mode, RocksDB
// on disk, 16 workers) with the HTTPS listener on (http-listen 127.0.0.1:0) is loaded with --cases
// cases. Then closed-loop clients (one call at a time each, one thread and one TLS connection per
// client, all as user "coordinator" with its client certificate) read random cases with
// Cases.GetCase, an audited read, through
//   grpc        the generated stub (HTTP/2, protobuf), one channel per client;
//   http-json   POST /casecoord.v1.Cases/GetCase, application/json, with httplib::SSLClient
//               (HTTP/1.1 keep-alive, the client certificate), one client per thread;
//   http-proto  the same with application/proto (at concurrency 16 only), on the same clients.
// The targets are measured in alternating slices (A B C C B A ...) so that noise from the shared
// machine hits them alike. The figure that matters is http-json QPS / grpc QPS at concurrency 16
// (goal >= 0.7), the median of the per-round ratios. The HTTP clients check the status (200) and
// the content type, but do not parse the JSON (the gRPC stub parses its protobuf): the figure is
// about the server, and the clients share its cores.
//
// Part 2, sign-in: auth::SignIn::Start on its own database (no server), with the default argon2id
// parameters (services/auth/password.h), --sign-ins times each for a right password with the right
// code, a wrong password, and an unknown user, interleaved; the median of each. A ManualClock moves
// one TOTP step between rounds (a code is accepted only once), and the success of each round
// resets the failure count (so the wrong password never locks the account).
//
//   http_bench [--seconds S] [--rounds R] [--cases N] [--concurrency 1,16] [--sign-ins N]
//              [--sign-in-only 1]
//
// This is a program, not a test: it prints figures and never fails on them.

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_support.h"
#include "casecoord/v1/cases.grpc.pb.h"
#include "casecoord/v1/directory.grpc.pb.h"
#include "services/auth/audit_log.h"
#include "services/auth/sign_in.h"
#include "services/auth/totp.h"
#include "services/auth/user_registry.h"
#include "services/common/clock.h"
#include "services/common/grpc_errors.h"
#include "services/common/log.h"
#include "services/storage/storage.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_pki.h"
#include "tests/support/test_server.h"
// Last: <netdb.h>, which httplib.h brings, defines macros (NO_DATA, ...) that collide with
// generated enum values.
#include <httplib.h>

namespace casecoord::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr double kGoal = 0.7;
constexpr double kSliceSeconds = 0.5;
constexpr double kSliceWarmupSeconds = 0.05;
constexpr char kReader[] = "coordinator";
constexpr char kGetCasePath[] = "/casecoord.v1.Cases/GetCase";

struct Flags {
  double seconds = 3.0;
  int rounds = 3;
  int cases = 200;
  std::vector<int> concurrency = {1, 16};
  int sign_ins = 10;
  int sign_in_only = 0;
};

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "http_bench: %s\n", what.c_str());
  std::exit(1);
}

std::unique_ptr<grpc::ClientContext> Context() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  return context;
}

// One client's way of reading a case; false (with *error set) if the call failed.
class Caller {
 public:
  virtual ~Caller() = default;
  virtual bool GetCase(const std::string& name, std::string* error) = 0;
};

class GrpcCaller : public Caller {
 public:
  explicit GrpcCaller(std::shared_ptr<grpc::Channel> channel)
      : stub_(v1::Cases::NewStub(std::move(channel))) {}
  bool GetCase(const std::string& name, std::string* error) override {
    v1::GetCaseRequest request;
    request.set_name(name);
    v1::Case response;
    grpc::Status status = stub_->GetCase(Context().get(), request, &response);
    if (!status.ok()) *error = DescribeGrpcError(status);
    return status.ok();
  }

 private:
  std::unique_ptr<v1::Cases::Stub> stub_;
};

// The files an httplib::SSLClient reads: the CA root and the reader's certificate and key.
struct HttpClientFiles {
  std::string ca;
  std::string certificate;
  std::string key;
};

// Connections found closed after idling (HttpCaller); printed so that a surprise shows.
std::atomic<int> reconnects{0};

// One keep-alive HTTPS connection, JSON or protobuf bodies.
class HttpCaller : public Caller {
 public:
  HttpCaller(std::shared_ptr<httplib::SSLClient> client, bool proto)
      : client_(std::move(client)), proto_(proto) {}
  bool GetCase(const std::string& name, std::string* error) override {
    std::string body;
    if (proto_) {
      v1::GetCaseRequest request;
      request.set_name(name);
      body = request.SerializeAsString();
    } else {
      body = "{\"name\":\"" + name + "\"}";
    }
    const char* type = proto_ ? "application/proto" : "application/json";
    httplib::Result result = client_->Post(kGetCasePath, body, type);
    if (!result && result.error() == httplib::Error::Write) {
      // The server closed the kept-alive connection while this client was idle (between slices,
      // longer than http-keepalive-timeout-ms): the request never left, so it is sent again on a
      // new connection, as browsers do.
      reconnects.fetch_add(1, std::memory_order_relaxed);
      result = client_->Post(kGetCasePath, body, type);
    }
    if (!result) {
      *error = "HTTP error " + httplib::to_string(result.error());
      return false;
    }
    if (result->status != 200 || result->get_header_value("Content-Type") != type) {
      *error = "HTTP " + std::to_string(result->status) + ": " + result->body.substr(0, 300);
      return false;
    }
    return true;
  }

 private:
  std::shared_ptr<httplib::SSLClient> client_;
  const bool proto_;
};

std::shared_ptr<httplib::SSLClient> NewHttpClient(int port, const HttpClientFiles& files) {
  auto client =
      std::make_shared<httplib::SSLClient>("127.0.0.1", port, files.certificate, files.key);
  client->set_ca_cert_path(files.ca.c_str());
  client->enable_server_certificate_verification(true);
  client->set_keep_alive(true);
  // As curl and browsers do: without it, a request whose headers and body go out in two writes
  // waits for the server's delayed acknowledgement.
  client->set_tcp_nodelay(true);
  client->set_connection_timeout(std::chrono::seconds(10));
  client->set_read_timeout(std::chrono::seconds(30));
  client->set_default_headers({{"Connect-Protocol-Version", "1"}});
  if (!client->is_valid()) Die("cannot set up the HTTPS client");
  return client;
}

struct Target {
  std::string name;
  std::vector<std::unique_ptr<Caller>> callers;  // one per client thread
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

// `concurrency` client threads, each with its own caller, reading random cases back to back:
// warm-up, then a measured window in which only calls that start and complete inside it count.
void RunSlice(Target& target, int concurrency, int cases, double warmup_seconds, double seconds,
              Tally* tally) {
  std::atomic<int> phase{0};  // 0 warm-up, 1 measuring, 2 stop
  std::atomic<int> errors{0};
  std::vector<std::vector<float>> latencies(concurrency);
  std::vector<std::thread> clients;
  for (int i = 0; i < concurrency; ++i) {
    clients.emplace_back([&, i] {
      std::mt19937_64 rng(i * 7919 + tally->calls);
      Caller& caller = *target.callers[i];
      auto& mine = latencies[i];
      mine.reserve(1 << 14);
      std::string error;
      while (true) {
        const int before = phase.load(std::memory_order_relaxed);
        if (before == 2) break;
        const std::string name = "cases/" + std::to_string(1 + rng() % cases);
        auto start = Clock::now();
        const bool ok = caller.GetCase(name, &error);
        auto end = Clock::now();
        if (!ok) {
          if (errors.fetch_add(1) == 0) {
            std::fprintf(stderr, "http_bench: %s: %s\n", target.name.c_str(), error.c_str());
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
    Die(std::to_string(errors.load()) + " failed calls to " + target.name);
  }
  for (auto& mine : latencies) {
    tally->calls += mine.size();
    tally->latencies_us.insert(tally->latencies_us.end(), mine.begin(), mine.end());
  }
  tally->seconds += measured;
}

// Warms every target, then alternates slices in forward and reverse order (A B C, C B A, ...),
// starting reversed on odd rounds, until each has had `seconds` of measured time.
std::vector<Measurement> Interleave(const std::vector<Target*>& targets, int concurrency, int cases,
                                    double seconds, int round) {
  for (Target* target : targets) {
    Tally discard;
    RunSlice(*target, concurrency, cases, 0, std::min(0.5, seconds / 4), &discard);
  }
  const int passes = std::max(2, static_cast<int>(std::lround(seconds / kSliceSeconds)));
  std::vector<Tally> tallies(targets.size());
  for (int pass = 0; pass < passes; ++pass) {
    const bool reversed = (pass + round) % 2 == 1;
    for (size_t k = 0; k < targets.size(); ++k) {
      const size_t t = reversed ? targets.size() - 1 - k : k;
      RunSlice(*targets[t], concurrency, cases, kSliceWarmupSeconds, seconds / passes, &tallies[t]);
    }
  }
  std::vector<Measurement> results;
  for (Tally& tally : tallies) results.push_back(ResultOf(tally));
  return results;
}

v1::CreateCaseRequest CaseRequest(int index) {
  static constexpr const char* kGivenNames[] = {"太郎", "花子", "次郎", "美咲", "健一", "陽子"};
  v1::CreateCaseRequest request;
  request.set_request_id("http-bench-" + std::to_string(index));
  v1::Case& record = *request.mutable_case_();
  for (int m = 1; m <= 1 + index % 4; ++m) {
    auto* member = record.add_members();
    member->set_member_id("m" + std::to_string(m));
    member->set_display_name(std::string("架空 ") + kGivenNames[(index + m) % 6]);
    member->mutable_birth_date()->set_year(1940 + index % 70);
    member->mutable_birth_date()->set_month(1 + index % 12);
    member->mutable_birth_date()->set_day(1 + index % 28);
    member->set_principal(m == 1);
    member->add_issue_tags("hikikomori");
  }
  record.set_district("kita");
  record.set_address("架空市北区" + std::to_string(1 + index % 5) + "丁目");
  record.set_referring_agency("agencies/a1");
  record.set_presenting_problem(
      "長期のひきこもりと家計の困窮。親の介護が必要になり、世帯の収入が途絶えている。");
  return request;
}

// Agency a1 and `cases` cases, named cases/1 ... cases/<cases>.
void Load(testing::TestServer& server, int cases) {
  v1::CreateAgencyRequest agency;
  agency.set_agency_id("a1");
  agency.mutable_agency()->set_display_name("架空相談支援センター");
  agency.mutable_agency()->set_kana("カクウソウダンシエン");
  agency.mutable_agency()->set_kind(v1::DISABILITY_CONSULTATION_OFFICE);
  v1::Agency created;
  auto status = v1::AgencyDirectory::NewStub(server.ChannelFor("admin"))
                    ->CreateAgency(Context().get(), agency, &created);
  if (!status.ok()) Die("CreateAgency: " + DescribeGrpcError(status));
  auto stub = v1::Cases::NewStub(server.ChannelFor(kReader));
  for (int i = 1; i <= cases; ++i) {
    v1::Case opened;
    status = stub->CreateCase(Context().get(), CaseRequest(i), &opened);
    if (!status.ok()) Die("CreateCase: " + DescribeGrpcError(status));
    if (opened.name() != "cases/" + std::to_string(i)) Die("unexpected name " + opened.name());
  }
}

// The same case over gRPC and HTTP/JSON must be the same message, or the comparison is void.
void CheckSameAnswer(testing::TestServer& server, httplib::SSLClient& client) {
  v1::GetCaseRequest request;
  request.set_name("cases/1");
  v1::Case over_grpc;
  auto status =
      v1::Cases::NewStub(server.ChannelFor(kReader))->GetCase(Context().get(), request, &over_grpc);
  if (!status.ok()) Die("GetCase: " + DescribeGrpcError(status));
  auto result = client.Post(kGetCasePath, R"({"name":"cases/1"})", "application/json");
  if (!result || result->status != 200) Die("GetCase over HTTP failed");
  v1::Case over_http;
  if (!google::protobuf::util::JsonStringToMessage(result->body, &over_http).ok()) {
    Die("GetCase over HTTP: not a Case: " + result->body.substr(0, 300));
  }
  if (!google::protobuf::util::MessageDifferencer::Equals(over_grpc, over_http)) {
    Die("GetCase over HTTP differs from gRPC");
  }
}

void PrintMedians(const Flags& flags, const std::vector<std::string>& names,
                  const std::vector<std::vector<std::vector<Measurement>>>& runs,
                  const std::vector<std::vector<double>>& ratios) {
  std::printf("\nmedians over %d rounds (ratio = median of the per-round ratios)\n", flags.rounds);
  std::printf("%5s %-11s %10s %10s %10s\n", "conc", "target", "QPS", "p50 us", "p99 us");
  for (size_t level = 0; level < runs.size(); ++level) {
    for (size_t t = 0; t < runs[level].size(); ++t) {
      if (runs[level][t].empty()) continue;
      std::vector<double> qps, p50, p99;
      for (const auto& m : runs[level][t]) {
        qps.push_back(m.qps);
        p50.push_back(m.p50_us);
        p99.push_back(m.p99_us);
      }
      std::printf("%5d %-11s %10.0f %10.0f %10.0f\n", flags.concurrency[level], names[t].c_str(),
                  Median(qps), Median(p50), Median(p99));
    }
  }
  std::printf("\n");
  for (size_t level = 0; level < runs.size(); ++level) {
    const double ratio = Median(ratios[level]);
    std::printf("ratio http-json/grpc QPS c=%d: %.2f%s\n", flags.concurrency[level], ratio,
                flags.concurrency[level] == 16
                    ? (ratio >= kGoal ? " (goal >= 0.70: met)" : " (goal >= 0.70: NOT met)")
                    : "");
  }
}

void RunGetCase(const Flags& flags) {
  testing::TestServer server;
  server.Stop();
  server.mutable_config().http_listen = "127.0.0.1:0";
  server.Restart();
  const int port = server.server().http_port();
  if (port == 0) Die("the HTTP listener did not start");
  Load(server, flags.cases);

  // The reader's certificate as files, from the server's own CA.
  testing::TempDir dir;
  server.ca().WriteTo(dir.Sub("pki"), {kReader});
  const HttpClientFiles files{dir.Sub("pki/ca.crt"), dir.Sub("pki/users/coordinator.crt"),
                              dir.Sub("pki/users/coordinator.key")};
  const int clients = *std::max_element(flags.concurrency.begin(), flags.concurrency.end());
  Target grpc_target{"grpc", {}}, json_target{"http-json", {}}, proto_target{"http-proto", {}};
  for (int i = 0; i < clients; ++i) {
    auto channel = server.ChannelFor(kReader);
    if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10))) {
      Die("cannot connect over gRPC");
    }
    grpc_target.callers.push_back(std::make_unique<GrpcCaller>(channel));
    // JSON and proto share each connection: an idle keep-alive connection holds one of the
    // listener's threads, so separate ones would make one target wait on the other's.
    auto client = NewHttpClient(port, files);
    if (i == 0) CheckSameAnswer(server, *client);
    json_target.callers.push_back(std::make_unique<HttpCaller>(client, false));
    proto_target.callers.push_back(std::make_unique<HttpCaller>(client, true));
  }
  const std::vector<std::string> names = {"grpc", "http-json", "http-proto"};

  std::printf(
      "http_bench: Cases.GetCase (audited read) of %d cases, closed loop, %d rounds, %.1f s "
      "measured per target and concurrency (in %.1f s slices, alternating), one thread and one "
      "TLS connection per client, %u hardware threads\n\n",
      flags.cases, flags.rounds, flags.seconds, kSliceSeconds, std::thread::hardware_concurrency());
  std::printf("%-5s %5s %-11s %10s %18s %10s\n", "round", "conc", "target", "QPS", "p50/p99 us",
              "/grpc");
  const size_t levels = flags.concurrency.size();
  // [level][target] one entry per round.
  std::vector<std::vector<std::vector<Measurement>>> runs(levels,
                                                          std::vector<std::vector<Measurement>>(3));
  std::vector<std::vector<double>> ratios(levels);
  for (int round = 0; round < flags.rounds; ++round) {
    for (size_t level = 0; level < levels; ++level) {
      const int c = flags.concurrency[level];
      std::vector<Target*> targets = {&grpc_target, &json_target};
      if (c == 16) targets.push_back(&proto_target);
      auto m = Interleave(targets, c, flags.cases, flags.seconds, round);
      for (size_t t = 0; t < m.size(); ++t) {
        runs[level][t].push_back(m[t]);
        std::printf("%-5d %5d %-11s %10.0f %8.0f / %-7.0f %10.3f\n", round + 1, c, names[t].c_str(),
                    m[t].qps, m[t].p50_us, m[t].p99_us, m[t].qps / m[0].qps);
      }
      ratios[level].push_back(m[1].qps / m[0].qps);
      std::fflush(stdout);
    }
  }
  PrintMedians(flags, names, runs, ratios);
  std::printf("HTTP requests sent again on a new connection after an idle close: %d\n",
              reconnects.load());
}

// A user "reader" with a password and an enrolled TOTP secret, on its own database.
class SignInFixture {
 public:
  SignInFixture() {
    storage::StorageOptions options;
    options.path = dir_.Sub("db");
    options.keyring = std::make_shared<storage::Keyring>(storage::KeyEncryptionKey::Generate());
    storage_ = Must(storage::Storage::Open(options));
    users_ = Must(auth::UserRegistry::Open(*storage_, clock_));
    audit_ = Must(auth::AuditLog::Open(*storage_, std::string(32, 'a'), clock_));
    v1::User user;
    user.set_display_name("reader");
    user.add_roles(v1::COORDINATOR);
    storage::WriteBatch batch(*storage_);
    auto created = Must(users_->PrepareCreate("reader", user, &batch));
    if (!storage_->Commit(batch).ok()) Die("commit");
    users_->Publish(created);
    // The default options: the default argon2id parameters.
    sign_in_ =
        std::make_unique<auth::SignIn>(*storage_, *audit_, *users_, clock_, auth::SignInOptions{});
    auto seeded = sign_in_->SeedCredential("reader", kPassword, kSecret);
    if (!seeded.ok() || !*seeded) Die("cannot seed the reader's credential");
    auth::VerifyAgainstDummy("warm-up");  // the dummy hash is made on the first call
  }

  // Milliseconds one Start takes; `expect_session` says whether it must succeed.
  double TimeStart(std::string_view user, std::string_view password, bool expect_session) {
    const std::string code = auth::TotpCode(kSecret, clock_.Now());
    auto start = Clock::now();
    auto result = sign_in_->Start(user, password, code, "http_bench");
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    if (result.ok() != expect_session || (expect_session && !result->session)) {
      Die("unexpected sign-in result for " + std::string(user));
    }
    return ms;
  }
  void NextStep() { clock_.Advance(std::chrono::seconds(30)); }

 private:
  static constexpr char kPassword[] = "a long enough passphrase for the bench";
  static constexpr char kSecret[] = "0123456789abcdefghij";  // 20 bytes

  template <typename T>
  static T Must(Result<T> result) {
    if (!result.ok()) Die(result.status().ToString());
    return std::move(*result);
  }

  testing::TempDir dir_;
  ManualClock clock_{std::chrono::system_clock::now()};
  std::unique_ptr<storage::Storage> storage_;
  std::unique_ptr<auth::UserRegistry> users_;
  std::unique_ptr<auth::AuditLog> audit_;
  std::unique_ptr<auth::SignIn> sign_in_;
};

void RunSignIn(const Flags& flags) {
  SignInFixture fixture;
  std::vector<double> right, wrong, unknown;
  for (int i = 0; i < flags.sign_ins; ++i) {
    fixture.NextStep();
    right.push_back(fixture.TimeStart("reader", "a long enough passphrase for the bench", true));
    wrong.push_back(fixture.TimeStart("reader", "not the passphrase at all, no", false));
    unknown.push_back(fixture.TimeStart("nobody", "a long enough passphrase for the bench", false));
  }
  auto range = [](const std::vector<double>& values) {
    return std::to_string(static_cast<int>(*std::min_element(values.begin(), values.end()))) + "-" +
           std::to_string(static_cast<int>(*std::max_element(values.begin(), values.end())));
  };
  auth::PasswordParams params;
  std::printf(
      "\nsign-in: auth::SignIn::Start, argon2id m=%u KiB t=%u p=%u (defaults), %d each, "
      "interleaved\n",
      params.memory_kib, params.time_cost, params.parallelism, flags.sign_ins);
  std::printf("%-28s %10s %14s\n", "case", "median ms", "min-max ms");
  std::printf("%-28s %10.1f %14s\n", "right password and code", Median(right),
              range(right).c_str());
  std::printf("%-28s %10.1f %14s\n", "wrong password", Median(wrong), range(wrong).c_str());
  std::printf("%-28s %10.1f %14s\n", "unknown user", Median(unknown), range(unknown).c_str());
}

int Main(int argc, char** argv) {
  Flags flags;
  ParseFlags(argc, argv,
             "http_bench [--seconds S] [--rounds R] [--cases N] [--concurrency 1,16] "
             "[--sign-ins N] [--sign-in-only 1]",
             FlagSpec{{{"--seconds", &flags.seconds}},
                      {{"--rounds", &flags.rounds},
                       {"--cases", &flags.cases},
                       {"--sign-ins", &flags.sign_ins},
                       {"--sign-in-only", &flags.sign_in_only}},
                      {{"--concurrency", &flags.concurrency}}});
  // The server's startup and shutdown lines would interleave with the table.
  log::SetMinimumLevel(log::Level::kWarning);
  if (flags.sign_in_only == 0) RunGetCase(flags);
  RunSignIn(flags);
  return 0;
}

}  // namespace
}  // namespace casecoord::bench

int main(int argc, char** argv) { return casecoord::bench::Main(argc, argv); }
