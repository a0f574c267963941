#include "services/monitoring/monitoring_store.h"

#include <gtest/gtest.h>

#include <set>

#include "services/cases/case_maintenance.h"
#include "services/cases/case_referrals.h"
#include "services/cases/case_store.h"
#include "services/common/fiscal_year.h"
#include "services/storage/key_encoding.h"
#include "services/worklist/due_index.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_vocabulary.h"

namespace casecoord::monitoring {
namespace {

v1::Date Day(int year, int month, int day) {
  v1::Date date;
  date.set_year(year);
  date.set_month(month);
  date.set_day(day);
  return date;
}

std::string Text(const v1::Date& date) {
  if (date.year() == 0) return "none";
  return std::to_string(worklist::DayNumber(date));
}

std::set<std::string> Fields(const Status& status) {
  std::set<std::string> fields;
  for (const auto& violation : status.field_violations()) fields.insert(violation.field);
  return fields;
}

class MonitoringStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::StorageOptions options;
    options.path = dir_.Sub("db");
    keyring_ = std::make_shared<storage::Keyring>(storage::KeyEncryptionKey::Generate());
    options.keyring = keyring_;
    storage_ = std::move(storage::Storage::Open(options)).value();
    agencies_ = std::make_unique<directory::AgencyStore>(*storage_, *terms_, clock_);
    keys_ = std::make_unique<cases::CaseKeyring>(keyring_);
    cases::CaseMaintenanceOptions case_options;
    case_options.retention_years = 0;  // purgeable once ended, for the purge test
    cases_ = std::make_unique<cases::CaseStore>(*storage_, *agencies_, *terms_, *keys_, clock_);
    referrals_ = std::make_unique<cases::CaseReferrals>(*cases_, *storage_, *agencies_, clock_);
    maintenance_ =
        std::make_unique<cases::CaseMaintenance>(*cases_, *storage_, clock_, case_options);
    store_ = std::make_unique<MonitoringStore>(*storage_, *cases_, clock_);
    v1::Agency agency;
    agency.set_display_name("架空市北第一地域包括支援センター");
    agency.set_kana("カクウシキタダイイチ");
    agency.set_kind(v1::COMMUNITY_GENERAL_SUPPORT_CENTER);
    storage::WriteBatch batch(*storage_);
    ASSERT_TRUE(agencies_->PrepareCreate("kita-1", agency, &batch).ok());
    ASSERT_TRUE(storage_->Commit(batch).ok());
  }

  void Commit(storage::WriteBatch& batch) { ASSERT_TRUE(storage_->Commit(batch).ok()); }

  // Opens a case as "coordinator" and moves it to `state` (kita-1 on its team unless INTAKE).
  std::string OpenCase(const std::string& request_id, v1::CaseState state = v1::COORDINATING) {
    v1::Case input;
    auto* member = input.add_members();
    member->set_member_id("m1");
    member->set_display_name("架空 太郎");
    member->set_principal(true);
    input.set_district("kita");
    input.set_referring_agency("agencies/kita-1");
    input.set_presenting_problem("長男が外出しない");
    // Received before the checks the tests date (nothing on a case may precede its intake).
    input.mutable_intake_date()->set_year(2026);
    input.mutable_intake_date()->set_month(9);
    input.mutable_intake_date()->set_day(1);
    storage::WriteBatch created(*storage_);
    auto opened = cases_->PrepareCreate("coordinator", request_id, input, &created);
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    Commit(created);
    if (state == v1::INTAKE) return opened->name();
    v1::Referral ask;
    ask.set_agency("agencies/kita-1");
    ask.set_role(v1::PARTNER_SUPPORT);
    storage::WriteBatch referred(*storage_);
    auto referral = referrals_->PrepareRefer("coordinator", opened->name(), ask, &referred);
    EXPECT_TRUE(referral.ok()) << referral.status().ToString();
    Commit(referred);
    v1::AnswerReferralRequest accept;
    accept.set_name(referral->name());
    storage::WriteBatch accepted(*storage_);
    EXPECT_TRUE(
        referrals_->PrepareAnswer("staff", accept, cases::CaseReferrals::Answer::kAccept, &accepted)
            .ok());
    Commit(accepted);
    for (v1::CaseState step : {v1::COORDINATING, v1::IN_SUPPORT, v1::CLOSED}) {
      Move(opened->name(), step);
      if (step == state) break;
    }
    return opened->name();
  }

