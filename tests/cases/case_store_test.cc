#include "services/cases/case_store.h"

#include <gtest/gtest.h>

#include <random>

#include "services/common/fiscal_year.h"
#include "services/storage/key_encoding.h"
#include "tests/support/temp_dir.h"

namespace casecoord::cases {
namespace {

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

  auto everyone = store_->List(Viewer{true, ""}, v1::CASE_STATE_UNSPECIFIED, "", "", 10);
  ASSERT_TRUE(everyone.ok());
  EXPECT_EQ(everyone->cases.size(), 1u);
  auto outsider =
      store_->List(Viewer{false, "agencies/kita-1"}, v1::CASE_STATE_UNSPECIFIED, "", "", 10);
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
  int cases = 0, moves = 0;
  for (int step = 0; step < 2500; ++step) {
    if (cases == 0 || random() % 4 == 0) {
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
  EXPECT_GT(moves, 1000);
  auto recount = store_->RecountCounters();
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
  ASSERT_TRUE(Create(Household("架空"), "r").ok());
  auto append = [&](const v1::ConsultationEntry& entry) {
    storage::WriteBatch batch(*storage_);
    auto appended = store_->PrepareAppendConsultation("coordinator", "cases/1", entry, &batch);
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

  auto log = store_->Consultations("cases/1", 0, 10);
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(log->size(), 3u);
  EXPECT_EQ(log->at(0).summary(), "包括と訪問日程を調整（10日）") << "the original stays";
  EXPECT_EQ(log->at(0).amended_by(0), "cases/1/consultations/3");
  EXPECT_EQ(log->at(2).amendment_reason(), "日付の誤記");
  EXPECT_EQ(store_->Consultations("cases/1", 2, 10)->size(), 1u);

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
  EXPECT_EQ(store_->Consultations("cases/1", 0, 10)->size(), 3u);

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
                             store_->RecountCounters()->deltas())
                  .empty());
}

}  // namespace
}  // namespace casecoord::cases

namespace casecoord::cases {
namespace {

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
    return store_->PrepareRefer("coordinator", "cases/1", ask, batch);
  };
  auto first = commit(refer);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(commit(refer).status().reason(), "REFERRAL_PENDING");
  auto inbox = store_->Referrals("cases/-", "agencies/kita-1");
  ASSERT_TRUE(inbox.ok());
  ASSERT_EQ(inbox->size(), 1u);
  EXPECT_EQ(inbox->at(0).note(), "主担当をお願いしたい");

  v1::AnswerReferralRequest answer;
  answer.set_name(first->name());
  auto decline = [&](storage::WriteBatch* batch) {
    return store_->PrepareAnswer("staff", answer, CaseStore::Answer::kDecline, batch);
  };
  EXPECT_EQ(commit(decline).status().field_violations().at(0).field, "reason");
  answer.set_reason("担当圏域外のため");
  answer.set_proposed_agency("agencies/kita-1");
  auto declined = commit(decline);
  ASSERT_TRUE(declined.ok()) << declined.status().ToString();
  EXPECT_EQ(declined->state(), v1::Referral::DECLINED);
  EXPECT_TRUE(store_->Referrals("cases/-", "agencies/kita-1")->empty()) << "answered: not pending";
  EXPECT_TRUE(store_->Get("cases/1")->team().empty());
  EXPECT_EQ(commit([&](storage::WriteBatch* batch) {
              return store_->PrepareAnswer("staff", answer, CaseStore::Answer::kAccept, batch);
            })
                .status()
                .reason(),
            "REFERRAL_ANSWERED");

  // Asked again, it accepts and joins with the role asked for.
  auto second = commit(refer);
  ASSERT_TRUE(second.ok());
  answer.set_name(second->name());
  ASSERT_TRUE(commit([&](storage::WriteBatch* batch) {
                return store_->PrepareAnswer("staff", answer, CaseStore::Answer::kAccept, batch);
              }).ok());
  auto record = store_->Get("cases/1");
  ASSERT_EQ(record->team_size(), 1);
  EXPECT_EQ(record->team(0).role(), v1::LEAD);
  EXPECT_EQ(commit(refer).status().reason(), "ALREADY_ON_TEAM");
  EXPECT_EQ(store_->Referrals("cases/1", "")->size(), 2u);
  const auto history = store_->History("cases/1", 0, 100);
  EXPECT_EQ(history->back().kind(), v1::REFERRAL_ACCEPTED);
  EXPECT_EQ(history->at(2).reason(), "担当圏域外のため");
}

}  // namespace
}  // namespace casecoord::cases
