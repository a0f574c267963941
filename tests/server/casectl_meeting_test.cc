// casectl meeting ... and casectl plan ... as people run them: the real casectl binary against a
// real server, checked on what it prints, what it writes and its exit status.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "casecoord/v1/directory.grpc.pb.h"
#include "services/common/fiscal_year.h"
#include "services/common/grpc_errors.h"
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
using Flags = std::vector<std::pair<std::string, std::string>>;

// The first group of `pattern` in `text`, or "".
std::string Capture(const std::string& text, const std::string& pattern) {
  std::smatch match;
  return std::regex_search(text, match, std::regex(pattern)) ? match[1].str() : "";
}

// `bytes` as the file `path`.
void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
  ASSERT_TRUE(out.good()) << path;
}

bool Contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

std::string Today() { return FormatJstDate(std::chrono::system_clock::now()); }

// A time as casectl prints it (LocalTime).
constexpr char kDateTime[] = R"(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})";

constexpr char kMaterials[] = "母の要介護認定は要介護2。長男は昼夜逆転の生活";
constexpr char kPolicy[] = "長男の外出の機会を作り、母の介護サービスを見直す";
constexpr char kVisit[] = "長男宅を訪問し状況を確認";
constexpr char kWork[] = "就労相談の予約：本人同意のうえ";

class CasectlMeetingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.ca().WriteTo(pki_.path(), {"coordinator", "agency-staff", "other-staff"});
    AddAgency("a1", "北地域包括支援センター", "キタチイキホウカツ",
              v1::COMMUNITY_GENERAL_SUPPORT_CENTER);
    AddAgency("a2", "北区障害者基幹相談支援センター",
              "キタクショウガイシャキカンソウダンシエンセンター",
              v1::DISABILITY_CORE_CONSULTATION_CENTER);
    CasectlRun opened =
        Casectl({"case", "open", "--district", "kita", "--referrer", "a1", "--problem",
                 "母の認知症が進み、50代の長男は10年以上外出していない", "--member",
                 "m1:架空 一郎:長男:本人:hikikomori", "--member", "m2:架空 花子:母:dementia"});
    ASSERT_EQ(opened.exit_code, 0) << opened.out << opened.err;
    case_name_ = Capture(opened.out, R"(case opened: \S+ \((cases/\d+)\))");
    ASSERT_FALSE(case_name_.empty()) << opened.out;
    case_id_ = case_name_.substr(std::strlen("cases/"));
  }

  void AddAgency(const std::string& id, const std::string& name, const std::string& kana,
                 v1::AgencyKind kind) {
    auto directory = v1::AgencyDirectory::NewStub(server_.ChannelFor("coordinator"));
    v1::CreateAgencyRequest create;
    create.set_agency_id(id);
    create.mutable_agency()->set_display_name(name);
    create.mutable_agency()->set_kana(kana);
    create.mutable_agency()->set_kind(kind);
    v1::Agency created;
    grpc::ClientContext context;
    const grpc::Status status = directory->CreateAgency(&context, create, &created);
    ASSERT_TRUE(status.ok()) << DescribeGrpcError(status);
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

  // Casectl as the coordinator with standard input read from the file `input`.
  CasectlRun CasectlWithInput(const std::vector<std::string>& args, const std::string& input) {
    std::vector<std::string> argv = Argv(args, "coordinator");
    CasectlRun run;
    const std::string out_path = files_.Sub("stdout"), err_path = files_.Sub("stderr");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, input.c_str(), O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    std::vector<char*> pointers;
    for (auto& argument : argv) pointers.push_back(argument.data());
    pointers.push_back(nullptr);
    pid_t pid = -1;
    const int spawned =
        posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, pointers.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (spawned != 0) {
      ADD_FAILURE() << "cannot run " << argv[0] << ": " << std::strerror(spawned);
      return run;
    }
    int status = 0;
    waitpid(pid, &status, 0);
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    run.out = testing::ReadFile(out_path);
    run.err = testing::ReadFile(err_path);
    return run;
  }

  // `meeting schedule` of a support meeting of the case with the coordinator and agency-staff
  // (agencies/a1). Each of `flags` replaces the value of the flag (a --participant is added).
  CasectlRun ScheduleRun(const Flags& flags = {}) {
    Flags all = {{"--case", case_id_},
                 {"--type", "支援会議"},
                 {"--title", "第1回ケース検討会議"},
                 {"--at", "2030-07-01 14:00"},
                 {"--location", "本庁舎3階会議室"},
                 {"--participant", "coordinator:進行"},
                 {"--participant", "agency-staff@a1:本人支援"}};
    for (const auto& [flag, value] : flags) {
      auto given = std::find_if(all.begin(), all.end(), [&flag](const auto& entry) {
        return entry.first == flag && flag != "--participant";
      });
      if (given != all.end()) {
        given->second = value;
      } else {
        all.emplace_back(flag, value);
      }
    }
    std::vector<std::string> args = {"meeting", "schedule"};
    for (const auto& [flag, value] : all) {
      args.push_back(flag);
      args.push_back(value);
    }
    return Casectl(args);
  }

  // ScheduleRun() and the meeting's name; "" after a test failure.
  std::string Schedule(const Flags& flags = {}) {
    CasectlRun scheduled = ScheduleRun(flags);
    EXPECT_EQ(scheduled.exit_code, 0) << scheduled.out << scheduled.err;
    const std::string name = Capture(scheduled.out, R"(meeting scheduled: (meetings/\d+)\n)");
    EXPECT_FALSE(name.empty()) << scheduled.out;
    return name;
  }

  // Records minutes held today with two assignments: r1 to a1 (kVisit), r2 to a2 (kWork).
  CasectlRun RecordMinutes(const std::string& meeting) {
    WriteFile(files_.Sub("policy.txt"), std::string(kPolicy) + "\n");
    WriteFile(files_.Sub("assignments.txt"), "a1:2030-08-01:" + std::string(kVisit) +
                                                 "\n\n  agencies/a2 : 2030-08-15 : " + kWork +
                                                 "\r\n");
    return Casectl({"meeting", "minutes", meeting, "--held", Today(), "--policy-file",
                    files_.Sub("policy.txt"), "--decision", "週1回の訪問を続ける", "--decision",
                    "家計の相談につなぐ", "--assignments-file", files_.Sub("assignments.txt")});
  }

  testing::TestServer server_;
  testing::TempDir pki_;
  testing::TempDir files_;
  std::string case_name_;
  std::string case_id_;
};

