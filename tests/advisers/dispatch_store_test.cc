#include "services/advisers/dispatch_store.h"

#include <gtest/gtest.h>

#include <set>

#include "services/cases/case_maintenance.h"
#include "services/cases/case_referrals.h"
#include "services/cases/case_store.h"
#include "services/common/fiscal_year.h"
#include "services/storage/key_encoding.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_vocabulary.h"

namespace casecoord::advisers {
namespace {

using storage::ColumnFamily;

constexpr char kNote[] = "長男の就労について、障害分野の助言がほしい";

v1::Date Day(int year, int month, int day) {
  v1::Date date;
  date.set_year(year);
  date.set_month(month);
  date.set_day(day);
  return date;
}

std::set<std::string> Fields(const Status& status) {
  std::set<std::string> fields;
  for (const auto& violation : status.field_violations()) fields.insert(violation.field);
  return fields;
}

class DispatchStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::StorageOptions options;
    options.path = dir_.Sub("db");
    options.keyring = std::make_shared<storage::Keyring>(storage::KeyEncryptionKey::Generate());
    storage_ = std::move(storage::Storage::Open(options)).value();
    agencies_ = std::make_unique<directory::AgencyStore>(*storage_, *terms_, clock_);
    keys_ = std::make_unique<cases::CaseKeyring>(options.keyring);
    cases::CaseMaintenanceOptions case_options;
    case_options.retention_years = 0;  // purgeable at once, for the purge test
    cases_ = std::make_unique<cases::CaseStore>(*storage_, *agencies_, *terms_, *keys_, clock_);
    referrals_ = std::make_unique<cases::CaseReferrals>(*cases_, *storage_, *agencies_, clock_);
    maintenance_ =
        std::make_unique<cases::CaseMaintenance>(*cases_, *storage_, clock_, case_options);
    advisers_ = std::make_unique<AdviserStore>(*storage_, *agencies_);
    store_ = NewStore(DispatchStoreOptions{});
    for (const char* id : {"kita-1", "minami-1"}) {
      v1::Agency agency;
      agency.set_display_name(std::string("架空市地域包括支援センター ") + id);
      agency.set_kana("カクウシ");
      agency.set_kind(v1::COMMUNITY_GENERAL_SUPPORT_CENTER);
      storage::WriteBatch batch(*storage_);
      ASSERT_TRUE(agencies_->PrepareCreate(id, agency, &batch).ok());
      ASSERT_TRUE(storage_->Commit(batch).ok());
    }
    AddAdviser("kobayashi", "users/kobayashi", true);
    AddAdviser("resting", "users/resting", false);
    AddAdviser("sato", "users/sato", true);
  }

  std::unique_ptr<DispatchStore> NewStore(DispatchStoreOptions options) {
    return std::make_unique<DispatchStore>(*storage_, *cases_, *advisers_, *keys_, clock_, options);
  }

  void AddAdviser(const std::string& id, const std::string& user, bool active) {
    v1::Adviser adviser;
    adviser.set_display_name("アドバイザー " + id);
    adviser.set_kind(v1::COMPLEX_ISSUE_ADVISER);
    adviser.add_fields(v1::DISABILITY);
    adviser.set_user(user);
    adviser.set_active(active);
    storage::WriteBatch batch(*storage_);
    ASSERT_TRUE(advisers_->PrepareCreate(id, adviser, &batch).ok());
    ASSERT_TRUE(storage_->Commit(batch).ok());
  }

  // A case referred by kita-1 with kita-1 on its team.
  std::string OpenCase(const std::string& request_id) {
    v1::Case input;
    auto* member = input.add_members();
    member->set_member_id("m1");
    member->set_display_name("架空 太郎");
    member->set_principal(true);
    input.set_district("kita");
    input.set_referring_agency("agencies/kita-1");
    input.set_presenting_problem("長男が外出しない");
    storage::WriteBatch batch(*storage_);
    auto created = cases_->PrepareCreate("coordinator", request_id, input, &batch);
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    EXPECT_TRUE(storage_->Commit(batch).ok());
    v1::Referral ask;
    ask.set_agency("agencies/kita-1");
    ask.set_role(v1::LEAD);
    storage::WriteBatch referred(*storage_);
    auto referral = referrals_->PrepareRefer("coordinator", created->name(), ask, &referred);
    EXPECT_TRUE(referral.ok()) << referral.status().ToString();
    EXPECT_TRUE(storage_->Commit(referred).ok());
    v1::AnswerReferralRequest accept;
    accept.set_name(referral->name());
    storage::WriteBatch accepted(*storage_);
    EXPECT_TRUE(
        referrals_->PrepareAnswer("staff", accept, cases::CaseReferrals::Answer::kAccept, &accepted)
            .ok());
    EXPECT_TRUE(storage_->Commit(accepted).ok());
    return created->name();
  }

