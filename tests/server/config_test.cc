#include "services/server/config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "services/server/server.h"
#include "services/storage/key_source.h"
#include "tests/support/temp_dir.h"

namespace casecoord::server {
namespace {

std::optional<std::string> NoEnvironment(const std::string&) { return std::nullopt; }

TEST(ConfigTest, DefaultsComeFromTheTable) {
  auto config = ResolveConfig({}, "", NoEnvironment);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->listen, "127.0.0.1:8443");
  EXPECT_EQ(config->mode, Mode::kProduction);
  EXPECT_EQ(config->worker_threads, 16);
  for (const auto& option : ConfigOptions()) EXPECT_FALSE(option.help.empty()) << option.name;
}

TEST(ConfigTest, ConnectionsAreBoundedByTheSettingAndTheOpenFileLimit) {
  auto config = ResolveConfig({}, "", NoEnvironment);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->handshake_timeout_ms, 10000);
  EXPECT_EQ(config->max_connections, 4096);
  EXPECT_EQ(config->reserved_fds, 256);
  // A high limit leaves the setting as it is; a low one lowers it to keep reserved-fds free.
  EXPECT_EQ(*ConnectionLimit(*config, 1048576), 4096);
  EXPECT_EQ(*ConnectionLimit(*config, 1024), 1024 - 256);
  EXPECT_EQ(*ConnectionLimit(*config, 257), 1);
  auto none_left = ConnectionLimit(*config, 256);
  ASSERT_FALSE(none_left.ok());
  EXPECT_EQ(none_left.status().reason(), "FD_LIMIT_TOO_LOW");
}

TEST(ConfigTest, FlagBeatsEnvironmentBeatsFileBeatsDefault) {
  testing::TempDir dir;
  std::ofstream(dir.Sub("server.conf")) << "# comment\nworker-threads = 4\nlisten = file:1\n"
                                           "municipality = 大阪市  # trailing comment\n";
  auto environment = [](const std::string& name) -> std::optional<std::string> {
    if (name == "CASECOORD_LISTEN") return "env:2";
    if (name == "CASECOORD_DATA_DIR") return "/env/data";
    return std::nullopt;
  };
  auto config = ResolveConfig({{"data-dir", "/flag/data"}}, dir.Sub("server.conf"), environment);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->worker_threads, 4);       // file
  EXPECT_EQ(config->listen, "env:2");         // environment over file
  EXPECT_EQ(config->data_dir, "/flag/data");  // flag over environment
  EXPECT_EQ(config->municipality, "大阪市");
}

TEST(ConfigTest, InvalidValuesAndUnknownKeysNameTheSetting) {
  auto bad_number = ResolveConfig({{"worker-threads", "many"}}, "", NoEnvironment);
  ASSERT_FALSE(bad_number.ok());
  EXPECT_EQ(bad_number.status().field_violations().at(0).field, "worker-threads");
  auto out_of_range = ResolveConfig({{"worker-threads", "0"}}, "", NoEnvironment);
  EXPECT_FALSE(out_of_range.ok());
  auto bad_mode = ResolveConfig({{"mode", "test"}}, "", NoEnvironment);
  EXPECT_EQ(bad_mode.status().field_violations().at(0).field, "mode");

  testing::TempDir dir;
  std::ofstream(dir.Sub("server.conf")) << "wrokers = 3\n";
  auto unknown = ResolveConfig({}, dir.Sub("server.conf"), NoEnvironment);
  EXPECT_EQ(unknown.status().field_violations().at(0).field, "wrokers");
  auto missing = ResolveConfig({}, dir.Sub("absent.conf"), NoEnvironment);
  EXPECT_EQ(missing.status().field_violations().at(0).field, "config");
  EXPECT_EQ(EnvironmentName("shutdown-grace-ms"), "CASECOORD_SHUTDOWN_GRACE_MS");
}

TEST(ConfigTest, RecordsSinceIsARealDay) {
  auto config = ResolveConfig({}, "", NoEnvironment);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->records_since, "2000-04-01");
  auto set = ResolveConfig({{"records-since", "2015-04-01"}}, "", NoEnvironment);
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set->records_since, "2015-04-01");
  for (const char* bad : {"2015-02-30", "2015/04/01", "2015-4-1", "April 2015"}) {
    auto refused = ResolveConfig({{"records-since", bad}}, "", NoEnvironment);
    ASSERT_FALSE(refused.ok()) << bad;
    EXPECT_EQ(refused.status().field_violations().at(0).field, "records-since") << bad;
  }
}

TEST(KeyringTest, NoKeyIsAClearErrorAndAKeyFileIsUsed) {
  unsetenv("CASECOORD_KEK");
  ServerConfig config = *ResolveConfig({}, "", NoEnvironment);
  auto none = LoadKeyring(config);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().reason(), "NO_KEY");

  testing::TempDir dir;
  auto written = storage::GenerateKeyFile(dir.Sub("kek"));
  ASSERT_TRUE(written.ok());
  config.kek_file = dir.Sub("kek");
  auto loaded = LoadKeyring(config);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ((*loaded)->current().id(), written->id());
}