  void Move(const std::string& name, v1::CaseState to) {
    v1::TransitionCaseRequest move;
    move.set_name(name);
    move.set_to(to);
    if (to == v1::CLOSED) move.set_outcome(v1::RESOLVED);
    storage::WriteBatch batch(*storage_);
    auto moved = cases_->PrepareTransition("coordinator", move, &batch);
    ASSERT_TRUE(moved.ok()) << moved.status().ToString();
    Commit(batch);
  }

  Result<v1::MonitoringRecord> SetInterval(const std::string& case_name, int days,
                                           const v1::Date* start = nullptr,
                                           v1::MonitoringTrack track = v1::LIFE,
                                           const std::string& etag = "") {
    v1::SetMonitoringScheduleRequest request;
    request.set_name(case_name + "/monitoring");
    request.set_track(track);
    request.mutable_schedule()->set_interval_days(days);
    if (start != nullptr) *request.mutable_schedule()->mutable_start_date() = *start;
    request.set_etag(etag);
    return Set(request);
  }

  Result<v1::MonitoringRecord> Set(const v1::SetMonitoringScheduleRequest& request) {
    storage::WriteBatch batch(*storage_);
    auto set = store_->PrepareSetSchedule(request, &batch);
    if (set.ok()) {
      Commit(batch);
    } else {
      EXPECT_EQ(batch.count(), 0u) << "a refused change prepared writes";
    }
    return set;
  }

  Result<v1::MonitoringRecord> Check(const std::string& case_name, const v1::Date& date,
                                     v1::MonitoringStage stage = v1::MONITORING_STAGE_UNSPECIFIED,
                                     v1::CheckKind kind = v1::ROUTINE_CHECK,
                                     const std::string& note = "自宅を訪問し本人と話した",
                                     const std::string& etag = "") {
    v1::RecordCheckRequest request;
    request.set_name(case_name + "/monitoring");
    request.mutable_check()->set_kind(kind);
    *request.mutable_check()->mutable_date() = date;
    request.mutable_check()->set_stage(stage);
    request.mutable_check()->set_note(note);
    request.set_etag(etag);
    storage::WriteBatch batch(*storage_);
    auto checked = store_->PrepareRecordCheck("staff", request, &batch);
    if (checked.ok()) {
      Commit(batch);
    } else {
      EXPECT_EQ(batch.count(), 0u) << "a refused check prepared writes";
    }
    return checked;
  }

  // The subjects (with "!" when overdue) in `owner`'s list due by `due_by`.
  std::vector<std::string> Listed(const std::string& owner, const v1::Date& due_by) {
    auto page = store_->ListDue(owner, due_by, "", 100);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    std::vector<std::string> out;
    for (const auto& item : page->items) {
      out.push_back(item.subject() + "@" + Text(item.due_date()) + (item.overdue() ? "!" : ""));
    }
    return out;
  }

  void AdvanceDays(int days) { clock_.Advance(std::chrono::hours(24) * days); }

  testing::TempDir dir_;
  // 2026-11-22 10:00 JST.
  ManualClock clock_{*JstMidnight(2026, 11, 22) + std::chrono::hours(10)};
  std::shared_ptr<storage::Keyring> keyring_;
  std::unique_ptr<storage::Storage> storage_;
  std::unique_ptr<vocab::TermCatalog> terms_ = testing::TestTermCatalog();
  std::unique_ptr<directory::AgencyStore> agencies_;
  std::unique_ptr<cases::CaseKeyring> keys_;
  std::unique_ptr<cases::CaseStore> cases_;
  std::unique_ptr<cases::CaseReferrals> referrals_;
  std::unique_ptr<cases::CaseMaintenance> maintenance_;
  std::unique_ptr<MonitoringStore> store_;
};

