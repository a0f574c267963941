#include "services/server/config.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace casecoord::server
