#include "services/cases/case_keys.h"

#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <array>
#include <memory>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "services/storage/encryption.h"
#include "services/storage/openssl_util.h"

namespace casecoord::cases {
namespace {

using storage::KeyEncryptionKey;
using storage::Keyring;

std::shared_ptr<const Keyring> KeyringOf(const KeyEncryptionKey& current,
                                         std::vector<KeyEncryptionKey> previous = {}) {
  return std::make_shared<Keyring>(current, std::move(previous));
}

CaseKey NewCaseKey(const CaseKeyring& keyring) {
  auto created = keyring.NewKey();
  EXPECT_TRUE(created.ok()) << created.status().ToString();
  return std::move(created).value().first;
}

std::string RawBytes(const CaseKey& key) {
  return std::string(reinterpret_cast<const char*>(key.bytes()), kCaseKeyBytes);
}

std::string RawBytes(const KeyEncryptionKey& kek) {
  return std::string(reinterpret_cast<const char*>(kek.bytes()), storage::kKeyBytes);
}

// Builds a wrapped key by hand, following the format documented in case_keys.h, with `gcm_key`
// as the AES-256-GCM key. Used to check that the documented format and derivation are the ones
// implemented, and that the raw KEK is not the wrapping key.
std::string WrapByHand(const std::string& kek_id, const uint8_t* gcm_key,
                       const std::string& data_key) {
  std::string wrapped(1, '\x01');
  wrapped += kek_id;
  std::string nonce(12, '\x07');
  std::string aad = wrapped + "case-key";
  wrapped += nonce;
  std::string ciphertext(32, '\0');
  std::array<uint8_t, 16> tag{};
  storage::CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  bool ok =
      EVP_EncryptInit_ex2(ctx.get(), storage::Aes256Gcm(), gcm_key,
                          reinterpret_cast<const uint8_t*>(nonce.data()), nullptr) == 1 &&
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const uint8_t*>(aad.data()),
                        static_cast<int>(aad.size())) == 1 &&
      EVP_EncryptUpdate(ctx.get(), reinterpret_cast<uint8_t*>(ciphertext.data()), &len,
                        reinterpret_cast<const uint8_t*>(data_key.data()), 32) == 1 &&
      EVP_EncryptFinal_ex(ctx.get(), nullptr, &len) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, 16, tag.data()) == 1;
  EXPECT_TRUE(ok);
  wrapped += ciphertext;
  wrapped.append(reinterpret_cast<const char*>(tag.data()), tag.size());
  return wrapped;
}

std::array<uint8_t, 32> HkdfSha256(const KeyEncryptionKey& kek, std::string info) {
  std::array<uint8_t, 32> out{};
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  EVP_KDF_CTX* ctx = EVP_KDF_CTX_new(kdf);
  EVP_KDF_free(kdf);
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<uint8_t*>(kek.bytes()), 32),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info.data(), info.size()),
      OSSL_PARAM_construct_end(),
  };
  EXPECT_EQ(EVP_KDF_derive(ctx, out.data(), out.size(), params), 1);
  EVP_KDF_CTX_free(ctx);
  return out;
}

class CaseKeysTest : public ::testing::Test {
 protected:
  KeyEncryptionKey kek_ = KeyEncryptionKey::Generate();
  CaseKeyring keyring_{KeyringOf(kek_)};
};

// ---------------------------------------------------------------------------------------------
// Seal / Open

TEST_F(CaseKeysTest, SealOpenRoundTrips) {
  CaseKey key = NewCaseKey(keyring_);
  const std::string one_mib(1 << 20, '\xa5');
  const std::string japanese = "山田 太郎／東京都千代田区霞が関１－２－２　面談メモ：本人同意あり";
  for (const std::string& plaintext : {std::string(), std::string("x"), one_mib, japanese}) {
    std::string sealed = Seal(key, "cases/42#personal", plaintext);
    EXPECT_EQ(sealed.size(), plaintext.size() + kSealOverhead);
    auto opened = Open(key, "cases/42#personal", sealed);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    EXPECT_EQ(*opened, plaintext);
  }
}