using Names = std::vector<std::string>;

TEST_F(MonitoringStoreTest, AnIntervalCountsFromTheStartThenFromTheLatestCheck) {
  const std::string name = OpenCase("r1");
  auto set = SetInterval(name, 30);
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set->name(), name + "/monitoring");
  EXPECT_EQ(Text(set->schedule().start_date()), "20261122");  // today, filled in
  EXPECT_EQ(Text(set->next_check_date()), "20261222");
  EXPECT_EQ(set->etag(), "1");

  auto checked = Check(name, Day(2026, 11, 20));
  ASSERT_TRUE(checked.ok()) << checked.status().ToString();
  EXPECT_EQ(Text(checked->next_check_date()), "20261220");
  EXPECT_EQ(checked->etag(), "2");
  ASSERT_EQ(checked->checks_size(), 1);
  EXPECT_EQ(checked->checks(0).number(), 1);
  EXPECT_EQ(checked->checks(0).author(), "users/staff");
  EXPECT_EQ(checked->checks(0).note(), "自宅を訪問し本人と話した");

  // Nor one dated before the case was received (2026-09-01).
  EXPECT_TRUE(Check(name, Day(2026, 8, 31)).status().Is(Reason::kDatedBeforeIntake));

  // A check entered late (an earlier date) does not pull the schedule back.
  checked = Check(name, Day(2026, 11, 2), v1::MONITORING_STAGE_UNSPECIFIED, v1::REVISIT,
                  "記録漏れの再訪問");
  ASSERT_TRUE(checked.ok()) << checked.status().ToString();
  EXPECT_EQ(Text(checked->next_check_date()), "20261220");
  EXPECT_EQ(checked->checks_size(), 2);

  // A new interval, counted from the latest check.
  const v1::Date start = Day(2026, 10, 1);
  set = SetInterval(name, 7, &start, v1::LIFE, checked->etag());
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(Text(set->next_check_date()), "20261127");
  EXPECT_EQ(set->checks_size(), 2);

  auto got = store_->Get(name + "/monitoring");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->checks(1).note(), "記録漏れの再訪問");
  EXPECT_EQ(got->etag(), "4");
  EXPECT_EQ(Text(got->next_check_date()), "20261127");
}

TEST_F(MonitoringStoreTest, DatesGiveTheNextListedDayAfterTheLatestCheckUntilNoneIsLeft) {
  const std::string name = OpenCase("r1", v1::IN_SUPPORT);
  v1::SetMonitoringScheduleRequest request;
  request.set_name(name + "/monitoring");
  request.set_track(v1::WORK);
  *request.mutable_schedule()->add_dates() = Day(2026, 11, 1);  // past: overdue at once
  *request.mutable_schedule()->add_dates() = Day(2026, 12, 15);
  *request.mutable_schedule()->add_dates() = Day(2027, 1, 10);
  auto set = Set(request);
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(Text(set->next_check_date()), "20261101");
  EXPECT_FALSE(set->schedule().has_start_date());
  EXPECT_EQ(Listed("users/coordinator", Day(2026, 11, 30)), Names{name + "/monitoring@20261101!"});

  auto checked = Check(name, Day(2026, 11, 20), v1::STAGE_MATCHING);
  ASSERT_TRUE(checked.ok()) << checked.status().ToString();
  EXPECT_EQ(Text(checked->next_check_date()), "20261215");
  AdvanceDays(60);  // 2027-01-21
  checked = Check(name, Day(2027, 1, 12), v1::STAGE_TRIAL);
  ASSERT_TRUE(checked.ok()) << checked.status().ToString();
  EXPECT_EQ(Text(checked->next_check_date()), "none");
  EXPECT_EQ(checked->stage(), v1::STAGE_TRIAL);
  // No date left: the item is off every list.
  EXPECT_TRUE(Listed("users/coordinator", Day(2028, 1, 1)).empty());
  EXPECT_TRUE(Listed("agencies/kita-1", Day(2028, 1, 1)).empty());
}

