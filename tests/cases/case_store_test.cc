#include "services/cases/case_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rocksdb/options.h>
#include <rocksdb/sst_file_reader.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <random>

#include "services/cases/case_consultations.h"
#include "services/cases/case_counting.h"
#include "services/cases/case_maintenance.h"
#include "services/cases/case_referrals.h"
#include "services/common/fiscal_year.h"
#include "services/storage/backup.h"
#include "services/storage/key_encoding.h"
#include "tests/support/temp_dir.h"

namespace casecoord::cases {
namespace {

using ::testing::ElementsAre;

class CaseStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::StorageOptions options;
    options.path = dir_.Sub("db");
    keyring_ = std::make_shared<storage::Keyring>(storage::KeyEncryptionKey::Generate());
    options.keyring = keyring_;
    storage_ = std::move(storage::Storage::Open(options)).value();
    agencies_ = std::make_unique<directory::AgencyStore>(*storage_, clock_);
    keys_ = std::make_unique<CaseKeyring>(keyring_);
    store_ = std::make_unique<CaseStore>(*storage_, *agencies_, *keys_, clock_);
    referrals_ = std::make_unique<CaseReferrals>(*store_, *storage_, *agencies_, clock_);
    consultations_ = std::make_unique<CaseConsultations>(*store_, *storage_, *agencies_, clock_);
    counting_ = std::make_unique<CaseCounting>(*storage_);
    maintenance_ = std::make_unique<CaseMaintenance>(*store_, *storage_, clock_);
    v1::Agency agency;
    agency.set_display_name("架空市北第一地域包括支援センター");
    agency.set_kana("カクウシキタダイイチ");
    agency.set_kind(v1::COMMUNITY_GENERAL_SUPPORT_CENTER);
    storage::WriteBatch batch(*storage_);
    ASSERT_TRUE(agencies_->PrepareCreate("kita-1", agency, &batch).ok());
    ASSERT_TRUE(storage_->Commit(batch).ok());
  }

  static v1::Case Household(const std::string& name, const std::string& district = "kita") {
    v1::Case input;
    auto* member = input.add_members();
    member->set_member_id("m1");
    member->set_display_name(name);
    member->set_principal(true);
    member->add_issue_tags("hikikomori");
    auto* mother = input.add_members();
    mother->set_member_id("m2");
    mother->set_display_name(name + "の母");
    mother->add_issue_tags("dementia");
    input.add_household_issue_tags("8050");
    input.set_district(district);
    input.set_referring_agency("agencies/kita-1");
    input.set_presenting_problem(name + "さんの長男が外出しない");
    input.set_address("架空市北区本町" + name);
    return input;
  }

  Result<v1::Case> Create(const v1::Case& input, const std::string& request_id) {
    storage::WriteBatch batch(*storage_);
    auto created = store_->PrepareCreate("coordinator", request_id, input, &batch);
    if (created.ok() && batch.count() > 0) {
      EXPECT_TRUE(storage_->Commit(batch).ok());
    }
    return created;
  }

  Result<v1::Case> Transition(const std::string& name, v1::CaseState to,
                              v1::CaseOutcome outcome = v1::CASE_OUTCOME_UNSPECIFIED,
                              const std::string& reason = "", const std::string& etag = "") {
    v1::TransitionCaseRequest request;
    request.set_name(name);
    request.set_to(to);
    request.set_outcome(outcome);
    request.set_reason(reason);
    request.set_etag(etag);
    storage::WriteBatch batch(*storage_);
    auto moved = store_->PrepareTransition("coordinator", request, &batch);
    if (moved.ok()) {
      EXPECT_TRUE(storage_->Commit(batch).ok());
    }
    return moved;
  }

  Result<v1::Case> Update(const v1::Case& patch, const std::vector<std::string>& paths) {
    v1::UpdateCaseRequest request;
    *request.mutable_case_() = patch;
    for (const auto& path : paths) request.mutable_update_mask()->add_paths(path);
    storage::WriteBatch batch(*storage_);
    auto updated = store_->PrepareUpdate("coordinator", request, &batch);
    if (updated.ok()) {
      EXPECT_TRUE(storage_->Commit(batch).ok());
    }
    return updated;
  }

  std::string RawCase(const std::string& name) {
    std::string key;
    storage::AppendString(&key, "case");
    storage::AppendUint64(&key, std::stoull(name.substr(6)));
    return storage_->Get(storage::ColumnFamily::kRecords, key)->value_or("");
  }

  testing::TempDir dir_;
  ManualClock clock_{*JstMidnight(2026, 11, 22)};
  std::shared_ptr<storage::Keyring> keyring_;
  std::unique_ptr<storage::Storage> storage_;
  std::unique_ptr<directory::AgencyStore> agencies_;
  std::unique_ptr<CaseKeyring> keys_;
  std::unique_ptr<CaseStore> store_;
  std::unique_ptr<CaseReferrals> referrals_;
  std::unique_ptr<CaseConsultations> consultations_;
  std::unique_ptr<CaseCounting> counting_;
  std::unique_ptr<CaseMaintenance> maintenance_;
};

TEST_F(CaseStoreTest, IntakeNumbersCasesPerFiscalYearAndARetriedCreateReturnsTheSameCase) {
  auto first = Create(Household("架空太郎"), "req-1");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->name(), "cases/1");
  EXPECT_EQ(first->case_number(), "R8-0001");
  EXPECT_EQ(first->state(), v1::INTAKE);
  EXPECT_EQ(first->coordinator(), "users/coordinator");
  EXPECT_EQ(first->referring_agency_kind(), v1::COMMUNITY_GENERAL_SUPPORT_CENTER);

  // A retry prepares nothing and answers with the first case, even with a different body.
  storage::WriteBatch retry(*storage_);
  auto again = store_->PrepareCreate("coordinator", "req-1", Household("別人"), &retry);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(retry.count(), 0u);
  EXPECT_EQ(again->name(), "cases/1");
  EXPECT_EQ(again->members(0).display_name(), "架空太郎");

  auto second = Create(Household("架空次郎"), "req-2");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->case_number(), "R8-0002");
  // A new fiscal year starts its numbers again.
  clock_.Advance(std::chrono::hours(24 * 140));  // 2027-04-11, 令和9年度
  auto next_year = Create(Household("架空三郎"), "req-3");
  ASSERT_TRUE(next_year.ok());
  EXPECT_EQ(next_year->case_number(), "R9-0001");

  auto read = store_->Get("cases/2");
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->presenting_problem(), "架空次郎さんの長男が外出しない");
  EXPECT_EQ(read->members(1).display_name(), "架空次郎の母");
}