  static v1::Dispatch ForCase(const std::string& case_name) {
    v1::Dispatch input;
    input.set_case_(case_name);
    input.set_field(v1::DISABILITY);
    input.set_request_note(kNote);
    return input;
  }

  static v1::Dispatch ForGroup(const std::string& group) {
    v1::Dispatch input;
    input.set_community_group(group);
    input.set_field(v1::COMMUNITY);
    input.set_request_note("サロンの運営について");
    return input;
  }

  // Runs `prepare` on a fresh batch and commits it if it succeeded; `prepared` gets the batch size.
  template <typename Prepare>
  Result<v1::Dispatch> Commit(Prepare prepare, size_t* prepared = nullptr) {
    storage::WriteBatch batch(*storage_);
    auto result = prepare(&batch);
    if (prepared != nullptr) *prepared = batch.count();
    if (result.ok() && batch.count() > 0) {
      EXPECT_TRUE(storage_->Commit(batch).ok());
    }
    return result;
  }

  Result<v1::Dispatch> Create(const v1::Dispatch& input, const std::string& request_id,
                              size_t* prepared = nullptr) {
    return Commit(
        [&](storage::WriteBatch* batch) {
          return store_->PrepareCreate("coordinator", request_id, input, batch);
        },
        prepared);
  }

  Result<v1::Dispatch> Approve(const std::string& name, const std::string& adviser,
                               const std::string& etag = "", size_t* prepared = nullptr) {
    v1::ApproveDispatchRequest request;
    request.set_name(name);
    request.set_adviser(adviser);
    request.set_etag(etag);
    return Commit([&](storage::WriteBatch* b) { return store_->PrepareApprove(request, b); },
                  prepared);
  }

  Result<v1::Dispatch> Decline(const std::string& name, const std::string& reason,
                               size_t* prepared = nullptr) {
    v1::DeclineDispatchRequest request;
    request.set_name(name);
    request.set_reason(reason);
    return Commit([&](storage::WriteBatch* b) { return store_->PrepareDecline(request, b); },
                  prepared);
  }

  Result<v1::Dispatch> Session(const std::string& name, const v1::Date& date, int minutes = 0,
                               const std::string& report = "本人と面談し、就労支援の方針を助言",
                               size_t* prepared = nullptr) {
    v1::RecordSessionRequest request;
    request.set_name(name);
    *request.mutable_session_date() = date;
    request.set_session_minutes(minutes);
    request.set_report(report);
    return Commit([&](storage::WriteBatch* b) { return store_->PrepareRecordSession(request, b); },
                  prepared);
  }

  Result<v1::Dispatch> FollowUp(const std::string& name, const v1::Date& date,
                                const std::string& note = "経過を確認", size_t* prepared = nullptr,
                                DispatchStore* store = nullptr) {
    v1::RecordFollowUpRequest request;
    request.set_name(name);
    *request.mutable_follow_up()->mutable_date() = date;
    request.mutable_follow_up()->set_note(note);
    if (store == nullptr) store = store_.get();
    return Commit([&](storage::WriteBatch* b) { return store->PrepareRecordFollowUp(request, b); },
                  prepared);
  }

  Result<v1::Dispatch> Close(const std::string& name, size_t* prepared = nullptr) {
    v1::CloseDispatchRequest request;
    request.set_name(name);
    return Commit([&](storage::WriteBatch* b) { return store_->PrepareClose(request, b); },
                  prepared);
  }

  std::string RecordKey(uint64_t id) {
    std::string key;
    storage::AppendString(&key, "dispatch");
    storage::AppendUint64(&key, id);
    return key;
  }

  // The stored record of dispatch `id` as (public bytes, path → sealed value).
  std::pair<std::string, std::map<std::string, std::string>> Raw(uint64_t id) {
    const std::string value = storage_->Get(ColumnFamily::kRecords, RecordKey(id))->value_or("");
    storage::KeyReader reader(value);
    std::pair<std::string, std::map<std::string, std::string>> raw;
    EXPECT_TRUE(reader.ReadString(&raw.first));
    while (!reader.done()) {
      std::string path, sealed;
      EXPECT_TRUE(reader.ReadString(&path) && reader.ReadString(&sealed));
      raw.second[path] = sealed;
    }
    return raw;
  }

