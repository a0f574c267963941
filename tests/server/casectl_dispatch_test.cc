// casectl adviser ... and casectl dispatch ... as people run them: the real casectl binary against
// a real server, checked on what it prints and on its exit status.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include "casecoord/v1/cases.grpc.pb.h"
#include "casecoord/v1/directory.grpc.pb.h"
#include "services/common/grpc_errors.h"
#include "services/text/japanese_text.h"
#include "tests/support/process_run.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_server.h"

namespace casecoord {
namespace {

using testing::ColumnOf;
using testing::Lines;
using testing::LineWith;
using CasectlRun = testing::ProcessRun;

constexpr char kNote[] = "長男の就労について、障害分野の助言がほしい";

std::string Capture(const std::string& text, const std::string& pattern) {
  std::smatch match;
  return std::regex_search(text, match, std::regex(pattern)) ? match[1].str() : "";
}

// The text of `line` from terminal column `column` on ("" past its end).
std::string FromColumn(const std::string& line, int column) {
  size_t at = 0;
  while (at < line.size() && static_cast<int>(text::DisplayWidth(line.substr(0, at))) < column) {
    ++at;
    while (at < line.size() && (static_cast<unsigned char>(line[at]) & 0xC0) == 0x80) ++at;
  }
  return line.substr(at);
}

class CasectlDispatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.ca().WriteTo(pki_.path(),
                         {"coordinator", "adviser", "agency-staff", "other-staff", "auditor"});
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

    auto cases = v1::Cases::NewStub(server_.ChannelFor("coordinator"));
    v1::CreateCaseRequest open;
    open.set_request_id("case-1");
    auto* member = open.mutable_case_()->add_members();
    member->set_member_id("m1");
    member->set_display_name("架空 一郎");
    member->set_principal(true);
    open.mutable_case_()->set_district("kita");
    open.mutable_case_()->set_referring_agency("agencies/a1");
    open.mutable_case_()->set_presenting_problem("長期のひきこもり");
    v1::Case opened;
    grpc::ClientContext open_context;
    ASSERT_TRUE(cases->CreateCase(&open_context, open, &opened).ok());
    case_name_ = opened.name();
    WriteFile(files_.Sub("note.txt"), std::string("\xEF\xBB\xBF") + kNote + "\r\n");
    WriteFile(files_.Sub("report.txt"), "本人と面談し、就労移行支援の見学を助言\n");
  }

  static void WriteFile(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << bytes;
    ASSERT_TRUE(out.good()) << path;
  }

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

  void CreateAdvisers() {
    CasectlRun created = Casectl({"adviser", "create", "kobayashi", "--name", "小林 一郎", "--kind",
                                  "複合課題解決アドバイザー", "--field", "障害,保健・医療",
                                  "--agency", "a1", "--user", "adviser"});
    ASSERT_EQ(created.exit_code, 0) << created.out << created.err;
    EXPECT_NE(created.out.find("adviser created: advisers/kobayashi"), std::string::npos)
        << created.out;
    CasectlRun resting = Casectl({"adviser", "create", "sato", "--name", "佐藤", "--kind",
                                  "FIELD_ADVISER", "--field", "地域", "--inactive"});
    ASSERT_EQ(resting.exit_code, 0) << resting.out << resting.err;
  }

  testing::TestServer server_;
  testing::TempDir pki_;
  testing::TempDir files_;
  std::string case_name_;
};