TEST_F(CaseStoreTest, RefusesBadIntakesNamingTheFields) {
  v1::Case input = Household("架空");
  input.mutable_members(1)->set_member_id("m1");
  input.mutable_members(1)->set_principal(true);
  input.clear_presenting_problem();
  input.set_district("Kita Ku");
  auto refused = Create(input, "bad");
  ASSERT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  std::set<std::string> fields;
  for (const auto& violation : refused.status().field_violations()) fields.insert(violation.field);
  EXPECT_EQ(fields, (std::set<std::string>{"case.members[1].member_id", "case.members",
                                           "case.presenting_problem", "case.district"}));
  input = Household("架空");
  input.set_referring_agency("agencies/nowhere");
  EXPECT_EQ(Create(input, "bad-2").status().field_violations().at(0).field,
            "case.referring_agency");
  EXPECT_EQ(Create(Household("架空"), "").status().field_violations().at(0).field, "request_id");
  EXPECT_EQ(store_->Get("cases/1").status().code(), StatusCode::kNotFound);
}

TEST_F(CaseStoreTest, PersonalDataIsSealedAndCannotBeMovedToAnotherRecord) {
  ASSERT_TRUE(Create(Household("封印一郎"), "a").ok());
  ASSERT_TRUE(Create(Household("封印二郎"), "b").ok());
  const std::string raw = RawCase("cases/1");
  ASSERT_FALSE(raw.empty());
  for (const char* secret : {"封印一郎", "本町", "外出しない"}) {
    EXPECT_EQ(raw.find(secret), std::string::npos) << secret;
  }
  EXPECT_NE(raw.find("hikikomori"), std::string::npos) << "what statistics count stays public";

  // Copy case 1's stored value over case 2's: opening it under case 2's key and name fails.
  std::string key;
  storage::AppendString(&key, "case");
  storage::AppendUint64(&key, 2);
  storage::WriteBatch swap(*storage_);
  swap.Put(storage::ColumnFamily::kRecords, key, raw);
  ASSERT_TRUE(storage_->Commit(swap).ok());
  auto swapped = store_->Get("cases/2");
  ASSERT_FALSE(swapped.ok());
  EXPECT_EQ(swapped.status().code(), StatusCode::kDataLoss);
  EXPECT_TRUE(store_->Get("cases/1").ok());
}

TEST_F(CaseStoreTest, TransitionsFollowTheLifecycleWithEtagsAndHistory) {
  auto created = Create(Household("架空"), "r");
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(Transition("cases/1", v1::IN_SUPPORT).status().code(), StatusCode::kFailedPrecondition);
  auto coordinating =
      Transition("cases/1", v1::COORDINATING, v1::CASE_OUTCOME_UNSPECIFIED, "", created->etag());
  ASSERT_TRUE(coordinating.ok()) << coordinating.status().ToString();
  // The etag the transition consumed is stale now; nothing changes.
  EXPECT_EQ(Transition("cases/1", v1::IN_SUPPORT, v1::CASE_OUTCOME_UNSPECIFIED, "", created->etag())
                .status()
                .code(),
            StatusCode::kAborted);
  EXPECT_EQ(store_->Get("cases/1")->state(), v1::COORDINATING);
  ASSERT_TRUE(Transition("cases/1", v1::IN_SUPPORT).ok());
  auto closed =
      Transition("cases/1", v1::CLOSED, v1::NOT_RESOLVED_REVIEWED, "検証: 支援拒否が継続");
  ASSERT_TRUE(closed.ok());
  EXPECT_EQ(closed->outcome(), v1::NOT_RESOLVED_REVIEWED);

  auto history = store_->History("cases/1", 0, 100);
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 4u);
  EXPECT_EQ(history->at(0).kind(), v1::OPENED);
  EXPECT_EQ(history->at(3).from_state(), v1::IN_SUPPORT);
  EXPECT_EQ(history->at(3).to_state(), v1::CLOSED);
  EXPECT_EQ(history->at(3).reason(), "検証: 支援拒否が継続");
  EXPECT_EQ(history->at(3).decision_date().year(), 2026);
  EXPECT_EQ(store_->History("cases/1", 2, 100)->size(), 2u);
}

TEST_F(CaseStoreTest, NeedToKnowSeesTheTeamOnly) {
  ASSERT_TRUE(Create(Household("架空"), "r").ok());
  auto record = *store_->Get("cases/1");
  EXPECT_TRUE(CanSee(record, Viewer{true, ""}));
  EXPECT_FALSE(CanSee(record, Viewer{false, "agencies/kita-1"}));
  EXPECT_FALSE(CanSee(record, Viewer{false, ""}));
  record.add_team()->set_agency("agencies/kita-1");
  EXPECT_TRUE(CanSee(record, Viewer{false, "agencies/kita-1"}));
  EXPECT_FALSE(CanSee(record, Viewer{false, "agencies/other"}));

  auto everyone = store_->List(Viewer{true, ""}, CaseFilter{}, "", 10);
  ASSERT_TRUE(everyone.ok());
  EXPECT_EQ(everyone->cases.size(), 1u);
  auto outsider = store_->List(Viewer{false, "agencies/kita-1"}, CaseFilter{}, "", 10);
  ASSERT_TRUE(outsider.ok());
  EXPECT_TRUE(outsider->cases.empty());
}