  void PutRaw(uint64_t id, const std::pair<std::string, std::map<std::string, std::string>>& raw) {
    std::string value;
    storage::AppendString(&value, raw.first);
    for (const auto& [path, sealed] : raw.second) {
      storage::AppendString(&value, path);
      storage::AppendString(&value, sealed);
    }
    storage::WriteBatch batch(*storage_);
    batch.Put(ColumnFamily::kRecords, RecordKey(id), value);
    ASSERT_TRUE(storage_->Commit(batch).ok());
  }

  testing::TempDir dir_;
  // 2026-11-22 15:00 JST.
  ManualClock clock_{*JstMidnight(2026, 11, 22) + std::chrono::hours(15)};
  std::unique_ptr<storage::Storage> storage_;
  std::unique_ptr<vocab::TermCatalog> terms_ = testing::TestTermCatalog();
  std::unique_ptr<directory::AgencyStore> agencies_;
  std::unique_ptr<cases::CaseKeyring> keys_;
  std::unique_ptr<cases::CaseStore> cases_;
  std::unique_ptr<cases::CaseReferrals> referrals_;
  std::unique_ptr<cases::CaseMaintenance> maintenance_;
  std::unique_ptr<AdviserStore> advisers_;
  std::unique_ptr<DispatchStore> store_;
};

TEST(AddMonthsTest, KeepsTheDayOrTakesTheLastDayOfAShorterMonth) {
  auto text = [](const v1::Date& date) {
    return std::to_string(date.year()) + "-" + std::to_string(date.month()) + "-" +
           std::to_string(date.day());
  };
  EXPECT_EQ(text(AddMonths(Day(2026, 9, 15), 2)), "2026-11-15");
  EXPECT_EQ(text(AddMonths(Day(2026, 11, 30), 2)), "2027-1-30");
  EXPECT_EQ(text(AddMonths(Day(2026, 12, 31), 2)), "2027-2-28");
  EXPECT_EQ(text(AddMonths(Day(2027, 12, 31), 2)), "2028-2-29");
  EXPECT_EQ(text(AddMonths(Day(2026, 8, 31), 1)), "2026-9-30");
  EXPECT_EQ(text(AddMonths(Day(2026, 1, 31), 24)), "2028-1-31");
}

TEST_F(DispatchStoreTest, ACaseDispatchThroughEveryState) {
  const std::string case_name = OpenCase("case-1");
  v1::Dispatch input = ForCase(case_name);
  input.set_requested_adviser("advisers/kobayashi");
  input.set_state(v1::CLOSED_DISPATCH);                // output only: ignored
  input.set_session_report("入力されても無視される");  // output only: ignored
  auto created = Create(input, "req-1");
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->name(), "dispatches/1");
  EXPECT_EQ(created->state(), v1::REQUESTED);
  EXPECT_EQ(created->request_note(), kNote);
  EXPECT_EQ(created->session_report(), "");
  EXPECT_EQ(created->requested_by(), "users/coordinator");
  EXPECT_EQ(created->etag(), "1");
  EXPECT_EQ(created->case_(), case_name);

  // A retry with the same request id is the same dispatch and prepares nothing.
  size_t prepared = 99;
  auto retried = Create(ForCase(case_name), "req-1", &prepared);
  ASSERT_TRUE(retried.ok());
  EXPECT_EQ(retried->name(), "dispatches/1");
  EXPECT_EQ(prepared, 0u);

  auto approved = Approve("dispatches/1", "advisers/kobayashi", "1");
  ASSERT_TRUE(approved.ok()) << approved.status().ToString();
  EXPECT_EQ(approved->state(), v1::APPROVED);
  EXPECT_EQ(approved->assigned_adviser(), "advisers/kobayashi");
  EXPECT_EQ(approved->etag(), "2");

  auto held = Session("dispatches/1", Day(2026, 11, 20));
  ASSERT_TRUE(held.ok()) << held.status().ToString();
  EXPECT_EQ(held->state(), v1::SESSION_HELD);
  EXPECT_EQ(held->session_minutes(), 120);
  EXPECT_EQ(held->session_report(), "本人と面談し、就労支援の方針を助言");
  EXPECT_EQ(held->follow_up_deadline().month(), 1);
  EXPECT_EQ(held->follow_up_deadline().day(), 20);
  EXPECT_EQ(held->request_note(), kNote);

  auto first = FollowUp("dispatches/1", Day(2026, 11, 21), "ハローワークとの調整を確認");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_EQ(first->follow_ups_size(), 1);
  EXPECT_EQ(first->follow_ups(0).number(), 1);
  EXPECT_EQ(first->follow_ups(0).note(), "ハローワークとの調整を確認");
  EXPECT_EQ(first->state(), v1::SESSION_HELD);
  clock_.Advance(std::chrono::hours(24 * 30));  // 2026-12-22
  auto second = FollowUp("dispatches/1", Day(2026, 12, 22), "通所開始");
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  ASSERT_EQ(second->follow_ups_size(), 2);
  EXPECT_EQ(second->follow_ups(1).number(), 2);

  auto closed = Close("dispatches/1");
  ASSERT_TRUE(closed.ok()) << closed.status().ToString();
  EXPECT_EQ(closed->state(), v1::CLOSED_DISPATCH);
  EXPECT_EQ(closed->etag(), "6");

  // Reading it back opens every sealed field; the stored bytes hold none of them in the clear.
  auto read = store_->Get("dispatches/1");
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->request_note(), kNote);
  EXPECT_EQ(read->follow_ups(0).note(), "ハローワークとの調整を確認");
  EXPECT_EQ(read->follow_ups(1).note(), "通所開始");
  const std::string stored = storage_->Get(ColumnFamily::kRecords, RecordKey(1))->value_or("");
  for (const std::string& text : {std::string(kNote), std::string("通所開始"),
                                  std::string("本人と面談"), std::string("入力されても")}) {
    EXPECT_EQ(stored.find(text), std::string::npos) << text;
  }
  EXPECT_EQ(Raw(1).second.size(), 4u);  // request_note, session_report, two notes

  // A case dispatch uses its case's key: it has none of its own.
  std::string own_key;
  storage::AppendString(&own_key, "dispatch-key");
  storage::AppendUint64(&own_key, 1);
  EXPECT_FALSE(storage_->Get(ColumnFamily::kRecords, own_key)->has_value());
}

