#include "services/auth/sessions.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace casecoord::auth {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

class SessionTableTest : public ::testing::Test {
 protected:
  SessionTable::Created Create(const std::string& user, SessionTable& table) {
    Result<SessionTable::Created> created = table.Create(user, "Firefox on Windows");
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    return created.ok() ? *created : SessionTable::Created{};
  }
  SessionTable::Created Create(const std::string& user) { return Create(user, table_); }

  // The ends reported so far, as (session id, cause).
  std::vector<std::pair<std::string, EndCause>> ended() {
    MutexLock lock(ended_mutex_);
    return ended_;
  }

  ManualClock clock_{std::chrono::system_clock::time_point(hours(24 * 365 * 56))};
  Mutex ended_mutex_;
  std::vector<std::pair<std::string, EndCause>> ended_ CASECOORD_GUARDED_BY(ended_mutex_);
  SessionTable table_{clock_, SessionTable::Options{},
                      [this](const Session& session, EndCause cause) {
                        MutexLock lock(ended_mutex_);
                        ended_.emplace_back(session.session_id, cause);
                      }};
};

TEST_F(SessionTableTest, CreateAndTouch) {
  const auto created = Create("tanaka");
  EXPECT_EQ(created.secret.size(), 43u);  // 32 bytes base64url, unpadded
  EXPECT_EQ(created.secret.find_first_not_of(
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            std::string::npos);
  EXPECT_EQ(created.session_id.size(), 32u);
  EXPECT_EQ(created.session_id.find_first_not_of("0123456789abcdef"), std::string::npos);
  const auto start = clock_.Now();

  clock_.Advance(minutes(5));
  Result<Session> session = table_.Touch(created.secret);
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  EXPECT_EQ(session->user_id, "tanaka");
  EXPECT_EQ(session->session_id, created.session_id);
  EXPECT_EQ(session->client_note, "Firefox on Windows");
  EXPECT_EQ(session->created, start);
  EXPECT_EQ(session->last_seen, start + minutes(5));
  EXPECT_EQ(table_.size(), 1u);
}

TEST_F(SessionTableTest, TheSessionIdAndUnknownSecretsAreNotCredentials) {
  const auto created = Create("tanaka");
  EXPECT_TRUE(table_.Touch(created.session_id).status().Is(Reason::kSessionUnknown));
  EXPECT_TRUE(table_.Touch("").status().Is(Reason::kSessionUnknown));
  EXPECT_TRUE(table_.Touch(created.secret + "x").status().Is(Reason::kSessionUnknown));
  EXPECT_TRUE(table_.Touch(std::string(100000, 'a')).status().Is(Reason::kSessionUnknown));
  EXPECT_EQ(table_.Touch("").status().code(), StatusCode::kUnauthenticated);
  EXPECT_TRUE(table_.Touch(created.secret).ok());
  EXPECT_TRUE(ended().empty());
}

TEST_F(SessionTableTest, IdleExpiryOneSecondAfterTheIdleTimeout) {
  const auto created = Create("tanaka");
  clock_.Advance(minutes(20));
  ASSERT_TRUE(table_.Touch(created.secret).ok());
  clock_.Advance(minutes(30));  // exactly the idle timeout since the last touch
  ASSERT_TRUE(table_.Touch(created.secret).ok());
  clock_.Advance(minutes(30) + seconds(1));
  Result<Session> expired = table_.Touch(created.secret);
  EXPECT_TRUE(expired.status().Is(Reason::kSessionExpired)) << expired.status().ToString();
  EXPECT_EQ(expired.status().code(), StatusCode::kUnauthenticated);
  // Ended once: the next touch finds nothing, and no second report.
  EXPECT_TRUE(table_.Touch(created.secret).status().Is(Reason::kSessionUnknown));
  EXPECT_EQ(ended(),
            (std::vector<std::pair<std::string, EndCause>>{{created.session_id, EndCause::kIdle}}));
  EXPECT_EQ(table_.size(), 0u);
}

TEST_F(SessionTableTest, AbsoluteExpiryAlthoughTouched) {
  const auto created = Create("tanaka");
  for (int i = 0; i < 12 * 4; ++i) {  // every 15 minutes for 12 hours
    clock_.Advance(minutes(15));
    ASSERT_TRUE(table_.Touch(created.secret).ok()) << i;
  }
  clock_.Advance(seconds(1));
  EXPECT_TRUE(table_.Touch(created.secret).status().Is(Reason::kSessionExpired));
  EXPECT_EQ(
      ended(),
      (std::vector<std::pair<std::string, EndCause>>{{created.session_id, EndCause::kAbsolute}}));
}

TEST_F(SessionTableTest, SignOutAndRevoke) {
  const auto first = Create("tanaka");
  const auto second = Create("tanaka");
  EXPECT_TRUE(table_.SignOut(first.secret));
  EXPECT_FALSE(table_.SignOut(first.secret));
  EXPECT_TRUE(table_.Touch(first.secret).status().Is(Reason::kSessionUnknown));

  EXPECT_FALSE(table_.Revoke(second.secret));  // the secret is not the public id
  EXPECT_TRUE(table_.Revoke(second.session_id));
  EXPECT_FALSE(table_.Revoke(second.session_id));
  EXPECT_TRUE(table_.Touch(second.secret).status().Is(Reason::kSessionUnknown));
  EXPECT_EQ(ended(), (std::vector<std::pair<std::string, EndCause>>{
                         {first.session_id, EndCause::kSignedOut},
                         {second.session_id, EndCause::kRevoked}}));
  EXPECT_EQ(table_.size(), 0u);
}

TEST_F(SessionTableTest, RevokeAllOfEndsEverySessionOfThatUserOnly) {
  const auto a1 = Create("tanaka");
  const auto a2 = Create("tanaka");
  const auto b = Create("suzuki");
  EXPECT_EQ(table_.RevokeAllOf("tanaka"), 2);
  EXPECT_EQ(table_.RevokeAllOf("tanaka"), 0);
  EXPECT_TRUE(table_.Touch(a1.secret).status().Is(Reason::kSessionUnknown));
  EXPECT_TRUE(table_.Touch(a2.secret).status().Is(Reason::kSessionUnknown));
  EXPECT_TRUE(table_.Touch(b.secret).ok());
  EXPECT_EQ(table_.RevokeAllOf("suzuki", EndCause::kRevoked), 1);
  EXPECT_EQ(ended(),
            (std::vector<std::pair<std::string, EndCause>>{{a1.session_id, EndCause::kUserChanged},
                                                           {a2.session_id, EndCause::kUserChanged},
                                                           {b.session_id, EndCause::kRevoked}}));
}

TEST_F(SessionTableTest, TheOldestSessionIsEvictedBeyondTheMaximumPerUser) {
  std::vector<SessionTable::Created> sessions;
  for (int i = 0; i < 10; ++i) {
    sessions.push_back(Create("tanaka"));
    clock_.Advance(seconds(1));
  }
  const auto other = Create("suzuki");
  EXPECT_TRUE(ended().empty());
  sessions.push_back(Create("tanaka"));
  EXPECT_EQ(ended(), (std::vector<std::pair<std::string, EndCause>>{
                         {sessions[0].session_id, EndCause::kEvicted}}));
  EXPECT_TRUE(table_.Touch(sessions[0].secret).status().Is(Reason::kSessionUnknown));
  for (size_t i = 1; i < sessions.size(); ++i) EXPECT_TRUE(table_.Touch(sessions[i].secret).ok());
  EXPECT_TRUE(table_.Touch(other.secret).ok());
  EXPECT_EQ(table_.ListOf("tanaka").size(), 10u);
  EXPECT_EQ(table_.size(), 11u);
}

TEST_F(SessionTableTest, ListsShowLiveSessionsOldestFirst) {
  const auto a1 = Create("tanaka");
  clock_.Advance(minutes(1));
  const auto b = Create("suzuki");
  clock_.Advance(minutes(1));
  const auto a2 = Create("tanaka");
  std::vector<Session> of_tanaka = table_.ListOf("tanaka");
  ASSERT_EQ(of_tanaka.size(), 2u);
  EXPECT_EQ(of_tanaka[0].session_id, a1.session_id);
  EXPECT_EQ(of_tanaka[1].session_id, a2.session_id);
  std::vector<Session> all = table_.ListAll();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].session_id, a1.session_id);
  EXPECT_EQ(all[1].session_id, b.session_id);
  EXPECT_EQ(all[2].session_id, a2.session_id);
  EXPECT_TRUE(table_.ListOf("nobody").empty());

  // a1 and b go idle; a2 stays live. Lists leave the idle ones out before any sweep.
  clock_.Advance(minutes(29));
  ASSERT_TRUE(table_.Touch(a2.secret).ok());
  clock_.Advance(minutes(2));
  ASSERT_EQ(table_.ListAll().size(), 1u);
  EXPECT_EQ(table_.ListAll()[0].session_id, a2.session_id);
  EXPECT_EQ(table_.ListOf("tanaka").size(), 1u);
  EXPECT_TRUE(table_.ListOf("suzuki").empty());
  EXPECT_EQ(table_.size(), 3u);
}

