// Managed vocabularies over the real server: writes are checked against the lists (unknown codes
// refused with the nearest ids, labels accepted in place of ids, retired terms kept on the records
// that hold them), and the yearly breakdowns show the lists' labels with unregistered values
// grouped.
#include <gtest/gtest.h>

#include <fstream>

#include "casecoord/v1/cases.grpc.pb.h"
#include "casecoord/v1/directory.grpc.pb.h"
#include "casecoord/v1/statistics.grpc.pb.h"
#include "casecoord/v1/vocabularies.grpc.pb.h"
#include "services/common/fiscal_year.h"
#include "services/common/grpc_errors.h"
#include "services/stats/counters.h"
#include "services/stats/yearly_report.h"
#include "tests/support/process_run.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_server.h"

namespace casecoord {
namespace {

std::unique_ptr<grpc::ClientContext> Context() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  return context;
}

v1::CreateCaseRequest Intake(const std::string& request_id, const std::string& district,
                             const std::string& tag) {
  v1::CreateCaseRequest request;
  request.set_request_id(request_id);
  v1::Case* household = request.mutable_case_();
  auto* member = household->add_members();
  member->set_member_id("m1");
  member->set_display_name("架空 一郎");
  member->set_principal(true);
  member->add_issue_tags(tag);
  household->set_district(district);
  household->set_referring_agency("agencies/a1");
  household->set_presenting_problem("相談内容");
  return request;
}

class VocabulariesServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto directory = v1::AgencyDirectory::NewStub(server_.ChannelFor("coordinator"));
    v1::CreateAgencyRequest create;
    create.set_agency_id("a1");
    create.mutable_agency()->set_display_name("北地域包括支援センター");
    create.mutable_agency()->set_kana("キタチイキホウカツ");
    create.mutable_agency()->set_kind(v1::COMMUNITY_GENERAL_SUPPORT_CENTER);
    v1::Agency created;
    ASSERT_TRUE(directory->CreateAgency(Context().get(), create, &created).ok());
  }

  grpc::Status Open(const v1::CreateCaseRequest& request, v1::Case* opened) {
    return v1::Cases::NewStub(server_.ChannelFor("coordinator"))
        ->CreateCase(Context().get(), request, opened);
  }

  grpc::Status Update(const v1::Case& patch, const std::vector<std::string>& paths,
                      v1::Case* updated) {
    v1::UpdateCaseRequest request;
    *request.mutable_case_() = patch;
    for (const auto& path : paths) request.mutable_update_mask()->add_paths(path);
    return v1::Cases::NewStub(server_.ChannelFor("coordinator"))
        ->UpdateCase(Context().get(), request, updated);
  }

  v1::Term Retire(const std::string& name) {
    v1::RetireTermRequest request;
    request.set_name(name);
    v1::Term retired;
    grpc::Status status = v1::Vocabularies::NewStub(server_.ChannelFor("admin"))
                              ->RetireTerm(Context().get(), request, &retired);
    EXPECT_TRUE(status.ok()) << DescribeGrpcError(status);
    return retired;
  }

  testing::TestServer server_;
};

