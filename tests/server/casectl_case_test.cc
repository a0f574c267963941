// casectl case ... as people run it: the real casectl binary against a real server, checked on
// what it prints and on its exit status.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "casecoord/v1/directory.grpc.pb.h"
#include "services/common/fiscal_year.h"
#include "services/common/grpc_errors.h"
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

// The first group of `pattern` in `text`, or "".
std::string Capture(const std::string& text, const std::string& pattern) {
  std::smatch match;
  return std::regex_search(text, match, std::regex(pattern)) ? match[1].str() : "";
}

constexpr char kProblem[] = "母の認知症が進み、50代の長男は10年以上外出していない";

// `bytes` as the file `path`.
void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
  ASSERT_TRUE(out.good()) << path;
}

class CasectlCaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.ca().WriteTo(pki_.path(), {"coordinator", "agency-staff"});
    // CreateCase needs the referring agency in the directory.
    auto directory = v1::AgencyDirectory::NewStub(server_.ChannelFor("coordinator"));
    v1::CreateAgencyRequest create;
    create.set_agency_id("a1");
    create.mutable_agency()->set_display_name("北地域包括支援センター");
    create.mutable_agency()->set_kana("キタチイキホウカツ");
    create.mutable_agency()->set_kind(v1::COMMUNITY_GENERAL_SUPPORT_CENTER);
    v1::Agency created;
    grpc::ClientContext context;
    const grpc::Status status = directory->CreateAgency(&context, create, &created);
    ASSERT_TRUE(status.ok()) << DescribeGrpcError(status);
  }

  // Runs casectl as `user` with `args` (after the connection flags) and waits for it.
  CasectlRun Casectl(const std::vector<std::string>& args,
                     const std::string& user = "coordinator") {
    std::vector<std::string> argv = {CASECTL_PATH,
                                     "--server=" + server_.target(),
                                     "--ca=" + pki_.Sub("ca.crt"),
                                     "--pki-dir=" + pki_.path(),
                                     "--user=" + user,
                                     "--timeout=20"};
    argv.insert(argv.end(), args.begin(), args.end());
    return testing::RunProcess(argv, files_.path());
  }

  // Casectl with standard input read from the file `input` (RunProcess leaves it inherited).
  CasectlRun CasectlWithInput(const std::vector<std::string>& args, const std::string& input) {
    std::vector<std::string> argv = {CASECTL_PATH,
                                     "--server=" + server_.target(),
                                     "--ca=" + pki_.Sub("ca.crt"),
                                     "--pki-dir=" + pki_.path(),
                                     "--user=coordinator",
                                     "--timeout=20"};
    argv.insert(argv.end(), args.begin(), args.end());
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

  // Opens a case (Open()) and returns its name, "cases/N"; "" after a test failure.
  std::string OpenCase(const std::vector<std::string>& extra = {}) {
    CasectlRun opened = Open(extra);
    EXPECT_EQ(opened.exit_code, 0) << opened.out << opened.err;
    const std::string name = Capture(opened.out, R"(case opened: \S+ \((cases/\d+)\))");
    EXPECT_FALSE(name.empty()) << opened.out;
    return name;
  }

  // Adds agencies/a2 to the directory, for referrals to a second agency.
  void AddSecondAgency() {
    auto directory = v1::AgencyDirectory::NewStub(server_.ChannelFor("coordinator"));
    v1::CreateAgencyRequest create;
    create.set_agency_id("a2");
    create.mutable_agency()->set_display_name("北区障害者基幹相談支援センター");
    create.mutable_agency()->set_kana("キタクショウガイシャキカンソウダンシエンセンター");
    create.mutable_agency()->set_kind(v1::DISABILITY_CORE_CONSULTATION_CENTER);
    v1::Agency created;
    grpc::ClientContext context;
    const grpc::Status status = directory->CreateAgency(&context, create, &created);
    ASSERT_TRUE(status.ok()) << DescribeGrpcError(status);
  }

  // `case open` of a household of two, with `extra` flags.
  CasectlRun Open(const std::vector<std::string>& extra = {},
                  const std::string& urgency = "早期対応") {
    std::vector<std::string> args = {"case",
                                     "open",
                                     "--district",
                                     "kita",
                                     "--referrer",
                                     "a1",
                                     "--problem",
                                     kProblem,
                                     "--member",
                                     "m1:架空 一郎:長男:本人:hikikomori",
                                     "--member",
                                     "m2：架空 花子：母：dementia",
                                     "--household-tag",
                                     "8050",
                                     "--urgency",
                                     urgency,
                                     "--consent",
                                     "同意あり"};
    args.insert(args.end(), extra.begin(), extra.end());
    return Casectl(args);
  }

  testing::TestServer server_;
  testing::TempDir pki_;
  testing::TempDir files_;
};