TEST_F(SessionTableTest, SweepEndsExpiredSessionsWithTheirCause) {
  const auto absolute = Create("tanaka");
  for (int i = 0; i < 47; ++i) {  // kept busy for 11h45
    clock_.Advance(minutes(15));
    ASSERT_TRUE(table_.Touch(absolute.secret).ok()) << i;
  }
  const auto idle = Create("suzuki");
  const auto live = Create("sato");
  clock_.Advance(minutes(15));  // exactly 12h: still live
  ASSERT_TRUE(table_.Touch(absolute.secret).ok());
  ASSERT_TRUE(table_.Touch(live.secret).ok());
  clock_.Advance(minutes(20));  // absolute: 12h20 old; idle: 35 minutes unseen; live: 20
  table_.SweepExpired();
  std::vector<std::pair<std::string, EndCause>> reported = ended();
  std::sort(reported.begin(), reported.end());
  std::vector<std::pair<std::string, EndCause>> expected = {
      {absolute.session_id, EndCause::kAbsolute}, {idle.session_id, EndCause::kIdle}};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(reported, expected);
  EXPECT_EQ(table_.size(), 1u);
  EXPECT_TRUE(table_.Touch(live.secret).ok());
  table_.SweepExpired();
  EXPECT_EQ(ended().size(), 2u);  // nothing reported twice
}

