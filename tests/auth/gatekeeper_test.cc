#include "services/auth/gatekeeper.h"

#include <gtest/gtest.h>
#include <time.h>

#include <future>

#include "tests/support/temp_dir.h"

namespace casecoord::auth {
namespace {

constexpr char kReadCase[] = "/test.Cases/GetCase";

class GatekeeperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::StorageOptions options;
    options.path = dir_.Sub("db");
    options.keyring = std::make_shared<storage::Keyring>(storage::KeyEncryptionKey::Generate());
    storage_ = std::move(storage::Storage::Open(options)).value();
    users_ = std::move(UserRegistry::Open(*storage_, clock_)).value();
    audit_ = std::move(AuditLog::Open(*storage_, std::string(32, 'a'), clock_)).value();
    emergency_ =
        std::move(EmergencyAccessStore::Open(*storage_, std::chrono::minutes(60), clock_)).value();
    limiter_ = std::make_unique<RateLimiter>(1000, 1000, clock_);
    AddUser("coord", v1::COORDINATOR);
    AddUser("staff", v1::AGENCY_STAFF, "agencies/a1");
    GatekeeperDependencies deps;
    deps.storage = storage_.get();
    deps.users = users_.get();
    deps.audit = audit_.get();
    deps.rate_limiter = limiter_.get();
    deps.emergency = emergency_.get();
    deps.policy = &policy_;
    gatekeeper_ = std::make_unique<Gatekeeper>(deps);
  }

  void AddUser(const std::string& id, v1::Role role, const std::string& agency = "") {
    v1::User user;
    user.set_display_name(id);
    user.add_roles(role);
    user.set_agency(agency);
    storage::WriteBatch batch(*storage_);
    auto created = users_->PrepareCreate(id, user, &batch);
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    ASSERT_TRUE(storage_->Commit(batch).ok());
    users_->Publish(*created);
  }

  // A record-level read of a case that is outside every caller's normal scope.
  Status ReadOutOfScopeCase(const std::string& user) {
    return gatekeeper_->Run(user, kReadCase, [](Call& call) {
      call.set_resource("cases/42");
      return call.CheckRecordAccess("cases/42", /*in_normal_scope=*/false);
    });
  }

  Result<v1::EmergencyAccess> Grant(const std::string& user, const std::string& reason) {
    Caller caller = *users_->FindActive(user);
    storage::WriteBatch batch(*storage_);
    auto grant = emergency_->PrepareGrant(caller, "cases/42", reason, &batch);
    if (grant.ok()) {
      EXPECT_TRUE(storage_->Commit(batch).ok());
    }
    return grant;
  }

  v1::AuditEntry LastEntry() {
    AuditQuery query;
    query.limit = 1000;
    return audit_->List(query)->entries.back();
  }

  testing::TempDir dir_;
  ManualClock clock_{std::chrono::system_clock::time_point(std::chrono::hours(490000))};
  Policy policy_{{{kReadCase, {v1::COORDINATOR, v1::AGENCY_STAFF}, AuditKind::kRead}}};
  std::unique_ptr<storage::Storage> storage_;
  std::unique_ptr<UserRegistry> users_;
  std::unique_ptr<AuditLog> audit_;
  std::unique_ptr<EmergencyAccessStore> emergency_;
  std::unique_ptr<RateLimiter> limiter_;
  std::unique_ptr<Gatekeeper> gatekeeper_;
};

TEST_F(GatekeeperTest, OutOfScopeRecordIsNotFoundAndTheAttemptIsAudited) {
  EXPECT_EQ(ReadOutOfScopeCase("coord").code(), StatusCode::kNotFound);
  v1::AuditEntry entry = LastEntry();
  EXPECT_EQ(entry.outcome(), "NOT_FOUND");
  EXPECT_EQ(entry.resource(), "cases/42");
  EXPECT_EQ(entry.legal_basis(), "");
}