TEST_F(CaseKeysTest, PlaintextDoesNotAppearInTheSealedValue) {
  CaseKey key = NewCaseKey(keyring_);
  const std::string name = "佐藤花子 1980-04-01";
  std::string sealed = Seal(key, "cases/42#personal", name);
  EXPECT_EQ(sealed.find(name), std::string::npos);
}

TEST_F(CaseKeysTest, ValuesSwappedBetweenRecordsOrFieldsDoNotOpen) {
  CaseKey key = NewCaseKey(keyring_);
  std::string sealed_42 = Seal(key, "cases/42#personal", "山田 太郎");
  std::string sealed_43 = Seal(key, "cases/43#personal", "鈴木 一郎");
  // Swapped between records (even under the same case key).
  auto opened = Open(key, "cases/43#personal", sealed_42);
  EXPECT_EQ(opened.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(opened.status().reason(), "SEAL_MISMATCH");
  EXPECT_EQ(Open(key, "cases/42#personal", sealed_43).status().reason(), "SEAL_MISMATCH");
  // Moved to another field of the same record, or to a context that only shares a prefix.
  EXPECT_EQ(Open(key, "cases/42#notes", sealed_42).status().reason(), "SEAL_MISMATCH");
  EXPECT_EQ(Open(key, "cases/4", sealed_42).status().reason(), "SEAL_MISMATCH");
  EXPECT_EQ(Open(key, "cases/42#personalx", sealed_42).status().reason(), "SEAL_MISMATCH");
  EXPECT_EQ(Open(key, "", sealed_42).status().reason(), "SEAL_MISMATCH");
}

TEST_F(CaseKeysTest, EveryAlteredByteIsDetected) {
  CaseKey key = NewCaseKey(keyring_);
  const std::string sealed = Seal(key, "cases/7#personal", "生年月日 1990-12-31");
  for (size_t position = 0; position < sealed.size(); ++position) {
    for (uint8_t flip : {0x01, 0x80, 0xff}) {
      std::string tampered = sealed;
      tampered[position] = static_cast<char>(tampered[position] ^ flip);
      auto opened = Open(key, "cases/7#personal", tampered);
      EXPECT_EQ(opened.status().reason(), "SEAL_MISMATCH") << position << " ^ " << int{flip};
    }
  }
}

TEST_F(CaseKeysTest, TruncatedExtendedAndEmptyInputsAreRejected) {
  CaseKey key = NewCaseKey(keyring_);
  const std::string sealed = Seal(key, "cases/7#personal", "abc");
  for (size_t size = 0; size < sealed.size(); ++size) {
    EXPECT_EQ(Open(key, "cases/7#personal", sealed.substr(0, size)).status().reason(),
              "SEAL_MISMATCH")
        << size;
  }
  EXPECT_EQ(Open(key, "cases/7#personal", sealed + "x").status().reason(), "SEAL_MISMATCH");
}

TEST_F(CaseKeysTest, AnotherCaseKeyDoesNotOpen) {
  CaseKey key = NewCaseKey(keyring_);
  CaseKey other = NewCaseKey(keyring_);
  std::string sealed = Seal(key, "cases/42#personal", "山田 太郎");
  EXPECT_EQ(Open(other, "cases/42#personal", sealed).status().reason(), "SEAL_MISMATCH");
}

TEST_F(CaseKeysTest, SealingTwiceGivesDifferentValues) {
  CaseKey key = NewCaseKey(keyring_);
  std::string first = Seal(key, "cases/42#personal", "山田 太郎");
  std::string second = Seal(key, "cases/42#personal", "山田 太郎");
  EXPECT_NE(first, second);
  // The nonces differ, not just the ciphertexts.
  EXPECT_NE(first.substr(1, 12), second.substr(1, 12));
}

TEST_F(CaseKeysTest, ConcurrentSealAndOpenWithOneKey) {
  CaseKey key = NewCaseKey(keyring_);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&key, t] {
      for (int i = 0; i < 200; ++i) {
        std::string context = "cases/" + std::to_string(t) + "#" + std::to_string(i);
        auto opened = Open(key, context, Seal(key, context, context));
        ASSERT_TRUE(opened.ok());
        EXPECT_EQ(*opened, context);
      }
    });
  }
  for (auto& thread : threads) thread.join();
}