TEST_F(DispatchStoreTest, EveryIllegalMoveNamesTheStateAndPreparesNothing) {
  const std::string case_name = OpenCase("case-1");
  ASSERT_TRUE(Create(ForCase(case_name), "req-1").ok());
  size_t prepared = 99;
  auto expect_refused = [&](const Result<v1::Dispatch>& result, StatusCode code,
                            const std::string& reason_or_field, const std::string& mentions) {
    EXPECT_EQ(result.status().code(), code) << result.status().ToString();
    if (code == StatusCode::kInvalidArgument) {
      EXPECT_EQ(Fields(result.status()), (std::set<std::string>{reason_or_field}));
    } else {
      EXPECT_EQ(result.status().reason(), reason_or_field) << result.status().ToString();
    }
    EXPECT_NE(result.status().message().find(mentions), std::string::npos)
        << result.status().ToString();
    EXPECT_EQ(prepared, 0u);
    prepared = 99;
  };

  // Decline without a reason (blank counts as none).
  expect_refused(Decline("dispatches/1", " 　", &prepared), StatusCode::kInvalidArgument, "reason",
                 "");
  // A session before approval.
  expect_refused(Session("dispatches/1", Day(2026, 11, 20), 0, "報告", &prepared),
                 StatusCode::kFailedPrecondition, "ILLEGAL_TRANSITION", "REQUESTED");
  // Approval with an unknown, an inactive, or no adviser.
  expect_refused(Approve("dispatches/1", "advisers/nobody", "", &prepared),
                 StatusCode::kInvalidArgument, "adviser", "");
  expect_refused(Approve("dispatches/1", "advisers/resting", "", &prepared),
                 StatusCode::kFailedPrecondition, "ADVISER_INACTIVE", "advisers/resting");
  expect_refused(Approve("dispatches/1", "", "", &prepared), StatusCode::kInvalidArgument,
                 "adviser", "");
  // A stale etag.
  expect_refused(Approve("dispatches/1", "advisers/kobayashi", "7", &prepared),
                 StatusCode::kAborted, "STALE_ETAG", "dispatches/1");
  // A follow-up before the session, and a close before it.
  ASSERT_TRUE(Approve("dispatches/1", "advisers/kobayashi").ok());
  expect_refused(FollowUp("dispatches/1", Day(2026, 11, 21), "メモ", &prepared),
                 StatusCode::kFailedPrecondition, "ILLEGAL_TRANSITION", "APPROVED");
  expect_refused(Close("dispatches/1", &prepared), StatusCode::kFailedPrecondition,
                 "ILLEGAL_TRANSITION", "APPROVED");
  expect_refused(Approve("dispatches/1", "advisers/kobayashi", "", &prepared),
                 StatusCode::kFailedPrecondition, "ILLEGAL_TRANSITION", "APPROVED");
  // Session input: a future date, minutes out of range, no report; all named at once.
  auto bad_session = Session("dispatches/1", Day(2026, 11, 23), 1441, "", &prepared);
  EXPECT_EQ(Fields(bad_session.status()),
            (std::set<std::string>{"session_date", "session_minutes", "report"}));
  EXPECT_EQ(prepared, 0u);
  EXPECT_EQ(Fields(Session("dispatches/1", Day(2026, 2, 30), -5).status()),
            (std::set<std::string>{"session_date", "session_minutes"}));

  auto held = Session("dispatches/1", Day(2026, 9, 30), 90);
  ASSERT_TRUE(held.ok()) << held.status().ToString();
  EXPECT_EQ(held->session_minutes(), 90);
  EXPECT_EQ(held->follow_up_deadline().month(), 11);
  EXPECT_EQ(held->follow_up_deadline().day(), 30);
  // Follow-up dates: before the session, in the future, a note missing.
  expect_refused(FollowUp("dispatches/1", Day(2026, 9, 29), "メモ", &prepared),
                 StatusCode::kInvalidArgument, "follow_up.date", "2026-09-30");
  expect_refused(FollowUp("dispatches/1", Day(2026, 11, 23), "メモ", &prepared),
                 StatusCode::kInvalidArgument, "follow_up.date", "future");
  expect_refused(FollowUp("dispatches/1", Day(2026, 10, 1), "", &prepared),
                 StatusCode::kInvalidArgument, "follow_up.note", "");
  ASSERT_TRUE(FollowUp("dispatches/1", Day(2026, 10, 1)).ok());
  // After the window (the deadline is 2026-11-30; today is later).
  clock_.Advance(std::chrono::hours(24 * 14));  // 2026-12-06
  expect_refused(FollowUp("dispatches/1", Day(2026, 12, 1), "メモ", &prepared),
                 StatusCode::kInvalidArgument, "follow_up.date", "2026-11-30");
  ASSERT_TRUE(FollowUp("dispatches/1", Day(2026, 11, 30)).ok());  // the last day still counts
  // A third follow-up.
  expect_refused(FollowUp("dispatches/1", Day(2026, 11, 30), "三回目", &prepared),
                 StatusCode::kFailedPrecondition, "FOLLOW_UP_LIMIT", "at most 2");
  // Close twice.
  ASSERT_TRUE(Close("dispatches/1").ok());
  expect_refused(Close("dispatches/1", &prepared), StatusCode::kFailedPrecondition,
                 "ILLEGAL_TRANSITION", "CLOSED_DISPATCH");
  expect_refused(Decline("dispatches/1", "理由", &prepared), StatusCode::kFailedPrecondition,
                 "ILLEGAL_TRANSITION", "CLOSED_DISPATCH");
  EXPECT_EQ(store_->Get("dispatches/1")->follow_ups_size(), 2);

  // Declining works from APPROVED too, and seals the reason.
  ASSERT_TRUE(Create(ForCase(case_name), "req-2").ok());
  ASSERT_TRUE(Approve("dispatches/2", "advisers/sato").ok());
  auto declined = Decline("dispatches/2", "本人の同意が得られなかった");
  ASSERT_TRUE(declined.ok()) << declined.status().ToString();
  EXPECT_EQ(declined->state(), v1::DECLINED_DISPATCH);
  EXPECT_EQ(declined->decline_reason(), "本人の同意が得られなかった");
  expect_refused(Session("dispatches/2", Day(2026, 12, 1), 0, "報告", &prepared),
                 StatusCode::kFailedPrecondition, "ILLEGAL_TRANSITION", "DECLINED_DISPATCH");

  EXPECT_EQ(store_->Get("dispatches/9").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(Fields(store_->Get("dispatch/1").status()), (std::set<std::string>{"name"}));
  EXPECT_EQ(Fields(Close("dispatches/01").status()), (std::set<std::string>{"name"}));
}

TEST_F(DispatchStoreTest, CreateNamesEveryBadFieldAndRefusesEndedCases) {
  size_t prepared = 99;
  v1::Dispatch both = ForCase("cases/1");
  both.set_community_group("北地区サロン");
  both.set_field(v1::SUPPORT_FIELD_UNSPECIFIED);
  both.set_request_note("  ");
  both.set_requested_adviser("kobayashi");
  auto refused = Create(both, "req-1", &prepared);
  EXPECT_EQ(Fields(refused.status()),
            (std::set<std::string>{"dispatch.case", "dispatch.field", "dispatch.request_note",
                                   "dispatch.requested_adviser"}));
  EXPECT_EQ(prepared, 0u);
  v1::Dispatch neither = ForGroup("");
  EXPECT_EQ(Fields(Create(neither, "req-1").status()), (std::set<std::string>{"dispatch.case"}));
  EXPECT_EQ(Fields(Create(ForGroup(std::string(201, 'x')), "req-1").status()),
            (std::set<std::string>{"dispatch.community_group"}));
  EXPECT_EQ(Fields(Create(ForCase("cases/x"), "req-1").status()),
            (std::set<std::string>{"dispatch.case"}));
  EXPECT_EQ(Fields(Create(ForCase("cases/7"), "req-1", &prepared).status()),
            (std::set<std::string>{"dispatch.case"}));
  EXPECT_EQ(prepared, 0u);
  EXPECT_EQ(Fields(Create(ForGroup("サロン"), "").status()), (std::set<std::string>{"request_id"}));
  EXPECT_EQ(Fields(Create(ForGroup("サロン"), "has space").status()),
            (std::set<std::string>{"request_id"}));
  v1::Dispatch wish = ForGroup("サロン");
  wish.set_requested_adviser("advisers/resting");
  EXPECT_EQ(Create(wish, "req-1").status().reason(), "ADVISER_INACTIVE");
  wish.set_requested_adviser("advisers/nobody");
  EXPECT_EQ(Fields(Create(wish, "req-1").status()),
            (std::set<std::string>{"dispatch.requested_adviser"}));

  // A case that ended gets no dispatch.
  const std::string case_name = OpenCase("case-1");
  v1::TransitionCaseRequest close;
  close.set_name(case_name);
  close.set_to(v1::CLOSED);
  close.set_outcome(v1::WITHDRAWN);
  storage::WriteBatch batch(*storage_);
  ASSERT_TRUE(cases_->PrepareTransition("coordinator", close, &batch).ok());
  ASSERT_TRUE(storage_->Commit(batch).ok());
  auto ended = Create(ForCase(case_name), "req-1", &prepared);
  EXPECT_EQ(ended.status().reason(), "CASE_ENDED");
  EXPECT_NE(ended.status().message().find("CLOSED"), std::string::npos);
  EXPECT_EQ(prepared, 0u);
  EXPECT_TRUE(
      store_->List(DispatchViewer{true, "", ""}, DispatchFilter{}, "", 10)->dispatches.empty());
}

TEST_F(DispatchStoreTest, SealedFieldsDoNotOpenInAnotherRecordOrField) {
  const std::string case_name = OpenCase("case-1");
  ASSERT_TRUE(Create(ForCase(case_name), "req-1").ok());
  v1::Dispatch other = ForCase(case_name);
  other.set_request_note("別の依頼");
  ASSERT_TRUE(Create(other, "req-2").ok());
  ASSERT_TRUE(Create(ForGroup("北地区サロン"), "req-3").ok());

  // Both dispatches of the case seal under the same case key: only the context keeps them apart.
  auto first = Raw(1);
  auto second = Raw(2);
  second.second["request_note"] = first.second["request_note"];
  PutRaw(2, second);
  auto moved = store_->Get("dispatches/2");
  EXPECT_EQ(moved.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(moved.status().reason(), "SEAL_MISMATCH");

  // Within one record, a value moved to another field does not open either.
  auto swapped = Raw(1);
  swapped.second["decline_reason"] = swapped.second["request_note"];
  PutRaw(1, swapped);
  EXPECT_EQ(store_->Get("dispatches/1").status().reason(), "SEAL_MISMATCH");

  // The group's dispatch has a key of its own: the case's sealed value fails there too.
  auto group = Raw(3);
  group.second["request_note"] = first.second["request_note"];
  PutRaw(3, group);
  EXPECT_EQ(store_->Get("dispatches/3").status().reason(), "SEAL_MISMATCH");
}

TEST_F(DispatchStoreTest, ACommunityGroupDispatchHasItsOwnKey) {
  auto created = Create(ForGroup("  南地区 子ども食堂の会 "), "req-1");
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->community_group(), "南地区 子ども食堂の会");
  EXPECT_TRUE(created->case_().empty());
  std::string own_key;
  storage::AppendString(&own_key, "dispatch-key");
  storage::AppendUint64(&own_key, 1);
  EXPECT_EQ(storage_->Get(ColumnFamily::kRecords, own_key)->value_or("").size(),
            cases::kWrappedCaseKeySize);
  ASSERT_TRUE(Approve("dispatches/1", "advisers/sato").ok());
  auto held = Session("dispatches/1", Day(2026, 11, 22), 150, "運営の助言");
  ASSERT_TRUE(held.ok()) << held.status().ToString();
  EXPECT_EQ(store_->Get("dispatches/1")->session_report(), "運営の助言");
  EXPECT_EQ(store_->Get("dispatches/1")->request_note(), "サロンの運営について");

  // Two locks: a group dispatch's own, and a case's; neither blocks the other.
  auto group_lock = store_->LockDispatch("dispatches/1");
  ASSERT_TRUE(group_lock.ok());
  EXPECT_FALSE(group_lock->case_lock.has_value());
  EXPECT_TRUE(group_lock->own.owns_lock());
  EXPECT_EQ(store_->LockDispatch("dispatches/5").status().code(), StatusCode::kNotFound);
}

TEST_F(DispatchStoreTest, TheOptionsSetTheFollowUpLimitAndWindow) {
  auto strict = NewStore(DispatchStoreOptions{1, 1});
  ASSERT_TRUE(Create(ForGroup("サロン"), "req-1").ok());
  ASSERT_TRUE(Approve("dispatches/1", "advisers/sato").ok());
  ASSERT_TRUE(Session("dispatches/1", Day(2026, 8, 31)).ok());
  auto read = strict->Get("dispatches/1");
  EXPECT_EQ(read->follow_up_deadline().month(), 9);
  EXPECT_EQ(read->follow_up_deadline().day(), 30);
  EXPECT_EQ(
      Fields(FollowUp("dispatches/1", Day(2026, 10, 1), "メモ", nullptr, strict.get()).status()),
      (std::set<std::string>{"follow_up.date"}));
  ASSERT_TRUE(FollowUp("dispatches/1", Day(2026, 9, 30), "メモ", nullptr, strict.get()).ok());
  EXPECT_EQ(
      FollowUp("dispatches/1", Day(2026, 9, 30), "メモ", nullptr, strict.get()).status().reason(),
      "FOLLOW_UP_LIMIT");
  // With no follow-ups allowed, the first is refused.
  auto none = NewStore(DispatchStoreOptions{0, 2});
  EXPECT_EQ(
      FollowUp("dispatches/1", Day(2026, 9, 30), "メモ", nullptr, none.get()).status().reason(),
      "FOLLOW_UP_LIMIT");
}

TEST_F(DispatchStoreTest, APurgedCaseTakesItsDispatchNotesWithIt) {
  const std::string case_name = OpenCase("case-1");
  ASSERT_TRUE(Create(ForCase(case_name), "req-1").ok());
  ASSERT_TRUE(Approve("dispatches/1", "advisers/kobayashi").ok());
  v1::TransitionCaseRequest close;
  close.set_name(case_name);
  close.set_to(v1::CLOSED);
  close.set_outcome(v1::WITHDRAWN);
  storage::WriteBatch closed(*storage_);
  ASSERT_TRUE(cases_->PrepareTransition("coordinator", close, &closed).ok());
  ASSERT_TRUE(storage_->Commit(closed).ok());
  v1::PurgeCaseRequest purge;
  purge.set_name(case_name);
  purge.set_confirmation("PURGE " + cases_->Get(case_name)->case_number());
  storage::WriteBatch purged(*storage_);
  auto done = maintenance_->PreparePurge("admin", purge, &purged);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  ASSERT_TRUE(storage_->Commit(purged).ok());

  auto read = store_->Get("dispatches/1");
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->state(), v1::APPROVED);
  EXPECT_EQ(read->assigned_adviser(), "advisers/kobayashi");
  EXPECT_EQ(read->request_note(), "");
  size_t prepared = 99;
  auto refused = Session("dispatches/1", Day(2026, 11, 20), 0, "報告", &prepared);
  EXPECT_EQ(refused.status().reason(), "CASE_PURGED");
  EXPECT_EQ(prepared, 0u);
  auto listed = store_->List(DispatchViewer{true, "", ""}, DispatchFilter{}, "", 10);
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_EQ(listed->dispatches.size(), 1u);
  EXPECT_EQ(listed->dispatches[0].request_note(), "");
}

