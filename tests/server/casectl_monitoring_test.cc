// casectl due / casectl monitoring ... as people run them: the real casectl binary against a real
// server whose clock the test moves, checked on what it prints and on its exit status.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "casecoord/v1/cases.grpc.pb.h"
#include "casecoord/v1/directory.grpc.pb.h"
#include "services/common/fiscal_year.h"
#include "services/common/grpc_errors.h"
#include "services/monitoring/monitoring_service.h"
#include "services/text/japanese_text.h"
#include "tests/support/process_run.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_server.h"

extern char** environ;

namespace casecoord {
namespace {

using testing::ColumnOf;
using testing::Lines;
using testing::LineWith;
using CasectlRun = testing::ProcessRun;

class CasectlMonitoringTest : public ::testing::Test {
 protected:
  CasectlMonitoringTest() : server_(Options(clock_)) {}

  static testing::TestServerOptions Options(const Clock& clock) {
    testing::TestServerOptions options;
    options.clock = &clock;
    options.due_watch_interval_ms = 20;
    return options;
  }

  void SetUp() override {
    server_.ca().WriteTo(pki_.path(), {"coordinator", "agency-staff"});
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

  // Runs casectl as `user` with `args` (after the connection flags) and waits for it.
  CasectlRun Casectl(const std::vector<std::string>& args,
                     const std::string& user = "coordinator") {
    return testing::RunProcess(Argv(args, user), files_.path());
  }

  // A case in coordination with agencies/a1 on its team; returns {name, case number}.
  std::pair<std::string, std::string> OpenCase(const std::string& request_id) {
    auto cases = v1::Cases::NewStub(server_.ChannelFor("coordinator"));
    v1::CreateCaseRequest create;
    create.set_request_id(request_id);
    auto* member = create.mutable_case_()->add_members();
    member->set_member_id("m1");
    member->set_display_name("架空 一郎");
    member->set_principal(true);
    create.mutable_case_()->set_district("kita");
    create.mutable_case_()->set_referring_agency("agencies/a1");
    create.mutable_case_()->set_presenting_problem("長男が外出していない");
    v1::Case opened;
    {
      grpc::ClientContext context;
      EXPECT_TRUE(cases->CreateCase(&context, create, &opened).ok());
    }
    v1::CreateReferralRequest refer;
    refer.set_parent(opened.name());
    refer.mutable_referral()->set_agency("agencies/a1");
    refer.mutable_referral()->set_role(v1::LEAD);
    v1::Referral referral;
    {
      grpc::ClientContext context;
      EXPECT_TRUE(cases->CreateReferral(&context, refer, &referral).ok());
    }
    v1::AnswerReferralRequest accept;
    accept.set_name(referral.name());
    {
      grpc::ClientContext context;
      auto staff = v1::Cases::NewStub(server_.ChannelFor("agency-staff"));
      EXPECT_TRUE(staff->AcceptReferral(&context, accept, &referral).ok());
    }
    v1::TransitionCaseRequest move;
    move.set_name(opened.name());
    move.set_to(v1::COORDINATING);
    v1::Case moved;
    grpc::ClientContext context;
    EXPECT_TRUE(cases->TransitionCase(&context, move, &moved).ok());
    return {opened.name(), opened.case_number()};
  }

  std::string Today() const { return FormatJstDate(clock_.Now()); }
  std::string InDays(int days) const {
    return FormatJstDate(clock_.Now() + std::chrono::hours(24) * days);
  }

  // The server's clock starts at the real time, so that casectl's "today" is the server's.
  ManualClock clock_{std::chrono::system_clock::now()};
  testing::TestServer server_;
  testing::TempDir pki_;
  testing::TempDir files_;
};

TEST_F(CasectlMonitoringTest, SetCheckGetAndTheWorkList) {
  const auto [name, number] = OpenCase("c-1");
  const std::string id = name.substr(6);
  CasectlRun set = Casectl({"monitoring", "set", id, "--track", "生活支援", "--every", "7"});
  ASSERT_EQ(set.exit_code, 0) << set.out << set.err;
  EXPECT_NE(LineWith(set.out, "次回確認日").find(InDays(7)), std::string::npos) << set.out;
  EXPECT_NE(LineWith(set.out, "予定 / schedule").find("7日ごと"), std::string::npos) << set.out;

  const std::string note_path = files_.Sub("note.txt");
  {
    std::ofstream note(note_path, std::ios::binary);
    note << "\xEF\xBB\xBF本人と面談した。\r\n就労の意欲あり。\r\n";
  }
  CasectlRun checked = Casectl({"monitoring", "check", name, "--kind", "確認", "--stage", "訪問",
                                "--date", Today(), "--note-file", note_path},
                               "agency-staff");
  ASSERT_EQ(checked.exit_code, 0) << checked.out << checked.err;
  EXPECT_NE(checked.out.find("check recorded: #1"), std::string::npos) << checked.out;
  EXPECT_NE(LineWith(checked.out, "段階").find("訪問"), std::string::npos) << checked.out;

  CasectlRun got = Casectl({"monitoring", "get", name + "/monitoring"});
  ASSERT_EQ(got.exit_code, 0) << got.out << got.err;
  const std::string row = LineWith(got.out, "本人と面談した");
  EXPECT_NE(row.find(Today()), std::string::npos) << got.out;
  EXPECT_NE(row.find("agency-staff"), std::string::npos) << got.out;
  EXPECT_EQ(row.find('\r'), std::string::npos);

  // A stage of the other track: the server names the field; exit status 1.
  CasectlRun wrong = Casectl({"monitoring", "check", id, "--kind", "ROUTINE_CHECK", "--stage",
                              "STAGE_TRIAL", "--date", Today(), "--note", "体験"});
  EXPECT_EQ(wrong.exit_code, 1) << wrong.out << wrong.err;
  EXPECT_NE(wrong.err.find("check.stage"), std::string::npos) << wrong.err;

  // Bad usage is refused before any call (exit status 2).
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"monitoring", "set", id, "--track", "LIFE"},
           {"monitoring", "set", id, "--track", "LIFE", "--every", "7", "--date", "2026-12-01"},
           {"monitoring", "set", id, "--track", "LIFE", "--every", "400"},
           {"monitoring", "set", id, "--track", "仕事", "--every", "7"},
           {"monitoring", "set", "R1-0999", "--track", "LIFE", "--every", "7"},  // no such case
           {"monitoring", "check", id, "--kind", "謎", "--note", "x"},
           {"monitoring", "check", id, "--kind", "確認"},
           {"monitoring", "check", id, "--kind", "確認", "--note", "x", "--date", "2999-01-01"},
           {"due", "--owner", "bob"},
           {"due", "--by", "2026-02-30"},
           {"due", "--watch", "--by", "2026-12-01"}}) {
    CasectlRun refused = Casectl(args);
    EXPECT_EQ(refused.exit_code, 2) << args[0] << " " << args[1] << "\n" << refused.err;
  }