TEST_F(MonitoringStoreTest, BadSchedulesNameEveryFieldAndChangeNothing) {
  const std::string name = OpenCase("r1");
  v1::SetMonitoringScheduleRequest request;
  request.set_name(name + "/monitoring");
  auto refused = Set(request);
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Fields(refused.status()), (std::set<std::string>{"track", "schedule"}));

  request.set_track(v1::LIFE);
  request.mutable_schedule()->set_interval_days(367);
  *request.mutable_schedule()->add_dates() = Day(2026, 12, 1);
  refused = Set(request);
  EXPECT_EQ(Fields(refused.status()),
            (std::set<std::string>{"schedule", "schedule.interval_days"}));

  request.mutable_schedule()->set_interval_days(0);
  *request.mutable_schedule()->add_dates() = Day(2026, 12, 1);  // not after the one before
  *request.mutable_schedule()->add_dates() = Day(2026, 2, 30);  // no such day
  *request.mutable_schedule()->mutable_start_date() = Day(2026, 11, 1);
  refused = Set(request);
  EXPECT_EQ(
      Fields(refused.status()),
      (std::set<std::string>{"schedule.dates[1]", "schedule.dates[2]", "schedule.start_date"}));

  request.clear_schedule();
  request.mutable_schedule()->set_interval_days(-1);
  EXPECT_EQ(Fields(Set(request).status()), std::set<std::string>{"schedule.interval_days"});
  request.mutable_schedule()->set_interval_days(14);
  *request.mutable_schedule()->mutable_start_date() = Day(2026, 13, 1);
  EXPECT_EQ(Fields(Set(request).status()), std::set<std::string>{"schedule.start_date"});

  request.set_name("cases/01/monitoring");
  EXPECT_EQ(Fields(Set(request).status()), std::set<std::string>{"name"});
  request.set_name(name);
  EXPECT_EQ(Fields(Set(request).status()), std::set<std::string>{"name"});
  request.set_name("cases/99/monitoring");
  request.clear_schedule();
  request.mutable_schedule()->set_interval_days(14);
  EXPECT_EQ(Set(request).status().code(), StatusCode::kNotFound);

  EXPECT_EQ(store_->Get(name + "/monitoring").status().reason(), "MONITORING_NOT_SET");
  EXPECT_TRUE(Listed("users/coordinator", Day(2028, 1, 1)).empty());
}

