// casectl agency ... as people run it: the real casectl binary against a real server, checked on
// what it prints and on its exit status.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

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

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

class CasectlAgencyTest : public ::testing::Test {
 protected:
  void SetUp() override { server_.ca().WriteTo(pki_.path(), {"admin", "auditor"}); }

  // Runs casectl as `user` with `args` (after the connection flags) and waits for it.
  CasectlRun Casectl(const std::vector<std::string>& args, const std::string& user = "admin") {
    std::vector<std::string> argv = {CASECTL_PATH,
                                     "--server=" + server_.target(),
                                     "--ca=" + pki_.Sub("ca.crt"),
                                     "--pki-dir=" + pki_.path(),
                                     "--user=" + user,
                                     "--timeout=20"};
    argv.insert(argv.end(), args.begin(), args.end());
    return testing::RunProcess(argv, files_.path());
  }

  // Creates an agency with casectl; `extra` adds flags.
  void Create(const std::string& id, const std::string& name, const std::string& kana,
              const std::string& kind, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"agency", "create", id,       "--name", name,
                                     "--kana", kana,     "--kind", kind};
    args.insert(args.end(), extra.begin(), extra.end());
    CasectlRun run = Casectl(args);
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  }

  testing::TestServer server_;
  testing::TempDir pki_;
  testing::TempDir files_;
};