TEST_F(GatekeeperTest, BreakGlassNeedsAReasonIsMarkedAndExpires) {
  EXPECT_EQ(Grant("coord", "").status().field_violations().at(0).field, "reason");
  EXPECT_EQ(Grant("coord", " \u3000 ").status().field_violations().at(0).field, "reason");
  ASSERT_TRUE(Grant("coord", "夜間の安否確認のため").ok());

  ASSERT_TRUE(ReadOutOfScopeCase("coord").ok());
  v1::AuditEntry entry = LastEntry();
  EXPECT_EQ(entry.legal_basis(), "break-glass");
  EXPECT_EQ(entry.break_glass_reason(), "夜間の安否確認のため");
  EXPECT_EQ(entry.user_id(), "coord");

  // A grant is personal: other users gain nothing from it.
  EXPECT_EQ(ReadOutOfScopeCase("staff").code(), StatusCode::kNotFound);

  clock_.Advance(std::chrono::minutes(59));
  EXPECT_TRUE(ReadOutOfScopeCase("coord").ok());
  clock_.Advance(std::chrono::minutes(2));
  EXPECT_EQ(ReadOutOfScopeCase("coord").code(), StatusCode::kNotFound);

  bool more = false;
  auto listed = emergency_->List(0, 10, &more);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].reason(), "夜間の安否確認のため");
}

TEST_F(GatekeeperTest, AFailingAuditWriteMakesTheReadFail) {
  int reads = 0;
  auto read = [&reads](Call& call) {
    call.set_resource("cases/R6-0001");
    ++reads;
    return Status::Ok();
  };
  audit_->FailAppendsForTesting(Status(Reason::kIoError, "audit volume unavailable"));
  Status refused = gatekeeper_->Run(std::string("staff"), kReadCase, read);
  EXPECT_EQ(refused.code(), StatusCode::kUnavailable);
  EXPECT_EQ(refused.reason(), "AUDIT_UNAVAILABLE");
  EXPECT_EQ(reads, 1);  // the work ran, but its answer was withheld
  audit_->FailAppendsForTesting(Status::Ok());
  EXPECT_TRUE(gatekeeper_->Run(std::string("staff"), kReadCase, read).ok());
}

TEST_F(GatekeeperTest, AHandlerThatThrowsIsAnsweredInternalAuditedAndChangesNothing) {
  Status status = gatekeeper_->Run("coord", kReadCase, [](Call& call) -> Status {
    call.set_resource("cases/1");
    call.changes().Put(storage::ColumnFamily::kRecords, "thrown-away", "x");
    return Status::InvalidArgument(std::to_string(std::stoi("not a number")), "");
  });
  EXPECT_EQ(status.code(), StatusCode::kInternal);
  EXPECT_EQ(status.reason(), "HANDLER_FAILED");
  v1::AuditEntry entry = LastEntry();
  EXPECT_EQ(entry.resource(), "cases/1");
  EXPECT_EQ(entry.outcome(), "INTERNAL");
  auto stored = storage_->Get(storage::ColumnFamily::kRecords, "thrown-away");
  ASSERT_TRUE(stored.ok());
  EXPECT_FALSE(stored->has_value());
  // The gatekeeper still serves the next call.
  EXPECT_TRUE(gatekeeper_->Run("coord", kReadCase, [](Call&) { return Status::Ok(); }).ok());
}

TEST_F(GatekeeperTest, WhatAListReturnedIsNamedOnceAndFoundUnderEachRecord) {
  ASSERT_TRUE(gatekeeper_
                  ->Run("coord", kReadCase,
                        [](Call& call) {
                          call.set_resource("cases");
                          for (const char* name : {"cases/2", "cases/7", "cases/2"}) {
                            call.AddReturned(name);
                          }
                          return Status::Ok();
                        })
                  .ok());
  v1::AuditEntry entry = LastEntry();
  EXPECT_EQ(
      std::vector<std::string>(entry.returned_records().begin(), entry.returned_records().end()),
      (std::vector<std::string>{"cases/2", "cases/7"}));
  AuditQuery query;
  query.resource = "cases/7";
  auto found = audit_->List(query);
  ASSERT_TRUE(found.ok());
  ASSERT_EQ(found->entries.size(), 1u);
  EXPECT_EQ(found->entries[0].sequence(), entry.sequence());
  EXPECT_TRUE(audit_->Verify().intact);
  // A refused list names nothing: nothing was returned.
  ASSERT_FALSE(gatekeeper_
                   ->Run("coord", kReadCase,
                         [](Call& call) {
                           call.AddReturned("cases/3");
                           return Status(Reason::kNotFound, "cases/3 not found");
                         })
                   .ok());
  EXPECT_EQ(LastEntry().returned_records_size(), 0);
}

