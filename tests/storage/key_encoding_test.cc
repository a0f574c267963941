#include "services/storage/key_encoding.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

namespace casecoord::storage {
namespace {

TEST(KeyEncodingTest, IntegersSortNumerically) {
  std::vector<int64_t> values = {-5, 0, 3, -1000000000000, 1000000000000, INT64_MIN, INT64_MAX};
  std::vector<std::string> keys;
  for (auto v : values) {
    std::string key;
    AppendInt64(&key, v);
    keys.push_back(key);
  }
  std::vector<size_t> by_key(values.size()), by_value(values.size());
  for (size_t i = 0; i < values.size(); ++i) by_key[i] = by_value[i] = i;
  std::sort(by_key.begin(), by_key.end(), [&](size_t a, size_t b) { return keys[a] < keys[b]; });
  std::sort(by_value.begin(), by_value.end(),
            [&](size_t a, size_t b) { return values[a] < values[b]; });
  EXPECT_EQ(by_key, by_value);
}

TEST(KeyEncodingTest, StringsSortLikeTheirBytesAndNeverBleedIntoTheNextComponent) {
  // "a" then 2 must sort before "a\0" then 1, and before "ab": the terminator keeps order.
  auto make = [](std::string_view s, uint64_t n) {
    std::string key;
    AppendString(&key, s);
    AppendUint64(&key, n);
    return key;
  };
  EXPECT_LT(make("a", 2), make(std::string_view("a\0", 2), 1));
  EXPECT_LT(make("a", 2), make("ab", 1));
  EXPECT_LT(make("", 9), make("a", 0));
}

TEST(KeyEncodingTest, RoundTripsRandomComponents) {
  std::mt19937 random(1);
  for (int i = 0; i < 1000; ++i) {
    std::string text(random() % 20, '\0');
    for (auto& c : text) c = static_cast<char>(random() % 4);  // many zero bytes
    uint64_t number = random();
    int64_t signed_number = static_cast<int64_t>(random()) - (1 << 30);
    std::string key;
    AppendString(&key, text);
    AppendUint64(&key, number);
    AppendInt64(&key, signed_number);
    KeyReader reader(key);
    std::string text_back;
    uint64_t number_back = 0;
    int64_t signed_back = 0;
    ASSERT_TRUE(reader.ReadString(&text_back));
    ASSERT_TRUE(reader.ReadUint64(&number_back));
    ASSERT_TRUE(reader.ReadInt64(&signed_back));
    EXPECT_TRUE(reader.done());
    EXPECT_EQ(text_back, text);
    EXPECT_EQ(number_back, number);
    EXPECT_EQ(signed_back, signed_number);
  }
}

TEST(KeyEncodingTest, MalformedInputIsRejected) {
  std::string value;
  uint32_t number = 0;
  EXPECT_FALSE(KeyReader("abc").ReadString(&value));  // no terminator
  EXPECT_FALSE(KeyReader(std::string_view("a\0\x02", 3)).ReadString(&value));
  EXPECT_FALSE(KeyReader("ab").ReadUint32(&number));
}

TEST(KeyEncodingTest, PrefixSuccessorBoundsThePrefix) {
  EXPECT_EQ(PrefixSuccessor("ab"), "ac");
  EXPECT_EQ(PrefixSuccessor("a\xff"), "b");
  EXPECT_EQ(PrefixSuccessor("\xff\xff"), "");
}

}  // namespace
}  // namespace casecoord::storage
