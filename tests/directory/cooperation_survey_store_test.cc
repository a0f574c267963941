#include "services/directory/cooperation_survey_store.h"

#include <gtest/gtest.h>

#include "services/common/fiscal_year.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_vocabulary.h"

namespace casecoord::directory {
namespace {

class CooperationSurveyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::StorageOptions options;
    options.path = dir_.Sub("db");
    options.keyring = std::make_shared<storage::Keyring>(storage::KeyEncryptionKey::Generate());
    storage_ = std::move(storage::Storage::Open(options)).value();
    agencies_ = std::make_unique<AgencyStore>(*storage_, *terms_, clock_);
    surveys_ = std::make_unique<CooperationSurveyStore>(*storage_, *agencies_, clock_);
    for (const char* id : {"a1", "a2", "a3", "a4"}) {
      v1::Agency agency;
      agency.set_display_name(std::string("機関") + id);
      agency.set_kana("きかん");
      agency.set_kind(v1::NPO);
      storage::WriteBatch batch(*storage_);
      ASSERT_TRUE(agencies_->PrepareCreate(id, agency, &batch).ok());
      ASSERT_TRUE(storage_->Commit(batch).ok());
    }
  }

  Status Record(const std::string& agency, int year, bool close) {
    storage::WriteBatch batch(*storage_);
    auto answer = surveys_->PrepareRecord("agencies/" + agency, year, close, "users/c", &batch);
    if (!answer.ok()) return answer.status();
    return storage_->Commit(batch);
  }

  Status Delete(const std::string& name) {
    storage::WriteBatch batch(*storage_);
    CASECOORD_RETURN_IF_ERROR(surveys_->PrepareDelete(name, &batch));
    return storage_->Commit(batch);
  }

  // The summary from the counters, after checking that a recount from the answers agrees.
  v1::CooperationSurveySummary Summary(int year) {
    auto counted = surveys_->Summary(year);
    auto recounted = surveys_->RecountFromAnswers(year);
    EXPECT_TRUE(counted.ok() && recounted.ok());
    EXPECT_EQ(counted->DebugString(), recounted->DebugString());
    return *counted;
  }

  testing::TempDir dir_;
  // 2026-11-22, in fiscal year 2026 (令和8年度).
  ManualClock clock_{*JstMidnight(2026, 11, 22)};
  std::unique_ptr<storage::Storage> storage_;
  std::unique_ptr<vocab::TermCatalog> terms_ = testing::TestTermCatalog();
  std::unique_ptr<AgencyStore> agencies_;
  std::unique_ptr<CooperationSurveyStore> surveys_;
};

TEST_F(CooperationSurveyStoreTest, CountersFollowAnswersReplacementsAndDeletions) {
  ASSERT_TRUE(Record("a1", 2024, true).ok());
  ASSERT_TRUE(Record("a2", 2024, false).ok());
  ASSERT_TRUE(Record("a3", 2024, true).ok());
  ASSERT_TRUE(Record("a1", 2025, false).ok());
  auto summary = Summary(2024);
  EXPECT_EQ(summary.answered_agencies(), 3);
  EXPECT_EQ(summary.close_cooperation_agencies(), 2);
  EXPECT_DOUBLE_EQ(summary.close_cooperation_percent(), 66.7);
  EXPECT_EQ(summary.fiscal_year().era_label_ja(), "令和6年度");

  // Replacing an answer moves the counts instead of adding one.
  ASSERT_TRUE(Record("a2", 2024, true).ok());
  summary = Summary(2024);
  EXPECT_EQ(summary.answered_agencies(), 3);
  EXPECT_EQ(summary.close_cooperation_agencies(), 3);
  EXPECT_DOUBLE_EQ(summary.close_cooperation_percent(), 100.0);

  ASSERT_TRUE(Delete("agencies/a1/cooperationSurveys/2024").ok());
  summary = Summary(2024);
  EXPECT_EQ(summary.answered_agencies(), 2);
  EXPECT_EQ(summary.close_cooperation_agencies(), 2);
  EXPECT_EQ(Delete("agencies/a1/cooperationSurveys/2024").code(), StatusCode::kNotFound);

  // Other years are separate.
  summary = Summary(2025);
  EXPECT_EQ(summary.answered_agencies(), 1);
  EXPECT_DOUBLE_EQ(summary.close_cooperation_percent(), 0.0);
  EXPECT_EQ(Summary(2023).answered_agencies(), 0);
}

TEST_F(CooperationSurveyStoreTest, RefusesUnknownAgenciesAndImplausibleYears) {
  EXPECT_EQ(Record("nobody", 2024, true).code(), StatusCode::kNotFound);
  for (int year : {1989, 2028}) {
    Status refused = Record("a1", year, true);
    ASSERT_EQ(refused.code(), StatusCode::kInvalidArgument) << year;
    EXPECT_EQ(refused.field_violations().at(0).field, "fiscal_year");
  }
  EXPECT_TRUE(Record("a1", 2027, true).ok()) << "next year's survey may be entered early";
  EXPECT_EQ(Delete("agencies/a1/cooperationSurveys/twenty").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Summary(2027).answered_agencies(), 1);
}

TEST_F(CooperationSurveyStoreTest, ListsAnswersOfAYearInAgencyOrderByPages) {
  for (const char* id : {"a3", "a1", "a4", "a2"}) ASSERT_TRUE(Record(id, 2024, true).ok());
  bool more = false;
  auto first = surveys_->List(2024, "", 3, &more);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->size(), 3u);
  EXPECT_TRUE(more);
  EXPECT_EQ(first->front().name(), "agencies/a1/cooperationSurveys/2024");
  EXPECT_EQ(first->front().recorded_by(), "users/c");
  auto rest = surveys_->List(2024, AnswerAgencyId(first->back()), 3, &more);
  ASSERT_TRUE(rest.ok());
  ASSERT_EQ(rest->size(), 1u);
  EXPECT_EQ(rest->front().name(), "agencies/a4/cooperationSurveys/2024");
  EXPECT_FALSE(more);
}

}  // namespace
}  // namespace casecoord::directory
