// The agency directory over the real server: coordinators maintain it, everyone searches it.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <tuple>

#include "casecoord/v1/directory.grpc.pb.h"
#include "services/common/grpc_errors.h"
#include "tests/support/test_server.h"
#include "tests/support/xlsx_files.h"

namespace casecoord {
namespace {

TEST(DirectoryServiceTest, CoordinatorMaintainsAndAnyUserSearchesInJapanese) {
  testing::TestServer server;
  auto coordinator = v1::AgencyDirectory::NewStub(server.ChannelFor("coordinator"));
  v1::CreateAgencyRequest create;
  create.set_agency_id("kita-houkatsu");
  create.mutable_agency()->set_display_name("北区地域包括支援センター");
  create.mutable_agency()->set_kana("キタクチイキホウカツシエンセンター");
  create.mutable_agency()->set_kind(v1::COMMUNITY_GENERAL_SUPPORT_CENTER);
  create.mutable_agency()->add_districts("kita");
  create.mutable_agency()->set_address("架空市北区1-1");
  v1::Agency created;
  {
    grpc::ClientContext context;
    grpc::Status status = coordinator->CreateAgency(&context, create, &created);
    ASSERT_TRUE(status.ok()) << DescribeGrpcError(status);
  }

  auto reader = v1::AgencyDirectory::NewStub(server.ChannelFor("auditor"));
  v1::SearchAgenciesRequest search;
  search.set_query("ちいきほうかつ");
  v1::SearchAgenciesResponse found;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(reader->SearchAgencies(&context, search, &found).ok());
  }
  ASSERT_EQ(found.matches_size(), 1);
  EXPECT_EQ(found.matches(0).agency().name(), "agencies/kita-houkatsu");
  // Results are the BASIC view unless FULL is asked for.
  EXPECT_EQ(found.matches(0).agency().address(), "");
  search.set_view(v1::AGENCY_VIEW_FULL);
  {
    grpc::ClientContext context;
    ASSERT_TRUE(reader->SearchAgencies(&context, search, &found).ok());
  }
  ASSERT_EQ(found.matches_size(), 1);
  EXPECT_EQ(found.matches(0).agency().address(), "架空市北区1-1");
  // A filter narrows the matches; a bad filter or view is refused naming the field.
  search.set_filter("district = \"minami\"");
  {
    grpc::ClientContext context;
    ASSERT_TRUE(reader->SearchAgencies(&context, search, &found).ok());
    EXPECT_EQ(found.matches_size(), 0);
  }
  for (auto [filter, view, field] : {std::tuple("colour = red", v1::AGENCY_VIEW_BASIC, "filter"),
                                     std::tuple("", static_cast<v1::AgencyView>(7), "view")}) {
    search.set_filter(filter);
    search.set_view(view);
    grpc::ClientContext context;
    Status refused = FromGrpcStatus(reader->SearchAgencies(&context, search, &found));
    EXPECT_EQ(refused.code(), StatusCode::kInvalidArgument) << field;
    ASSERT_FALSE(refused.field_violations().empty()) << field;
    EXPECT_EQ(refused.field_violations().at(0).field, field);
  }

  // A stale etag over the wire is ABORTED.
  v1::UpdateAgencyRequest update;
  *update.mutable_agency() = created;
  update.mutable_agency()->set_phone("06-0000-0000");
  update.mutable_update_mask()->add_paths("phone");
  v1::Agency updated;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(coordinator->UpdateAgency(&context, update, &updated).ok());
  }
  {
    grpc::ClientContext context;
    EXPECT_EQ(coordinator->UpdateAgency(&context, update, &updated).error_code(),
              grpc::StatusCode::ABORTED);
  }
  // A bad filter names the field.
  v1::ListAgenciesRequest list;
  list.set_filter("colour = red");
  v1::ListAgenciesResponse listed;
  grpc::ClientContext context;
  Status refused = FromGrpcStatus(reader->ListAgencies(&context, list, &listed));
  EXPECT_EQ(refused.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(refused.field_violations().at(0).field, "filter");
}

}  // namespace
}  // namespace casecoord