TEST_F(CaseStoreTest, CountersEqualARecountAfterThousandsOfRandomEvents) {
  std::mt19937 random(20261122);
  const std::vector<std::string> districts = {"kita", "minami", "higashi"};
  const v1::CaseState targets[] = {v1::COMPLETED_BY_ADVICE, v1::COORDINATING, v1::IN_SUPPORT,
                                   v1::CLOSED};
  const v1::CaseOutcome outcomes[] = {v1::RESOLVED, v1::NOT_RESOLVED_REVIEWED, v1::TRANSFERRED,
                                      v1::WITHDRAWN};
  const std::vector<std::string> tags = {"debt", "8050", "young-carer", "isolation"};
  int cases = 0, moves = 0, reclassified = 0, contacts = 0;
  for (int step = 0; step < 3000; ++step) {
    const int dice = static_cast<int>(random() % 10);
    if (cases > 0 && dice == 0) {
      // Reclassify: another district and household tag, so earlier counts must move.
      v1::Case patch;
      patch.set_name("cases/" + std::to_string(1 + random() % cases));
      patch.set_district(districts[random() % 3]);
      patch.add_household_issue_tags(tags[random() % tags.size()]);
      auto updated = Update(patch, {"district", "household_issue_tags"});
      ASSERT_TRUE(updated.ok()) << updated.status().ToString();
      ++reclassified;
    } else if (cases > 0 && dice == 1) {
      v1::ConsultationEntry contact;
      contact.set_kind(v1::COORDINATION_CONTACT);
      contact.set_agency("agencies/kita-1");
      contact.set_summary("個別調整");
      const std::string today = FormatJstDate(clock_.Now());
      contact.mutable_date()->set_year(std::stoi(today.substr(0, 4)));
      contact.mutable_date()->set_month(std::stoi(today.substr(5, 2)));
      contact.mutable_date()->set_day(std::stoi(today.substr(8, 2)));
      storage::WriteBatch batch(*storage_);
      auto logged = consultations_->PrepareAppendConsultation(
          "coordinator", "cases/" + std::to_string(1 + random() % cases), contact, &batch);
      ASSERT_TRUE(logged.ok()) << logged.status().ToString();
      ASSERT_TRUE(storage_->Commit(batch).ok());
      ++contacts;
    } else if (cases == 0 || dice < 4) {
      ASSERT_TRUE(Create(Household("世帯" + std::to_string(cases), districts[random() % 3]),
                         "r" + std::to_string(step))
                      .ok());
      ++cases;
    } else {
      const std::string name = "cases/" + std::to_string(1 + random() % cases);
      auto moved = Transition(name, targets[random() % 4], v1::CASE_OUTCOME_UNSPECIFIED, "理由");
      if (!moved.ok()) {
        moved = Transition(name, v1::CLOSED, outcomes[random() % 4], "理由");
      }
      moves += moved.ok() ? 1 : 0;
    }
    if (step % 400 == 0) clock_.Advance(std::chrono::hours(24 * 60));  // crosses fiscal years
  }
  EXPECT_GT(moves, 700);
  EXPECT_GT(reclassified, 200);
  EXPECT_GT(contacts, 200);
  auto recount = counting_->RecountCounters();
  ASSERT_TRUE(recount.ok()) << recount.status().ToString();
  auto stored = stats::ReadCounters(*storage_, 2000, 2100);
  ASSERT_TRUE(stored.ok());
  EXPECT_GT(stored->size(), 20u);
  const auto differences = stats::Compare(*stored, recount->deltas());
  EXPECT_TRUE(differences.empty())
      << differences.size() << " counters differ, e.g. " << differences.front().key.ToString();
  // And the counters can fail this check: one lost increment is reported.
  storage::WriteBatch lost(*storage_);
  lost.Add(storage::ColumnFamily::kCounters,
           stats::EncodeCounterKey({2026, stats::kCasesOpened, "", ""}), -1);
  ASSERT_TRUE(storage_->Commit(lost).ok());
  EXPECT_EQ(stats::Compare(*stats::ReadCounters(*storage_, 2000, 2100), recount->deltas()).size(),
            1u);
}

}  // namespace
}  // namespace casecoord::cases

namespace casecoord::cases {
namespace {

// `household` received on 2026-11-01, before the day of Entry (nothing on a case may precede its
// intake).
v1::Case ReceivedBeforeTheEntries(v1::Case household) {
  household.mutable_intake_date()->set_year(2026);
  household.mutable_intake_date()->set_month(11);
  household.mutable_intake_date()->set_day(1);
  return household;
}

v1::ConsultationEntry Entry(v1::ConsultationKind kind, const std::string& summary,
                            const std::string& agency = "") {
  v1::ConsultationEntry entry;
  entry.set_kind(kind);
  entry.mutable_date()->set_year(2026);
  entry.mutable_date()->set_month(11);
  entry.mutable_date()->set_day(20);
  entry.set_summary(summary);
  entry.set_agency(agency);
  entry.set_method(v1::PHONE);
  return entry;
}

TEST_F(CaseStoreTest, TheLogIsAppendOnlyAndACorrectionAmendsWithoutErasing) {
  ASSERT_TRUE(Create(ReceivedBeforeTheEntries(Household("架空")), "r").ok());
  auto append = [&](const v1::ConsultationEntry& entry) {
    storage::WriteBatch batch(*storage_);
    auto appended =
        consultations_->PrepareAppendConsultation("coordinator", "cases/1", entry, &batch);
    if (appended.ok()) {
      EXPECT_TRUE(storage_->Commit(batch).ok());
    }
    return appended;
  };
  auto first =
      append(Entry(v1::COORDINATION_CONTACT, "包括と訪問日程を調整（10日）", "agencies/kita-1"));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->name(), "cases/1/consultations/1");
  EXPECT_EQ(first->author(), "users/coordinator");
  ASSERT_TRUE(append(Entry(v1::HOME_VISIT, "母と面談")).ok());
  auto correction = Entry(v1::AMENDMENT, "訪問日は12日");
  correction.set_amends(first->name());
  correction.set_amendment_reason("日付の誤記");
  ASSERT_TRUE(append(correction).ok());

  auto log = consultations_->Consultations("cases/1", 0, 10);
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(log->size(), 3u);
  EXPECT_EQ(log->at(0).summary(), "包括と訪問日程を調整（10日）") << "the original stays";
  EXPECT_EQ(log->at(0).amended_by(0), "cases/1/consultations/3");
  EXPECT_EQ(log->at(2).amendment_reason(), "日付の誤記");
  EXPECT_EQ(consultations_->Consultations("cases/1", 2, 10)->size(), 1u);