TEST_F(MonitoringStoreTest, OnlyCasesInCoordinationOrSupportAreMonitored) {
  const std::string intake = OpenCase("r1", v1::INTAKE);
  auto refused = SetInterval(intake, 14);
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(refused.status().reason(), "CASE_NOT_IN_SUPPORT");
  EXPECT_NE(refused.status().message().find("INTAKE"), std::string::npos)
      << refused.status().message();

  const std::string name = OpenCase("r2", v1::IN_SUPPORT);
  ASSERT_TRUE(SetInterval(name, 14).ok());
  Move(name, v1::CLOSED);
  auto late = Check(name, Day(2026, 11, 22));
  EXPECT_EQ(late.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(late.status().message().find("CLOSED"), std::string::npos) << late.status().message();
  EXPECT_EQ(SetInterval(name, 7).status().reason(), "CASE_NOT_IN_SUPPORT");
}

TEST_F(MonitoringStoreTest, StaleEtagsAreAborted) {
  const std::string name = OpenCase("r1");
  EXPECT_EQ(SetInterval(name, 14, nullptr, v1::LIFE, "1").status().code(), StatusCode::kAborted)
      << "an etag for a record that does not exist";
  auto set = SetInterval(name, 14);
  ASSERT_TRUE(set.ok());
  ASSERT_TRUE(
      Check(name, Day(2026, 11, 22), v1::STAGE_VISIT, v1::ROUTINE_CHECK, "訪問", set->etag()).ok());
  EXPECT_EQ(Check(name, Day(2026, 11, 22), v1::STAGE_VISIT, v1::ROUTINE_CHECK, "訪問", set->etag())
                .status()
                .code(),
            StatusCode::kAborted);
  EXPECT_EQ(SetInterval(name, 7, nullptr, v1::LIFE, set->etag()).status().code(),
            StatusCode::kAborted);
  EXPECT_EQ(store_->Get(name + "/monitoring")->checks_size(), 1);
}

TEST_F(MonitoringStoreTest, BadChecksNameTheFieldAndChangeNothing) {
  const std::string name = OpenCase("r1");
  EXPECT_EQ(Check(name, Day(2026, 11, 22)).status().reason(), "MONITORING_NOT_SET");
  ASSERT_TRUE(SetInterval(name, 14).ok());

  v1::RecordCheckRequest request;
  request.set_name(name + "/monitoring");
  storage::WriteBatch batch(*storage_);
  auto refused = store_->PrepareRecordCheck("staff", request, &batch);
  EXPECT_EQ(Fields(refused.status()),
            (std::set<std::string>{"check.kind", "check.date", "check.note"}));
  EXPECT_EQ(batch.count(), 0u);

  EXPECT_EQ(Fields(Check(name, Day(2026, 11, 23)).status()), std::set<std::string>{"check.date"})
      << "tomorrow";
  EXPECT_EQ(Fields(Check(name, Day(2026, 11, 31)).status()), std::set<std::string>{"check.date"});
  auto wrong_track = Check(name, Day(2026, 11, 22), v1::STAGE_TRIAL);
  EXPECT_EQ(Fields(wrong_track.status()), std::set<std::string>{"check.stage"});
  EXPECT_NE(wrong_track.status().field_violations()[0].description.find("LIFE"), std::string::npos);
  EXPECT_EQ(Fields(Check(name, Day(2026, 11, 22), static_cast<v1::MonitoringStage>(99)).status()),
            std::set<std::string>{"check.stage"});
  EXPECT_EQ(Fields(Check(name, Day(2026, 11, 22), v1::STAGE_VISIT, v1::ROUTINE_CHECK,
                         std::string(kMaxNoteBytes + 1, 'x'))
                       .status()),
            std::set<std::string>{"check.note"});
  EXPECT_EQ(
      Fields(
          Check(name, Day(2026, 11, 22), v1::STAGE_VISIT, static_cast<v1::CheckKind>(0)).status()),
      std::set<std::string>{"check.kind"});

  auto got = store_->Get(name + "/monitoring");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->checks_size(), 0);
  EXPECT_EQ(got->etag(), "1");
}

TEST_F(MonitoringStoreTest, ChecksMoveTheStageAndClosureEndsTheScheduleUntilARevisit) {
  const std::string name = OpenCase("r1");
  ASSERT_TRUE(SetInterval(name, 30).ok());
  auto checked = Check(name, Day(2026, 11, 22), v1::STAGE_VISIT);
  ASSERT_TRUE(checked.ok());
  EXPECT_EQ(checked->stage(), v1::STAGE_VISIT);
  checked = Check(name, Day(2026, 11, 22));  // no stage given: unchanged, and recorded as such
  ASSERT_TRUE(checked.ok());
  EXPECT_EQ(checked->stage(), v1::STAGE_VISIT);
  EXPECT_EQ(checked->checks(1).stage(), v1::STAGE_VISIT);

  checked = Check(name, Day(2026, 11, 22), v1::STAGE_CLOSURE);
  ASSERT_TRUE(checked.ok());
  EXPECT_EQ(Text(checked->next_check_date()), "none");
  EXPECT_TRUE(Listed("users/coordinator", Day(2028, 1, 1)).empty());
  checked = Check(name, Day(2026, 11, 22), v1::STAGE_VISIT, v1::REVISIT, "状況が変わり再訪問");
  ASSERT_TRUE(checked.ok());
  EXPECT_EQ(Text(checked->next_check_date()), "20261222");
  EXPECT_EQ(Listed("users/coordinator", Day(2028, 1, 1)), Names{name + "/monitoring@20261222"});

  // A new track: the stage of the old one no longer applies.
  auto set = SetInterval(name, 30, nullptr, v1::WORK);
  ASSERT_TRUE(set.ok());
  EXPECT_EQ(set->track(), v1::WORK);
  EXPECT_EQ(set->stage(), v1::MONITORING_STAGE_UNSPECIFIED);
  EXPECT_EQ(set->checks(0).stage(), v1::STAGE_VISIT);  // history keeps it
}