namespace casecoord {
namespace {

// Sends `file` to ImportAgencies in chunks of `chunk_bytes` (small chunks split UTF-8 and CP932
// characters, which the server must reassemble).
grpc::Status Import(v1::AgencyDirectory::Stub& stub, const std::string& file,
                    const v1::AgencyImportOptions& options, v1::ImportAgenciesResponse* response,
                    size_t chunk_bytes = 7) {
  grpc::ClientContext context;
  auto writer = stub.ImportAgencies(&context, response);
  v1::ImportAgenciesRequest first;
  *first.mutable_options() = options;
  if (!writer->Write(first)) return writer->Finish();
  for (size_t at = 0; at < file.size(); at += chunk_bytes) {
    v1::ImportAgenciesRequest chunk;
    chunk.set_chunk(file.substr(at, chunk_bytes));
    if (!writer->Write(chunk)) break;
  }
  writer->WritesDone();
  return writer->Finish();
}

grpc::Status Export(v1::AgencyDirectory::Stub& stub, v1::ExportFormat format, std::string* file,
                    int* chunks, v1::ExportAgenciesResponse* last = nullptr) {
  grpc::ClientContext context;
  v1::ExportAgenciesRequest request;
  request.set_format(format);
  auto reader = stub.ExportAgencies(&context, request);
  v1::ExportAgenciesResponse response;
  file->clear();
  *chunks = 0;
  while (reader->Read(&response)) {
    file->append(response.chunk());
    ++*chunks;
    if (last != nullptr) *last = response;
  }
  return reader->Finish();
}

int CountAgencies(v1::AgencyDirectory::Stub& stub) {
  v1::ListAgenciesRequest request;
  request.set_page_size(1000);
  int count = 0;
  do {
    grpc::ClientContext context;
    v1::ListAgenciesResponse response;
    grpc::Status status = stub.ListAgencies(&context, request, &response);
    EXPECT_TRUE(status.ok()) << DescribeGrpcError(status);
    if (!status.ok()) break;
    count += response.agencies_size();
    request.set_page_token(response.next_page_token());
  } while (!request.page_token().empty());
  return count;
}

constexpr char kHeader[] = "機関ID,機関名,フリガナ,種別,担当地区,課題タグ,紹介受付\r\n";

TEST(DirectoryServiceTest, ImportIsAllOrNothingUnlessPartialAndReportsTheBadRowsLine) {
  testing::TestServer server;
  auto coordinator = v1::AgencyDirectory::NewStub(server.ChannelFor("coordinator"));
  const std::string file =
      std::string("\xEF\xBB\xBF") + kHeader +
      "kita-1,北区第一包括,キタクダイイチホウカツ,地域包括支援センター,kita,"
      "dementia、8050,可\r\n"
      "bad-kind,何かの機関,ナニカ,役所,kita,,可\r\n"
      "minami-npo,\"NPO法人\"\"みなみ\"\"\",ミナミ,NPO,minami,hikikomori,不可\r\n";
  v1::AgencyImportOptions options;
  v1::ImportAgenciesResponse all_or_nothing;
  grpc::Status status = Import(*coordinator, file, options, &all_or_nothing);
  ASSERT_TRUE(status.ok()) << DescribeGrpcError(status);
  EXPECT_EQ(all_or_nothing.detected_encoding(), v1::UTF8_BOM);
  EXPECT_EQ(all_or_nothing.rows_read(), 3);
  EXPECT_EQ(all_or_nothing.rejected(), 1);
  EXPECT_FALSE(all_or_nothing.applied());
  ASSERT_EQ(all_or_nothing.problems_size(), 1);
  EXPECT_EQ(all_or_nothing.problems(0).line(), 3);
  EXPECT_EQ(all_or_nothing.problems(0).column(), 4);
  EXPECT_EQ(all_or_nothing.problems(0).column_name(), "種別");
  EXPECT_EQ(CountAgencies(*coordinator), 0) << "nothing is half-imported";

  options.set_allow_partial(true);
  v1::ImportAgenciesResponse partial;
  ASSERT_TRUE(Import(*coordinator, file, options, &partial).ok());
  EXPECT_TRUE(partial.applied());
  EXPECT_EQ(partial.created(), 2);
  EXPECT_EQ(partial.rejected(), 1);
  EXPECT_EQ(CountAgencies(*coordinator), 2);

  // A second import of the same rows changes nothing; REJECT refuses existing ids.
  v1::ImportAgenciesResponse again;
  ASSERT_TRUE(Import(*coordinator, file, options, &again).ok());
  EXPECT_EQ(again.unchanged(), 2);
  EXPECT_EQ(again.created() + again.updated(), 0);
  EXPECT_FALSE(again.applied());
  options.set_existing(v1::AgencyImportOptions::REJECT);
  options.set_allow_partial(false);
  v1::ImportAgenciesResponse rejected;
  ASSERT_TRUE(Import(*coordinator, file, options, &rejected).ok());
  EXPECT_EQ(rejected.rejected(), 3);

  // Options belong in the first message only.
  grpc::ClientContext context;
  v1::ImportAgenciesResponse ignored;
  auto writer = coordinator->ImportAgencies(&context, &ignored);
  v1::ImportAgenciesRequest message;
  ASSERT_TRUE(writer->Write(message));
  message.mutable_options()->set_validate_only(true);
  writer->Write(message);
  writer->WritesDone();
  Status refused = FromGrpcStatus(writer->Finish());
  EXPECT_EQ(refused.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(refused.field_violations().at(0).field, "options");
}

TEST(DirectoryServiceTest, ImportsAnXlsxFileAndNamesTheSheetRowOfAProblem) {
  testing::TestServer server;
  auto coordinator = v1::AgencyDirectory::NewStub(server.ChannelFor("coordinator"));
  const std::string file = testing::TextXlsx(
      {{"相談機関一覧",
        {{"機関ID", "機関名", "フリガナ", "種別", "紹介受付"},
         {"kita-1", "北区第一包括", "キタクダイイチホウカツ", "地域包括支援センター", "可"},
         {},
         {"bad-kind", "何かの機関", "ナニカ", "役所", "可"},
         {"minami-npo", "NPO法人みなみ", "ミナミ", "NPO"}}}});
  v1::AgencyImportOptions options;
  options.set_allow_partial(true);
  v1::ImportAgenciesResponse response;
  grpc::Status status = Import(*coordinator, file, options, &response, /*chunk_bytes=*/1000);
  ASSERT_TRUE(status.ok()) << DescribeGrpcError(status);
  EXPECT_EQ(response.detected_encoding(), v1::XLSX);
  EXPECT_EQ(response.rows_read(), 3);
  EXPECT_EQ(response.created(), 2);
  EXPECT_EQ(response.rejected(), 1);
  EXPECT_TRUE(response.applied());
  ASSERT_EQ(response.problems_size(), 1);
  EXPECT_EQ(response.problems(0).line(), 4) << "the row in the sheet";
  EXPECT_EQ(response.problems(0).column(), 4);
  EXPECT_EQ(response.problems(0).column_name(), "種別");
  EXPECT_EQ(CountAgencies(*coordinator), 2);

  // A damaged workbook is refused as a whole, and imports nothing.
  std::string damaged = file;
  damaged.resize(damaged.size() / 2);
  v1::ImportAgenciesResponse ignored;
  Status refused = FromGrpcStatus(Import(*coordinator, damaged, options, &ignored, 1000));
  EXPECT_EQ(refused.code(), StatusCode::kInvalidArgument) << refused.ToString();
  EXPECT_TRUE(refused.Is(Reason::kNotXlsx)) << refused.ToString();
  EXPECT_EQ(CountAgencies(*coordinator), 2);
}

TEST(DirectoryServiceTest, ExportsRoundTripThroughImportInEveryFormat) {
  testing::TestServer server;
  auto coordinator = v1::AgencyDirectory::NewStub(server.ChannelFor("coordinator"));
  // Enough rows, with long text, for the export to need several chunks.
  const int rows = 700;
  std::string with_hours = std::string(kHeader);
  with_hours.replace(with_hours.find("\r\n"), 2, ",受付時間\r\n");
  std::string long_hours(2000, 'x');
  std::string body;
  for (int i = 0; i < rows; ++i) {
    body += "agency-" + std::to_string(i) + ",架空市相談機関第" + std::to_string(i) +
            "号（～①㈱）,カクウシソウダンキカン,福祉事務所,kita,debt,可,=平日" + long_hours +
            "\r\n";
  }
  v1::ImportAgenciesResponse imported;
  grpc::Status status =
      Import(*coordinator, with_hours + body, v1::AgencyImportOptions(), &imported, 64 << 10);
  ASSERT_TRUE(status.ok()) << DescribeGrpcError(status);
  ASSERT_EQ(imported.created(), rows) << imported.DebugString();

  auto reader = v1::AgencyDirectory::NewStub(server.ChannelFor("auditor"));
  for (v1::ExportFormat format : {v1::CSV_UTF8_BOM, v1::CSV_CP932}) {
    std::string exported;
    int chunks = 0;
    v1::ExportAgenciesResponse last;
    status = Export(*reader, format, &exported, &chunks, &last);
    ASSERT_TRUE(status.ok()) << DescribeGrpcError(status);
    EXPECT_GT(chunks, 1);
    EXPECT_EQ(last.total_bytes(), static_cast<int64_t>(exported.size()));
    EXPECT_EQ(last.agency_count(), rows);
    // The formula guard: a cell starting with '=' leaves as "'=…" and comes back as "=…".
    EXPECT_NE(exported.find("'="), std::string::npos);
    v1::AgencyImportOptions dry_run;
    dry_run.set_validate_only(true);
    v1::ImportAgenciesResponse reimported;
    status = Import(*coordinator, exported, dry_run, &reimported, 64 << 10);
    ASSERT_TRUE(status.ok()) << DescribeGrpcError(status);
    EXPECT_EQ(reimported.detected_encoding(), format == v1::CSV_CP932 ? v1::CP932 : v1::UTF8_BOM);
    EXPECT_EQ(reimported.unchanged(), rows) << reimported.DebugString().substr(0, 2000);
    EXPECT_EQ(reimported.problems_size(), 0);
  }

  std::string json;
  int chunks = 0;
  ASSERT_TRUE(Export(*reader, v1::HSDS_JSON, &json, &chunks).ok());
  EXPECT_NE(json.find("\"organizations\""), std::string::npos);
  EXPECT_NE(json.find("agency-699"), std::string::npos);

  // Text with no Shift_JIS form cannot be exported as CP932, and the error says which.
  v1::CreateAgencyRequest create;
  create.set_agency_id("emoji");
  create.mutable_agency()->set_display_name("にこにこ食堂😀");
  create.mutable_agency()->set_kana("ニコニコショクドウ");
  create.mutable_agency()->set_kind(v1::NPO);
  v1::Agency created;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(coordinator->CreateAgency(&context, create, &created).ok());
  }
  std::string ignored;
  Status refused = FromGrpcStatus(Export(*reader, v1::CSV_CP932, &ignored, &chunks));
  EXPECT_EQ(refused.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.message().find("emoji"), std::string::npos) << refused.message();
}

TEST(DirectoryServiceTest, SurveyAnswersFeedTheShareIndicatorsRead) {
  testing::TestServer server;
  auto coordinator = v1::AgencyDirectory::NewStub(server.ChannelFor("coordinator"));
  v1::ImportAgenciesResponse imported;
  ASSERT_TRUE(
      Import(*coordinator,
             std::string(kHeader) + "a,機関A,エー,NPO,kita,,可\r\nb,機関B,ビー,NPO,kita,,可\r\n",
             v1::AgencyImportOptions(), &imported)
          .ok());
  for (auto [agency, close] : {std::pair{"agencies/a", true}, std::pair{"agencies/b", false}}) {
    v1::RecordCooperationSurveyAnswerRequest request;
    request.set_parent(agency);
    request.set_fiscal_year(2025);
    request.set_close_cooperation(close);
    v1::CooperationSurveyAnswer answer;
    grpc::ClientContext context;
    grpc::Status status = coordinator->RecordCooperationSurveyAnswer(&context, request, &answer);
    ASSERT_TRUE(status.ok()) << DescribeGrpcError(status);
    EXPECT_EQ(answer.recorded_by(), "users/coordinator");
    EXPECT_EQ(answer.fiscal_year().era_label(), "R7");
  }
  auto reader = v1::AgencyDirectory::NewStub(server.ChannelFor("auditor"));
  v1::GetCooperationSurveySummaryRequest request;
  request.set_fiscal_year(2025);
  v1::CooperationSurveySummary summary;
  grpc::ClientContext context;
  ASSERT_TRUE(reader->GetCooperationSurveySummary(&context, request, &summary).ok());
  EXPECT_EQ(summary.answered_agencies(), 2);
  EXPECT_EQ(summary.close_cooperation_agencies(), 1);
  EXPECT_DOUBLE_EQ(summary.close_cooperation_percent(), 50.0);
}

TEST(DirectoryServiceTest, TheDemoDirectoryIsLoadedOnceIntoAnEmptyDirectory) {
  testing::TestServerOptions options;
  options.demo_directory = std::string(CASECOORD_SOURCE_DIR) + "/deploy/demo/agencies.csv";
  testing::TestServer server(options);
  auto reader = v1::AgencyDirectory::NewStub(server.ChannelFor("auditor"));
  const int loaded = CountAgencies(*reader);
  EXPECT_GE(loaded, 35);

  // Districts are several, and partners can be found in them.
  v1::FindPartnersRequest partners;
  partners.add_issue_tags("dementia");
  partners.add_issue_tags("8050");
  partners.set_district("kita");
  v1::FindPartnersResponse found;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(reader->FindPartners(&context, partners, &found).ok());
  }
  EXPECT_GT(found.partners_size(), 0);