TEST_F(CasectlDispatchTest, TheRegistryAndADispatchThroughItsLife) {
  CreateAdvisers();
  // Everyone reads the registry: aligned, with Japanese labels.
  CasectlRun listed = Casectl({"adviser", "list"}, "auditor");
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  const std::vector<std::string> lines = Lines(listed.out);
  ASSERT_EQ(lines.size(), 3u) << listed.out;
  const std::string kobayashi = LineWith(listed.out, "kobayashi");
  EXPECT_EQ(ColumnOf(kobayashi, "小林 一郎"), ColumnOf(lines[0], "氏名"));
  EXPECT_EQ(ColumnOf(kobayashi, "複合課題解決アドバイザー"), ColumnOf(lines[0], "種別"));
  EXPECT_EQ(ColumnOf(kobayashi, "障害, 保健・医療"), ColumnOf(lines[0], "分野"));
  EXPECT_EQ(ColumnOf(kobayashi, "有効"), ColumnOf(lines[0], "状態"));
  EXPECT_EQ(ColumnOf(LineWith(listed.out, "sato"), "休止"), ColumnOf(lines[0], "状態"));
  CasectlRun inactive = Casectl({"adviser", "list", "--inactive"}, "auditor");
  ASSERT_EQ(inactive.exit_code, 0) << inactive.err;
  EXPECT_EQ(Lines(inactive.out).size(), 2u) << inactive.out;
  EXPECT_NE(inactive.out.find("sato"), std::string::npos);
  // Only editors register advisers.
  EXPECT_EQ(Casectl({"adviser", "create", "x", "--name", "X", "--kind", "FIELD_ADVISER", "--field",
                     "地域"},
                    "auditor")
                .exit_code,
            1);

  // The request, from a file (BOM and CRLF dropped); the request id is told before the call.
  const std::string case_id = case_name_.substr(std::string("cases/").size());
  CasectlRun requested = Casectl({"dispatch", "request", "--case", case_id, "--field", "障害",
                                  "--note-file", files_.Sub("note.txt"), "--adviser", "kobayashi"});
  ASSERT_EQ(requested.exit_code, 0) << requested.out << requested.err;
  const std::string name = Capture(requested.out, R"(dispatch requested: (dispatches/\d+))");
  ASSERT_FALSE(name.empty()) << requested.out;
  const std::string request_id = Capture(requested.err, R"(request id: (\S+))");
  ASSERT_FALSE(request_id.empty()) << requested.err;
  EXPECT_NE(LineWith(requested.out, "状態").find("依頼 (REQUESTED)"), std::string::npos);
  EXPECT_EQ(LineWith(requested.out, "依頼内容").find(std::string(kNote) + "\r"), std::string::npos);
  EXPECT_NE(LineWith(requested.out, "依頼内容").find(kNote), std::string::npos) << requested.out;
  CasectlRun retried = Casectl({"dispatch", "request", "--case", case_name_, "--field", "障害",
                                "--note", "再送", "--request-id", request_id});
  ASSERT_EQ(retried.exit_code, 0) << retried.err;
  EXPECT_EQ(Capture(retried.out, R"(dispatch requested: (dispatches/\d+))"), name);

  const std::string id = name.substr(std::string("dispatches/").size());
  CasectlRun approved = Casectl({"dispatch", "approve", id, "--adviser", "advisers/kobayashi"});
  ASSERT_EQ(approved.exit_code, 0) << approved.err;
  EXPECT_NE(approved.out.find("dispatch approved: " + name), std::string::npos);
  EXPECT_NE(LineWith(approved.out, "担当アドバイザー").find("kobayashi"), std::string::npos);

  // The assigned adviser records the session (today, 120 minutes) and two follow-ups.
  CasectlRun session =
      Casectl({"dispatch", "session", name, "--report-file", files_.Sub("report.txt")}, "adviser");
  ASSERT_EQ(session.exit_code, 0) << session.out << session.err;
  EXPECT_NE(LineWith(session.out, "状態").find("実施済み"), std::string::npos) << session.out;
  EXPECT_NE(LineWith(session.out, "時間").find("120 分"), std::string::npos) << session.out;
  EXPECT_NE(LineWith(session.out, "フォローアップ期限"), "") << session.out;
  for (const char* note : {"見学の日程を確認", "通所を開始"}) {
    CasectlRun followed = Casectl({"dispatch", "followup", id, "--note", note}, "adviser");
    ASSERT_EQ(followed.exit_code, 0) << followed.out << followed.err;
  }
  CasectlRun third = Casectl({"dispatch", "followup", id, "--note", "三回目"}, "adviser");
  EXPECT_EQ(third.exit_code, 1) << third.out;
  EXPECT_NE(third.err.find("FOLLOW_UP_LIMIT"), std::string::npos) << third.err;

  // The list, aligned; get shows the follow-ups.
  CasectlRun dispatches = Casectl({"dispatch", "list"}, "adviser");
  ASSERT_EQ(dispatches.exit_code, 0) << dispatches.err;
  const std::vector<std::string> rows = Lines(dispatches.out);
  ASSERT_EQ(rows.size(), 2u) << dispatches.out;
  EXPECT_EQ(ColumnOf(rows[1], name + " "), ColumnOf(rows[0], "名前"));
  EXPECT_EQ(ColumnOf(rows[1], "実施済み"), ColumnOf(rows[0], "状態"));
  EXPECT_EQ(ColumnOf(rows[1], case_name_), ColumnOf(rows[0], "対象"));
  EXPECT_EQ(ColumnOf(rows[1], "障害"), ColumnOf(rows[0], "分野"));
  EXPECT_EQ(ColumnOf(rows[1], "kobayashi"), ColumnOf(rows[0], "担当"));
  EXPECT_EQ(FromColumn(rows[1], ColumnOf(rows[0], "フォロー")).rfind("2 ", 0), 0u)
      << dispatches.out;
  EXPECT_EQ(Lines(Casectl({"dispatch", "list", "--state", "終了"}).out).size(), 1u);
  CasectlRun got = Casectl({"dispatch", "get", id});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  EXPECT_NE(LineWith(got.out, "報告").find("就労移行支援"), std::string::npos) << got.out;
  const std::string second = LineWith(got.out, "通所を開始");
  EXPECT_EQ(second.rfind("2 ", 0), 0u) << got.out;

  // Closed once; a second close names the state it is in.
  CasectlRun closed = Casectl({"dispatch", "close", id});
  ASSERT_EQ(closed.exit_code, 0) << closed.err;
  EXPECT_NE(LineWith(closed.out, "状態").find("終了"), std::string::npos) << closed.out;
  CasectlRun again = Casectl({"dispatch", "close", id});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("CLOSED_DISPATCH"), std::string::npos) << again.err;

  // Agency staff off the case's team cannot tell it exists, and see none of it.
  CasectlRun outsider = Casectl({"dispatch", "get", id}, "other-staff");
  EXPECT_EQ(outsider.exit_code, 1);
  EXPECT_NE(outsider.err.find("NOT_FOUND"), std::string::npos) << outsider.err;
  EXPECT_EQ(outsider.out.find("就労"), std::string::npos) << outsider.out;
  EXPECT_NE(Casectl({"dispatch", "list"}, "other-staff").out.find("no dispatches"),
            std::string::npos);
}

