#include "services/backup/backup_schedule.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <sstream>
#include <thread>

#include "tests/support/temp_dir.h"

namespace casecoord::backup {
namespace {

// The value of an unlabelled or fully written sample of `text`, or -2 if absent.
double Sample(const std::string& text, const std::string& series) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return -2;
}

class BackupScheduleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    keyring_ = std::make_shared<storage::Keyring>(storage::KeyEncryptionKey::Generate());
    storage::StorageOptions options;
    options.path = dir_.Sub("db");
    options.keyring = keyring_;
    storage_ = std::move(storage::Storage::Open(options)).value();
    audit_ = std::move(auth::AuditLog::Open(*storage_, kAuditKey)).value();
    for (int i = 0; i < 20; ++i) Append("cases/" + std::to_string(i));
    std::filesystem::create_directories(dir_.Sub("offsite"));
  }

  void Append(const std::string& resource) {
    auth::AuditRecord record;
    record.user_id = "coordinator";
    record.method = "/casecoord.v1.Cases/GetCase";
    record.resource = resource;
    record.outcome = "OK";
    ASSERT_TRUE(audit_->Append(record, nullptr).ok());
  }

  BackupScheduleOptions Options() {
    BackupScheduleOptions options;
    options.interval = std::chrono::hours(24);  // RunOnce drives the rounds
    options.first_delay = std::chrono::hours(24);
    options.keep = 2;
    options.backup_dir = dir_.Sub("backups");
    options.scratch_root = dir_.Sub("restores");
    options.offsite = OffsiteSettings{};
    options.offsite->target = dir_.Sub("offsite");
    return options;
  }

  const std::string kAuditKey = std::string(32, 'k');
  testing::TempDir dir_;
  std::shared_ptr<const storage::Keyring> keyring_;
  std::unique_ptr<storage::Storage> storage_;
  std::unique_ptr<auth::AuditLog> audit_;
};

TEST_F(BackupScheduleTest, EachRoundBacksUpPrunesVerifiesAndMirrorsOffsiteWhileScraped) {
  auto schedule = BackupSchedule::Start(*storage_, *audit_, keyring_, kAuditKey, Options());
  ASSERT_TRUE(schedule.ok()) << schedule.status().ToString();
  {
    metrics::ExpositionWriter writer;
    (*schedule)->Collect(writer);
    const std::string before = writer.Take();
    EXPECT_EQ(Sample(before, "casecoord_backup_newest_timestamp_seconds"), 0);
    EXPECT_EQ(Sample(before, "casecoord_backup_last_verification_ok"), -1);
  }
  // Scrapes race the rounds, as Prometheus does with the schedule.
  std::atomic<bool> running{true};
  std::thread scraper([&] {
    while (running) {
      metrics::ExpositionWriter writer;
      (*schedule)->Collect(writer);
      EXPECT_FALSE(writer.Take().empty());
    }
  });
  for (int round = 0; round < 3; ++round) {
    Append("cases/round-" + std::to_string(round));
    EXPECT_TRUE((*schedule)->RunOnce().ok());
  }
  running = false;
  scraper.join();

  metrics::ExpositionWriter writer;
  (*schedule)->Collect(writer);
  const std::string text = writer.Take();
  EXPECT_EQ(Sample(text, "casecoord_backup_last_verification_ok"), 1) << text;
  EXPECT_GT(Sample(text, "casecoord_backup_newest_timestamp_seconds"), 1.7e9);
  EXPECT_GT(Sample(text, "casecoord_backup_offsite_last_success_timestamp_seconds"), 1.7e9);
  EXPECT_EQ(Sample(text, "casecoord_backup_failures_total{step=\"verify\"}"), 0);
  // Two backups kept; the off-site directory holds exactly their descriptions.
  auto backups = storage::ListBackups(dir_.Sub("backups"), keyring_);
  ASSERT_TRUE(backups.ok());
  ASSERT_EQ(backups->size(), 2u);
  EXPECT_EQ(backups->front().id, 3u);
  std::vector<std::string> descriptions;
  for (const auto& entry : std::filesystem::directory_iterator(dir_.Sub("offsite/meta"))) {
    descriptions.push_back(entry.path().filename().string());
  }
  std::sort(descriptions.begin(), descriptions.end());
  EXPECT_EQ(descriptions, (std::vector<std::string>{"2", "3"}));
  // Verification leaves nothing in the scratch root.
  EXPECT_TRUE(std::filesystem::is_empty(dir_.Sub("restores")));
  (*schedule)->Stop();
}

TEST_F(BackupScheduleTest, AVerificationThatFailsIsReportedAndStopsTheOffsiteCopy) {
  // A schedule given another audit key cannot verify the chain of what it backs up.
  auto schedule =
      BackupSchedule::Start(*storage_, *audit_, keyring_, std::string(32, 'x'), Options());
  ASSERT_TRUE(schedule.ok());
  const Status round = (*schedule)->RunOnce();
  EXPECT_TRUE(round.Is(Reason::kBackupVerificationFailed)) << round.ToString();
  metrics::ExpositionWriter writer;
  (*schedule)->Collect(writer);
  const std::string text = writer.Take();
  EXPECT_EQ(Sample(text, "casecoord_backup_last_verification_ok"), 0) << text;
  EXPECT_EQ(Sample(text, "casecoord_backup_failures_total{step=\"verify\"}"), 1);
  EXPECT_EQ(Sample(text, "casecoord_backup_offsite_last_success_timestamp_seconds"), 0);
  EXPECT_FALSE(std::filesystem::exists(dir_.Sub("offsite/meta")));
}

TEST_F(BackupScheduleTest, RoundsRunByThemselvesAfterTheNewestBackupAndStopEndsTheWait) {
  // A backup made just now and a schedule of 1 s: the schedule's own thread makes the next
  // backup, and Stop() ends its wait for the one after.
  ASSERT_TRUE(storage::CreateBackup(*storage_, dir_.Sub("backups")).ok());
  BackupScheduleOptions options = Options();
  options.interval = std::chrono::seconds(1);
  options.first_delay = std::chrono::seconds(0);
  auto schedule = BackupSchedule::Start(*storage_, *audit_, keyring_, kAuditKey, options);
  ASSERT_TRUE(schedule.ok());
  const auto started = std::chrono::steady_clock::now();
  std::vector<storage::BackupSummary> listed;
  while (std::chrono::steady_clock::now() - started < std::chrono::seconds(20)) {
    auto backups = storage::ListBackups(dir_.Sub("backups"), keyring_);
    ASSERT_TRUE(backups.ok());
    if (backups->size() >= 2) {
      listed = *backups;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  (*schedule)->Stop();
  ASSERT_GE(listed.size(), 2u) << "no scheduled round within 20 s";
  EXPECT_GE(listed.front().timestamp_seconds, listed.back().timestamp_seconds);
}

}  // namespace
}  // namespace casecoord::backup