  // Refusals name the field and write nothing.
  auto bad = Entry(v1::AMENDMENT, "x");
  bad.set_amends("cases/1/consultations/9");
  EXPECT_EQ(append(bad).status().field_violations().size(), 2u);  // amends, amendment_reason
  EXPECT_EQ(append(Entry(v1::COORDINATION_CONTACT, "x", "agencies/nowhere"))
                .status()
                .field_violations()
                .at(0)
                .field,
            "entry.agency");
  auto future = Entry(v1::PHONE_CALL, "x");
  future.mutable_date()->set_year(2027);
  EXPECT_EQ(append(future).status().field_violations().at(0).field, "entry.date");
  EXPECT_EQ(consultations_->Consultations("cases/1", 0, 10)->size(), 3u);

  // The summary is sealed; the coordination contact is counted in fiscal year 2026.
  std::string key;
  storage::AppendString(&key, "case-entry");
  storage::AppendUint64(&key, 1);
  storage::AppendUint64(&key, 1);
  const std::string raw = storage_->Get(storage::ColumnFamily::kRecords, key)->value_or("");
  ASSERT_FALSE(raw.empty());
  EXPECT_EQ(raw.find("訪問日程"), std::string::npos);
  EXPECT_EQ(*stats::ReadCounter(*storage_, {2026, stats::kCoordinationContacts, "", ""}), 1);
  EXPECT_TRUE(stats::Compare(*stats::ReadCounters(*storage_, 2000, 2100),
                             counting_->RecountCounters()->deltas())
                  .empty());
}

TEST_F(CaseStoreTest, ACaseWrittenBeforeTheLastNumberKeysContinuesItsNumbering) {
  ASSERT_TRUE(Create(ReceivedBeforeTheEntries(Household("架空")), "r").ok());
  auto append = [&](v1::ConsultationKind kind) {
    storage::WriteBatch batch(*storage_);
    auto appended = consultations_->PrepareAppendConsultation("coordinator", "cases/1",
                                                              Entry(kind, "面談"), &batch);
    EXPECT_TRUE(appended.ok()) << appended.status().ToString();
    if (!appended.ok()) return std::string();
    EXPECT_TRUE(storage_->Commit(batch).ok());
    return appended->name();
  };
  EXPECT_EQ(append(v1::HOME_VISIT), "cases/1/consultations/1");
  EXPECT_EQ(append(v1::PHONE_CALL), "cases/1/consultations/2");
  // As a database of an earlier version has it: no last-number keys. The next write finds the
  // numbers by seeking, and writes the keys again.
  auto last_key = [](const char* kind) {
    std::string key;
    storage::AppendString(&key, kind);
    storage::AppendUint64(&key, 1);
    return key;
  };
  {
    storage::WriteBatch batch(*storage_);
    batch.Delete(storage::ColumnFamily::kRecords, last_key("case-last-event"));
    batch.Delete(storage::ColumnFamily::kRecords, last_key("case-last-entry"));
    ASSERT_TRUE(storage_->Commit(batch).ok());
  }
  const int64_t events_before = store_->History("cases/1", 0, 100)->size();
  EXPECT_EQ(append(v1::HOME_VISIT), "cases/1/consultations/3");
  EXPECT_TRUE(
      storage_->Get(storage::ColumnFamily::kRecords, last_key("case-last-entry"))->has_value());
  EXPECT_EQ(append(v1::HOME_VISIT), "cases/1/consultations/4");
  // Every event kept its own sequence: none was overwritten.
  auto history = store_->History("cases/1", 0, 100);
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(static_cast<int64_t>(history->size()), events_before + 2);
  for (size_t i = 0; i < history->size(); ++i) {
    EXPECT_EQ(history->at(i).sequence(), static_cast<int64_t>(i) + 1);
  }
}

TEST_F(CaseStoreTest, AKeyInItsEarlierPlaceStillOpensItsCaseAndIsMovedBesideItAtStartUp) {
  ASSERT_TRUE(Create(Household("架空"), "r1").ok());
  ASSERT_TRUE(Create(Household("仮名"), "r2").ok());
  auto name_of = [](const char* kind, uint64_t id, const char* suffix) {
    std::string key;
    storage::AppendString(&key, kind);
    storage::AppendUint64(&key, id);
    if (suffix != nullptr) storage::AppendString(&key, suffix);
    return key;
  };
  const std::string beside = name_of("case", 1, "key");
  const std::string earlier = name_of("case-key", 1, nullptr);
  auto stored_at = [&](const std::string& key) {
    auto value = storage_->Get(storage::ColumnFamily::kRecords, key);
    EXPECT_TRUE(value.ok());
    return value.ok() && value->has_value() ? **value : std::string();
  };
  const std::string wrapped = stored_at(beside);
  ASSERT_EQ(wrapped.size(), kWrappedCaseKeySize);
  EXPECT_EQ(stored_at(earlier), "");
  // As a database of an earlier version has it.
  {
    storage::WriteBatch batch(*storage_);
    batch.Put(storage::ColumnFamily::kRecords, earlier, wrapped);
    batch.Delete(storage::ColumnFamily::kRecords, beside);
    ASSERT_TRUE(storage_->Commit(batch).ok());
  }
  auto opened = [&] {
    auto record = store_->Get("cases/1");
    EXPECT_TRUE(record.ok()) << record.status().ToString();
    return record.ok() ? record->members(0).display_name() : std::string();
  };
  EXPECT_EQ(opened(), "架空");
  // Scans over the cases step over the keys between them.
  auto listed = [&] {
    std::vector<std::string> names;
    auto page = store_->List(Viewer{true, ""}, CaseFilter{}, "", 10);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    if (page.ok()) {
      for (const auto& record : page->cases) names.push_back(record.name());
    }
    return names;
  };
  EXPECT_THAT(listed(), ElementsAre("cases/2", "cases/1"));

  auto moved = maintenance_->RebuildIndexesIfStale();
  ASSERT_TRUE(moved.ok()) << moved.status().ToString();
  EXPECT_EQ(stored_at(earlier), "");
  EXPECT_EQ(stored_at(beside), wrapped);
  EXPECT_EQ(opened(), "架空");
  EXPECT_THAT(listed(), ElementsAre("cases/2", "cases/1"));
  auto recount = counting_->RecountCounters();
  EXPECT_TRUE(recount.ok()) << recount.status().ToString();
  auto second = store_->List(Viewer{true, ""}, CaseFilter{}, "2", 10);  // the page after cases/2
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->cases.size(), 1u);
  EXPECT_EQ(second->cases[0].name(), "cases/1");
}

}  // namespace
}  // namespace casecoord::cases

