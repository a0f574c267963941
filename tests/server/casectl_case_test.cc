// casectl case ... as people run it: the real casectl binary against a real server, checked on
// what it prints and on its exit status.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "casecoord/v1/directory.grpc.pb.h"
#include "services/common/grpc_errors.h"
#include "services/directory/japanese_text.h"
#include "tests/support/process_run.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_server.h"

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
    EXPECT_EQ(directory::DisplayWidth(line), directory::DisplayWidth(lines[0])) << listed.out;
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

TEST_F(CasectlCaseTest, BadFlagsAreUsageErrorsAndOpenNothing) {
  // Too few fields: exit 2, naming the member by position and not repeating the name given.
  CasectlRun short_spec = Casectl({"case", "open", "--district", "kita", "--referrer", "a1",
                                   "--problem", kProblem, "--member", "m1:架空 一郎"});
  EXPECT_EQ(short_spec.exit_code, 2) << short_spec.out << short_spec.err;
  EXPECT_NE(short_spec.err.find("--member #1"), std::string::npos) << short_spec.err;
  EXPECT_EQ(short_spec.err.find("架空 一郎"), std::string::npos) << short_spec.err;
  // Two principals, an unknown urgency, a case number instead of a name, an outcome without a
  // closure: all refused before any call.
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

  CasectlRun listed = Casectl({"--json", "case", "list"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_FALSE(nlohmann::json::parse(listed.out).contains("cases")) << listed.out;
}

}  // namespace
}  // namespace casecoord