  // The work list: a second case falls overdue as the days pass.
  const auto [second, second_number] = OpenCase("c-2");
  ASSERT_EQ(
      Casectl({"monitoring", "set", second, "--track", "WORK", "--date", InDays(2)}).exit_code, 0);
  clock_.Advance(std::chrono::hours(24 * 3));
  CasectlRun due = Casectl({"due"});
  ASSERT_EQ(due.exit_code, 0) << due.out << due.err;
  const std::vector<std::string> lines = Lines(due.out);
  ASSERT_EQ(lines.size(), 4u) << due.out;  // header, two items, the count
  EXPECT_EQ(lines[0].find("期限/DUE"), 0u) << due.out;
  EXPECT_NE(lines[1].find(second_number), std::string::npos) << due.out;  // overdue first
  EXPECT_NE(lines[1].find("期限超過"), std::string::npos) << due.out;
  EXPECT_NE(lines[2].find(number), std::string::npos) << due.out;
  EXPECT_EQ(lines[2].find("期限超過"), std::string::npos) << due.out;
  for (size_t i = 1; i <= 2; ++i) {
    EXPECT_EQ(ColumnOf(lines[i], "cases/"), ColumnOf(lines[0], "ケース")) << due.out;
    EXPECT_EQ(ColumnOf(lines[i], "モニタリング"), ColumnOf(lines[0], "種類")) << due.out;
  }
  EXPECT_NE(lines[3].find("2件 (期限超過 1件)"), std::string::npos) << due.out;

  // The agency's list is the same; another agency's is not the caller's to read.
  CasectlRun agency = Casectl({"due"}, "agency-staff");
  ASSERT_EQ(agency.exit_code, 0) << agency.err;
  EXPECT_EQ(Lines(agency.out).size(), 4u) << agency.out;
  CasectlRun other = Casectl({"due", "--owner", "agencies/a2"}, "agency-staff");
  EXPECT_EQ(other.exit_code, 1) << other.out;
  EXPECT_NE(other.err.find("NOT_FOUND"), std::string::npos) << other.err;
  CasectlRun json = Casectl({"--json", "due", "--by", InDays(30)});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_NE(json.out.find("\"case_number\": \"" + number + "\""), std::string::npos) << json.out;
}

TEST_F(CasectlMonitoringTest, WatchPrintsWhatFallsDueUntilInterrupted) {
  const auto [name, number] = OpenCase("c-1");
  ASSERT_EQ(Casectl({"monitoring", "set", name, "--track", "LIFE", "--every", "3"}).exit_code, 0);

  const std::string out_path = files_.Sub("watch.out"), err_path = files_.Sub("watch.err");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::vector<std::string> argv = Argv({"due", "--watch"}, "coordinator");
  std::vector<char*> pointers;
  for (auto& argument : argv) pointers.push_back(argument.data());
  pointers.push_back(nullptr);
  pid_t pid = -1;
  ASSERT_EQ(posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, pointers.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);

  // Waits (at most 30 s) until the output holds `text`.
  auto wait_for = [&](const std::string& text) {
    for (int i = 0; i < 3000; ++i) {
      if (testing::ReadFile(out_path).find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  };
  EXPECT_TRUE(wait_for("watching")) << testing::ReadFile(out_path) << testing::ReadFile(err_path);
  EXPECT_NE(testing::ReadFile(out_path).find("nothing due now"), std::string::npos);
  clock_.Advance(std::chrono::hours(24 * 3));
  EXPECT_TRUE(wait_for(number)) << testing::ReadFile(out_path) << testing::ReadFile(err_path);
  const std::string line = LineWith(testing::ReadFile(out_path), number);
  EXPECT_NE(line.find(Today()), std::string::npos) << line;
  EXPECT_NE(line.find(name + "/monitoring"), std::string::npos) << line;

  kill(pid, SIGINT);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGINT) << status;
  // The server saw the client go and ended the stream.
  bool ended = false;
  for (int i = 0; i < 3000 && !ended; ++i) {
    ended = server_.server().monitoring_service().open_streams() == 0;
    if (!ended) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(ended);
}

}  // namespace
}  // namespace casecoord