TEST_F(CasectlAgencyTest, CreateThenListShowsAlignedColumns) {
  Create("kita-houkatsu", "北区あんしんすこやかセンター", "キタクチイキホウカツシエンセンター",
         "地域包括支援センター",
         {"--district", "kita", "--accepts-referrals", "--verified", "2025-04-01"});
  Create("npo-hotto", "NPO法人ほっと", "ほっと", "NPO",
         {"--district", "kita,minami-2", "--no-referrals", "--state", "休止", "--verified",
          "2024/12/1"});

  CasectlRun run = Casectl({"agency", "list"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::vector<std::string> lines = Lines(run.out);
  ASSERT_EQ(lines.size(), 3u) << run.out;
  // Every line ends in a date column as wide as its header, so every line is equally wide...
  for (const auto& line : lines) {
    EXPECT_EQ(text::DisplayWidth(line), text::DisplayWidth(lines[0])) << run.out;
  }
  // ...and every column starts at the same display column in every line.
  const std::string& header = lines[0];
  const std::string kita = LineWith(run.out, "kita-houkatsu");
  const std::string npo = LineWith(run.out, "npo-hotto");
  EXPECT_EQ(ColumnOf(kita, "北区あんしんすこやかセンター"), ColumnOf(header, "機関名"));
  EXPECT_EQ(ColumnOf(npo, "NPO法人ほっと"), ColumnOf(header, "機関名"));
  EXPECT_EQ(ColumnOf(kita, "地域包括支援センター"), ColumnOf(header, "種別"));
  EXPECT_EQ(ColumnOf(npo, "NPO法人  "), ColumnOf(header, "種別"));
  EXPECT_EQ(ColumnOf(npo, "kita,minami-2"), ColumnOf(header, "担当地区"));
  EXPECT_EQ(ColumnOf(kita, "可"), ColumnOf(header, "紹介受付"));
  EXPECT_EQ(ColumnOf(npo, "不可"), ColumnOf(header, "紹介受付"));
  EXPECT_EQ(ColumnOf(kita, "稼働"), ColumnOf(header, "状態"));
  EXPECT_EQ(ColumnOf(npo, "休止"), ColumnOf(header, "状態"));
  EXPECT_EQ(ColumnOf(kita, "2025-04-01"), ColumnOf(header, "最終確認日"));
  EXPECT_EQ(ColumnOf(npo, "2024-12-01"), ColumnOf(header, "最終確認日"));

  // --json prints the API's JSON.
  CasectlRun json = Casectl({"--json", "agency", "list", "--filter", "state = INACTIVE"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  auto parsed = nlohmann::json::parse(json.out);
  ASSERT_EQ(parsed["agencies"].size(), 1u) << json.out;
  EXPECT_EQ(parsed["agencies"][0]["name"], "agencies/npo-hotto");

  // get shows every field with Japanese labels.
  CasectlRun get = Casectl({"agency", "get", "kita-houkatsu"}, "auditor");
  ASSERT_EQ(get.exit_code, 0) << get.err;
  EXPECT_NE(LineWith(get.out, "種別 / kind").find("地域包括支援センター"), std::string::npos)
      << get.out;
  EXPECT_NE(LineWith(get.out, "最終確認日").find("2025-04-01"), std::string::npos) << get.out;
}

TEST_F(CasectlAgencyTest, UpdateWithAStaleEtagIsAbortedAndABadValueNeverReachesTheServer) {
  Create("kita-fukushi", "北福祉事務所", "キタフクシジムショ", "WELFARE_OFFICE");
  CasectlRun got = Casectl({"--json", "agency", "get", "agencies/kita-fukushi"});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  const std::string etag = nlohmann::json::parse(got.out)["etag"];

  CasectlRun updated = Casectl({"agency", "update", "kita-fukushi", "--phone", "06-1111-2222",
                                "--etag", etag, "--tag", "8050,debt"});
  ASSERT_EQ(updated.exit_code, 0) << updated.err;
  EXPECT_NE(updated.out.find("(issue_tags, phone)"), std::string::npos) << updated.out;
  EXPECT_NE(LineWith(updated.out, "電話番号").find("06-1111-2222"), std::string::npos);

  CasectlRun stale =
      Casectl({"agency", "update", "kita-fukushi", "--phone", "06-3333-4444", "--etag", etag});
  EXPECT_EQ(stale.exit_code, 1);
  EXPECT_NE(stale.err.find("ABORTED"), std::string::npos) << stale.err;

  // A bad value is a usage error (2) before any call: the audit trail shows no attempt.
  CasectlRun bad = Casectl({"agency", "update", "kita-fukushi", "--kind", "役所"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("役所"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("福祉事務所 (WELFARE_OFFICE)"), std::string::npos) << bad.err;
  CasectlRun nothing = Casectl({"agency", "update", "kita-fukushi"});
  EXPECT_EQ(nothing.exit_code, 2);

  CasectlRun kept = Casectl({"--json", "agency", "get", "kita-fukushi"});
  ASSERT_EQ(kept.exit_code, 0) << kept.err;
  auto agency = nlohmann::json::parse(kept.out);
  EXPECT_EQ(agency["phone"], "06-1111-2222");
  EXPECT_EQ(agency["kind"], "WELFARE_OFFICE");

  CasectlRun deleted = Casectl({"agency", "delete", "kita-fukushi", "--etag", etag});
  EXPECT_EQ(deleted.exit_code, 1);
  EXPECT_NE(deleted.err.find("ABORTED"), std::string::npos) << deleted.err;
  EXPECT_EQ(Casectl({"agency", "delete", "kita-fukushi"}).exit_code, 0);
  EXPECT_EQ(Casectl({"agency", "get", "kita-fukushi"}).exit_code, 1);
}

TEST_F(CasectlAgencyTest, SearchInHiraganaFindsAKatakanaReading) {
  Create("kita-houkatsu", "北区地域包括支援センター", "キタクチイキホウカツシエンセンター",
         "COMMUNITY_GENERAL_SUPPORT_CENTER");
  Create("minami-hoken", "南保健センター", "ミナミホケンセンター", "保健センター");

  CasectlRun run = Casectl({"agency", "search", "ちいきほうかつ"}, "auditor");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::string row = LineWith(run.out, "kita-houkatsu");
  EXPECT_NE(row.find("フリガナ"), std::string::npos) << run.out;  // matched on the reading
  EXPECT_EQ(run.out.find("minami-hoken"), std::string::npos) << run.out;

  CasectlRun none = Casectl({"agency", "search", "じどう"}, "auditor");
  EXPECT_EQ(none.exit_code, 0);
  EXPECT_NE(none.out.find("no agencies match"), std::string::npos) << none.out;

  // A filter narrows the text matches; a bad one is refused naming it.
  CasectlRun health = Casectl(
      {"agency", "search", "センター", "--filter", "kind = PUBLIC_HEALTH_CENTER"}, "auditor");
  ASSERT_EQ(health.exit_code, 0) << health.err;
  EXPECT_NE(health.out.find("minami-hoken"), std::string::npos) << health.out;
  EXPECT_EQ(health.out.find("kita-houkatsu"), std::string::npos) << health.out;
  CasectlRun bad = Casectl({"agency", "search", "センター", "--filter", "colour = red"}, "auditor");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("filter"), std::string::npos) << bad.err;
}

TEST_F(CasectlAgencyTest, PartnersAreRankedByTheIssuesTheyCover) {
  Create("kita-houkatsu", "北区地域包括支援センター", "キタクチイキホウカツ",
         "地域包括支援センター",
         {"--tag", "8050,dementia", "--district", "kita", "--accepts-referrals"});
  Create("kita-jiritsu", "北区自立相談支援機関", "キタクジリツソウダン", "自立相談支援機関",
         {"--tag", "8050", "--tag", "debt", "--tag", "dementia", "--district", "kita",
          "--accepts-referrals"});
  Create("kita-hoken", "北保健センター", "キタホケン", "保健センター",
         {"--tag", "dementia", "--district", "kita", "--accepts-referrals"});
  Create("kita-closed", "北旧センター", "キタキュウ", "その他",
         {"--tag", "8050,debt,dementia", "--district", "kita", "--accepts-referrals", "--state",
          "廃止"});

  CasectlRun run = Casectl(
      {"agency", "partners", "--tag", "8050", "--tag", "debt,dementia", "--district", "kita"},
      "auditor");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::vector<std::string> lines = Lines(run.out);
  ASSERT_EQ(lines.size(), 4u) << run.out;
  EXPECT_EQ(lines[1].rfind("1 ", 0), 0u) << run.out;
  EXPECT_NE(lines[1].find("kita-jiritsu"), std::string::npos) << run.out;
  EXPECT_NE(lines[1].find("8050, debt, dementia"), std::string::npos) << run.out;
  EXPECT_NE(lines[1].find("課題3件中3件に対応"), std::string::npos) << run.out;
  EXPECT_NE(lines[2].find("kita-houkatsu"), std::string::npos) << run.out;
  EXPECT_NE(lines[3].find("kita-hoken"), std::string::npos) << run.out;
  EXPECT_EQ(run.out.find("kita-closed"), std::string::npos) << run.out;
  // The explanation column starts at one display column in every row.
  const int column = ColumnOf(lines[0], "説明");
  for (size_t i = 1; i < lines.size(); ++i) EXPECT_EQ(ColumnOf(lines[i], "課題3件中"), column);
}

TEST_F(CasectlAgencyTest, SurveyAnswersAddUpToTheShareOfCloseCooperation) {
  Create("kita-fukushi", "北福祉事務所", "キタフクシジムショ", "福祉事務所");
  Create("kita-hoken", "北保健センター", "キタホケン", "保健センター");
  EXPECT_EQ(Casectl({"agency", "survey", "record", "kita-fukushi", "2024", "--close"}).exit_code,
            0);
  CasectlRun recorded = Casectl({"agency", "survey", "record", "kita-hoken", "R6", "--not-close"});
  ASSERT_EQ(recorded.exit_code, 0) << recorded.err;
  EXPECT_NE(recorded.out.find("令和6年度 (2024)"), std::string::npos) << recorded.out;

  CasectlRun summary = Casectl({"agency", "survey", "summary", "令和6年度"}, "auditor");
  ASSERT_EQ(summary.exit_code, 0) << summary.err;
  EXPECT_NE(LineWith(summary.out, "回答機関数").find("2"), std::string::npos) << summary.out;
  EXPECT_NE(LineWith(summary.out, "緊密な連携あり").find("1"), std::string::npos) << summary.out;
  EXPECT_NE(LineWith(summary.out, "割合").find("50.0 %"), std::string::npos) << summary.out;

  CasectlRun listed = Casectl({"agency", "survey", "list", "2024"}, "auditor");
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(LineWith(listed.out, "kita-fukushi").find("あり"), std::string::npos) << listed.out;
  EXPECT_NE(LineWith(listed.out, "kita-hoken").find("なし"), std::string::npos) << listed.out;

  EXPECT_EQ(Casectl({"agency", "survey", "delete", "kita-hoken", "2024"}).exit_code, 0);
  CasectlRun after = Casectl({"--json", "agency", "survey", "summary", "2024"});
  ASSERT_EQ(after.exit_code, 0) << after.err;
  EXPECT_EQ(nlohmann::json::parse(after.out)["close_cooperation_percent"], 100.0) << after.out;

  // Neither answer given: a usage error, no call.
  EXPECT_EQ(Casectl({"agency", "survey", "record", "kita-hoken", "2024"}).exit_code, 2);
}

// Needs ImportAgencies and ExportAgencies on the server.
TEST_F(CasectlAgencyTest, ImportReportsProblemsThenImportsPartiallyAndExportRoundTrips) {
  const std::string csv = files_.Sub("agencies.csv");
  WriteFile(csv,
            "機関ID,機関名,フリガナ,種別,課題タグ,担当地区,紹介受付,最終確認日\n"
            "kita-houkatsu,北区地域包括支援センター,キタクチイキホウカツ,地域包括支援センター,"
            "\"8050,dementia\",kita,可,2025-04-01\n"
            "kita-yakusho,北区役所,キタクヤクショ,役所,,kita,不可,\n"
            "minami-hoken,南保健センター,ミナミホケンセンター,PUBLIC_HEALTH_CENTER,,minami,可,\n");

  CasectlRun refused = Casectl({"agency", "import", csv});
  EXPECT_EQ(refused.exit_code, 1) << refused.out << refused.err;
  const std::string problem = LineWith(refused.out, "役所");
  EXPECT_EQ(problem.rfind("3 ", 0), 0u) << refused.out;  // line 3 of the file
  EXPECT_NE(problem.find("種別"), std::string::npos) << refused.out;
  EXPECT_NE(LineWith(refused.out, "反映 / applied").find("no"), std::string::npos);
  EXPECT_NE(refused.err.find("100%"), std::string::npos) << refused.err;  // progress
  CasectlRun empty = Casectl({"--json", "agency", "list"});
  ASSERT_EQ(empty.exit_code, 0) << empty.err;
  EXPECT_FALSE(nlohmann::json::parse(empty.out).contains("agencies")) << empty.out;

  CasectlRun partial = Casectl({"agency", "import", csv, "--allow-partial"});
  EXPECT_EQ(partial.exit_code, 0) << partial.out << partial.err;
  EXPECT_NE(LineWith(partial.out, "作成 / created").find("2"), std::string::npos) << partial.out;
  EXPECT_NE(LineWith(partial.out, "反映 / applied").find("yes"), std::string::npos);
  EXPECT_NE(LineWith(partial.out, "文字コード").find("UTF-8"), std::string::npos) << partial.out;
  CasectlRun listed = Casectl({"agency", "list"});
  EXPECT_NE(listed.out.find("minami-hoken"), std::string::npos) << listed.out;
  EXPECT_EQ(listed.out.find("kita-yakusho"), std::string::npos) << listed.out;

  const std::string exported = files_.Sub("export.csv");
  CasectlRun exporting = Casectl({"agency", "export", exported, "--format", "csv"});
  ASSERT_EQ(exporting.exit_code, 0) << exporting.err;
  EXPECT_NE(exporting.out.find("exported 2 agencies"), std::string::npos) << exporting.out;
  const std::string bytes = testing::ReadFile(exported);
  EXPECT_EQ(bytes.rfind("\xEF\xBB\xBF", 0), 0u);  // UTF-8 with a BOM, for Excel
  EXPECT_NE(bytes.find("北区地域包括支援センター"), std::string::npos);
  for (const auto& name : testing::ListFiles(files_.path())) {
    EXPECT_EQ(name.find("export.csv.tmp"), std::string::npos) << name;  // no temporary left
  }

  CasectlRun again = Casectl({"agency", "import", exported, "--dry-run"});
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_NE(LineWith(again.out, "変更なし / unchanged").find("2"), std::string::npos) << again.out;
  EXPECT_NE(LineWith(again.out, "文字コード").find("BOM"), std::string::npos) << again.out;
  EXPECT_NE(LineWith(again.out, "反映 / applied").find("dry run"), std::string::npos);
}

}  // namespace
}  // namespace casecoord