// ---------------------------------------------------------------------------------------------
// CaseKey

TEST_F(CaseKeysTest, MovingACaseKeyWipesTheSource) {
  CaseKey key = NewCaseKey(keyring_);
  const std::string bytes = RawBytes(key);
  CaseKey moved = std::move(key);
  EXPECT_EQ(RawBytes(moved), bytes);
  EXPECT_EQ(RawBytes(key), std::string(kCaseKeyBytes, '\0'));  // NOLINT(bugprone-use-after-move)
  static_assert(!std::is_copy_constructible_v<CaseKey>);
  static_assert(!std::is_copy_assignable_v<CaseKey>);
}

// ---------------------------------------------------------------------------------------------
// Wrapping

TEST_F(CaseKeysTest, WrapUnwrapRoundTrips) {
  auto created = keyring_.NewKey();
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  auto& [key, wrapped] = *created;
  EXPECT_EQ(wrapped.size(), kWrappedCaseKeySize);
  EXPECT_EQ(wrapped[0], '\x01');
  EXPECT_EQ(wrapped.substr(1, 16), kek_.id());
  EXPECT_FALSE(keyring_.NeedsRewrap(wrapped));

  auto unwrapped = keyring_.Unwrap(wrapped);
  ASSERT_TRUE(unwrapped.ok()) << unwrapped.status().ToString();
  EXPECT_EQ(RawBytes(*unwrapped), RawBytes(key));
  // The unwrapped key opens what the original sealed.
  auto opened = Open(*unwrapped, "cases/1#personal", Seal(key, "cases/1#personal", "メモ"));
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(*opened, "メモ");
}

TEST_F(CaseKeysTest, NewKeysAreRandomAndWrappedFormsHideThem) {
  auto first = keyring_.NewKey();
  auto second = keyring_.NewKey();
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_NE(RawBytes(first->first), RawBytes(second->first));
  EXPECT_NE(first->second, second->second);
  for (const auto* created : {&*first, &*second}) {
    EXPECT_EQ(created->second.find(RawBytes(created->first)), std::string::npos);
    EXPECT_EQ(created->second.find(RawBytes(kek_)), std::string::npos);
  }
}

TEST_F(CaseKeysTest, RewrappingKeepsTheKeyAndUsesAFreshNonce) {
  auto created = keyring_.NewKey();
  ASSERT_TRUE(created.ok());
  auto rewrapped = keyring_.Wrap(created->first);
  ASSERT_TRUE(rewrapped.ok());
  EXPECT_NE(*rewrapped, created->second);
  auto unwrapped = keyring_.Unwrap(*rewrapped);
  ASSERT_TRUE(unwrapped.ok());
  EXPECT_EQ(RawBytes(*unwrapped), RawBytes(created->first));
}

TEST_F(CaseKeysTest, KeysWrappedBeforeARotationStillUnwrap) {
  auto created = keyring_.NewKey();
  ASSERT_TRUE(created.ok());
  const std::string& old_wrapped = created->second;

  KeyEncryptionKey new_kek = KeyEncryptionKey::Generate();
  CaseKeyring rotated(KeyringOf(new_kek, {kek_}));
  EXPECT_EQ(rotated.current_kek_id(), new_kek.id());
  EXPECT_TRUE(rotated.NeedsRewrap(old_wrapped));
  auto unwrapped = rotated.Unwrap(old_wrapped);
  ASSERT_TRUE(unwrapped.ok()) << unwrapped.status().ToString();
  EXPECT_EQ(RawBytes(*unwrapped), RawBytes(created->first));

  // The rotation step: re-wrap under the new KEK; then the old KEK can be dropped.
  auto rewrapped = rotated.Wrap(*unwrapped);
  ASSERT_TRUE(rewrapped.ok());
  EXPECT_FALSE(rotated.NeedsRewrap(*rewrapped));
  EXPECT_EQ(rewrapped->substr(1, 16), new_kek.id());
  CaseKeyring new_only(KeyringOf(new_kek));
  auto after_drop = new_only.Unwrap(*rewrapped);
  ASSERT_TRUE(after_drop.ok());
  EXPECT_EQ(RawBytes(*after_drop), RawBytes(created->first));
}