TEST_F(VocabulariesServiceTest, AnUnknownDistrictOrTagIsRefusedWithTheNearestIds) {
  v1::Case opened;
  grpc::Status district = Open(Intake("r1", "kiat", "hikikomori"), &opened);
  ASSERT_EQ(district.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(district.error_message().find("nearest: kita"), std::string::npos)
      << district.error_message();
  Status details = FromGrpcStatus(district);
  ASSERT_EQ(details.field_violations().size(), 1u);
  EXPECT_EQ(details.field_violations()[0].field, "case.district");
  EXPECT_NE(details.field_violations()[0].description.find("nearest: kita"), std::string::npos);

  grpc::Status tag = Open(Intake("r2", "kita", "dementa"), &opened);
  ASSERT_EQ(tag.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  details = FromGrpcStatus(tag);
  ASSERT_EQ(details.field_violations().size(), 1u);
  EXPECT_EQ(details.field_violations()[0].field, "case.members[0].issue_tags");
  EXPECT_NE(details.field_violations()[0].description.find("nearest: dementia"), std::string::npos)
      << details.field_violations()[0].description;
}

TEST_F(VocabulariesServiceTest, TheJapaneseLabelIsAcceptedAndTheIdStored) {
  v1::Case opened;
  grpc::Status status = Open(Intake("r1", "北区", "認知症"), &opened);
  ASSERT_TRUE(status.ok()) << DescribeGrpcError(status);
  EXPECT_EQ(opened.district(), "kita");
  EXPECT_EQ(opened.members(0).issue_tags(0), "dementia");
}

TEST_F(VocabulariesServiceTest, ARetiredTagStaysOnTheCaseHoldingItButCannotBeAdded) {
  v1::Case holder, other;
  ASSERT_TRUE(Open(Intake("r1", "kita", "debt"), &holder).ok());
  ASSERT_TRUE(Open(Intake("r2", "kita", "dementia"), &other).ok());
  Retire("vocabularies/issue-tags/terms/debt");

  v1::Case read;
  v1::GetCaseRequest get;
  get.set_name(holder.name());
  ASSERT_TRUE(v1::Cases::NewStub(server_.ChannelFor("coordinator"))
                  ->GetCase(Context().get(), get, &read)
                  .ok());
  EXPECT_EQ(read.members(0).issue_tags(0), "debt");

  // An update of the case that keeps it passes.
  v1::Case patch;
  patch.set_name(holder.name());
  patch.set_district("minami");
  v1::Case updated;
  grpc::Status kept = Update(patch, {"district"}, &updated);
  ASSERT_TRUE(kept.ok()) << DescribeGrpcError(kept);
  EXPECT_EQ(updated.members(0).issue_tags(0), "debt");

  // An update that adds it to a case that did not hold it fails, and so does a new case.
  v1::Case add;
  add.set_name(other.name());
  add.add_household_issue_tags("debt");
  grpc::Status added = Update(add, {"household_issue_tags"}, &updated);
  ASSERT_EQ(added.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(FromGrpcStatus(added).field_violations().at(0).field, "case.household_issue_tags");
  EXPECT_NE(added.error_message().find("retired"), std::string::npos) << added.error_message();
  v1::Case opened;
  EXPECT_EQ(Open(Intake("r3", "kita", "debt"), &opened).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(VocabulariesServiceTest, AdminsManageTermsAndEveryoneReadsThem) {
  auto admin = v1::Vocabularies::NewStub(server_.ChannelFor("admin"));
  v1::CreateTermRequest create;
  create.set_parent("vocabularies/districts");
  create.set_term_id("kita-3");
  create.mutable_term()->set_label("北区第3圏域");
  create.mutable_term()->set_display_order(13);
  v1::Term term;
  ASSERT_TRUE(admin->CreateTerm(Context().get(), create, &term).ok());
  EXPECT_EQ(server_.AuditTrailOf("vocabularies/districts/terms/kita-3"),
            std::vector<std::string>{"admin /casecoord.v1.Vocabularies/CreateTerm OK"});

  auto planner = v1::Vocabularies::NewStub(server_.ChannelFor("planner"));
  v1::ListTermsRequest list;
  list.set_parent("vocabularies/districts");
  v1::ListTermsResponse listed;
  ASSERT_TRUE(planner->ListTerms(Context().get(), list, &listed).ok());
  bool found = false;
  for (const auto& listed_term : listed.terms()) found |= listed_term.term_id() == "kita-3";
  EXPECT_TRUE(found);

  auto coordinator = v1::Vocabularies::NewStub(server_.ChannelFor("coordinator"));
  create.set_term_id("kita-4");
  create.mutable_term()->set_label("北区第4圏域");
  EXPECT_EQ(coordinator->CreateTerm(Context().get(), create, &term).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(VocabulariesServiceTest, BreakdownRowsShowLabelsAndGroupUnregisteredValues) {
  v1::Case opened;
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(Open(Intake("k" + std::to_string(i), "kita", "dementia"), &opened).ok());
  }
  // Values typed before the lists existed: counters the lists have no term for.
  server_.Stop();
  {
    storage::StorageOptions options;
    options.path = server_.dir().Sub("data/db");
    options.keyring = server_.keyring();
    auto storage = storage::Storage::Open(options);
    ASSERT_TRUE(storage.ok()) << storage.status().ToString();
    stats::CounterChanges changes;
    const int year = FiscalYearOf(std::chrono::system_clock::now());
    for (const char* typed : {"kiat", "Kita Ku", "kiat", "north", "kiat", "kiat"}) {
      ASSERT_TRUE(changes.Count(year, stats::kCasesOpened, {{stats::kDistrict, typed}}).ok());
    }
    storage::WriteBatch batch(**storage);
    changes.ApplyTo(&batch);
    ASSERT_TRUE((*storage)->Commit(batch).ok());
  }
  server_.Restart();

  v1::GetYearlyReportRequest request;
  const int year = FiscalYearOf(std::chrono::system_clock::now());
  request.set_fiscal_year_from(year);
  request.set_fiscal_year_to(year);
  auto* breakdown = request.add_breakdowns();
  breakdown->set_metric(v1::CASES_OPENED);
  breakdown->set_dimension(v1::DISTRICT);
  v1::YearlyReport report;
  grpc::Status status = v1::Statistics::NewStub(server_.ChannelFor("planner"))
                            ->GetYearlyReport(Context().get(), request, &report);
  ASSERT_TRUE(status.ok()) << DescribeGrpcError(status);
  ASSERT_EQ(report.breakdowns_size(), 1);
  std::map<std::string, std::string> labels;
  for (const auto& row : report.breakdowns(0).rows()) labels[row.key()] = row.label_ja();
  EXPECT_EQ(labels["kita"], "北区");
  EXPECT_EQ(labels[stats::kUnregisteredKey], "未登録");
  for (const char* typed : {"kiat", "Kita Ku", "north"}) EXPECT_EQ(labels.count(typed), 0u);
  for (const auto& row : report.breakdowns(0).rows()) {
    if (row.key() == stats::kUnregisteredKey || row.key() == "kita") {
      EXPECT_EQ(row.cells(0).value(), 6) << row.key();
    }
  }
}

// casectl vocab: admins manage the lists from the command line, everyone lists them; a case opened
// with a district's label stores its id and `case get` shows the label.
TEST_F(VocabulariesServiceTest, CasectlManagesAndShowsTheLists) {
  testing::TempDir pki, files;
  server_.ca().WriteTo(pki.path(), {"admin", "coordinator"});
  auto casectl = [&](const std::vector<std::string>& args, const std::string& user) {
    std::vector<std::string> argv = {CASECTL_PATH,
                                     "--server=" + server_.target(),
                                     "--ca=" + pki.Sub("ca.crt"),
                                     "--pki-dir=" + pki.path(),
                                     "--user=" + user,
                                     "--timeout=20"};
    argv.insert(argv.end(), args.begin(), args.end());
    return testing::RunProcess(argv, files.path());
  };
  auto added = casectl({"vocab", "add", "districts", "kita-3", "--label", "北区第3圏域",
                        "--reading", "きたくだいさんけんいき", "--order", "13"},
                       "admin");
  ASSERT_EQ(added.exit_code, 0) << added.out << added.err;
  auto retired = casectl({"vocab", "retire", "districts", "kita-3"}, "admin");
  ASSERT_EQ(retired.exit_code, 0) << retired.out << retired.err;
  auto listed = casectl({"vocab", "list", "districts"}, "coordinator");
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find("北区第3圏域"), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("RETIRED"), std::string::npos) << listed.out;
  auto refused =
      casectl({"vocab", "add", "districts", "kita-4", "--label", "北区第4圏域"}, "coordinator");
  EXPECT_EQ(refused.exit_code, 1) << refused.out << refused.err;

  std::ofstream(files.Sub("terms.csv"))
      << "list,id,label,reading,order\n"
         "issue-tags,gambling,ギャンブル依存,ぎゃんぶるいぞん,90\n";
  auto imported = casectl({"vocab", "import", files.Sub("terms.csv")}, "admin");
  ASSERT_EQ(imported.exit_code, 0) << imported.out << imported.err;
  EXPECT_NE(imported.out.find("created 1"), std::string::npos) << imported.out;

  auto opened = casectl({"case", "open", "--district", "北区", "--referrer", "a1", "--problem",
                         "相談内容", "--member", "m1:架空 一郎:本人:ギャンブル依存"},
                        "coordinator");
  ASSERT_EQ(opened.exit_code, 0) << opened.out << opened.err;
  const std::string name = opened.out.substr(opened.out.find("cases/"), 7);
  auto shown = casectl({"case", "get", name}, "coordinator");
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_NE(shown.out.find("北区 (kita)"), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find("ギャンブル依存 (gambling)"), std::string::npos) << shown.out;
}

}  // namespace
}  // namespace casecoord