TEST_F(MonitoringStoreTest, NotesAreSealedUnderTheCaseKeyAndGoWithAPurge) {
  const std::string name = OpenCase("r1");
  ASSERT_TRUE(SetInterval(name, 30).ok());
  const std::string note = "本人の借金の状況を確認した";
  ASSERT_TRUE(Check(name, Day(2026, 11, 22), v1::STAGE_VISIT, v1::ROUTINE_CHECK, note).ok());

  std::string prefix;
  storage::AppendString(&prefix, "monitoring-check");
  auto it = storage_->NewIterator(storage::ColumnFamily::kRecords);
  int checks = 0;
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    ++checks;
    EXPECT_EQ(it->value().ToString().find(note), std::string::npos) << "the note is in the clear";
  }
  EXPECT_EQ(checks, 1);

  Move(name, v1::CLOSED);
  v1::Case closed = *cases_->Get(name);
  v1::PurgeCaseRequest purge;
  purge.set_name(name);
  purge.set_confirmation("PURGE " + closed.case_number());
  storage::WriteBatch purging(*storage_);
  auto purged = maintenance_->PreparePurge("admin", purge, &purging);
  ASSERT_TRUE(purged.ok()) << purged.status().ToString();
  Commit(purging);
  auto got = store_->Get(name + "/monitoring");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->checks_size(), 1);
  EXPECT_TRUE(got->checks(0).note().empty());
  EXPECT_EQ(got->checks(0).stage(), v1::STAGE_VISIT);
}