TEST_F(GatekeeperTest, AnAnswerTooLargeToAuditIsRefusedNotSent) {
  Status status = gatekeeper_->Run("coord", kReadCase, [](Call& call) {
    for (size_t i = 0; i <= kMaxReturnedRecords; ++i)
      call.AddReturned("cases/" + std::to_string(i));
    return Status::Ok();
  });
  EXPECT_EQ(status.code(), StatusCode::kInternal);
  EXPECT_EQ(status.reason(), "AUDIT_ENTRY_TOO_LARGE");
  EXPECT_EQ(LastEntry().outcome(), "INTERNAL");
  EXPECT_EQ(LastEntry().returned_records_size(), 0);
  status = gatekeeper_->Run("coord", kReadCase, [](Call& call) {
    call.AddReturned(std::string(kMaxAuditedResourceBytes + 1, 'x'));
    return Status::Ok();
  });
  EXPECT_EQ(status.reason(), "AUDIT_ENTRY_TOO_LARGE");
}

TEST_F(GatekeeperTest, AStreamMessageIsAuditedForAnActiveUserOnly) {
  std::promise<Status> sent;
  gatekeeper_->AuditStreamMessage(CallOrigin{"coord"}, kReadCase, "dueItems", {"cases/4"},
                                  [&sent](Status status) { sent.set_value(status); });
  ASSERT_TRUE(sent.get_future().get().ok());
  EXPECT_EQ(LastEntry().returned_records(0), "cases/4");
  EXPECT_EQ(LastEntry().legal_basis(), "role:COORDINATOR");
  std::promise<Status> refused;
  gatekeeper_->AuditStreamMessage(CallOrigin{"nobody"}, kReadCase, "dueItems", {"cases/4"},
                                  [&refused](Status status) { refused.set_value(status); });
  EXPECT_EQ(refused.get_future().get().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(LastEntry().returned_records_size(), 0);
  EXPECT_EQ(LastEntry().outcome(), "UNAUTHENTICATED");
}

TEST_F(GatekeeperTest, MethodsOutsideThePolicyTableAreRefused) {
  Status refused = gatekeeper_->Run(std::string("coord"), "/test.Cases/DeleteEverything",
                                    [](Call&) { return Status::Ok(); });
  EXPECT_EQ(refused.code(), StatusCode::kInternal);
  EXPECT_EQ(refused.reason(), "METHOD_WITHOUT_POLICY");
}

TEST(RateLimiterTest, RefillsAtTheConfiguredRate) {
  ManualClock clock(std::chrono::system_clock::time_point(std::chrono::hours(1)));
  RateLimiter limiter(2.0, 3.0, clock);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.TryAcquire("a"));
  EXPECT_FALSE(limiter.TryAcquire("a"));
  EXPECT_TRUE(limiter.TryAcquire("b"));  // buckets are per user
  clock.Advance(std::chrono::milliseconds(500));
  EXPECT_TRUE(limiter.TryAcquire("a"));
  EXPECT_FALSE(limiter.TryAcquire("a"));
  clock.Advance(std::chrono::seconds(60));
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.TryAcquire("a"));  // never above the burst
  EXPECT_FALSE(limiter.TryAcquire("a"));
}

TEST(RateLimiterTest, ExpensiveCallsTakeTheirCost) {
  ManualClock clock(std::chrono::system_clock::time_point(std::chrono::hours(1)));
  RateLimiter limiter(10.0, 20.0, clock);
  EXPECT_TRUE(limiter.TryAcquire("a", 10));
  EXPECT_TRUE(limiter.TryAcquire("a", 10));
  EXPECT_FALSE(limiter.TryAcquire("a", 10));
  EXPECT_FALSE(limiter.TryAcquire("a", 1));
  clock.Advance(std::chrono::milliseconds(500));  // 5 tokens back
  EXPECT_FALSE(limiter.TryAcquire("a", 10));
  EXPECT_TRUE(limiter.TryAcquire("a", 5));
  // A cost above the burst takes a full bucket rather than never passing.
  clock.Advance(std::chrono::seconds(10));
  EXPECT_TRUE(limiter.TryAcquire("a", 1000));
  EXPECT_FALSE(limiter.TryAcquire("a", 1));
}