TEST(ConfigTest, BackupIntervalTakesSecondsMinutesOrHours) {
  auto interval = [](const std::string& text) -> std::optional<int64_t> {
    auto config = ResolveConfig({{"backup-interval", text}}, "", NoEnvironment);
    if (!config.ok()) {
      EXPECT_EQ(config.status().field_violations().at(0).field, "backup-interval") << text;
      return std::nullopt;
    }
    return config->backup_interval_seconds;
  };
  EXPECT_EQ(ResolveConfig({}, "", NoEnvironment)->backup_interval_seconds, 24 * 3600);
  EXPECT_EQ(interval("0"), 0);
  EXPECT_EQ(interval("30s"), 30);
  EXPECT_EQ(interval("90m"), 90 * 60);
  EXPECT_EQ(interval("6h"), 6 * 3600);
  EXPECT_EQ(interval("168h"), 7 * 24 * 3600);
  for (const char* bad : {"", "h", "24", "-1h", "1d", "169h", "1.5h", "+3h", "3 h", "0s",
                          "99999999999999999999h", "10081m"}) {
    EXPECT_EQ(interval(bad), std::nullopt) << bad;
  }
}

// A production configuration that passes, with key files of mode 0600 in `dir`.
ServerConfig SafeProductionConfig(const testing::TempDir& dir) {
  auto config = ResolveConfig({}, "", NoEnvironment);
  EXPECT_TRUE(config.ok());
  for (const char* name : {"kek", "audit", "tls.key", "offsite", "ca.crt"}) {
    std::ofstream(dir.Sub(name)) << "x\n";
    std::filesystem::permissions(
        dir.Sub(name), std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  }
  config->kek_file = dir.Sub("kek");
  config->audit_key_file = dir.Sub("audit");
  config->tls_key = dir.Sub("tls.key");
  config->offsite_credentials_file = dir.Sub("offsite");
  config->tls_client_ca = dir.Sub("ca.crt");
  return *config;
}

TEST(ConfigTest, ProductionRefusesEachUnsafeSettingOnALineNamingIt) {
  testing::TempDir dir;
  const ServerConfig safe = SafeProductionConfig(dir);
  EXPECT_TRUE(ProductionRefusals(safe).empty());

  ServerConfig unsafe = safe;
  unsafe.demo_users = true;
  unsafe.demo_cases = true;
  unsafe.demo_directory = "deploy/demo/agencies.csv";
  unsafe.demo_vocabularies = "deploy/demo/vocabularies.csv";
  unsafe.case_retention_years = 0;
  unsafe.log_level = "debug";
  unsafe.tls_client_ca = "";
  unsafe.offsite_endpoint = "http://s3.example.jp";
  std::filesystem::permissions(dir.Sub("kek"), std::filesystem::perms::group_read,
                               std::filesystem::perm_options::add);
  std::filesystem::permissions(dir.Sub("offsite"), std::filesystem::perms::others_read,
                               std::filesystem::perm_options::add);
  const std::vector<Status> refusals = ProductionRefusals(unsafe);
  std::vector<std::string> named;
  for (const Status& refusal : refusals) {
    EXPECT_TRUE(refusal.Is(Reason::kUnsafeInProduction)) << refusal.ToString();
    EXPECT_EQ(refusal.message().find('\n'), std::string::npos) << refusal.message();
    named.push_back(refusal.message().substr(0, refusal.message().find(':')));
  }
  EXPECT_EQ(named, (std::vector<std::string>{"demo-users", "demo-directory", "demo-vocabularies",
                                             "demo-cases", "case-retention-years", "log-level",
                                             "tls-client-ca", "offsite-endpoint", "kek-file",
                                             "offsite-credentials-file"}));
  EXPECT_NE(refusals.at(8).message().find("640"), std::string::npos) << refusals.at(8).message();

  // A store on this machine may be plain http; a client CA named but missing is refused;
  // development mode refuses nothing.
  for (const char* name : {"kek", "offsite"}) {
    std::filesystem::permissions(
        dir.Sub(name), std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  }
  ServerConfig local_store = safe;
  local_store.offsite_endpoint = "http://127.0.0.1:9000";
  EXPECT_TRUE(ProductionRefusals(local_store).empty());
  ServerConfig missing_ca = safe;
  missing_ca.tls_client_ca = dir.Sub("no-such-ca.crt");
  ASSERT_EQ(ProductionRefusals(missing_ca).size(), 1u);
  unsafe.mode = Mode::kDevelopment;
  EXPECT_TRUE(ProductionRefusals(unsafe).empty());
}

}  // namespace
}  // namespace casecoord::server