TEST_F(CasectlCaseTest, OpenRetryListMoveAndHistory) {
  // Without --request-id, casectl makes one (a UUID v4) and tells it before the call.
  CasectlRun opened = Open();
  ASSERT_EQ(opened.exit_code, 0) << opened.out << opened.err;
  const std::string number = Capture(opened.out, R"(case opened: (R\d+-\d+) )");
  const std::string name = Capture(opened.out, R"(case opened: \S+ \((cases/\d+)\))");
  ASSERT_FALSE(number.empty()) << opened.out;
  ASSERT_FALSE(name.empty()) << opened.out;
  const std::string request_id = Capture(
      opened.err,
      R"(request id: ([0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}))");
  ASSERT_FALSE(request_id.empty()) << opened.err;
  EXPECT_NE(LineWith(opened.out, "リクエストID").find(request_id), std::string::npos);

  // A retry with that id is the same case, not a second one.
  CasectlRun retried = Open({"--request-id", request_id});
  ASSERT_EQ(retried.exit_code, 0) << retried.out << retried.err;
  EXPECT_EQ(Capture(retried.out, R"(case opened: \S+ \((cases/\d+)\))"), name) << retried.out;

  // The list: one case, columns aligned by display width, the problem cut short.
  CasectlRun listed = Casectl({"case", "list"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  const std::vector<std::string> lines = Lines(listed.out);
  ASSERT_EQ(lines.size(), 2u) << listed.out;
  for (const auto& line : lines) {
    EXPECT_EQ(text::DisplayWidth(line), text::DisplayWidth(lines[0])) << listed.out;
  }
  EXPECT_EQ(ColumnOf(lines[1], number), ColumnOf(lines[0], "受付番号"));
  EXPECT_EQ(ColumnOf(lines[1], name + " "), ColumnOf(lines[0], "名前"));
  EXPECT_EQ(ColumnOf(lines[1], "受付"), ColumnOf(lines[0], "状態"));
  EXPECT_EQ(ColumnOf(lines[1], "kita"), ColumnOf(lines[0], "地区"));
  EXPECT_EQ(ColumnOf(lines[1], "母の認知症"), ColumnOf(lines[0], "主訴"));
  EXPECT_EQ(lines[1].find(kProblem), std::string::npos) << listed.out;
  EXPECT_NE(lines[1].find("..."), std::string::npos) << listed.out;
  // A state filter that matches nothing.
  EXPECT_EQ(Casectl({"case", "list", "--state", "支援中"}).out.find(name), std::string::npos);

  // get shows the household with Japanese labels.
  const std::string id = name.substr(std::strlen("cases/"));
  CasectlRun got = Casectl({"case", "get", id});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  EXPECT_NE(LineWith(got.out, "受付番号").find(number), std::string::npos) << got.out;
  EXPECT_NE(LineWith(got.out, "緊急度").find("早期対応"), std::string::npos) << got.out;
  EXPECT_NE(LineWith(got.out, "つなぎ元").find("a1"), std::string::npos) << got.out;
  EXPECT_NE(LineWith(got.out, "相談内容").find(kProblem), std::string::npos) << got.out;
  const std::string son = LineWith(got.out, "架空 一郎");
  EXPECT_NE(son.find("はい"), std::string::npos) << got.out;
  EXPECT_NE(son.find("hikikomori"), std::string::npos) << got.out;
  EXPECT_NE(LineWith(got.out, "架空 花子").find("dementia"), std::string::npos) << got.out;

  // Lifecycle: INTAKE cannot go straight to IN_SUPPORT; COORDINATING is fine.
  CasectlRun refused = Casectl({"case", "transition", name, "--to", "IN_SUPPORT"});
  EXPECT_EQ(refused.exit_code, 1) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("INTAKE"), std::string::npos) << refused.err;
  CasectlRun moved = Casectl({"case", "transition", name, "--to", "支援調整中"});
  ASSERT_EQ(moved.exit_code, 0) << moved.err;
  EXPECT_NE(moved.out.find("支援調整中"), std::string::npos) << moved.out;

  CasectlRun history = Casectl({"case", "history", id});
  ASSERT_EQ(history.exit_code, 0) << history.err;
  const std::vector<std::string> events = Lines(history.out);
  ASSERT_EQ(events.size(), 3u) << history.out;
  EXPECT_NE(events[1].find("coordinator"), std::string::npos) << history.out;
  EXPECT_NE(events[2].find("受付 → 支援調整中"), std::string::npos) << history.out;
  EXPECT_EQ(ColumnOf(events[2], "状態変更"), ColumnOf(events[0], "種別"));

  // Agency staff outside the case's team cannot tell that it exists.
  CasectlRun outsider = Casectl({"case", "get", name}, "agency-staff");
  EXPECT_EQ(outsider.exit_code, 1) << outsider.out;
  EXPECT_NE(outsider.err.find("NOT_FOUND"), std::string::npos) << outsider.err;
  EXPECT_EQ(outsider.out.find("架空"), std::string::npos) << outsider.out;
}

TEST_F(CasectlCaseTest, AnIntakeDateNumbersTheCaseInItsFiscalYearAndIsShown) {
  CasectlRun opened = Open({"--intake-date", "2019-04-01"});
  ASSERT_EQ(opened.exit_code, 0) << opened.out << opened.err;
  const std::string name = Capture(opened.out, R"(case opened: \S+ \((cases/\d+)\))");
  EXPECT_EQ(Capture(opened.out, R"(case opened: (\S+) )"), "R1-0001") << opened.out;
  EXPECT_NE(LineWith(opened.out, "受付日").find("2019-04-01"), std::string::npos) << opened.out;

  CasectlRun listed = Casectl({"case", "list"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  const std::vector<std::string> lines = Lines(listed.out);
  ASSERT_EQ(lines.size(), 2u) << listed.out;
  EXPECT_EQ(ColumnOf(lines[1], "2019-04-01"), ColumnOf(lines[0], "受付日")) << listed.out;

  CasectlRun got = Casectl({"case", "get", name});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  EXPECT_NE(LineWith(got.out, "受付日 / intake_date").find("2019-04-01"), std::string::npos)
      << got.out;
  EXPECT_NE(LineWith(got.out, "年度").find("令和元年度"), std::string::npos) << got.out;

  // Not a date, or a day to come: refused before anything is sent.
  CasectlRun bad = Open({"--intake-date", "2019-02-30"});
  EXPECT_EQ(bad.exit_code, 2) << bad.out << bad.err;
  EXPECT_NE(bad.err.find("--intake-date"), std::string::npos) << bad.err;
  CasectlRun future = Open({"--intake-date", "2999-01-01"});
  EXPECT_EQ(future.exit_code, 2) << future.out << future.err;
  EXPECT_EQ(Lines(Casectl({"case", "list"}).out).size(), 2u);
}

TEST_F(CasectlCaseTest, BadFlagsAreUsageErrorsAndOpenNothing) {
  // Too few fields: exit 2, naming the member by position and not repeating the name given.
  CasectlRun short_spec = Casectl({"case", "open", "--district", "kita", "--referrer", "a1",
                                   "--problem", kProblem, "--member", "m1:架空 一郎"});
  EXPECT_EQ(short_spec.exit_code, 2) << short_spec.out << short_spec.err;
  EXPECT_NE(short_spec.err.find("--member #1"), std::string::npos) << short_spec.err;
  EXPECT_EQ(short_spec.err.find("架空 一郎"), std::string::npos) << short_spec.err;
  // Two principals, an unknown urgency, a case number no case has, an outcome without a closure:
  // all refused before the command's call.
  EXPECT_EQ(Open({"--member", "m3:架空 三郎:本人"}).exit_code, 2);
  EXPECT_EQ(Open({"--member", "m1:架空 次郎:次男"}).exit_code, 2);  // m1 twice
  CasectlRun urgency = Open({}, "至急");
  EXPECT_EQ(urgency.exit_code, 2);
  EXPECT_NE(urgency.err.find("緊急 (URGENT)"), std::string::npos) << urgency.err;
  EXPECT_EQ(Casectl({"case", "get", "R6-0001"}).exit_code, 2);
  EXPECT_EQ(Casectl({"case", "transition", "1", "--to", "支援調整中", "--outcome", "円滑に解決"})
                .exit_code,
            2);
  EXPECT_EQ(Casectl({"case", "close", "1", "--outcome", "NOT_RESOLVED_REVIEWED"}).exit_code, 2);
  // A negative page size, in the listing and in the search alike (0 asks for the server's).
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"case", "list", "--page-size", "-1"},
           {"case", "search", "--kana", "かくう", "--page-size", "-5"}}) {
    CasectlRun negative = Casectl(args);
    EXPECT_EQ(negative.exit_code, 2) << negative.out << negative.err;
    EXPECT_NE(negative.err.find("--page-size: must be 0 (server default) or more"),
              std::string::npos)
        << negative.err;
  }

  CasectlRun listed = Casectl({"--json", "case", "list"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_FALSE(nlohmann::json::parse(listed.out).contains("cases")) << listed.out;
}

TEST_F(CasectlCaseTest, ConsultationLogAppendsAndLinksACorrectionBothWays) {
  // Received before the day the first entry is dated (nothing may precede the intake).
  const std::string name = OpenCase({"--intake-date", "2025-04-01"});
  ASSERT_FALSE(name.empty());
  const std::string id = name.substr(std::strlen("cases/"));

  CasectlRun empty = Casectl({"case", "log", id});
  ASSERT_EQ(empty.exit_code, 0) << empty.err;
  EXPECT_NE(empty.out.find("相談記録はありません"), std::string::npos) << empty.out;

  // A phone call on a given day (labels); a coordination contact today (value names, a file).
  CasectlRun call = Casectl({"case", "log", id, "--kind", "電話", "--method", "電話", "--date",
                             "2025-04-02", "--summary", "長男の様子を母に電話で確認"});
  ASSERT_EQ(call.exit_code, 0) << call.out << call.err;
  EXPECT_NE(call.out.find("consultation logged: " + name + "/consultations/1\n"), std::string::npos)
      << call.out;
  WriteFile(files_.Sub("contact.txt"), "包括と訪問日程を調整\n");
  CasectlRun contact = Casectl({"case", "log", name, "--kind", "COORDINATION_CONTACT", "--agency",
                                "agencies/a1", "--summary-file", files_.Sub("contact.txt")});
  ASSERT_EQ(contact.exit_code, 0) << contact.out << contact.err;
  EXPECT_NE(contact.out.find(name + "/consultations/2\n"), std::string::npos) << contact.out;
  const std::string today = FormatJstDate(std::chrono::system_clock::now());

  // Refused before any call (exit 2): a coordination contact without its agency, an agency on
  // another kind, no summary, a future date, a correction without a reason, a reason without a
  // correction, a correction of another case's entry, a correction without --amends.
  const std::vector<std::vector<std::string>> refused = {
      {"--kind", "個別調整", "--summary", "x"},
      {"--kind", "相談", "--agency", "a1", "--summary", "x"},
      {"--kind", "相談"},
      {"--kind", "相談", "--summary", "x", "--date", "2999-01-01"},
      {"--amends", "1", "--summary", "x"},
      {"--kind", "相談", "--reason", "r", "--summary", "x"},
      {"--amends", "cases/999/consultations/1", "--reason", "r", "--summary", "x"},
      {"--kind", "AMENDMENT", "--reason", "r", "--summary", "x"},
  };
  for (const auto& flags : refused) {
    std::vector<std::string> args = {"case", "log", id};
    args.insert(args.end(), flags.begin(), flags.end());
    CasectlRun run = Casectl(args);
    EXPECT_EQ(run.exit_code, 2) << flags[0] << " " << flags[1] << "\n" << run.out << run.err;
  }
  // The server refuses to correct an entry that does not exist.
  CasectlRun missing =
      Casectl({"case", "log", id, "--amends", "9", "--reason", "r", "--summary", "x"});
  EXPECT_EQ(missing.exit_code, 1) << missing.out << missing.err;
  EXPECT_NE(missing.err.find("entry.amends"), std::string::npos) << missing.err;

  // A correction of entry 1: AMENDMENT is implied by --amends.
  CasectlRun corrected =
      Casectl({"case", "log", id, "--amends", name + "/consultations/1", "--reason", "日付の誤り",
               "--date", "2025-04-03", "--summary", "長男の様子を母に電話で確認（4月3日）"});
  ASSERT_EQ(corrected.exit_code, 0) << corrected.out << corrected.err;
  EXPECT_NE(corrected.out.find(name + "/consultations/3\n"), std::string::npos) << corrected.out;

  // The log shows all three, aligned, the original and its correction pointing at each other.
  CasectlRun log = Casectl({"case", "log", id});
  ASSERT_EQ(log.exit_code, 0) << log.err;
  const std::vector<std::string> lines = Lines(log.out);
  ASSERT_EQ(lines.size(), 4u) << log.out;
  const std::string& header = lines[0];
  EXPECT_EQ(ColumnOf(lines[1], "2025-04-02"), ColumnOf(header, "日付")) << log.out;
  EXPECT_EQ(ColumnOf(lines[1], "電話"), ColumnOf(header, "種別")) << log.out;
  EXPECT_EQ(ColumnOf(lines[1], "coordinator"), ColumnOf(header, "記録者")) << log.out;
  EXPECT_EQ(ColumnOf(lines[1], "訂正あり ← 3"), ColumnOf(header, "訂正")) << log.out;
  EXPECT_EQ(ColumnOf(lines[1], "長男の様子を母に電話で確認"), ColumnOf(header, "内容")) << log.out;
  EXPECT_EQ(ColumnOf(lines[2], today), ColumnOf(header, "日付")) << log.out;
  EXPECT_EQ(ColumnOf(lines[2], "個別調整"), ColumnOf(header, "種別")) << log.out;
  EXPECT_EQ(ColumnOf(lines[2], "a1"), ColumnOf(header, "機関")) << log.out;
  EXPECT_EQ(ColumnOf(lines[2], "包括と訪問日程を調整"), ColumnOf(header, "内容")) << log.out;
  EXPECT_EQ(lines[2].find("訂正"), std::string::npos) << log.out;
  EXPECT_EQ(ColumnOf(lines[3], "2025-04-03"), ColumnOf(header, "日付")) << log.out;
  EXPECT_EQ(ColumnOf(lines[3], "訂正"), ColumnOf(header, "種別")) << log.out;
  EXPECT_EQ(ColumnOf(lines[3], "訂正 → 1"), ColumnOf(header, "訂正")) << log.out;
  EXPECT_NE(lines[3].find("（4月3日）（訂正理由: 日付の誤り）"), std::string::npos) << log.out;

  CasectlRun json = Casectl({"--json", "case", "log", id});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const auto entries = nlohmann::json::parse(json.out)["entries"];
  ASSERT_EQ(entries.size(), 3u) << json.out;
  EXPECT_EQ(entries[0]["amended_by"][0], name + "/consultations/3") << json.out;
  EXPECT_EQ(entries[1]["agency"], "agencies/a1") << json.out;
  EXPECT_EQ(entries[2]["kind"], "AMENDMENT") << json.out;
  EXPECT_EQ(entries[2]["amends"], name + "/consultations/1") << json.out;

  // Agency staff outside the team read nothing of it.
  CasectlRun outsider = Casectl({"case", "log", id}, "agency-staff");
  EXPECT_EQ(outsider.exit_code, 1) << outsider.out;
  EXPECT_NE(outsider.err.find("NOT_FOUND"), std::string::npos) << outsider.err;
  EXPECT_EQ(outsider.out.find("長男"), std::string::npos) << outsider.out;
}

TEST_F(CasectlCaseTest, ReferralAcceptedFromTheInboxOpensTheCaseToTheAgency) {
  const std::string name = OpenCase();
  ASSERT_FALSE(name.empty());
  const std::string id = name.substr(std::strlen("cases/"));
  EXPECT_EQ(Casectl({"case", "get", name}, "agency-staff").exit_code, 1);
  CasectlRun empty_inbox = Casectl({"case", "referrals"}, "agency-staff");
  ASSERT_EQ(empty_inbox.exit_code, 0) << empty_inbox.err;
  EXPECT_NE(empty_inbox.out.find("回答待ちの紹介はありません"), std::string::npos)
      << empty_inbox.out;

  EXPECT_EQ(Casectl({"case", "refer", id, "--agency", "a1", "--role", "応援"}).exit_code, 2);
  WriteFile(files_.Sub("note.txt"), "長男の就労について相談したい\n");
  CasectlRun referred = Casectl({"case", "refer", id, "--agency", "a1", "--role", "本人支援",
                                 "--note-file", files_.Sub("note.txt")});
  ASSERT_EQ(referred.exit_code, 0) << referred.out << referred.err;
  const std::string referral =
      Capture(referred.out, R"(referral created: (cases/\d+/referrals/\d+)\n)");
  EXPECT_EQ(referral, name + "/referrals/1") << referred.out;
  // A second pending referral to the same agency is the server's FAILED_PRECONDITION.
  CasectlRun again = Casectl({"case", "refer", id, "--agency", "a1", "--role", "PARTNER_SUPPORT"});
  EXPECT_EQ(again.exit_code, 1) << again.out << again.err;
  EXPECT_NE(again.err.find("FAILED_PRECONDITION"), std::string::npos) << again.err;

  // The agency's inbox shows it; a coordinator, who belongs to no agency, has no inbox.
  CasectlRun inbox = Casectl({"case", "referrals"}, "agency-staff");
  ASSERT_EQ(inbox.exit_code, 0) << inbox.err;
  const std::vector<std::string> lines = Lines(inbox.out);
  ASSERT_EQ(lines.size(), 2u) << inbox.out;
  EXPECT_EQ(ColumnOf(lines[1], referral + " "), ColumnOf(lines[0], "名前")) << inbox.out;
  EXPECT_EQ(ColumnOf(lines[1], "本人支援"), ColumnOf(lines[0], "役割")) << inbox.out;
  EXPECT_EQ(ColumnOf(lines[1], "回答待ち"), ColumnOf(lines[0], "状態")) << inbox.out;
  EXPECT_EQ(ColumnOf(lines[1], "coordinator"), ColumnOf(lines[0], "紹介者")) << inbox.out;
  EXPECT_EQ(ColumnOf(lines[1], "長男の就労について相談したい"), ColumnOf(lines[0], "メモ"))
      << inbox.out;
  CasectlRun no_inbox = Casectl({"case", "referrals"});
  EXPECT_EQ(no_inbox.exit_code, 1) << no_inbox.out;
  EXPECT_NE(no_inbox.err.find("FAILED_PRECONDITION"), std::string::npos) << no_inbox.err;

  CasectlRun accepted = Casectl({"case", "accept", referral}, "agency-staff");
  ASSERT_EQ(accepted.exit_code, 0) << accepted.out << accepted.err;
  EXPECT_NE(accepted.out.find("referral accepted: " + referral), std::string::npos) << accepted.out;
  EXPECT_NE(LineWith(accepted.out, "状態").find("受諾 (ACCEPTED)"), std::string::npos)
      << accepted.out;

  // On the team now: its staff read the case and write in its log.
  CasectlRun got = Casectl({"case", "get", name}, "agency-staff");
  ASSERT_EQ(got.exit_code, 0) << got.out << got.err;
  EXPECT_NE(LineWith(got.out, "支援チーム").find("a1 (本人支援)"), std::string::npos) << got.out;
  EXPECT_NE(LineWith(got.out, "相談内容").find(kProblem), std::string::npos) << got.out;
  CasectlRun logged = Casectl(
      {"case", "log", id, "--kind", "家庭訪問", "--summary", "長男と初めて面談"}, "agency-staff");
  EXPECT_EQ(logged.exit_code, 0) << logged.out << logged.err;
  CasectlRun answered_inbox = Casectl({"case", "referrals"}, "agency-staff");
  EXPECT_EQ(answered_inbox.out.find(referral), std::string::npos) << answered_inbox.out;
  CasectlRun listed = Casectl({"case", "referrals", id});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  const std::string row = LineWith(listed.out, referral);
  EXPECT_NE(row.find("受諾"), std::string::npos) << listed.out;
  EXPECT_NE(row.find("agency-staff"), std::string::npos) << listed.out;
  // Answered once only.
  CasectlRun twice = Casectl({"case", "accept", referral}, "agency-staff");
  EXPECT_EQ(twice.exit_code, 1) << twice.out;
  EXPECT_NE(twice.err.find("FAILED_PRECONDITION"), std::string::npos) << twice.err;
}

TEST_F(CasectlCaseTest, DeclineNeedsAReasonAndRevokeIsForCoordinators) {
  AddSecondAgency();
  const std::string name = OpenCase();
  ASSERT_FALSE(name.empty());
  const std::string id = name.substr(std::strlen("cases/"));
  CasectlRun referred =
      Casectl({"case", "refer", id, "--agency", "a1", "--role", "パートナー支援"});
  ASSERT_EQ(referred.exit_code, 0) << referred.out << referred.err;
  const std::string referral = name + "/referrals/1";
  ASSERT_NE(referred.out.find(referral), std::string::npos) << referred.out;
  CasectlRun history_before = Casectl({"case", "history", id});
  ASSERT_EQ(history_before.exit_code, 0) << history_before.err;

  // Without a reason (or with blanks only) the decline is refused before any call, in both
  // languages, and nothing changes.
  for (const auto& flags : std::vector<std::vector<std::string>>{{}, {"--reason", " 　"}}) {
    std::vector<std::string> args = {"case", "decline", referral};
    args.insert(args.end(), flags.begin(), flags.end());
    CasectlRun refused = Casectl(args, "agency-staff");
    EXPECT_EQ(refused.exit_code, 2) << refused.out << refused.err;
    EXPECT_NE(refused.err.find("辞退には理由が必要です"), std::string::npos) << refused.err;
    EXPECT_NE(refused.err.find("needs a reason"), std::string::npos) << refused.err;
  }
  EXPECT_EQ(Casectl({"case", "history", id}).out, history_before.out);
  EXPECT_NE(LineWith(Casectl({"case", "referrals", id}).out, referral).find("回答待ち"),
            std::string::npos);
  EXPECT_NE(Casectl({"case", "referrals"}, "agency-staff").out.find(referral), std::string::npos);

  CasectlRun declined =
      Casectl({"case", "decline", referral, "--reason", "担当地区外のため", "--propose", "a2"},
              "agency-staff");
  ASSERT_EQ(declined.exit_code, 0) << declined.out << declined.err;
  EXPECT_NE(declined.out.find("referral declined: " + referral), std::string::npos) << declined.out;
  EXPECT_NE(LineWith(declined.out, "辞退理由").find("担当地区外のため"), std::string::npos)
      << declined.out;
  EXPECT_NE(LineWith(declined.out, "提案先").find("a2"), std::string::npos) << declined.out;
  CasectlRun listed = Casectl({"case", "referrals", id});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  std::vector<std::string> lines = Lines(listed.out);
  ASSERT_EQ(lines.size(), 2u) << listed.out;
  EXPECT_EQ(ColumnOf(lines[1], "辞退"), ColumnOf(lines[0], "状態")) << listed.out;
  EXPECT_EQ(ColumnOf(lines[1], "agency-staff"), ColumnOf(lines[0], "回答者")) << listed.out;
  EXPECT_EQ(ColumnOf(lines[1], "担当地区外のため（提案: a2）"), ColumnOf(lines[0], "辞退理由"))
      << listed.out;
  // Declining gives no access; the inbox is empty again.
  EXPECT_EQ(Casectl({"case", "get", name}, "agency-staff").exit_code, 1);
  EXPECT_EQ(Casectl({"case", "referrals"}, "agency-staff").out.find(referral), std::string::npos);

  // The proposed agency is asked next; only a coordinator may withdraw that.
  CasectlRun second = Casectl({"case", "refer", id, "--agency", "a2", "--role", "本人支援"});
  ASSERT_EQ(second.exit_code, 0) << second.out << second.err;
  const std::string second_referral = name + "/referrals/2";
  ASSERT_NE(second.out.find(second_referral), std::string::npos) << second.out;
  CasectlRun not_allowed = Casectl({"case", "revoke", second_referral}, "agency-staff");
  EXPECT_EQ(not_allowed.exit_code, 1) << not_allowed.out;
  CasectlRun revoked = Casectl({"case", "revoke", second_referral});
  ASSERT_EQ(revoked.exit_code, 0) << revoked.out << revoked.err;
  EXPECT_NE(LineWith(revoked.out, "状態").find("取消 (REVOKED)"), std::string::npos) << revoked.out;
  EXPECT_EQ(Casectl({"case", "accept", "cases/x/referrals/1"}).exit_code, 2);
}

TEST_F(CasectlCaseTest, ProblemFromAFileOrStandardInputStaysOffTheCommandLine) {
  const std::vector<std::string> base = {"case",       "open", "--district", "kita",
                                         "--referrer", "a1",   "--member",   "m1:架空 一郎:本人"};
  auto open_with = [&base](const std::vector<std::string>& extra) {
    std::vector<std::string> args = base;
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  };
  auto problem_of = [this](const std::string& name) {
    CasectlRun got = Casectl({"--json", "case", "get", name});
    EXPECT_EQ(got.exit_code, 0) << got.err;
    return nlohmann::json::parse(got.out).value("presenting_problem", "");
  };

  CasectlRun help = Casectl({"case", "open", "--help"});
  EXPECT_EQ(help.exit_code, 0) << help.err;
  EXPECT_NE(help.out.find("prefer --problem-file"), std::string::npos) << help.out;

  // As Windows Notepad saves it: a byte order mark and CRLF line ends.
  WriteFile(files_.Sub("problem.txt"),
            "\xEF\xBB\xBF母の認知症が進んでいる。\r\n長男は外出していない。\r\n");
  CasectlRun from_file = Casectl(open_with({"--problem-file", files_.Sub("problem.txt")}));
  ASSERT_EQ(from_file.exit_code, 0) << from_file.out << from_file.err;
  const std::string first = Capture(from_file.out, R"(case opened: \S+ \((cases/\d+)\))");
  EXPECT_EQ(problem_of(first), "母の認知症が進んでいる。\n長男は外出していない。");

  WriteFile(files_.Sub("stdin.txt"), "父が入院し、娘が弟の世話をしている\n");
  CasectlRun from_stdin =
      CasectlWithInput(open_with({"--problem-file", "-"}), files_.Sub("stdin.txt"));
  ASSERT_EQ(from_stdin.exit_code, 0) << from_stdin.out << from_stdin.err;
  const std::string second = Capture(from_stdin.out, R"(case opened: \S+ \((cases/\d+)\))");
  ASSERT_NE(second, first) << from_stdin.out;
  EXPECT_EQ(problem_of(second), "父が入院し、娘が弟の世話をしている");

  // Refused before any call: both flags, neither, a blank file, a missing file, Shift_JIS.
  WriteFile(files_.Sub("blank.txt"), " \n\n");
  WriteFile(files_.Sub("sjis.txt"), "\x95\xea\x82\xcc\x94\x46\x92\x6d\x8f\xc7");  // 母の認知症
  CasectlRun both =
      Casectl(open_with({"--problem", kProblem, "--problem-file", files_.Sub("problem.txt")}));
  EXPECT_EQ(both.exit_code, 2) << both.out << both.err;
  EXPECT_NE(both.err.find("not both"), std::string::npos) << both.err;
  CasectlRun neither = Casectl(open_with({}));
  EXPECT_EQ(neither.exit_code, 2) << neither.out << neither.err;
  EXPECT_NE(neither.err.find("相談内容がありません"), std::string::npos) << neither.err;
  EXPECT_EQ(Casectl(open_with({"--problem-file", files_.Sub("blank.txt")})).exit_code, 2);
  CasectlRun missing = Casectl(open_with({"--problem-file", files_.Sub("none.txt")}));
  EXPECT_EQ(missing.exit_code, 2) << missing.out << missing.err;
  EXPECT_NE(missing.err.find("cannot open"), std::string::npos) << missing.err;
  CasectlRun sjis = Casectl(open_with({"--problem-file", files_.Sub("sjis.txt")}));
  EXPECT_EQ(sjis.exit_code, 2) << sjis.out << sjis.err;
  EXPECT_NE(sjis.err.find("UTF-8"), std::string::npos) << sjis.err;
  // Standard input serves one flag only.
  CasectlRun two_stdin = CasectlWithInput(
      {"case", "log", first, "--amends", "1", "--summary-file", "-", "--reason-file", "-"},
      files_.Sub("stdin.txt"));
  EXPECT_EQ(two_stdin.exit_code, 2) << two_stdin.out << two_stdin.err;
  EXPECT_NE(two_stdin.err.find("standard input"), std::string::npos) << two_stdin.err;

  CasectlRun listed = Casectl({"--json", "case", "list"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_EQ(nlohmann::json::parse(listed.out)["cases"].size(), 2u) << listed.out;
}

TEST_F(CasectlCaseTest, JsonWorksAfterTheSubcommandAsWellAsBefore) {
  const std::string name = OpenCase();
  ASSERT_FALSE(name.empty());
  const std::string id = name.substr(std::strlen("cases/"));

  CasectlRun before = Casectl({"--json", "case", "list"});
  CasectlRun after = Casectl({"case", "list", "--json"});
  ASSERT_EQ(before.exit_code, 0) << before.err;
  ASSERT_EQ(after.exit_code, 0) << after.err;
  const nlohmann::json listed = nlohmann::json::parse(after.out);
  ASSERT_EQ(listed["cases"].size(), 1u) << after.out;
  EXPECT_EQ(listed["cases"][0]["name"], name) << after.out;
  EXPECT_EQ(nlohmann::json::parse(before.out), listed);

  CasectlRun got = Casectl({"case", "get", id, "--json"});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  EXPECT_EQ(nlohmann::json::parse(got.out)["name"], name) << got.out;
  // Without --json the same command prints for people, not JSON.
  CasectlRun people = Casectl({"case", "get", id});
  ASSERT_EQ(people.exit_code, 0) << people.err;
  EXPECT_NE(people.out.find("受付番号 / case_number"), std::string::npos) << people.out;
}

TEST_F(CasectlCaseTest, ACaseNumberNamesTheCaseAndADuplicateIsWarnedUntilAcknowledged) {
  CasectlRun opened = Open({"--phone", "03-1234-5678"});
  ASSERT_EQ(opened.exit_code, 0) << opened.out << opened.err;
  const std::string number = Capture(opened.out, R"(case opened: (\S+) \(cases/\d+\))");
  const std::string name = Capture(opened.out, R"(case opened: \S+ \((cases/\d+)\))");
  ASSERT_FALSE(number.empty()) << opened.out;

  // Wherever a case is named, its number works as its name does.
  CasectlRun got = Casectl({"--json", "case", "get", number});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  EXPECT_EQ(nlohmann::json::parse(got.out)["name"], name) << got.out;
  CasectlRun history = Casectl({"case", "history", number});
  EXPECT_EQ(history.exit_code, 0) << history.err;
  CasectlRun moved = Casectl({"case", "transition", number, "--to", "支援調整中"});
  EXPECT_EQ(moved.exit_code, 0) << moved.err;
  // Agency staff outside the team cannot tell that the number exists.
  CasectlRun outsider = Casectl({"case", "get", number}, "agency-staff");
  EXPECT_NE(outsider.exit_code, 0);
  EXPECT_NE(outsider.err.find("見つかりません"), std::string::npos) << outsider.err;

  // case search: by name part, by phone written another way, by number.
  for (const std::vector<std::string>& criteria : std::vector<std::vector<std::string>>{
           {"--name", "架空"}, {"--phone", "０３（１２３４）５６７８"}, {"--number", number}}) {
    std::vector<std::string> args = {"case", "search"};
    args.insert(args.end(), criteria.begin(), criteria.end());
    CasectlRun found = Casectl(args);
    ASSERT_EQ(found.exit_code, 0) << criteria[0] << "\n" << found.err;
    const std::string line = LineWith(found.out, name);
    EXPECT_NE(line.find(number), std::string::npos) << found.out;
    EXPECT_NE(line.find("架空 一郎"), std::string::npos) << found.out;
  }
  EXPECT_EQ(Casectl({"case", "search"}).exit_code, 2);
  CasectlRun none = Casectl({"case", "search", "--kana", "だれも"});
  EXPECT_EQ(none.exit_code, 0) << none.err;
  EXPECT_NE(none.out.find("no cases"), std::string::npos) << none.out;

  // The same phone again: the warning names the case; --allow-duplicate opens it.
  CasectlRun warned = Open({"--phone", "0312345678", "--request-id", "dup-1"});
  EXPECT_EQ(warned.exit_code, 1) << warned.out << warned.err;
  EXPECT_NE(warned.err.find(number), std::string::npos) << warned.err;
  EXPECT_NE(warned.err.find("--allow-duplicate"), std::string::npos) << warned.err;
  CasectlRun acknowledged =
      Open({"--phone", "0312345678", "--request-id", "dup-1", "--allow-duplicate"});
  EXPECT_EQ(acknowledged.exit_code, 0) << acknowledged.err;
  EXPECT_NE(Capture(acknowledged.out, R"(case opened: (\S+) )"), number) << acknowledged.out;
}

}  // namespace
}  // namespace casecoord