TEST_F(MonitoringStoreTest, TheWorkListFollowsTheClockSoonestAndOverdueFirst) {
  const std::string first = OpenCase("r1");
  const std::string second = OpenCase("r2");
  const std::string third = OpenCase("r3", v1::IN_SUPPORT);
  ASSERT_TRUE(SetInterval(first, 10).ok());  // due 12-02
  ASSERT_TRUE(SetInterval(second, 3).ok());  // due 11-25
  ASSERT_TRUE(SetInterval(third, 20).ok());  // due 12-12
  // Two weeks ahead (the service's default): the third is not due yet.
  EXPECT_EQ(Listed("users/coordinator", Day(2026, 12, 6)),
            (Names{second + "/monitoring@20261125", first + "/monitoring@20261202"}));
  EXPECT_EQ(Listed("agencies/kita-1", Day(2026, 12, 6)),
            (Names{second + "/monitoring@20261125", first + "/monitoring@20261202"}));
  EXPECT_TRUE(Listed("agencies/other", Day(2026, 12, 6)).empty());
  EXPECT_TRUE(Listed("users/someone-else", Day(2026, 12, 6)).empty());

  AdvanceDays(10);  // 2026-12-02: the second is overdue, the first due today
  EXPECT_EQ(Listed("users/coordinator", Day(2026, 12, 16)),
            (Names{second + "/monitoring@20261125!", first + "/monitoring@20261202",
                   third + "/monitoring@20261212"}));
  // A due_by before today still lists every overdue item.
  EXPECT_EQ(Listed("users/coordinator", Day(2026, 1, 1)),
            (Names{second + "/monitoring@20261125!"}));

  // A check moves the item to the back.
  ASSERT_TRUE(Check(second, Day(2026, 12, 2)).ok());  // next 12-05
  AdvanceDays(30);
  EXPECT_EQ(Listed("users/coordinator", Day(2027, 1, 1)),
            (Names{first + "/monitoring@20261202!", second + "/monitoring@20261205!",
                   third + "/monitoring@20261212!"}));

  // Pages cover every item once, in order.
  std::vector<std::string> paged;
  std::string after;
  int pages = 0;
  do {
    auto page = store_->ListDue("users/coordinator", Day(2027, 1, 1), after, 2);
    ASSERT_TRUE(page.ok());
    for (const auto& item : page->items) paged.push_back(item.case_());
    after = page->next_after;
    ++pages;
  } while (!after.empty());
  EXPECT_EQ(pages, 2);
  EXPECT_EQ(paged, (Names{first, second, third}));
  EXPECT_EQ(store_->ListDue("users/coordinator", Day(2026, 2, 30), "", 10).status().code(),
            StatusCode::kInvalidArgument);

  // The item carries what a list shows, and no personal data.
  auto page = store_->ListDue("users/coordinator", Day(2027, 1, 1), "", 1);
  ASSERT_TRUE(page.ok());
  const v1::DueItem& item = page->items.at(0);
  EXPECT_EQ(item.kind(), v1::CHECK_DUE);
  EXPECT_EQ(item.case_(), first);
  EXPECT_EQ(item.case_number(), cases_->Get(first)->case_number());
  EXPECT_TRUE(item.overdue());
}

TEST(NextCheckDateTest, FollowsTheScheduleAndTheLatestCheck) {
  v1::MonitoringSchedule interval;
  interval.set_interval_days(31);
  *interval.mutable_start_date() = Day(2027, 1, 31);
  EXPECT_EQ(Text(NextCheckDate(interval, v1::STAGE_VISIT, {})), "20270303");
  EXPECT_EQ(Text(NextCheckDate(interval, v1::STAGE_VISIT, {Day(2027, 12, 31), Day(2027, 2, 1)})),
            "20280131");
  EXPECT_EQ(Text(NextCheckDate(interval, v1::STAGE_CLOSURE, {})), "none");
  v1::MonitoringSchedule dates;
  *dates.add_dates() = Day(2027, 1, 10);
  *dates.add_dates() = Day(2027, 2, 10);
  EXPECT_EQ(Text(NextCheckDate(dates, v1::MONITORING_STAGE_UNSPECIFIED, {})), "20270110");
  EXPECT_EQ(Text(NextCheckDate(dates, v1::STAGE_TRIAL, {Day(2027, 1, 10)})), "20270210");
  EXPECT_EQ(Text(NextCheckDate(dates, v1::STAGE_TRIAL, {Day(2027, 2, 10)})), "none");
  EXPECT_TRUE(StageBelongsTo(v1::STAGE_CLOSURE, v1::LIFE));
  EXPECT_FALSE(StageBelongsTo(v1::STAGE_CLOSURE, v1::WORK));
  EXPECT_TRUE(StageBelongsTo(v1::STAGE_SETTLING_IN, v1::WORK));
  EXPECT_FALSE(StageBelongsTo(v1::MONITORING_STAGE_UNSPECIFIED, v1::LIFE));
}

TEST(CaseOfMonitoringTest, AcceptsOnlyMonitoringNames) {
  EXPECT_EQ(*CaseOfMonitoring("cases/12/monitoring"), "cases/12");
  for (const char* bad : {"cases/12", "cases//monitoring", "cases/0/monitoring",
                          "cases/12/monitoring/checks/1", "cases/x/monitoring", "monitoring", ""}) {
    EXPECT_EQ(CaseOfMonitoring(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace casecoord::monitoring