namespace casecoord::cases {
namespace {

TEST_F(CaseStoreTest, CasesRecordedBeforeTheIntakeDateGetTheJstDayOfTheirCreationAtStartUp) {
  // Opened at 00:00 JST on 2026-11-22, which is still 2026-11-21 in UTC.
  ASSERT_TRUE(Create(Household("架空"), "r1").ok());
  ASSERT_TRUE(Create(Household("仮名"), "r2").ok());
  // As a database of an earlier version has them: no intake_date, no marker.
  auto strip = [&](const std::string& name) {
    std::string key;
    storage::AppendString(&key, "case");
    storage::AppendUint64(&key, std::stoull(name.substr(6)));
    std::string public_bytes, sealed, spare;
    ASSERT_TRUE(storage::Unframe(RawCase(name), {&public_bytes, &sealed, &spare}));
    v1::Case record;
    ASSERT_TRUE(record.ParseFromString(public_bytes));
    ASSERT_TRUE(record.has_intake_date());
    record.clear_intake_date();
    storage::WriteBatch batch(*storage_);
    batch.Put(storage::ColumnFamily::kRecords, key,
              storage::Frame({record.SerializeAsString(), sealed, spare}));
    ASSERT_TRUE(storage_->Commit(batch).ok());
  };
  strip("cases/1");
  strip("cases/2");
  {
    storage::WriteBatch batch(*storage_);
    batch.Delete(storage::ColumnFamily::kMeta, "case-intake-dates");
    ASSERT_TRUE(storage_->Commit(batch).ok());
  }
  ASSERT_FALSE(store_->Get("cases/1")->has_intake_date());
  auto before = counting_->RecountCounters();
  ASSERT_TRUE(before.ok());

  clock_.Advance(std::chrono::hours(24 * 400));  // the migration runs much later
  ASSERT_TRUE(maintenance_->RebuildIndexesIfStale().ok());
  for (const char* name : {"cases/1", "cases/2"}) {
    auto record = store_->Get(name);
    ASSERT_TRUE(record.ok()) << record.status().ToString();
    EXPECT_EQ(FormatDate(record->intake_date()), "2026-11-22") << name;
    EXPECT_EQ(record->fiscal_year().year(), 2026);
    EXPECT_FALSE(record->members(0).display_name().empty());  // the sealed part still opens
  }
  // The fiscal year the counts were taken from is the intake's: no counter moves.
  auto after = counting_->RecountCounters();
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->deltas(), before->deltas());
  // Marked done: a later start-up leaves the records alone.
  auto marker = storage_->Get(storage::ColumnFamily::kMeta, "case-intake-dates");
  ASSERT_TRUE(marker.ok());
  EXPECT_TRUE(marker->has_value());
  strip("cases/2");
  ASSERT_TRUE(maintenance_->RebuildIndexesIfStale().ok());
  EXPECT_FALSE(store_->Get("cases/2")->has_intake_date());
}

TEST_F(CaseStoreTest, AnIntakeCorrectionIsBoundedByTheRecordsAndMovesOnlyTheOpening) {
  v1::Case input = Household("架空");
  input.mutable_intake_date()->set_year(2026);
  input.mutable_intake_date()->set_month(4);
  input.mutable_intake_date()->set_day(3);
  auto opened = Create(input, "r1");
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(opened->case_number(), "R8-0001");
  v1::TransitionCaseRequest move;
  move.set_name(opened->name());
  move.set_to(v1::COORDINATING);
  move.mutable_decision_date()->set_year(2026);
  move.mutable_decision_date()->set_month(4);
  move.mutable_decision_date()->set_day(2);
  {
    storage::WriteBatch batch(*storage_);
    auto refused = store_->PrepareTransition("coordinator", move, &batch);
    EXPECT_TRUE(refused.status().Is(Reason::kDatedBeforeIntake)) << refused.status().ToString();
  }
  move.mutable_decision_date()->set_day(6);
  {
    storage::WriteBatch batch(*storage_);
    ASSERT_TRUE(store_->PrepareTransition("coordinator", move, &batch).ok());
    ASSERT_TRUE(storage_->Commit(batch).ok());
  }
  auto earliest = store_->EarliestRecordedDate(1);
  ASSERT_TRUE(earliest.ok() && earliest->has_value());
  EXPECT_EQ(FormatDate(**earliest), "2026-04-06");

  v1::Case patch;
  patch.set_name(opened->name());
  patch.mutable_intake_date()->set_year(2026);
  patch.mutable_intake_date()->set_month(4);
  patch.mutable_intake_date()->set_day(7);
  EXPECT_TRUE(Update(patch, {"intake_date"}).status().Is(Reason::kIntakeAfterRecords));
  patch.clear_intake_date();
  EXPECT_EQ(Update(patch, {"intake_date"}).status().code(), StatusCode::kInvalidArgument);
  patch.mutable_intake_date()->set_year(2026);
  patch.mutable_intake_date()->set_month(3);
  patch.mutable_intake_date()->set_day(31);
  auto corrected = Update(patch, {"intake_date"});
  ASSERT_TRUE(corrected.ok()) << corrected.status().ToString();
  EXPECT_EQ(corrected->fiscal_year().year(), 2025);
  EXPECT_EQ(corrected->case_number(), "R8-0001");
  auto counted = [&](int year, const char* metric) {
    return *stats::ReadCounter(*storage_, {year, metric, "", ""});
  };
  EXPECT_EQ(counted(2025, stats::kCasesOpened), 1);
  EXPECT_EQ(counted(2026, stats::kCasesOpened), 0);
  EXPECT_EQ(counted(2026, stats::kCasesCoordinated), 1);
  auto recount = counting_->RecountCounters();
  ASSERT_TRUE(recount.ok());
  EXPECT_TRUE(
      stats::Compare(*stats::ReadCounters(*storage_, 2000, 2100), recount->deltas()).empty());
  // The next case of 2025 is numbered after the cases registered in 2025, not after this one.
  v1::Case late = Household("仮名");
  *late.mutable_intake_date() = patch.intake_date();
  EXPECT_EQ(Create(late, "r2")->case_number(), "R7-0001");
}

TEST_F(CaseStoreTest, ReferralsAreAnsweredOnceAndOnlyAcceptanceJoinsTheTeam) {
  ASSERT_TRUE(Create(Household("架空"), "r").ok());
  auto commit = [&](auto&& prepare) {
    storage::WriteBatch batch(*storage_);
    auto result = prepare(&batch);
    if (result.ok()) {
      EXPECT_TRUE(storage_->Commit(batch).ok());
    }
    return result;
  };
  v1::Referral ask;
  ask.set_agency("agencies/kita-1");
  ask.set_role(v1::LEAD);
  ask.set_note("主担当をお願いしたい");
  auto refer = [&](storage::WriteBatch* batch) {
    return referrals_->PrepareRefer("coordinator", "cases/1", ask, batch);
  };
  auto first = commit(refer);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(commit(refer).status().reason(), "REFERRAL_PENDING");
  auto inbox = referrals_->Referrals("cases/-", "agencies/kita-1");
  ASSERT_TRUE(inbox.ok());
  ASSERT_EQ(inbox->size(), 1u);
  EXPECT_EQ(inbox->at(0).note(), "主担当をお願いしたい");

  v1::AnswerReferralRequest answer;
  answer.set_name(first->name());
  auto decline = [&](storage::WriteBatch* batch) {
    return referrals_->PrepareAnswer("staff", answer, CaseReferrals::Answer::kDecline, batch);
  };
  EXPECT_EQ(commit(decline).status().field_violations().at(0).field, "reason");
  answer.set_reason("担当圏域外のため");
  answer.set_proposed_agency("agencies/kita-1");
  auto declined = commit(decline);
  ASSERT_TRUE(declined.ok()) << declined.status().ToString();
  EXPECT_EQ(declined->state(), v1::Referral::DECLINED);
  EXPECT_TRUE(referrals_->Referrals("cases/-", "agencies/kita-1")->empty())
      << "answered: not pending";
  EXPECT_TRUE(store_->Get("cases/1")->team().empty());
  EXPECT_EQ(commit([&](storage::WriteBatch* batch) {
              return referrals_->PrepareAnswer("staff", answer, CaseReferrals::Answer::kAccept,
                                               batch);
            })
                .status()
                .reason(),
            "REFERRAL_ANSWERED");

  // Asked again, it accepts and joins with the role asked for.
  auto second = commit(refer);
  ASSERT_TRUE(second.ok());
  answer.set_name(second->name());
  ASSERT_TRUE(commit([&](storage::WriteBatch* batch) {
                return referrals_->PrepareAnswer("staff", answer, CaseReferrals::Answer::kAccept,
                                                 batch);
              }).ok());
  auto record = store_->Get("cases/1");
  ASSERT_EQ(record->team_size(), 1);
  EXPECT_EQ(record->team(0).role(), v1::LEAD);
  EXPECT_EQ(commit(refer).status().reason(), "ALREADY_ON_TEAM");
  EXPECT_EQ(referrals_->Referrals("cases/1", "")->size(), 2u);
  const auto history = store_->History("cases/1", 0, 100);
  EXPECT_EQ(history->back().kind(), v1::REFERRAL_ACCEPTED);
  EXPECT_EQ(history->at(2).reason(), "担当圏域外のため");
}

}  // namespace
}  // namespace casecoord::cases