TEST_F(CaseKeysTest, UnknownKekIsNamed) {
  auto created = keyring_.NewKey();
  ASSERT_TRUE(created.ok());
  CaseKeyring other(KeyringOf(KeyEncryptionKey::Generate()));
  auto unwrapped = other.Unwrap(created->second);
  EXPECT_EQ(unwrapped.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(unwrapped.status().reason(), "CASE_KEY_UNKNOWN_KEK");
  // The message names the missing KEK by its (printable) id, never by its bytes.
  EXPECT_NE(unwrapped.status().message().find(kek_.id()), std::string::npos);
}

TEST_F(CaseKeysTest, TamperedWrappedKeysAreRejected) {
  auto created = keyring_.NewKey();
  ASSERT_TRUE(created.ok());
  const std::string& wrapped = created->second;
  for (size_t position = 0; position < wrapped.size(); ++position) {
    std::string tampered = wrapped;
    tampered[position] = static_cast<char>(tampered[position] ^ 0x01);
    auto unwrapped = keyring_.Unwrap(tampered);
    ASSERT_FALSE(unwrapped.ok()) << position;
    // A changed KEK id may name a KEK we do not hold; everything else is an authentication
    // failure.
    if (position >= 1 && position < 17 && unwrapped.status().code() != StatusCode::kDataLoss) {
      EXPECT_EQ(unwrapped.status().reason(), "CASE_KEY_UNKNOWN_KEK") << position;
    } else {
      EXPECT_EQ(unwrapped.status().code(), StatusCode::kDataLoss) << position;
      EXPECT_EQ(unwrapped.status().reason(), "SEAL_MISMATCH") << position;
    }
  }
  EXPECT_EQ(keyring_.Unwrap("").status().reason(), "SEAL_MISMATCH");
  EXPECT_EQ(keyring_.Unwrap(wrapped.substr(0, wrapped.size() - 1)).status().reason(),
            "SEAL_MISMATCH");
  EXPECT_EQ(keyring_.Unwrap(wrapped + "x").status().reason(), "SEAL_MISMATCH");
  EXPECT_FALSE(keyring_.NeedsRewrap(""));
  EXPECT_FALSE(keyring_.NeedsRewrap("garbage"));
}

TEST_F(CaseKeysTest, WrappingKeyIsDerivedFromTheKekWithHkdf) {
  const std::string data_key(32, '\x5c');
  // Positive control: the documented derivation and format produce a key Unwrap accepts.
  auto derived = HkdfSha256(kek_, "casecoord case-key wrapping v1");
  auto by_hand = keyring_.Unwrap(WrapByHand(kek_.id(), derived.data(), data_key));
  ASSERT_TRUE(by_hand.ok()) << by_hand.status().ToString();
  EXPECT_EQ(RawBytes(*by_hand), data_key);

  // The raw KEK is not the wrapping key, so a key wrapped directly with it does not unwrap.
  auto raw = keyring_.Unwrap(WrapByHand(kek_.id(), kek_.bytes(), data_key));
  EXPECT_EQ(raw.status().reason(), "SEAL_MISMATCH");
  // Nor does one derived with another info string.
  auto other_info = HkdfSha256(kek_, "casecoord case-key wrapping v2");
  EXPECT_EQ(keyring_.Unwrap(WrapByHand(kek_.id(), other_info.data(), data_key)).status().reason(),
            "SEAL_MISMATCH");
}

}  // namespace
}  // namespace casecoord::cases
