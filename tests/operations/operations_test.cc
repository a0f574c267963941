// Issue 19's operations, on the real caseserver run as `make run` runs it (support/dev_server):
// /metrics under load checked by promtool, the access log, the refusals of production mode, and
// scheduled backups copied to an S3-compatible store (support/fake_s3) and restored from the copy.
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/dev_server.h"
#include "tests/support/fake_s3.h"
#include "tests/support/process_run.h"
#include "tests/support/temp_dir.h"

namespace casecoord {
namespace {

// GET /metrics from the scraper's listener.
std::string Scrape(int port) {
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(10, 0);
  auto answer = client.Get("/metrics");
  if (!answer || answer->status != 200) return "";
  EXPECT_EQ(answer->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  return answer->body;
}

// The value of the sample written exactly as `series` (name and labels as rendered), or -1.
double SampleValue(const std::string& text, const std::string& series) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return -1;
}

// promtool's verdict on `text` (its lint included): exit code and what it printed.
testing::ProcessRun Promtool(const std::string& text, const std::string& scratch) {
  const std::string file = scratch + "/metrics.txt";
  std::ofstream(file) << text;
  return testing::RunProcess({"/bin/sh", "-c", "promtool check metrics < \"$0\"", file}, scratch);
}

// An HTTPS client of the Connect API with a user's development certificate (channel "http").
std::unique_ptr<httplib::SSLClient> ConnectClient(const std::string& root, int port,
                                                  const std::string& user) {
  const std::string pki = root + "/var/dev/pki";
  auto client = std::make_unique<httplib::SSLClient>(
      "127.0.0.1", port, pki + "/users/" + user + ".crt", pki + "/users/" + user + ".key");
  client->set_ca_cert_path(pki + "/ca.crt");
  client->enable_server_certificate_verification(true);
  client->set_read_timeout(30, 0);
  return client;
}

int CallJson(httplib::SSLClient& client, const std::string& path, const std::string& body) {
  auto answer = client.Post(path, {{"Connect-Protocol-Version", "1"}}, body, "application/json");
  return answer ? answer->status : 0;
}

class OperationsTest : public ::testing::Test {
 protected:
  void SetUp() override { testing::LayOutRepository(root_.path(), CASESERVER_PATH, CASECTL_PATH); }
  testing::TempDir root_, scratch_;
};

TEST_F(OperationsTest, MetricsCountTheCallsOfALoadAndPassPromtool) {
  testing::SpawnOptions options;
  options.stdout_path = scratch_.Sub("access.log");
  testing::DevServer server = testing::StartDevServer(root_.path(), {}, options);
  ASSERT_GT(server.grpc_port, 0) << server.log;
  ASSERT_GT(server.metrics_port, 0) << "no \"metrics listener serving\" line:\n" << server.log;
  ASSERT_GT(server.http_port, 0) << server.log;

  // Four clients call at once while a scraper reads. The rate limiter may turn some calls away
  // (RESOURCE_EXHAUSTED): whatever the clients saw, the metrics must count the same. The search
  // term is a household name, which must reach neither the metrics nor the access log.
  constexpr int kClients = 4, kCallsEach = 40;
  const std::map<int, std::string> kCodeOfHttpStatus = {
      {200, "OK"}, {404, "NOT_FOUND"}, {429, "RESOURCE_EXHAUSTED"}};
  std::mutex seen_mutex;
  std::map<std::pair<std::string, std::string>, int> seen;  // (method, code) -> answers
  std::atomic<bool> loading{true};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&] {
      auto client = ConnectClient(root_.path(), server.http_port, "coordinator");
      for (int i = 0; i < kCallsEach; ++i) {
        for (const auto& [method, body] :
             {std::pair<std::string, std::string>{"ListCases", R"({"pageSize":5})"},
              {"GetCase", R"({"name":"cases/987654"})"}}) {
          const int status = CallJson(*client, "/casecoord.v1.Cases/" + method, body);
          auto code = kCodeOfHttpStatus.find(status);
          std::lock_guard<std::mutex> lock(seen_mutex);
          ++seen[{method, code == kCodeOfHttpStatus.end() ? std::to_string(status) : code->second}];
        }
      }
    });
  }
  std::thread scraper([&] {
    while (loading) {
      EXPECT_FALSE(Scrape(server.metrics_port).empty());
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  for (auto& thread : clients) thread.join();
  loading = false;
  scraper.join();
  EXPECT_GT((seen[{"ListCases", "OK"}]), 0);
  EXPECT_GT((seen[{"GetCase", "NOT_FOUND"}]), 0);
  {
    auto client = ConnectClient(root_.path(), server.http_port, "coordinator");
    std::this_thread::sleep_for(std::chrono::seconds(2));  // the rate limiter's bucket refills
    EXPECT_EQ(CallJson(*client, "/casecoord.v1.Cases/SearchCases", R"({"name":"山田花子"})"), 200);
  }

  // A gRPC call too (casectl, channel "grpc"), and one to a method that does not exist.
  const testing::ProcessRun casectl = testing::RunProcess(
      {"/bin/sh", "-c",
       "cd \"$0\" && CASECTL_SERVER=127.0.0.1:$1 build/clients/cli/casectl --user coordinator "
       "case list",
       root_.path(), std::to_string(server.grpc_port)},
      scratch_.path());
  EXPECT_EQ(casectl.exit_code, 0) << casectl.out << casectl.err;
  {
    auto client = ConnectClient(root_.path(), server.http_port, "coordinator");
    CallJson(*client, "/casecoord.v1.Cases/NoSuchMethod", "{}");
  }

  const std::string metrics = Scrape(server.metrics_port);
  const testing::ProcessRun check = Promtool(metrics, scratch_.path());
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err << "\n" << metrics;

  const std::string calls = "casecoord_rpc_requests_total{service=\"casecoord.v1.Cases\",";
  int get_case_calls = 0;
  for (const auto& [method_code, count] : seen) {
    const auto& [method, code] = method_code;
    // casectl's one ListCases is counted on top of the clients'.
    const int expected = count + (method == "ListCases" && code == "OK" ? 1 : 0);
    EXPECT_EQ(SampleValue(metrics, calls + "method=\"" + method + "\",code=\"" + code + "\"}"),
              expected)
        << method << " " << code;
    if (method == "GetCase") get_case_calls += count;
  }
  EXPECT_EQ(get_case_calls, kClients * kCallsEach);
  EXPECT_EQ(SampleValue(metrics,
                        "casecoord_rpc_duration_seconds_count{service=\"casecoord.v1.Cases\","
                        "method=\"GetCase\"}"),
            kClients * kCallsEach);
  EXPECT_GT(SampleValue(metrics,
                        "casecoord_rpc_request_bytes_total{service=\"casecoord.v1.Cases\","
                        "method=\"GetCase\"}"),
            0);
  // Every audited call's entry went through a synced group; the engine, the cache and the
  // connections are reported.
  EXPECT_GT(SampleValue(metrics, "casecoord_audit_group_entries_count"), 0);
  EXPECT_GT(SampleValue(metrics, "casecoord_audit_commit_seconds_count"), 0);
  EXPECT_GE(SampleValue(metrics, "casecoord_rocksdb_sst_files_bytes"), 0);
  EXPECT_GT(SampleValue(metrics, "casecoord_rocksdb_memtable_bytes"), 0);
  EXPECT_GE(SampleValue(metrics, "casecoord_rocksdb_block_cache_requests_total{result=\"hit\"}"),
            0);
  EXPECT_GE(SampleValue(metrics, "casecoord_grpc_open_connections"), 0);
  EXPECT_EQ(SampleValue(metrics, "casecoord_storage_writable"), 1);
  // No series for a made-up method name; no household data anywhere.
  EXPECT_EQ(metrics.find("NoSuchMethod"), std::string::npos);
  EXPECT_EQ(metrics.find("山田"), std::string::npos);

  EXPECT_EQ(testing::StopServer(server), 0) << server.log;

  // The access log: one JSON line per call, with who and how it went, and nothing of the case.
  std::ifstream access(scratch_.Sub("access.log"));
  std::map<std::string, int> not_found_by_channel;
  int lines = 0, search_lines = 0;
  for (std::string line; std::getline(access, line);) {
    ++lines;
    EXPECT_EQ(line.find("山田"), std::string::npos) << line;
    auto json = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(json.is_discarded()) << line;
    for (const char* key :
         {"ts", "channel", "method", "user", "code", "reason", "latency_ms", "request_bytes"}) {
      EXPECT_TRUE(json.contains(key)) << key << " missing in " << line;
    }
    if (json["method"] == "/casecoord.v1.Cases/GetCase" && json["code"] == "NOT_FOUND") {
      EXPECT_EQ(json["user"], "coordinator");
      EXPECT_EQ(json["reason"], "NOT_FOUND");
      EXPECT_GT(json["request_bytes"].get<int>(), 0);
      ++not_found_by_channel[json["channel"].get<std::string>()];
    }
    if (json["method"] == "/casecoord.v1.Cases/SearchCases") ++search_lines;
    if (json["method"] == "/casecoord.v1.Cases/ListCases" && json["channel"] == "grpc") {
      EXPECT_EQ(json["user"], "coordinator") << line;
    }
  }
  EXPECT_EQ(not_found_by_channel["http"], (seen[{"GetCase", "NOT_FOUND"}]));
  EXPECT_EQ(search_lines, 1);
  EXPECT_GE(lines, 2 * kClients * kCallsEach + 2);
}

TEST_F(OperationsTest, ProductionRefusesUnsafeSettingsOnePerLineAndOpensNothing) {
  const std::string dir = scratch_.path();
  const testing::ProcessRun keygen =
      testing::RunProcess({CASESERVER_PATH, "keygen", "--out", dir + "/kek"}, dir);
  ASSERT_EQ(keygen.exit_code, 0) << keygen.err;
  chmod((dir + "/kek").c_str(), 0640);
  const testing::ProcessRun run = testing::RunProcess({CASESERVER_PATH,
                                                       "serve",
                                                       "--mode",
                                                       "production",
                                                       "--data-dir",
                                                       dir + "/db",
                                                       "--kek-file",
                                                       dir + "/kek",
                                                       "--demo-users",
                                                       "true",
                                                       "--demo-cases",
                                                       "true",
                                                       "--demo-directory",
                                                       "deploy/demo/agencies.csv",
                                                       "--case-retention-years",
                                                       "0",
                                                       "--log-level",
                                                       "debug",
                                                       "--listen",
                                                       "127.0.0.1:0"},
                                                      dir);
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  std::vector<std::string> refused;
  std::istringstream lines(run.err);
  const std::regex refusal("^caseserver: refused in production mode: ([a-z-]+): .+$");
  for (std::string line; std::getline(lines, line);) {
    std::smatch match;
    if (std::regex_match(line, match, refusal)) refused.push_back(match[1]);
  }
  EXPECT_EQ(refused, (std::vector<std::string>{"demo-users", "demo-directory", "demo-cases",
                                               "case-retention-years", "log-level", "tls-client-ca",
                                               "kek-file"}))
      << run.err;
  EXPECT_FALSE(std::filesystem::exists(dir + "/db"));
}

// Lines of `log` whose msg is `message`.
int CountLogged(const std::string& log, const std::string& message) {
  int count = 0;
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    auto json = nlohmann::json::parse(line, nullptr, false);
    if (!json.is_discarded() && json.value("msg", "") == message) ++count;
  }
  return count;
}

TEST_F(OperationsTest, ScheduledBackupsAreVerifiedCopiedOffsiteAndRestoreFromTheCopy) {
  auto s3 = testing::FakeS3::Start();
  ASSERT_NE(s3, nullptr);
  const std::string credentials = scratch_.Sub("s3.credentials");
  s3->WriteCredentialsFile(credentials);
  const std::vector<std::string> offsite = {
      "--offsite-target=s3://" + s3->options().bucket + "/city-a",
      "--offsite-endpoint=" + s3->endpoint(), "--offsite-region=" + s3->options().region,
      "--offsite-credentials-file=" + credentials};
  std::vector<std::string> args = {"--backup-interval=2s", "--backup-keep=2"};
  args.insert(args.end(), offsite.begin(), offsite.end());
  testing::DevServer server = testing::StartDevServer(root_.path(), args);
  ASSERT_GT(server.grpc_port, 0) << server.log;

  // Three rounds, each made, verified and copied; the metrics say so.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  while (CountLogged(server.log, "backup copied off-site") < 3 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    testing::DrainLog(server.process.stderr_fd, &server.log);
  }
  ASSERT_GE(CountLogged(server.log, "backup copied off-site"), 3) << server.log;
  EXPECT_GE(CountLogged(server.log, "backup verified"), 3);
  const std::string metrics = Scrape(server.metrics_port);
  EXPECT_EQ(SampleValue(metrics, "casecoord_backup_last_verification_ok"), 1) << metrics;
  for (const char* step : {"backup", "verify", "offsite"}) {
    EXPECT_EQ(
        SampleValue(metrics, std::string("casecoord_backup_failures_total{step=\"") + step + "\"}"),
        0)
        << step;
  }
  EXPECT_GT(SampleValue(metrics, "casecoord_backup_newest_timestamp_seconds"), 1.7e9);
  EXPECT_GT(SampleValue(metrics, "casecoord_backup_offsite_last_success_timestamp_seconds"), 1.7e9);
  EXPECT_GT(SampleValue(metrics, "casecoord_backup_offsite_uploaded_bytes_total"), 0);
  const testing::ProcessRun check = Promtool(metrics, scratch_.path());
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  // A round in progress finishes before the server stops, so the bucket mirrors the directory.
  ASSERT_EQ(testing::StopServer(server), 0) << server.log;

  // The bucket holds the two kept backups, under the municipality's prefix, and nothing a
  // household told us in clear.
  int descriptions = 0;
  uint32_t newest = 0;
  for (const auto& [key, object] : s3->objects()) {
    EXPECT_EQ(key.rfind("city-a/", 0), 0u) << key;
    EXPECT_EQ(object.bytes.find("見本 さくら"), std::string::npos) << key;
    EXPECT_EQ(object.bytes.find("ミホン"), std::string::npos) << key;
    if (key.rfind("city-a/meta/", 0) == 0) {
      ++descriptions;
      newest = std::max<uint32_t>(newest, std::stoul(key.substr(12)));
    }
  }
  EXPECT_EQ(descriptions, 2);
  ASSERT_GE(newest, 3u);

  // The restore drill passes on the copy; so does a restore by hand from a fetched copy.
  auto caseserver = [&](const std::string& command) {
    return testing::RunProcess({"/bin/sh", "-c",
                                "cd \"$0\" && build/services/server/caseserver " + command +
                                    " --config deploy/dev.conf \"$@\"",
                                root_.path(), offsite[0], offsite[1], offsite[2], offsite[3]},
                               scratch_.path());
  };
  const testing::ProcessRun drill =
      caseserver("backup verify-offsite --scratch " + scratch_.Sub("drill"));
  EXPECT_EQ(drill.exit_code, 0) << drill.out << drill.err;
  EXPECT_NE(drill.out.find("off-site copy sound: backup " + std::to_string(newest)),
            std::string::npos)
      << drill.out;
  const testing::ProcessRun fetch = caseserver("backup fetch --to " + scratch_.Sub("fetched"));
  ASSERT_EQ(fetch.exit_code, 0) << fetch.out << fetch.err;
  const testing::ProcessRun restore =
      caseserver("restore --backup-dir " + scratch_.Sub("fetched") + " --backup-id " +
                 std::to_string(newest) + " --target " + scratch_.Sub("restored"));
  ASSERT_EQ(restore.exit_code, 0) << restore.out << restore.err;
  const testing::ProcessRun audit =
      caseserver("audit verify --data-dir " + scratch_.Sub("restored"));
  EXPECT_EQ(audit.exit_code, 0) << audit.out << audit.err;
  EXPECT_NE(audit.out.find("audit trail intact"), std::string::npos) << audit.out;

  // A damaged copy fails the drill.
  for (const auto& [key, object] : s3->objects()) {
    if (key.find(".sst") != std::string::npos) {
      ASSERT_TRUE(s3->CorruptObject(key));
    }
  }
  const testing::ProcessRun damaged =
      caseserver("backup verify-offsite --scratch " + scratch_.Sub("drill2"));
  EXPECT_NE(damaged.exit_code, 0) << damaged.out << damaged.err;
  EXPECT_TRUE(std::filesystem::is_empty(scratch_.Sub("drill2")) ||
              !std::filesystem::exists(scratch_.Sub("drill2") + "/offsite-copy"));
}

}  // namespace
}  // namespace casecoord