TEST(RateLimiterTest, WorkChargedAfterwardsLeavesADebtThatRefusesUntilRepaid) {
  ManualClock clock(std::chrono::system_clock::time_point(std::chrono::hours(1)));
  RateLimiter limiter(10.0, 20.0, clock);
  EXPECT_TRUE(limiter.TryAcquire("a", 5));
  limiter.Charge("a", 25);  // 15 - 25: 10 tokens in debt
  EXPECT_FALSE(limiter.TryAcquire("a", 1));
  EXPECT_TRUE(limiter.TryAcquire("b", 1));         // another user's bucket is untouched
  clock.Advance(std::chrono::milliseconds(1000));  // back to 0
  EXPECT_FALSE(limiter.TryAcquire("a", 1));
  clock.Advance(std::chrono::milliseconds(100));
  EXPECT_TRUE(limiter.TryAcquire("a", 1));
  // The debt stops at a minute's refill: 600 tokens, however much is charged.
  limiter.Charge("a", 1e9);
  clock.Advance(std::chrono::seconds(60));
  EXPECT_FALSE(limiter.TryAcquire("a", 1));
  clock.Advance(std::chrono::milliseconds(200));
  EXPECT_TRUE(limiter.TryAcquire("a", 1));
}

// Issue 16, deliverable 7: a refusal says how long until the bucket can pay (RetryInfo).
TEST(RateLimiterTest, ARefusalTellsWhenTheBucketCanPayAgain) {
  ManualClock clock(std::chrono::system_clock::time_point(std::chrono::hours(1)));
  RateLimiter limiter(10.0, 20.0, clock);
  std::chrono::milliseconds retry_after{0};
  EXPECT_TRUE(limiter.TryAcquire("a", 20, &retry_after));
  EXPECT_FALSE(limiter.TryAcquire("a", 1, &retry_after));
  EXPECT_EQ(retry_after, std::chrono::milliseconds(100));
  EXPECT_FALSE(limiter.TryAcquire("a", 5, &retry_after));
  EXPECT_EQ(retry_after, std::chrono::milliseconds(500));
  clock.Advance(std::chrono::milliseconds(300));  // 3 tokens back
  EXPECT_FALSE(limiter.TryAcquire("a", 5, &retry_after));
  EXPECT_EQ(retry_after, std::chrono::milliseconds(200));
  // A debt is waited out too.
  limiter.Charge("a", 13);  // 3 - 13: 10 in debt
  EXPECT_FALSE(limiter.TryAcquire("a", 1, &retry_after));
  EXPECT_EQ(retry_after, std::chrono::milliseconds(1100));
  clock.Advance(retry_after);
  EXPECT_TRUE(limiter.TryAcquire("a", 1, &retry_after));
}

TEST_F(GatekeeperTest, CpuTimeBeyondTheMethodsCostIsChargedToTheCaller) {
  // The bucket holds 1000 tokens and the method costs 1: a call that burns 1.2 s of CPU leaves the
  // caller in debt, and its next call is refused; another user's calls still pass.
  auto burn = [](Call& call) {
    call.set_resource("cases/1");
    timespec start{}, now{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &start);
    do {
      clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    } while ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 < 1200);
    return Status::Ok();
  };
  auto cheap = [](Call& call) {
    call.set_resource("cases/1");
    return Status::Ok();
  };
  ASSERT_TRUE(gatekeeper_->Run(std::string("coord"), kReadCase, burn).ok());
  Status refused = gatekeeper_->Run(std::string("coord"), kReadCase, cheap);
  EXPECT_EQ(refused.code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(gatekeeper_->Run(std::string("staff"), kReadCase, cheap).ok());
}

TEST(PolicyTest, ExpensiveCallsCostMoreThanPointReads) {
  const Policy& policy = Policy::Default();
  EXPECT_EQ(policy.Find("/casecoord.v1.Cases/GetCase")->cost, 1);
  EXPECT_GE(policy.Find("/casecoord.v1.Cases/ListCases")->cost, 10);
  EXPECT_GE(policy.Find("/casecoord.v1.AgencyDirectory/SearchAgencies")->cost, 5);
}

}  // namespace
}  // namespace casecoord::auth
