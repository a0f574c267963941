#include "services/auth/password.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

namespace casecoord::auth {
namespace {

// Cheap parameters: a verification costs well under a millisecond, so most tests stay fast.
constexpr PasswordParams kCheap{1, 256, 1};

std::string CheapHash(std::string_view password) {
  Result<std::string> hash = HashPassword(password, kCheap);
  EXPECT_TRUE(hash.ok()) << hash.status().ToString();
  return hash.ok() ? *hash : std::string();
}

TEST(PasswordTest, HashAndVerifyRoundTrip) {
  const std::string hash = CheapHash("correct horse battery staple");
  EXPECT_EQ(hash.rfind("$argon2id$v=19$m=256,t=1,p=1$", 0), 0u) << hash;
  EXPECT_TRUE(VerifyPassword(hash, "correct horse battery staple"));
  EXPECT_FALSE(VerifyPassword(hash, "correct horse battery stapler"));
  EXPECT_FALSE(VerifyPassword(hash, ""));
}

TEST(PasswordTest, JapanesePasswordsRoundTrip) {
  const std::string hash = CheapHash("すもももももももものうち");
  EXPECT_TRUE(VerifyPassword(hash, "すもももももももものうち"));
  EXPECT_FALSE(VerifyPassword(hash, "すもももももももものうち。"));
}

TEST(PasswordTest, EachHashHasItsOwnSalt) {
  const std::string first = CheapHash("the same password");
  const std::string second = CheapHash("the same password");
  EXPECT_NE(first, second);
  EXPECT_TRUE(VerifyPassword(first, "the same password"));
  EXPECT_TRUE(VerifyPassword(second, "the same password"));
}

TEST(PasswordTest, ParametersOutsideTheBoundsAreRefused) {
  for (const PasswordParams& params :
       {PasswordParams{0, 256, 1}, PasswordParams{kMaxTimeCost + 1, 256, 1},
        PasswordParams{1, 4, 1}, PasswordParams{1, kMaxMemoryKib + 1, 1}, PasswordParams{1, 256, 0},
        PasswordParams{1, 256, kMaxParallelism + 1}}) {
    Result<std::string> hash = HashPassword("password", params);
    EXPECT_TRUE(hash.status().Is(Reason::kInvalidField))
        << params.time_cost << " " << params.memory_kib << " " << params.parallelism;
  }
}

TEST(PasswordTest, MalformedEncodingsAreFalseNeverACrash) {
  const std::string password = "correct horse battery staple";
  const std::string good = CheapHash(password);
  ASSERT_TRUE(VerifyPassword(good, password));
  const size_t salt_start = good.find('$', good.find("p=")) + 1;
  const size_t hash_start = good.find('$', salt_start) + 1;

  std::vector<std::string> bad = {
      "",
      "$",
      "$$$$$",
      "argon2id",
      "$argon2id$",
      "$argon2id$v=19$",
      "$argon2id$v=19$m=256,t=1,p=1$",
      "$argon2id$v=19$m=256,t=1,p=1$$",
      std::string(100000, 'A'),
      good + std::string(300, 'A'),
      good + "$",
      good + "\n",
      good.substr(0, good.size() - 1) + "!",
      "$argon2i" + good.substr(9),                                     // argon2i
      "$argon2d" + good.substr(9),                                     // argon2d
      "$argon2id$v=16" + good.substr(14),                              // another version
      "$argon2id" + good.substr(good.find("$m=")),                     // no version
      "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",  // bcrypt
      "$6$rounds=5000$salt$hash",                                      // sha512-crypt
      "{SSHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=",
      "$argon2id$v=19$m=4194304,t=1,p=1" + good.substr(salt_start - 1),  // 4 GiB
      "$argon2id$v=19$m=256,t=4294967295,p=1" + good.substr(salt_start - 1),
      "$argon2id$v=19$m=256,t=1,p=255" + good.substr(salt_start - 1),
      "$argon2id$v=19$m=256,t=0,p=1" + good.substr(salt_start - 1),
      "$argon2id$v=19$m=-256,t=1,p=1" + good.substr(salt_start - 1),
      "$argon2id$v=19$m=0256,t=1,p=1" + good.substr(salt_start - 1),
      "$argon2id$v=19$m=99999999999999999999,t=1,p=1" + good.substr(salt_start - 1),
      "$argon2id$v=19$t=1,m=256,p=1" + good.substr(salt_start - 1),    // order
      "$argon2id$v=19$m=256,t=1,p=1$" + good.substr(hash_start),       // salt missing
      good.substr(0, hash_start) + "====",                             // hash not base64
      good.substr(0, hash_start - 1) + "$" + good.substr(salt_start),  // salt where hash goes
      std::string(good).insert(salt_start + 3, std::string("\0", 1)),  // NUL inside
  };
  // Every truncation of the good string.
  for (size_t size = 0; size < good.size(); ++size) bad.push_back(good.substr(0, size));
  for (const std::string& encoded : bad) {
    EXPECT_FALSE(VerifyPassword(encoded, password)) << encoded.substr(0, 120);
  }
}

TEST(PasswordTest, RulesTable) {
  struct Case {
    std::string password;
    std::string user_id;
    bool ok;
  };
  const std::vector<Case> cases = {
      {"abcdefghijk", "alice", false},                                // 11 characters
      {"abcdefghijkl", "alice", true},                                // 12
      {"あいうえおかきくけこさ", "alice", false},                     // 11 characters, 33 bytes
      {"あいうえおかきくけこさし", "alice", true},                    // 12 characters
      {std::string(128, 'a'), "alice", false},                        // one character repeated
      {std::string(64, 'a') + std::string(64, 'b'), "alice", true},   // 128 bytes
      {std::string(65, 'a') + std::string(64, 'b'), "alice", false},  // 129 bytes
      {std::string(43, 'a') + "あ", "alice", true},
      {"ああああああああああああ", "alice", false},  // repeated, Japanese
      {"coordinator-01", "coordinator-01", false},   // the user id
      {"Coordinator-01", "coordinator-01", false},   // ignoring ASCII case
      {"coordinator-01x", "coordinator-01", true},
      {"abcdefghijk\xff", "alice", false},              // invalid byte
      {"abcdefghijk\xc3", "alice", false},              // truncated sequence
      {"abcdefghijk\xc0\xaf", "alice", false},          // overlong '/'
      {"abcdefghijk\xed\xa0\x80", "alice", false},      // surrogate
      {"abcdefghijk\xf4\x90\x80\x80", "alice", false},  // over U+10FFFF
      {"", "alice", false},
  };
  for (const Case& c : cases) {
    const Status status = CheckPasswordRules(c.password, c.user_id);
    EXPECT_EQ(status.ok(), c.ok) << c.password << ": " << status.ToString();
    if (!status.ok()) {
      EXPECT_TRUE(status.Is(Reason::kInvalidField));
      ASSERT_EQ(status.field_violations().size(), 1u);
      EXPECT_EQ(status.field_violations()[0].field, "password");
    }
  }
}

// The one test with the default parameters: they are what the header says, and a verification
// costs real time (not a cheap setting left in by mistake), and so does the dummy verification for
// unknown users.
TEST(PasswordTest, DefaultParametersCostRealTimeAndTheDummyCostsTheSame) {
  Result<std::string> hash = HashPassword("correct horse battery staple");
  ASSERT_TRUE(hash.ok()) << hash.status().ToString();
  EXPECT_EQ(hash->rfind("$argon2id$v=19$m=65536,t=2,p=1$", 0), 0u) << *hash;
  VerifyAgainstDummy("warm up: the dummy hash is made on the first call");

  using Milliseconds = std::chrono::duration<double, std::milli>;
  auto time = [](auto&& work) {
    Milliseconds fastest(1e9);
    for (int i = 0; i < 3; ++i) {
      const auto start = std::chrono::steady_clock::now();
      work();
      fastest = std::min<Milliseconds>(fastest, std::chrono::steady_clock::now() - start);
    }
    return fastest;
  };
  const Milliseconds verify = time([&] { EXPECT_FALSE(VerifyPassword(*hash, "wrong")); });
  const Milliseconds dummy = time([] { VerifyAgainstDummy("wrong"); });
  std::printf("default argon2id verification: %.1f ms, dummy: %.1f ms\n", verify.count(),
              dummy.count());
  RecordProperty("verify_ms", static_cast<int>(verify.count()));
  EXPECT_GE(verify.count(), 10.0);
  // The same work, so about the same time; the bounds only absorb the noise of a shared machine.
  EXPECT_GE(dummy.count(), verify.count() * 0.5);
  EXPECT_LE(dummy.count(), verify.count() * 2.0);
}

}  // namespace
}  // namespace casecoord::auth