namespace casecoord::cases {
namespace {

int64_t Opened(const storage::Storage& storage, const std::string& district) {
  return *stats::ReadCounter(storage, {2026, stats::kCasesOpened, stats::kDistrict, district});
}

TEST_F(CaseStoreTest, AnUpdateChangesTheMaskedFieldsChecksTheEtagAndMovesTheCounts) {
  auto created = Create(Household("更新"), "r1");
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(Opened(*storage_, "kita"), 1);

  v1::Case patch;
  patch.set_name(created->name());
  patch.set_district("minami");
  patch.set_presenting_problem("訂正後の相談内容");
  patch.set_etag("99");
  auto stale = Update(patch, {"district"});
  EXPECT_EQ(stale.status().code(), StatusCode::kAborted);
  patch.set_etag(created->etag());
  auto bad_path = Update(patch, {"state"});
  EXPECT_EQ(bad_path.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad_path.status().field_violations().front().field, "update_mask");
  auto bad_value = Update(patch, {"coordinator"});  // patch.coordinator is empty: fine
  ASSERT_TRUE(bad_value.ok()) << bad_value.status().ToString();
  patch.set_etag(bad_value->etag());
  patch.set_coordinator("alice");
  bad_value = Update(patch, {"coordinator"});
  EXPECT_EQ(bad_value.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad_value.status().field_violations().front().field, "case.coordinator");
  EXPECT_EQ(Opened(*storage_, "kita"), 1);  // refused updates change nothing

  auto updated = Update(patch, {"district"});
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(updated->district(), "minami");
  EXPECT_EQ(updated->presenting_problem(), "更新さんの長男が外出しない");  // not in the mask
  EXPECT_NE(updated->etag(), patch.etag());
  EXPECT_EQ(Opened(*storage_, "kita"), 0);
  EXPECT_EQ(Opened(*storage_, "minami"), 1);
  auto history = store_->History(created->name(), 0, 100);
  ASSERT_TRUE(history.ok());
  EXPECT_EQ(history->back().kind(), v1::UPDATED);
  EXPECT_EQ(history->back().subject(), "district");
  auto reread = store_->Get(created->name());
  EXPECT_EQ(reread->members(0).display_name(), "更新");  // sealed fields survive the rewrite
}

TEST_F(CaseStoreTest, ListFiltersByTagFiscalYearOverdueAndTeamAgency) {
  ASSERT_TRUE(Create(Household("一"), "r1").ok());
  v1::Case debt = Household("二", "minami");
  debt.clear_household_issue_tags();
  debt.add_household_issue_tags("debt");
  debt.mutable_next_review_date()->set_year(2026);
  debt.mutable_next_review_date()->set_month(11);
  debt.mutable_next_review_date()->set_day(1);
  ASSERT_TRUE(Create(debt, "r2").ok());
  clock_.Advance(std::chrono::hours(24 * 150));  // into fiscal 2027
  ASSERT_TRUE(Create(Household("三"), "r3").ok());

  auto names = [&](const Viewer& viewer, const CaseFilter& filter) {
    std::vector<std::string> out;
    auto page = store_->List(viewer, filter, "", 10);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    for (const auto& record : page->cases) out.push_back(record.name());
    return out;
  };
  const Viewer coordinator{true, ""};
  using Names = std::vector<std::string>;
  EXPECT_EQ(names(coordinator, {}), (Names{"cases/3", "cases/2", "cases/1"}));
  CaseFilter filter;
  filter.tag = "debt";
  EXPECT_EQ(names(coordinator, filter), Names{"cases/2"});
  filter = {};
  filter.tag = "dementia";  // a member's tag
  EXPECT_EQ(names(coordinator, filter).size(), 3u);
  filter = {};
  filter.fiscal_year = 2026;
  EXPECT_EQ(names(coordinator, filter), (Names{"cases/2", "cases/1"}));
  filter = {};
  filter.overdue = true;
  filter.today.set_year(2026);
  filter.today.set_month(11);
  filter.today.set_day(22);
  EXPECT_EQ(names(coordinator, filter), Names{"cases/2"});
  filter.today.set_day(1);  // due today is not overdue
  EXPECT_TRUE(names(coordinator, filter).empty());

  // The team index: kita-1 joins case 1 by an accepted referral and leaves it again.
  v1::Referral ask;
  ask.set_agency("agencies/kita-1");
  ask.set_role(v1::PARTNER_SUPPORT);
  storage::WriteBatch referred(*storage_);
  auto referral = referrals_->PrepareRefer("coordinator", "cases/1", ask, &referred);
  ASSERT_TRUE(referral.ok());
  ASSERT_TRUE(storage_->Commit(referred).ok());
  const Viewer staff{false, "agencies/kita-1"};
  EXPECT_TRUE(names(staff, {}).empty());
  v1::AnswerReferralRequest accept;
  accept.set_name(referral->name());
  storage::WriteBatch accepted(*storage_);
  ASSERT_TRUE(
      referrals_->PrepareAnswer("staff", accept, CaseReferrals::Answer::kAccept, &accepted).ok());
  ASSERT_TRUE(storage_->Commit(accepted).ok());
  EXPECT_EQ(names(staff, {}), Names{"cases/1"});
  filter = {};
  filter.agency = "agencies/kita-1";
  EXPECT_EQ(names(coordinator, filter), Names{"cases/1"});
  filter.agency = "agencies/other";
  EXPECT_TRUE(names(staff, filter).empty());  // staff cannot list another agency's cases

  // A database without the index (written before it existed) is re-indexed on start-up.
  storage::WriteBatch drop(*storage_);
  drop.DeleteRange(storage::ColumnFamily::kIndexes, "", std::string(8, '\xff'));
  drop.Delete(storage::ColumnFamily::kMeta, "case-index-version");
  ASSERT_TRUE(storage_->Commit(drop).ok());
  EXPECT_TRUE(names(staff, {}).empty());
  auto rebuilt = maintenance_->RebuildIndexesIfStale();
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status().ToString();
  EXPECT_EQ(*rebuilt, 3);
  EXPECT_EQ(names(staff, {}), Names{"cases/1"});
  EXPECT_EQ(*maintenance_->RebuildIndexesIfStale(), 0);

  storage::WriteBatch removed(*storage_);
  v1::RemoveTeamMemberRequest remove;
  remove.set_name("cases/1");
  remove.set_agency("agencies/kita-1");
  remove.set_reason("支援終了");
  ASSERT_TRUE(referrals_->PrepareRemoveTeamMember("coordinator", remove, &removed).ok());
  ASSERT_TRUE(storage_->Commit(removed).ok());
  EXPECT_TRUE(names(staff, {}).empty());
}

}  // namespace
}  // namespace casecoord::cases