TEST_F(CasectlMeetingTest, ParticipantsReadOnlyAfterAcknowledgingAndMarkTheirAssignments) {
  WriteFile(files_.Sub("materials.txt"), std::string(kMaterials) + "\n");
  CasectlRun scheduled = ScheduleRun({{"--materials-file", files_.Sub("materials.txt")}});
  ASSERT_EQ(scheduled.exit_code, 0) << scheduled.out << scheduled.err;
  const std::string meeting = Capture(scheduled.out, R"(meeting scheduled: (meetings/\d+)\n)");
  ASSERT_FALSE(meeting.empty()) << scheduled.out;
  const std::string meeting_id = meeting.substr(std::strlen("meetings/"));
  EXPECT_TRUE(Contains(LineWith(scheduled.out, "種別"), "支援会議 (SUPPORT_MEETING)"))
      << scheduled.out;
  EXPECT_TRUE(Contains(LineWith(scheduled.out, "予定日時"), "2030-07-01 14:00")) << scheduled.out;
  EXPECT_TRUE(Contains(LineWith(scheduled.out, "ケース / case"), case_name_)) << scheduled.out;
  EXPECT_FALSE(Contains(scheduled.out, kMaterials)) << scheduled.out;
  // The request id is told before the call; a retry with it is the same meeting.
  const std::string request_id = Capture(
      scheduled.err,
      R"(request id: ([0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}))");
  ASSERT_FALSE(request_id.empty()) << scheduled.err;
  CasectlRun retried = ScheduleRun({{"--request-id", request_id}});
  ASSERT_EQ(retried.exit_code, 0) << retried.out << retried.err;
  EXPECT_EQ(Capture(retried.out, R"(meeting scheduled: (meetings/\d+)\n)"), meeting);

  // A participant who has not acknowledged sees the meeting listed but cannot read it.
  CasectlRun listed = Casectl({"meeting", "list"}, "agency-staff");
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  std::vector<std::string> lines = Lines(listed.out);
  ASSERT_EQ(lines.size(), 2u) << listed.out;
  EXPECT_EQ(ColumnOf(lines[1], meeting + " "), ColumnOf(lines[0], "名前")) << listed.out;
  EXPECT_EQ(ColumnOf(lines[1], "支援会議"), ColumnOf(lines[0], "種別")) << listed.out;
  EXPECT_EQ(ColumnOf(lines[1], "予定"), ColumnOf(lines[0], "状態")) << listed.out;
  EXPECT_EQ(ColumnOf(lines[1], "2030-07-01 14:00"), ColumnOf(lines[0], "予定日時")) << listed.out;
  EXPECT_EQ(ColumnOf(lines[1], case_name_ + " "), ColumnOf(lines[0], "ケース")) << listed.out;
  EXPECT_EQ(ColumnOf(lines[1], "0/2"), ColumnOf(lines[0], "守秘確認")) << listed.out;
  EXPECT_EQ(ColumnOf(lines[1], "第1回ケース検討会議"), ColumnOf(lines[0], "件名")) << listed.out;

  CasectlRun before = Casectl({"meeting", "get", meeting_id}, "agency-staff");
  EXPECT_EQ(before.exit_code, 1) << before.out << before.err;
  EXPECT_TRUE(Contains(before.err, "CONFIDENTIALITY_NOT_ACKNOWLEDGED")) << before.err;
  EXPECT_TRUE(Contains(before.err, "守秘義務")) << before.err;
  EXPECT_TRUE(Contains(before.err, "casectl meeting acknowledge " + meeting)) << before.err;
  EXPECT_FALSE(Contains(before.out + before.err, kMaterials));
  CasectlRun export_before =
      Casectl({"meeting", "export", meeting, "--out", files_.Sub("early.txt")}, "agency-staff");
  EXPECT_EQ(export_before.exit_code, 1) << export_before.out << export_before.err;
  EXPECT_TRUE(Contains(export_before.err, "meeting acknowledge")) << export_before.err;
  EXPECT_FALSE(std::filesystem::exists(files_.Sub("early.txt")));

  // Staff of another agency, not a participant, cannot tell that it exists, nor acknowledge it.
  CasectlRun outsider = Casectl({"meeting", "get", meeting}, "other-staff");
  EXPECT_EQ(outsider.exit_code, 1) << outsider.out << outsider.err;
  EXPECT_TRUE(Contains(outsider.err, "NOT_FOUND")) << outsider.err;
  EXPECT_FALSE(Contains(outsider.err, "acknowledge")) << outsider.err;
  EXPECT_FALSE(Contains(outsider.out + outsider.err, kMaterials));
  CasectlRun outsider_list = Casectl({"meeting", "list"}, "other-staff");
  ASSERT_EQ(outsider_list.exit_code, 0) << outsider_list.err;
  EXPECT_FALSE(Contains(outsider_list.out, meeting)) << outsider_list.out;
  EXPECT_TRUE(Contains(outsider_list.out, "該当する会議はありません")) << outsider_list.out;
  CasectlRun outsider_ack = Casectl({"meeting", "acknowledge", meeting}, "other-staff");
  EXPECT_EQ(outsider_ack.exit_code, 1) << outsider_ack.out << outsider_ack.err;
  EXPECT_TRUE(Contains(outsider_ack.err, "NOT_FOUND")) << outsider_ack.err;

  CasectlRun acknowledged = Casectl({"meeting", "acknowledge", meeting_id}, "agency-staff");
  ASSERT_EQ(acknowledged.exit_code, 0) << acknowledged.out << acknowledged.err;
  EXPECT_TRUE(Contains(acknowledged.out, "confidentiality acknowledged: " + meeting))
      << acknowledged.out;
  EXPECT_TRUE(Contains(acknowledged.out, "社会福祉法第106条の6")) << acknowledged.out;
  // When, in the local time zone.
  EXPECT_TRUE(std::regex_search(LineWith(acknowledged.out, "確認日時"), std::regex(kDateTime)))
      << acknowledged.out;

  CasectlRun after = Casectl({"meeting", "get", meeting}, "agency-staff");
  ASSERT_EQ(after.exit_code, 0) << after.out << after.err;
  EXPECT_TRUE(Contains(LineWith(after.out, "資料"), kMaterials)) << after.out;
  EXPECT_TRUE(Contains(LineWith(after.out, "状態"), "予定 (SCHEDULED)")) << after.out;
  const std::string staff_row = LineWith(after.out, "agency-staff ");
  EXPECT_TRUE(Contains(staff_row, "本人支援")) << after.out;
  EXPECT_TRUE(std::regex_search(staff_row, std::regex(kDateTime))) << after.out;
  EXPECT_FALSE(Contains(staff_row, "未確認")) << after.out;
  EXPECT_TRUE(Contains(LineWith(after.out, "coordinator "), "未確認")) << after.out;
  const std::string header = LineWith(after.out, "守秘義務の確認");
  EXPECT_EQ(ColumnOf(staff_row, "a1"), ColumnOf(header, "所属")) << after.out;
  EXPECT_EQ(ColumnOf(staff_row, "本人支援"), ColumnOf(header, "役割")) << after.out;

  // Bad minutes are refused before any call (exit 2), without repeating the action given.
  const std::vector<std::vector<std::string>> refused = {
      {"--held", "2999-01-01", "--policy", "p"},
      {"--held", Today()},
      {"--held", Today(), "--policy", "p", "--assign", "a1:2030-13-01:" + std::string(kVisit)},
      {"--held", Today(), "--policy", "p", "--assign", "a1::" + std::string(kVisit)},
      {"--held", Today(), "--policy", "p", "--assign", "a1:" + std::string(kVisit)},
      {"--held", Today(), "--policy", "p", "--assign", "北包括:2030-08-01:" + std::string(kVisit)},
      {"--held", Today(), "--policy", "p", "--decision", "d", "--decisions-file",
       files_.Sub("materials.txt")},
  };
  for (const auto& flags : refused) {
    std::vector<std::string> args = {"meeting", "minutes", meeting};
    args.insert(args.end(), flags.begin(), flags.end());
    CasectlRun run = Casectl(args);
    EXPECT_EQ(run.exit_code, 2) << flags.back() << "\n" << run.out << run.err;
    EXPECT_FALSE(Contains(run.err, kVisit)) << run.err;
  }
  EXPECT_TRUE(
      Contains(Casectl({"meeting", "minutes", meeting, "--held", Today()}).err, "支援方針"));
  EXPECT_TRUE(Contains(LineWith(Casectl({"meeting", "get", meeting}).out, "状態"), "予定"));

  // Minutes with two assignments, from a file (blank lines skipped, CRLF, a ':' in an action).
  CasectlRun minutes = RecordMinutes(meeting_id);
  ASSERT_EQ(minutes.exit_code, 0) << minutes.out << minutes.err;
  EXPECT_TRUE(Contains(minutes.out, "minutes recorded: " + meeting + " → 開催済み (HELD)"))
      << minutes.out;
  const std::string assignment_header = LineWith(minutes.out, "内容");
  const std::string r1 = LineWith(minutes.out, "r1 ");
  const std::string r2 = LineWith(minutes.out, "r2 ");
  EXPECT_EQ(ColumnOf(r1, "a1"), ColumnOf(assignment_header, "機関")) << minutes.out;
  EXPECT_EQ(ColumnOf(r1, "2030-08-01"), ColumnOf(assignment_header, "期限")) << minutes.out;
  EXPECT_EQ(ColumnOf(r1, "未了"), ColumnOf(assignment_header, "状態")) << minutes.out;
  EXPECT_EQ(ColumnOf(r1, kVisit), ColumnOf(assignment_header, "内容")) << minutes.out;
  EXPECT_EQ(ColumnOf(r2, "a2"), ColumnOf(assignment_header, "機関")) << minutes.out;
  EXPECT_EQ(ColumnOf(r2, kWork), ColumnOf(assignment_header, "内容")) << minutes.out;
  // Held once only.
  CasectlRun again = RecordMinutes(meeting_id);
  EXPECT_EQ(again.exit_code, 1) << again.out << again.err;
  EXPECT_TRUE(Contains(again.err, "MEETING_NOT_SCHEDULED")) << again.err;

  // agency-staff (a1) marks its assignment done; a2's is not its to mark.
  CasectlRun done =
      Casectl({"meeting", "assignment", meeting_id, "r1", "--status", "完了"}, "agency-staff");
  ASSERT_EQ(done.exit_code, 0) << done.out << done.err;
  EXPECT_TRUE(Contains(done.out, "assignment updated: " + meeting + "#r1")) << done.out;
  EXPECT_TRUE(Contains(LineWith(done.out, "状態 / status"), "完了 (DONE)")) << done.out;
  CasectlRun not_theirs =
      Casectl({"meeting", "assignment", meeting, "r2", "--status", "DONE"}, "agency-staff");
  EXPECT_EQ(not_theirs.exit_code, 1) << not_theirs.out << not_theirs.err;
  EXPECT_EQ(Casectl({"meeting", "assignment", meeting, "r1"}, "agency-staff").exit_code, 2);
  EXPECT_EQ(Casectl({"meeting", "assignment", meeting, "x1", "--status", "DONE"}).exit_code, 2);
  EXPECT_EQ(Casectl({"meeting", "assignment", meeting, "r1", "--status", "済"}).exit_code, 2);
  // other-staff (a2) moves its own assignment's due date but, outside the meeting, reads nothing.
  CasectlRun moved =
      Casectl({"meeting", "assignment", meeting, "2", "--due", "2030-09-01"}, "other-staff");
  ASSERT_EQ(moved.exit_code, 0) << moved.out << moved.err;
  EXPECT_TRUE(Contains(moved.out, "assignment updated: " + meeting + "#r2")) << moved.out;
  EXPECT_FALSE(Contains(moved.out, kWork)) << moved.out;

  CasectlRun held = Casectl({"meeting", "get", meeting});
  ASSERT_EQ(held.exit_code, 0) << held.out << held.err;
  EXPECT_TRUE(Contains(LineWith(held.out, "状態 / state"), "開催済み (HELD)")) << held.out;
  EXPECT_TRUE(Contains(LineWith(held.out, "開催日"), Today())) << held.out;
  EXPECT_TRUE(Contains(LineWith(held.out, "支援方針"), kPolicy)) << held.out;
  EXPECT_TRUE(Contains(LineWith(held.out, "決定事項"), "1. 週1回の訪問を続ける")) << held.out;
  EXPECT_TRUE(Contains(held.out, "2. 家計の相談につなぐ")) << held.out;
  const std::string held_header = LineWith(held.out, "状態更新");
  const std::string held_r1 = LineWith(held.out, "r1 ");
  const std::string held_r2 = LineWith(held.out, "r2 ");
  EXPECT_EQ(ColumnOf(held_r1, "完了"), ColumnOf(held_header, "状態")) << held.out;
  EXPECT_EQ(ColumnOf(held_r2, "未了"), ColumnOf(held_header, "状態")) << held.out;
  EXPECT_EQ(ColumnOf(held_r2, "2030-09-01"), ColumnOf(held_header, "期限")) << held.out;
  CasectlRun json = Casectl({"--json", "meeting", "get", meeting});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const auto assignments = nlohmann::json::parse(json.out)["minutes"]["assignments"];
  ASSERT_EQ(assignments.size(), 2u) << json.out;
  EXPECT_EQ(assignments[0]["status"], "DONE") << json.out;
  EXPECT_EQ(assignments[1]["status"], "OPEN") << json.out;
  EXPECT_EQ(assignments[1]["agency"], "agencies/a2") << json.out;
  EXPECT_EQ(assignments[1]["action"], kWork) << json.out;

  // The export replaces the file atomically, for its owner only, with the confidentiality notice.
  const std::string record = files_.Sub("record.txt");
  WriteFile(record, "old\n");
  CasectlRun exported = Casectl({"meeting", "export", meeting, "--out", record}, "agency-staff");
  ASSERT_EQ(exported.exit_code, 0) << exported.out << exported.err;
  EXPECT_TRUE(Contains(exported.out, "meeting record exported: " + meeting)) << exported.out;
  const std::string text = testing::ReadFile(record);
  EXPECT_TRUE(Contains(text, "【取扱注意】")) << text;
  EXPECT_TRUE(Contains(text, "社会福祉法第106条の6")) << text;
  EXPECT_TRUE(Contains(text, "守秘義務")) << text;
  EXPECT_TRUE(Contains(text, kPolicy)) << text;
  EXPECT_TRUE(Contains(text, kVisit)) << text;
  EXPECT_FALSE(Contains(text, "old")) << text;
  struct stat info {};
  ASSERT_EQ(stat(record.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  for (const auto& entry : std::filesystem::directory_iterator(files_.path())) {
    EXPECT_FALSE(Contains(entry.path().filename().string(), ".tmp-")) << entry.path();
  }
  const std::string leaked = files_.Sub("leaked.txt");
  CasectlRun outsider_export =
      Casectl({"meeting", "export", meeting, "--out", leaked}, "other-staff");
  EXPECT_EQ(outsider_export.exit_code, 1) << outsider_export.out << outsider_export.err;
  EXPECT_TRUE(Contains(outsider_export.err, "NOT_FOUND")) << outsider_export.err;
  EXPECT_FALSE(std::filesystem::exists(leaked));
  CasectlRun to_stdout = Casectl({"meeting", "export", meeting_id});
  ASSERT_EQ(to_stdout.exit_code, 0) << to_stdout.err;
  EXPECT_EQ(to_stdout.out, text);
}

TEST_F(CasectlMeetingTest, PlanFromTheMeetingIsReviewedAndVersioned) {
  const std::string meeting = Schedule();
  ASSERT_FALSE(meeting.empty());
  CasectlRun minutes = RecordMinutes(meeting);
  ASSERT_EQ(minutes.exit_code, 0) << minutes.out << minutes.err;

  CasectlRun empty = Casectl({"plan", "list", case_id_});
  ASSERT_EQ(empty.exit_code, 0) << empty.err;
  EXPECT_TRUE(Contains(empty.out, "支援計画はありません")) << empty.out;
  EXPECT_EQ(Casectl({"plan", "get", case_id_}).exit_code, 1);

  // Refused before any call: no evaluation item, an empty goal, an action without its text, a
  // meeting that is not a meeting's name, a version that is not a number.
  const std::vector<std::string> base = {"plan", "create", case_id_, "--goal", "m1:外出する"};
  const std::vector<std::vector<std::string>> refused = {
      {"--review-by", "2030-10-01"},
      {"--review-by", "2030-10-01", "--eval", "e", "--goal", "m1:"},
      {"--review-by", "2030-10-01", "--eval", "e", "--action", "a1:2030-01-01"},
      {"--review-by", "2030-10-01", "--eval", "e", "--meeting", "cases/1"},
      {"--review-by", "2030-10-01", "--eval", "e", "--evals-file", "x"},
      {"--review-by", "2030-02-30", "--eval", "e"},
  };
  for (const auto& flags : refused) {
    std::vector<std::string> args = base;
    args.insert(args.end(), flags.begin(), flags.end());
    CasectlRun run = Casectl(args);
    EXPECT_EQ(run.exit_code, 2) << flags.back() << "\n" << run.out << run.err;
  }
  EXPECT_EQ(Casectl({"plan", "get", case_id_, "--version", "0"}).exit_code, 2);
  // The server knows the household: m9 is nobody.
  CasectlRun stranger = Casectl({"plan", "create", case_id_, "--goal", "m9:外出する", "--eval", "e",
                                 "--review-by", "2030-10-01"});
  EXPECT_EQ(stranger.exit_code, 1) << stranger.out << stranger.err;
  EXPECT_TRUE(Contains(stranger.err, "member_id")) << stranger.err;

  // From the meeting, without --action: its assignments become the plan's actions.
  WriteFile(files_.Sub("goals.txt"), "m1:週に1回、地域の居場所に通う\n世帯の家計が安定する\n");
  CasectlRun created = Casectl({"plan", "create", case_name_, "--goals-file",
                                files_.Sub("goals.txt"), "--eval", "外出の回数", "--eval",
                                "家計の収支", "--review-by", "2030-10-01", "--meeting", meeting});
  ASSERT_EQ(created.exit_code, 0) << created.out << created.err;
  const std::string first = case_name_ + "/plans/1";
  EXPECT_TRUE(Contains(created.out, "plan version created: " + first + "\n")) << created.out;
  EXPECT_TRUE(Contains(LineWith(created.out, "会議 / meeting"), meeting)) << created.out;
  EXPECT_TRUE(Contains(LineWith(created.out, "現行"), "はい")) << created.out;
  const std::string goal_header = LineWith(created.out, "対象");
  EXPECT_EQ(ColumnOf(LineWith(created.out, "地域の居場所"), "m1"), ColumnOf(goal_header, "対象"))
      << created.out;
  EXPECT_EQ(ColumnOf(LineWith(created.out, "家計が安定"), "世帯全体"),
            ColumnOf(goal_header, "対象"))
      << created.out;
  const std::string action_header = LineWith(created.out, "役割分担");
  const std::string visit = LineWith(created.out, kVisit);
  EXPECT_EQ(ColumnOf(visit, "a1"), ColumnOf(action_header, "機関")) << created.out;
  EXPECT_EQ(ColumnOf(visit, "2030-08-01"), ColumnOf(action_header, "期限")) << created.out;
  EXPECT_EQ(ColumnOf(visit, meeting + "#r1"), ColumnOf(action_header, "役割分担")) << created.out;
  EXPECT_EQ(ColumnOf(LineWith(created.out, kWork), meeting + "#r2"),
            ColumnOf(action_header, "役割分担"))
      << created.out;

  CasectlRun json = Casectl({"--json", "plan", "get", case_id_});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const auto plan = nlohmann::json::parse(json.out);
  EXPECT_EQ(plan["name"], first) << json.out;
  ASSERT_EQ(plan["goals"].size(), 2u) << json.out;
  EXPECT_EQ(plan["goals"][0]["member_id"], "m1") << json.out;
  EXPECT_EQ(plan["goals"][0]["goal"], "週に1回、地域の居場所に通う") << json.out;
  EXPECT_FALSE(plan["goals"][1].contains("member_id")) << json.out;
  ASSERT_EQ(plan["actions"].size(), 2u) << json.out;
  EXPECT_EQ(plan["actions"][0]["action"], kVisit) << json.out;
  EXPECT_EQ(plan["actions"][1]["agency"], "agencies/a2") << json.out;
  EXPECT_EQ(plan["actions"][1]["assignment"], meeting + "#r2") << json.out;
  EXPECT_EQ(plan["next_review_date"]["month"], 10) << json.out;

  // A review: the next date is required unless the plan closes, and refused with a closure.
  const std::vector<std::string> review = {"plan", "review", case_id_, "--evaluation",
                                           "外出は月2回"};
  auto review_with = [&review](const std::vector<std::string>& extra) {
    std::vector<std::string> args = review;
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  };
  CasectlRun no_next = Casectl(review_with({"--decision", "継続"}));
  EXPECT_EQ(no_next.exit_code, 2) << no_next.out << no_next.err;
  EXPECT_TRUE(Contains(no_next.err, "--next")) << no_next.err;
  EXPECT_EQ(Casectl(review_with({"--decision", "CLOSE", "--next", "2030-12-01"})).exit_code, 2);
  EXPECT_EQ(Casectl(review_with({"--decision", "保留", "--next", "2030-12-01"})).exit_code, 2);
  WriteFile(files_.Sub("evaluation.txt"), "外出は月2回。家計は赤字が続く\n");
  CasectlRun reviewed = CasectlWithInput({"plan", "review", case_id_, "--evaluation-file", "-",
                                          "--decision", "見直し", "--next", "2030-12-01"},
                                         files_.Sub("evaluation.txt"));
  ASSERT_EQ(reviewed.exit_code, 0) << reviewed.out << reviewed.err;
  EXPECT_TRUE(Contains(reviewed.out, "review recorded: " + first + " #1 見直し (ADJUST)"))
      << reviewed.out;
  EXPECT_TRUE(Contains(LineWith(reviewed.out, "次回評価日 / next"), "2030-12-01")) << reviewed.out;
  const std::string review_header = LineWith(reviewed.out, "評価者");
  const std::string review_row = LineWith(reviewed.out, "家計は赤字");
  EXPECT_EQ(ColumnOf(review_row, Today()), ColumnOf(review_header, "評価日")) << reviewed.out;
  EXPECT_EQ(ColumnOf(review_row, "見直し"), ColumnOf(review_header, "判定")) << reviewed.out;
  EXPECT_EQ(ColumnOf(review_row, "coordinator"), ColumnOf(review_header, "評価者")) << reviewed.out;

  // A second version with its own action (no due date) replaces the first.
  CasectlRun second =
      Casectl({"plan", "create", case_id_, "--goal", "世帯の生活が安定する", "--eval", "生活の様子",
               "--review-by", "2031-01-15", "--action", "a1::月1回の見守り訪問"});
  ASSERT_EQ(second.exit_code, 0) << second.out << second.err;
  EXPECT_TRUE(Contains(second.out, "plan version created: " + case_name_ + "/plans/2\n"))
      << second.out;
  const std::string watch = LineWith(second.out, "月1回の見守り訪問");
  EXPECT_EQ(ColumnOf(watch, "-"), ColumnOf(LineWith(second.out, "役割分担"), "期限")) << second.out;

  CasectlRun listed = Casectl({"plan", "list", case_id_});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  const std::vector<std::string> lines = Lines(listed.out);
  ASSERT_EQ(lines.size(), 3u) << listed.out;
  EXPECT_EQ(ColumnOf(lines[1], case_name_ + "/plans/2"), ColumnOf(lines[0], "名前")) << listed.out;
  EXPECT_EQ(ColumnOf(lines[1], "現行"), ColumnOf(lines[0], "現行")) << listed.out;
  EXPECT_EQ(ColumnOf(lines[1], "2031-01-15"), ColumnOf(lines[0], "次回評価日")) << listed.out;
  EXPECT_EQ(ColumnOf(lines[2], first), ColumnOf(lines[0], "名前")) << listed.out;
  EXPECT_FALSE(Contains(lines[2], "現行")) << listed.out;
  EXPECT_EQ(ColumnOf(lines[2], meeting), ColumnOf(lines[0], "会議")) << listed.out;
  EXPECT_EQ(ColumnOf(lines[2], "2030-12-01"), ColumnOf(lines[0], "次回評価日")) << listed.out;
  EXPECT_EQ(ColumnOf(lines[2], "見直し"), ColumnOf(lines[0], "最終判定")) << listed.out;
  EXPECT_TRUE(lines[1].starts_with("2 ")) << listed.out;
  EXPECT_TRUE(lines[2].starts_with("1 ")) << listed.out;

  // The first version is read by number; only the plan in force is reviewed.
  CasectlRun old = Casectl({"plan", "get", case_id_, "--version", "1"});
  ASSERT_EQ(old.exit_code, 0) << old.out << old.err;
  EXPECT_TRUE(Contains(LineWith(old.out, "現行"), "いいえ")) << old.out;
  EXPECT_TRUE(Contains(old.out, "評価 / reviews (1)")) << old.out;
  CasectlRun stale =
      Casectl(review_with({"--version", "1", "--decision", "継続", "--next", "2031-03-01"}));
  EXPECT_EQ(stale.exit_code, 1) << stale.out << stale.err;
  EXPECT_TRUE(Contains(stale.err, "PLAN_NOT_CURRENT")) << stale.err;
  CasectlRun closed = Casectl(review_with({"--decision", "終結"}));
  ASSERT_EQ(closed.exit_code, 0) << closed.out << closed.err;
  EXPECT_TRUE(Contains(closed.out, case_name_ + "/plans/2 #1 終結 (CLOSE)")) << closed.out;

  // Staff outside the case's team read no plan.
  CasectlRun outsider = Casectl({"plan", "list", case_id_}, "other-staff");
  EXPECT_EQ(outsider.exit_code, 1) << outsider.out << outsider.err;
  EXPECT_TRUE(Contains(outsider.err, "NOT_FOUND")) << outsider.err;
}

TEST_F(CasectlMeetingTest, CancelListFiltersAndBadScheduleFlags) {
  const std::string held = Schedule();
  ASSERT_FALSE(held.empty());
  ASSERT_EQ(RecordMinutes(held).exit_code, 0);
  const std::string cancelled = Schedule({{"--title", "第2回ケース検討会議"}});
  ASSERT_FALSE(cancelled.empty());
  ASSERT_NE(held, cancelled);

  EXPECT_EQ(Casectl({"meeting", "cancel", cancelled}).exit_code, 2);
  EXPECT_EQ(Casectl({"meeting", "cancel", cancelled, "--reason", " 　"}).exit_code, 2);
  WriteFile(files_.Sub("reason.txt"), "本人の入院のため延期\n");
  CasectlRun cancel = CasectlWithInput({"meeting", "cancel", cancelled, "--reason-file", "-"},
                                       files_.Sub("reason.txt"));
  ASSERT_EQ(cancel.exit_code, 0) << cancel.out << cancel.err;
  EXPECT_TRUE(Contains(cancel.out, "meeting cancelled: " + cancelled)) << cancel.out;
  CasectlRun got = Casectl({"meeting", "get", cancelled});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  EXPECT_TRUE(Contains(LineWith(got.out, "状態 / state"), "中止 (CANCELLED)")) << got.out;
  EXPECT_TRUE(Contains(LineWith(got.out, "中止理由"), "本人の入院のため延期")) << got.out;
  CasectlRun late = RecordMinutes(cancelled);
  EXPECT_EQ(late.exit_code, 1) << late.out << late.err;
  EXPECT_TRUE(Contains(late.err, "MEETING_NOT_SCHEDULED")) << late.err;

  // Newest first; filters by state (label or name), type and case.
  CasectlRun all = Casectl({"meeting", "list"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  std::vector<std::string> lines = Lines(all.out);
  ASSERT_EQ(lines.size(), 3u) << all.out;
  EXPECT_TRUE(lines[1].starts_with(cancelled + " ")) << all.out;
  EXPECT_EQ(ColumnOf(lines[1], "中止"), ColumnOf(lines[0], "状態")) << all.out;
  EXPECT_TRUE(lines[2].starts_with(held + " ")) << all.out;
  EXPECT_EQ(ColumnOf(lines[2], "開催済み"), ColumnOf(lines[0], "状態")) << all.out;
  EXPECT_EQ(ColumnOf(lines[2], Today()), ColumnOf(lines[0], "開催日")) << all.out;
  lines = Lines(Casectl({"meeting", "list", "--state", "中止"}).out);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_TRUE(lines[1].starts_with(cancelled + " "));
  lines = Lines(Casectl({"meeting", "list", "--state", "HELD", "--case", case_id_}).out);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_TRUE(lines[1].starts_with(held + " "));
  CasectlRun advisers = Casectl({"meeting", "list", "--type", "アドバイザー会議"});
  ASSERT_EQ(advisers.exit_code, 0) << advisers.err;
  EXPECT_TRUE(Contains(advisers.out, "該当する会議はありません")) << advisers.out;
  CasectlRun paged = Casectl({"--json", "meeting", "list", "--page-size", "1"});
  ASSERT_EQ(paged.exit_code, 0) << paged.err;
  const auto page = nlohmann::json::parse(paged.out);
  ASSERT_EQ(page["meetings"].size(), 1u) << paged.out;
  EXPECT_EQ(page["meetings"][0]["name"], cancelled) << paged.out;
  EXPECT_FALSE(page.value("next_page_token", "").empty()) << paged.out;
  CasectlRun first_page = Casectl({"meeting", "list", "--page-size", "1"});
  ASSERT_EQ(first_page.exit_code, 0) << first_page.err;
  EXPECT_EQ(Lines(first_page.out).size(), 2u) << first_page.out;
  EXPECT_TRUE(Contains(first_page.err, "--page-token")) << first_page.err;
  CasectlRun every = Casectl({"--json", "meeting", "list", "--page-size", "1", "--all"});
  ASSERT_EQ(every.exit_code, 0) << every.err;
  EXPECT_EQ(nlohmann::json::parse(every.out)["meetings"].size(), 2u) << every.out;

  // Bad schedule flags: exit 2 and nothing scheduled.
  const Flags refused = {
      {"--type", "定例会"},
      {"--case", "R6-0001"},
      {"--title", " "},
      {"--at", "2030-07-01"},
      {"--at", "2030-07-01 25:00"},
      {"--at", "2030-02-30 10:00"},
      {"--participant", "other-staff"},
      {"--participant", "other-staff@a2:至急"},
      {"--participant", "Other Staff@a2:本人支援"},
      {"--participant", "other-staff@北包括:本人支援"},
      {"--participant", "agency-staff:オブザーバー"},
      {"--request-id", "two words"},
      {"--materials-file", files_.Sub("none.txt")},
  };
  for (const auto& flag : refused) {
    CasectlRun run = ScheduleRun({flag});
    EXPECT_EQ(run.exit_code, 2) << flag.first << " " << flag.second << "\n" << run.out << run.err;
  }
  CasectlRun role = ScheduleRun({{"--participant", "other-staff@a2:至急"}});
  EXPECT_TRUE(Contains(role.err, "--participant #3")) << role.err;
  EXPECT_TRUE(Contains(role.err, "本人支援 (PRINCIPAL_SUPPORT_ROLE)")) << role.err;
  CasectlRun no_case = Casectl({"meeting", "schedule", "--type", "SUPPORT_MEETING", "--title", "t",
                                "--at", "2030-07-01 10:00", "--participant", "coordinator:進行"});
  EXPECT_EQ(no_case.exit_code, 2) << no_case.out << no_case.err;
  EXPECT_TRUE(Contains(no_case.err, "--case")) << no_case.err;
  EXPECT_EQ(Casectl({"meeting", "get", "meetings/x"}).exit_code, 2);
  EXPECT_EQ(Lines(Casectl({"meeting", "list"}).out).size(), 3u);

  // An adviser meeting needs no case.
  CasectlRun adviser = Casectl({"meeting", "schedule", "--type", "ADVISER_MEETING", "--title",
                                "第3回アドバイザー会議", "--at", "2030/7/9 9:30", "--participant",
                                "coordinator:FACILITATOR"});
  ASSERT_EQ(adviser.exit_code, 0) << adviser.out << adviser.err;
  EXPECT_TRUE(Contains(LineWith(adviser.out, "予定日時"), "2030-07-09 09:30")) << adviser.out;
  EXPECT_TRUE(Contains(LineWith(adviser.out, "ケース / case"), "-")) << adviser.out;
}

}  // namespace
}  // namespace casecoord