TEST_F(SessionTableTest, TheCallbackMayCallBackIntoTheTable) {
  std::vector<size_t> sizes_seen;
  SessionTable table(clock_, SessionTable::Options{}, [&](const Session& session, EndCause) {
    sizes_seen.push_back(table.size());
    (void)table.ListOf(session.user_id);
  });
  const auto created = Create("tanaka", table);
  EXPECT_TRUE(table.SignOut(created.secret));
  EXPECT_EQ(sizes_seen, std::vector<size_t>{0});
}

TEST_F(SessionTableTest, ConcurrentUseReportsEachEndOnce) {
  std::vector<SessionTable::Created> sessions;
  for (int i = 0; i < 200; ++i) sessions.push_back(Create("user" + std::to_string(i % 20)));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (size_t i = 0; i < sessions.size(); ++i) {
        if (i % 4 == static_cast<size_t>(t)) (void)table_.Revoke(sessions[i].session_id);
        (void)table_.Touch(sessions[i].secret);
        (void)table_.SignOut(sessions[(i + 7) % sessions.size()].secret);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  const auto reported = ended();
  std::set<std::string> ids;
  for (const auto& [id, cause] : reported) EXPECT_TRUE(ids.insert(id).second) << id;
  EXPECT_EQ(ids.size(), sessions.size());
  EXPECT_EQ(table_.size(), 0u);
}

}  // namespace
}  // namespace casecoord::auth