  // A restart finds the directory populated and loads nothing again.
  server.Stop();
  server.Restart();
  reader = v1::AgencyDirectory::NewStub(server.ChannelFor("auditor"));
  EXPECT_EQ(CountAgencies(*reader), loaded);
}

}  // namespace
}  // namespace casecoord

namespace casecoord {
namespace {

TEST(DirectoryServiceTest, AnUploadCancelledMidwayImportsNothing) {
  testing::TestServer server;
  auto coordinator = v1::AgencyDirectory::NewStub(server.ChannelFor("coordinator"));
  {
    grpc::ClientContext context;
    v1::ImportAgenciesResponse response;
    auto writer = coordinator->ImportAgencies(&context, &response);
    v1::ImportAgenciesRequest chunk;
    // Complete rows: what arrived would parse and import if the server took it for the file.
    chunk.set_chunk(std::string(kHeader) +
                    "a,機関A,エー,NPO,kita,,可\r\nb,機関B,ビー,NPO,kita,,可\r\n");
    ASSERT_TRUE(writer->Write(chunk));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    context.TryCancel();
    EXPECT_EQ(writer->Finish().error_code(), grpc::StatusCode::CANCELLED);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(CountAgencies(*coordinator), 0);
}

}  // namespace
}  // namespace casecoord