TEST_F(DispatchStoreTest, EachViewerSeesOnlyWhatTheyNeedToKnow) {
  const std::string case_name = OpenCase("case-1");             // kita-1 on the team
  ASSERT_TRUE(Create(ForCase(case_name), "req-1").ok());        // dispatches/1
  ASSERT_TRUE(Create(ForGroup("北地区サロン"), "req-2").ok());  // dispatches/2
  ASSERT_TRUE(Create(ForCase(case_name), "req-3").ok());        // dispatches/3
  ASSERT_TRUE(Approve("dispatches/1", "advisers/kobayashi").ok());
  ASSERT_TRUE(Approve("dispatches/2", "advisers/kobayashi").ok());
  ASSERT_TRUE(Approve("dispatches/3", "advisers/sato").ok());

  auto list = [&](const DispatchViewer& viewer, const std::string& filter_text = "",
                  const std::string& before = "", int limit = 10) {
    auto filter = ParseDispatchFilter(filter_text);
    EXPECT_TRUE(filter.ok()) << filter.status().ToString();
    auto page = store_->List(viewer, *filter, before, limit);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    std::vector<std::string> names;
    for (const auto& dispatch : page->dispatches) names.push_back(dispatch.name());
    if (!page->next_before_id.empty()) names.push_back("next:" + page->next_before_id);
    return names;
  };
  const DispatchViewer coordinator{true, "", ""};
  const DispatchViewer team_staff{false, "", "agencies/kita-1"};
  const DispatchViewer other_staff{false, "", "agencies/minami-1"};
  const DispatchViewer kobayashi{false, "advisers/kobayashi", ""};
  const DispatchViewer sato{false, "advisers/sato", ""};
  const DispatchViewer nobody{false, "", ""};

  EXPECT_EQ(list(coordinator),
            (std::vector<std::string>{"dispatches/3", "dispatches/2", "dispatches/1"}));
  EXPECT_EQ(list(team_staff), (std::vector<std::string>{"dispatches/3", "dispatches/1"}));
  EXPECT_TRUE(list(other_staff).empty());
  EXPECT_EQ(list(kobayashi), (std::vector<std::string>{"dispatches/2", "dispatches/1"}));
  EXPECT_EQ(list(sato), (std::vector<std::string>{"dispatches/3"}));
  EXPECT_TRUE(list(nobody).empty());
  // An adviser's filter on another adviser shows nothing of theirs.
  EXPECT_TRUE(list(sato, "adviser = \"advisers/kobayashi\"").empty());

  // Filters, and pages newest first.
  EXPECT_EQ(list(coordinator, "case = \"" + case_name + "\""),
            (std::vector<std::string>{"dispatches/3", "dispatches/1"}));
  EXPECT_EQ(list(coordinator, "adviser = advisers/kobayashi AND state = APPROVED"),
            (std::vector<std::string>{"dispatches/2", "dispatches/1"}));
  EXPECT_TRUE(list(coordinator, "state = SESSION_HELD").empty());
  EXPECT_EQ(list(coordinator, "", "", 2),
            (std::vector<std::string>{"dispatches/3", "dispatches/2", "next:2"}));
  EXPECT_EQ(list(coordinator, "", "2", 2), (std::vector<std::string>{"dispatches/1"}));
  EXPECT_EQ(list(team_staff, "", "", 1), (std::vector<std::string>{"dispatches/3", "next:3"}));
  EXPECT_EQ(list(team_staff, "", "3", 1), (std::vector<std::string>{"dispatches/1"}));

  auto can_see = [&](const std::string& name, const DispatchViewer& viewer) {
    return *store_->CanSee(*store_->Get(name), viewer);
  };
  EXPECT_TRUE(can_see("dispatches/1", team_staff));
  EXPECT_FALSE(can_see("dispatches/2", team_staff));
  EXPECT_FALSE(can_see("dispatches/1", other_staff));
  EXPECT_TRUE(can_see("dispatches/2", kobayashi));
  EXPECT_FALSE(can_see("dispatches/1", sato));

  for (const char* bad :
       {"state = CLOSED", "case = 1", "adviser = x", "requested = a", "state != APPROVED"}) {
    EXPECT_EQ(Fields(ParseDispatchFilter(bad).status()), (std::set<std::string>{"filter"})) << bad;
  }
}

}  // namespace
}  // namespace casecoord::advisers