TEST_F(CasectlDispatchTest, BadFlagsAreUsageErrorsAndSendNothing) {
  CreateAdvisers();
  const std::vector<std::vector<std::string>> refused = {
      {"dispatch", "request", "--field", "障害", "--note", "x"},  // no target
      // A case number names a case (R8-0001 is this test's case); one nobody has is refused.
      {"dispatch", "request", "--case", "R1-0999", "--field", "障害", "--note", "x"},
      {"dispatch", "request", "--case", "1", "--field", "介護", "--note", "x"},  // no such field
      {"dispatch", "request", "--case", "1", "--field", "障害"},                 // no note
      {"dispatch", "request", "--case", "1", "--field", "障害", "--note", "x", "--note-file",
       "note.txt"},
      {"dispatch", "request", "--case", "1", "--field", "障害", "--note-file", "missing.txt"},
      {"dispatch", "request", "--case", "1", "--field", "障害", "--note", "x", "--request-id",
       "has space"},
      {"dispatch", "get", "abc"},
      {"dispatch", "approve", "1", "--adviser", "Bad Id"},
      {"dispatch", "decline", "1"},
      {"dispatch", "session", "1", "--report", "x", "--minutes", "2000"},
      {"dispatch", "session", "1", "--report", "x", "--date", "2026-02-30"},
      {"dispatch", "list", "--state", "CLOSED"},
      {"adviser", "create", "Bad", "--name", "x", "--kind", "FIELD_ADVISER", "--field", "地域"},
      {"adviser", "create", "y", "--name", "y", "--kind", "相談員", "--field", "地域"},
      {"adviser", "list", "--active", "--inactive"},
  };
  for (const auto& args : refused) {
    CasectlRun run = Casectl(args);
    std::string command;
    for (const auto& arg : args) command += arg + " ";
    EXPECT_EQ(run.exit_code, 2) << command << "\n" << run.out << run.err;
  }
  CasectlRun unknown_field =
      Casectl({"dispatch", "request", "--case", "1", "--field", "介護", "--note", "x"});
  EXPECT_NE(unknown_field.err.find("障害 (DISABILITY)"), std::string::npos) << unknown_field.err;

  // Nothing reached the server: no dispatch exists, and the registry has the two advisers only.
  CasectlRun listed = Casectl({"dispatch", "list"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find("no dispatches"), std::string::npos) << listed.out;
  EXPECT_EQ(Lines(Casectl({"adviser", "list"}).out).size(), 3u);
}

}  // namespace
}  // namespace casecoord