namespace casecoord::cases {
namespace {

// Whether a key or value of the table file at `path` contains `needle`, read through RocksDB:
// table blocks are compressed (Snappy), and a compressed block may hold a value only in pieces
// (a run of its bytes replaced by a back-reference), so that its raw bytes do not show it.
bool TableHolds(const std::filesystem::path& path, const std::string& needle) {
  rocksdb::SstFileReader reader{rocksdb::Options()};
  if (!reader.Open(path.string()).ok()) return false;
  std::unique_ptr<rocksdb::Iterator> it(reader.NewIterator(rocksdb::ReadOptions()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (it->key().ToStringView().find(needle) != std::string_view::npos ||
        it->value().ToStringView().find(needle) != std::string_view::npos) {
      return true;
    }
  }
  return false;
}

// Every file under `root` whose bytes contain `needle`, or, for a table file, whose decoded
// keys or values do.
std::vector<std::string> FilesHolding(const std::string& root, const std::string& needle) {
  std::vector<std::string> holding;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (bytes.find(needle) != std::string::npos ||
        (entry.path().extension() == ".sst" && TableHolds(entry.path(), needle))) {
      holding.push_back(entry.path().string());
    }
  }
  return holding;
}

// A purge on a plaintext database (so that a scan of its files can see a key) with backups.
// The parameter: whether the case's key is where an older server left it ("case-key"/id), as in
// a database that start-up has not yet moved, rather than beside the case.
class CasePurgeTest : public ::testing::TestWithParam<bool> {};

TEST_P(CasePurgeTest, PurgeDestroysTheKeyInLiveFilesAndBackupsAndKeepsTheCounts) {
  testing::TempDir dir;
  storage::StorageOptions options;
  options.path = dir.Sub("db");
  auto storage = std::move(storage::Storage::Open(options)).value();
  ManualClock clock(*JstMidnight(2020, 6, 1));
  directory::AgencyStore agencies(*storage, clock);
  CaseKeyring keys(std::make_shared<storage::Keyring>(storage::KeyEncryptionKey::Generate()));
  CaseStore store(*storage, agencies, keys, clock);
  CaseConsultations consultations(store, *storage, agencies, clock);
  CaseMaintenance maintenance(store, *storage, clock, CaseMaintenanceOptions{5});
  auto commit = [&](storage::WriteBatch& batch) { ASSERT_TRUE(storage->Commit(batch).ok()); };
  {
    v1::Agency agency;
    agency.set_display_name("架空市北第一地域包括支援センター");
    agency.set_kana("カクウシキタダイイチ");
    agency.set_kind(v1::COMMUNITY_GENERAL_SUPPORT_CENTER);
    storage::WriteBatch batch(*storage);
    ASSERT_TRUE(agencies.PrepareCreate("kita-1", agency, &batch).ok());
    commit(batch);
  }
  v1::Case input;
  auto* member = input.add_members();
  member->set_member_id("m1");
  member->set_display_name("消去対象 太郎");
  member->add_issue_tags("debt");
  input.set_district("kita");
  input.set_referring_agency("agencies/kita-1");
  input.set_presenting_problem("家賃滞納の相談");
  storage::WriteBatch created_batch(*storage);
  auto created = store.PrepareCreate("coordinator", "r1", input, &created_batch);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  commit(created_batch);
  v1::TransitionCaseRequest done;
  done.set_name(created->name());
  done.set_to(v1::COMPLETED_BY_ADVICE);
  storage::WriteBatch moved(*storage);
  ASSERT_TRUE(store.PrepareTransition("coordinator", done, &moved).ok());
  commit(moved);

  std::string key_name;
  storage::AppendString(&key_name, "case");
  storage::AppendUint64(&key_name, 1);
  storage::AppendString(&key_name, "key");
  const std::string wrapped = storage->Get(storage::ColumnFamily::kRecords, key_name)->value();
  if (GetParam()) {
    std::string legacy_name;
    storage::AppendString(&legacy_name, "case-key");
    storage::AppendUint64(&legacy_name, 1);
    storage::WriteBatch batch(*storage);
    batch.Put(storage::ColumnFamily::kRecords, legacy_name, wrapped);
    batch.Delete(storage::ColumnFamily::kRecords, key_name);
    commit(batch);
    ASSERT_EQ(store.Get(created->name())->members(0).display_name(), "消去対象 太郎");
  }
  ASSERT_TRUE(storage->CompactAll().ok());  // the key is in table files, not only the WAL
  const std::string backups = dir.Sub("backups");
  ASSERT_TRUE(storage::CreateBackup(*storage, backups).ok());
  ASSERT_FALSE(FilesHolding(dir.path(), wrapped).empty());  // the scan can find it
  const auto counters_before = *stats::ReadCounters(*storage, 2000, 2100);

  v1::PurgeCaseRequest purge;
  purge.set_name(created->name());
  purge.set_confirmation("PURGE " + created->case_number());
  storage::WriteBatch early(*storage);
  auto refused = maintenance.PreparePurge("admin", purge, &early);
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(refused.status().reason(), "RETENTION_NOT_ELAPSED");
  EXPECT_NE(refused.status().message().find("2025-06-01"), std::string::npos)
      << refused.status().message();
  clock.Advance(std::chrono::hours(24 * 365 * 5 + 24 * 2));
  purge.set_confirmation("PURGE R2-9999");
  storage::WriteBatch slip(*storage);
  EXPECT_EQ(maintenance.PreparePurge("admin", purge, &slip).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(slip.count(), 0u);
  purge.set_confirmation("PURGE " + created->case_number());
  storage::WriteBatch purging(*storage);
  auto purged = maintenance.PreparePurge("admin", purge, &purging);
  ASSERT_TRUE(purged.ok()) << purged.status().ToString();
  commit(purging);
  ASSERT_TRUE(maintenance.EraseDestroyed().ok());

  auto after = store.Get(created->name());
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_TRUE(after->has_purge_time());
  EXPECT_TRUE(after->members(0).display_name().empty());
  EXPECT_TRUE(after->presenting_problem().empty());
  EXPECT_EQ(after->members(0).issue_tags(0), "debt");  // the classification stays
  EXPECT_EQ(consultations.Consultations(created->name(), 0, 10).status().reason(), "CASE_PURGED");
  auto history = store.History(created->name(), 0, 10);
  ASSERT_TRUE(history.ok());
  EXPECT_EQ(history->back().kind(), v1::PURGED);
  EXPECT_EQ(*stats::ReadCounters(*storage, 2000, 2100), counters_before);
  EXPECT_EQ(maintenance.PreparePurge("admin", purge, &slip).status().reason(), "CASE_PURGED");

  // No live file holds the key; the backup taken before the purge still does, until the next
  // backup replaces it.
  EXPECT_TRUE(FilesHolding(options.path, wrapped).empty());
  EXPECT_FALSE(FilesHolding(backups, wrapped).empty());
  ASSERT_TRUE(storage::CreateBackup(*storage, backups).ok());
  EXPECT_TRUE(FilesHolding(dir.path(), wrapped).empty());
  auto listed = storage::ListBackups(backups, nullptr);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 1u);
  // A later backup keeps the earlier one (no purge in between).
  ASSERT_TRUE(storage::CreateBackup(*storage, backups).ok());
  EXPECT_EQ(storage::ListBackups(backups, nullptr)->size(), 2u);
}

INSTANTIATE_TEST_SUITE_P(KeyPlaces, CasePurgeTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "KeyWhereAnOlderServerLeftIt" : "KeyBesideItsCase";
                         });

}  // namespace
}  // namespace casecoord::cases
