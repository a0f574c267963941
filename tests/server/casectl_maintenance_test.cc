// casectl commands that change records after the fact (case update, case team remove, case purge,
// stats rebuild, meeting update) and casectl's answer to the rate limiter, as people run them: the
// real casectl binary against a real server, checked on what it prints and its exit status.
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "casecoord/v1/admin.grpc.pb.h"
#include "casecoord/v1/directory.grpc.pb.h"
#include "services/common/clock.h"
#include "services/common/grpc_errors.h"
#include "tests/support/process_run.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_server.h"

namespace casecoord {
namespace {

using testing::LineWith;
using CasectlRun = testing::ProcessRun;

// The first group of `pattern` in `text`, or "".
std::string Capture(const std::string& text, const std::string& pattern) {
  std::smatch match;
  return std::regex_search(text, match, std::regex(pattern)) ? match[1].str() : "";
}

bool Contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

int Count(const std::string& text, const std::string& needle) {
  int count = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

class CasectlMaintenanceTest : public ::testing::Test {
 protected:
  CasectlMaintenanceTest() : server_(Options(clock_)) {}

  static testing::TestServerOptions Options(const Clock& clock) {
    testing::TestServerOptions options;
    options.clock = &clock;
    return options;
  }

  void SetUp() override {
    server_.ca().WriteTo(pki_.path(), {"coordinator", "agency-staff", "admin"});
    auto directory = v1::AgencyDirectory::NewStub(server_.ChannelFor("coordinator"));
    for (const char* id : {"a1", "a2"}) {
      v1::CreateAgencyRequest create;
      create.set_agency_id(id);
      create.mutable_agency()->set_display_name(std::string("北地域包括支援センター") + id);
      create.mutable_agency()->set_kana("キタチイキホウカツ");
      create.mutable_agency()->set_kind(v1::COMMUNITY_GENERAL_SUPPORT_CENTER);
      v1::Agency created;
      grpc::ClientContext context;
      const grpc::Status status = directory->CreateAgency(&context, create, &created);
      ASSERT_TRUE(status.ok()) << DescribeGrpcError(status);
    }
  }

  std::vector<std::string> Argv(const std::vector<std::string>& args, const std::string& user) {
    std::vector<std::string> argv = {CASECTL_PATH,
                                     "--server=" + server_.target(),
                                     "--ca=" + pki_.Sub("ca.crt"),
                                     "--pki-dir=" + pki_.path(),
                                     "--user=" + user,
                                     "--timeout=20"};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }

  CasectlRun Casectl(const std::vector<std::string>& args,
                     const std::string& user = "coordinator") {
    return testing::RunProcess(Argv(args, user), files_.path());
  }

  // Opens a case and returns its name and number; empty after a test failure.
  std::pair<std::string, std::string> OpenCase() {
    CasectlRun opened = Casectl({"case", "open", "--district", "kita", "--referrer", "a1",
                                 "--problem", "長男が外出していない", "--member",
                                 "m1:架空 一郎:長男:本人", "--household-tag", "8050"});
    EXPECT_EQ(opened.exit_code, 0) << opened.out << opened.err;
    const std::string name = Capture(opened.out, R"(case opened: \S+ \((cases/\d+)\))");
    const std::string number = Capture(opened.out, R"(case opened: (\S+) \()");
    EXPECT_FALSE(name.empty()) << opened.out;
    return {name, number};
  }

  // The etag `case get --json` shows.
  std::string EtagOf(const std::string& name) {
    CasectlRun got = Casectl({"case", "get", name, "--json"});
    EXPECT_EQ(got.exit_code, 0) << got.err;
    return nlohmann::json::parse(got.out).value("etag", "");
  }

  ManualClock clock_{std::chrono::system_clock::now()};
  testing::TestServer server_;
  testing::TempDir pki_;
  testing::TempDir files_;
};

TEST_F(CasectlMaintenanceTest, CaseUpdateSendsOnlyTheFieldsGiven) {
  const auto [name, number] = OpenCase();
  ASSERT_FALSE(name.empty());
  const std::string etag = EtagOf(name);

  CasectlRun updated = Casectl({"case", "update", name, "--district", "minami", "--tags",
                                "double-care,8050", "--field", "ELDERLY_CARE", "--urgency",
                                "URGENT", "--next-review", "2030-04-01", "--etag", etag});
  ASSERT_EQ(updated.exit_code, 0) << updated.out << updated.err;
  EXPECT_TRUE(Contains(updated.out, "case updated: " + number)) << updated.out;
  CasectlRun got = Casectl({"case", "get", name, "--json"});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  const nlohmann::json record = nlohmann::json::parse(got.out);
  EXPECT_EQ(record["district"], "minami");
  EXPECT_EQ(record["household_issue_tags"], nlohmann::json({"double-care", "8050"}));
  EXPECT_EQ(record["urgency"], "URGENT");
  EXPECT_EQ(record["next_review_date"]["year"], 2030);
  EXPECT_EQ(record["fields"].size(), 1u) << got.out;
  // What was not given kept its value.
  EXPECT_EQ(record["presenting_problem"], "長男が外出していない");
  EXPECT_EQ(record["members"].size(), 1u);

  // The old etag is refused; nothing changes.
  CasectlRun stale = Casectl({"case", "update", name, "--district", "kita", "--etag", etag});
  EXPECT_EQ(stale.exit_code, 1) << stale.out;
  EXPECT_TRUE(Contains(stale.err, "ABORTED")) << stale.err;
  // "" empties a list; --json after the subcommand prints the case.
  CasectlRun emptied = Casectl({"case", "update", name, "--tags", "", "--json"});
  ASSERT_EQ(emptied.exit_code, 0) << emptied.err;
  const nlohmann::json after = nlohmann::json::parse(emptied.out);
  EXPECT_EQ(after["district"], "minami");
  EXPECT_FALSE(after.contains("household_issue_tags")) << emptied.out;

  // Nothing to change, or a bad value, is a usage error before any call.
  EXPECT_EQ(Casectl({"case", "update", name}).exit_code, 2);
  EXPECT_EQ(Casectl({"case", "update", name, "--district", "北区"}).exit_code, 2);
  EXPECT_EQ(Casectl({"case", "update", name, "--urgency", "soon"}).exit_code, 2);
  EXPECT_EQ(Casectl({"case", "update", name, "--next-review", "2030-13-01"}).exit_code, 2);
  EXPECT_EQ(EtagOf(name), nlohmann::json::parse(emptied.out).value("etag", ""));
}

TEST_F(CasectlMaintenanceTest, TeamRemoveNeedsAReasonAndTakesTheAgencyOff) {
  const auto [name, number] = OpenCase();
  ASSERT_FALSE(name.empty());
  CasectlRun referred =
      Casectl({"case", "refer", name, "--agency", "a1", "--role", "LEAD", "--note", "訪問を依頼"});
  ASSERT_EQ(referred.exit_code, 0) << referred.out << referred.err;
  const std::string referral = Capture(referred.out, R"((cases/\d+/referrals/\d+))");
  ASSERT_FALSE(referral.empty()) << referred.out;
  ASSERT_EQ(Casectl({"case", "accept", referral}, "agency-staff").exit_code, 0);
  ASSERT_EQ(Casectl({"case", "get", name}, "agency-staff").exit_code, 0);

  EXPECT_EQ(Casectl({"case", "team", "remove", name, "--agency", "a1"}).exit_code, 2);
  CasectlRun removed =
      Casectl({"case", "team", "remove", name, "--agency", "a1", "--reason", "支援終了のため"});
  ASSERT_EQ(removed.exit_code, 0) << removed.out << removed.err;
  EXPECT_TRUE(Contains(removed.out, "agencies/a1")) << removed.out;
  // Its staff lose access at once.
  CasectlRun outsider = Casectl({"case", "get", name}, "agency-staff");
  EXPECT_EQ(outsider.exit_code, 1);
  EXPECT_TRUE(Contains(outsider.err, "NOT_FOUND")) << outsider.err;
  // Not on the team any more.
  CasectlRun again = Casectl(
      {"case", "team", "remove", name, "--agency", "a1", "--reason", "支援終了のため", "--json"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_TRUE(Contains(again.err, "FAILED_PRECONDITION")) << again.err;
}

TEST_F(CasectlMaintenanceTest, PurgeNeedsTheConfirmationAndTheRetentionPeriod) {
  const auto [name, number] = OpenCase();
  ASSERT_FALSE(name.empty());
  EXPECT_EQ(Casectl({"case", "purge", name, "--confirm", number}, "admin").exit_code, 2);
  // Open: not purgeable.
  CasectlRun open = Casectl({"case", "purge", name, "--confirm", "PURGE " + number}, "admin");
  EXPECT_EQ(open.exit_code, 1) << open.out;
  EXPECT_TRUE(Contains(open.err, "FAILED_PRECONDITION")) << open.err;
  ASSERT_EQ(Casectl({"case", "close", name, "--outcome", "WITHDRAWN"}).exit_code, 0);
  clock_.Advance(std::chrono::hours(24) * 366 * 6);
  CasectlRun wrong = Casectl({"case", "purge", name, "--confirm", "PURGE R1-9999"}, "admin");
  EXPECT_EQ(wrong.exit_code, 1) << wrong.out;
  CasectlRun purged =
      Casectl({"case", "purge", name, "--confirm", "PURGE " + number, "--json"}, "admin");
  ASSERT_EQ(purged.exit_code, 0) << purged.out << purged.err;
  EXPECT_TRUE(nlohmann::json::parse(purged.out).contains("purge_time")) << purged.out;
  CasectlRun got = Casectl({"case", "get", name});
  EXPECT_FALSE(Contains(got.out, "架空")) << got.out;
}

TEST_F(CasectlMaintenanceTest, StatsRebuildPrintsTheDifferences) {
  ASSERT_FALSE(OpenCase().first.empty());
  CasectlRun checked = Casectl({"stats", "rebuild", "--validate-only"}, "admin");
  ASSERT_EQ(checked.exit_code, 0) << checked.out << checked.err;
  EXPECT_TRUE(Contains(checked.out, "no differences")) << checked.out;
  EXPECT_TRUE(Contains(checked.out, "counters unchanged")) << checked.out;
  CasectlRun rebuilt = Casectl({"stats", "rebuild", "--json"}, "admin");
  ASSERT_EQ(rebuilt.exit_code, 0) << rebuilt.err;
  const nlohmann::json response = nlohmann::json::parse(rebuilt.out);
  EXPECT_GT(std::stoi(response.value("counters_recomputed", "0")), 0) << rebuilt.out;
  // Admins only.
  EXPECT_EQ(Casectl({"stats", "rebuild", "--validate-only"}).exit_code, 1);
}

TEST_F(CasectlMaintenanceTest, MeetingUpdateChangesAScheduledMeeting) {
  const auto [name, number] = OpenCase();
  ASSERT_FALSE(name.empty());
  CasectlRun scheduled =
      Casectl({"meeting", "schedule", "--case", name, "--type", "支援会議", "--title",
               "第1回ケース検討会議", "--at", "2030-07-01 14:00", "--location", "本庁舎3階会議室",
               "--participant", "coordinator:進行"});
  ASSERT_EQ(scheduled.exit_code, 0) << scheduled.out << scheduled.err;
  const std::string meeting = Capture(scheduled.out, R"(meeting scheduled: (meetings/\d+)\n)");
  ASSERT_FALSE(meeting.empty()) << scheduled.out;

  CasectlRun updated =
      Casectl({"meeting", "update", meeting, "--at", "2030-07-02 10:00", "--location", "オンライン",
               "--participant", "coordinator:進行", "--participant", "agency-staff@a1:本人支援"});
  ASSERT_EQ(updated.exit_code, 0) << updated.out << updated.err;
  EXPECT_TRUE(Contains(LineWith(updated.out, "場所"), "オンライン")) << updated.out;
  EXPECT_TRUE(Contains(LineWith(updated.out, "日時"), "2030-07-02 10:00")) << updated.out;
  CasectlRun got = Casectl({"meeting", "get", meeting, "--json"});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  const nlohmann::json record = nlohmann::json::parse(got.out);
  EXPECT_EQ(record["title"], "第1回ケース検討会議");  // not given: kept
  EXPECT_EQ(record["participants"].size(), 2u) << got.out;

  CasectlRun stale = Casectl({"meeting", "update", meeting, "--title", "x", "--etag", "1"});
  EXPECT_EQ(stale.exit_code, 1) << stale.out;
  EXPECT_TRUE(Contains(stale.err, "ABORTED")) << stale.err;
  EXPECT_EQ(Casectl({"meeting", "update", meeting}).exit_code, 2);
  EXPECT_EQ(Casectl({"meeting", "update", meeting, "--at", "tomorrow"}).exit_code, 2);
  CasectlRun json = Casectl({"meeting", "update", meeting, "--title", "第1回支援会議", "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_EQ(nlohmann::json::parse(json.out)["title"], "第1回支援会議");
}

// Issue 16, deliverable 7: casectl gave up at the first RESOURCE_EXHAUSTED. A refusal of the rate
// limiter did nothing and says when to retry (RetryInfo); casectl waits that long, says so, and
// tries again a few times.
TEST_F(CasectlMaintenanceTest, RateLimitedCallsAreRetriedAfterTheDelayTheServerNames) {
  // A server of its own: 1 call a second, burst 20 (the harness makes 7 calls as admin), on a
  // frozen clock.
  testing::TestServerOptions options;
  options.clock = &clock_;
  options.rate_limit_per_second = 1;
  options.rate_limit_burst = 20;
  testing::TestServer limited(options);
  testing::TempDir pki, first_run, second_run;
  limited.ca().WriteTo(pki.path(), {"coordinator"});
  auto argv = [&](const std::vector<std::string>& args) {
    std::vector<std::string> out = {CASECTL_PATH,
                                    "--server=" + limited.target(),
                                    "--ca=" + pki.Sub("ca.crt"),
                                    "--pki-dir=" + pki.path(),
                                    "--user=coordinator",
                                    "--timeout=20"};
    out.insert(out.end(), args.begin(), args.end());
    return out;
  };
  auto exhaust = [&] {
    auto stub = v1::Admin::NewStub(limited.ChannelFor("coordinator"));
    for (int i = 0; i < 100; ++i) {
      v1::ServerInfo info;
      grpc::ClientContext context;
      if (stub->GetServerInfo(&context, v1::GetServerInfoRequest(), &info).error_code() ==
          grpc::StatusCode::RESOURCE_EXHAUSTED) {
        return true;
      }
    }
    return false;
  };

  // Never refilled: three retries a second apart (GetServerInfo costs 1 token), then the refusal
  // is reported.
  ASSERT_TRUE(exhaust());
  const auto started = std::chrono::steady_clock::now();
  CasectlRun refused = testing::RunProcess(argv({"info"}), first_run.path());
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::seconds(3));
  EXPECT_EQ(refused.exit_code, 1) << refused.out;
  EXPECT_EQ(Count(refused.err, "rate limited: retrying in "), 3) << refused.err;
  EXPECT_TRUE(Contains(refused.err, "(3/3)")) << refused.err;
  EXPECT_TRUE(Contains(refused.err, "RESOURCE_EXHAUSTED")) << refused.err;

  // Refilled while casectl waits: its retry succeeds.
  CasectlRun retried;
  std::thread run([&] { retried = testing::RunProcess(argv({"info"}), second_run.path()); });
  bool waiting = false;
  for (int i = 0; i < 3000 && !waiting; ++i) {
    waiting = Contains(testing::ReadFile(second_run.Sub("stderr")), "rate limited: retrying");
    if (!waiting) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(waiting);
  clock_.Advance(std::chrono::seconds(10));
  run.join();
  EXPECT_EQ(retried.exit_code, 0) << retried.out << retried.err;
  EXPECT_TRUE(Contains(retried.err, "要求が多すぎるため")) << retried.err;
  EXPECT_FALSE(retried.out.empty());
}

}  // namespace
}  // namespace casecoord
