// Key decoding: the order-preserving RocksDB key encoding (services/storage/key_encoding.h), the
// statistics counter keys (services/stats/counters.h), and the wrapped case keys and sealed values
// of case records (services/cases/case_keys.h), all of which the server reads back from storage
// and must not trust blindly (a damaged or restored database is input too).
//
// Input: byte 0 is a schema of four key components, two bits each (u32, u64, i64, string); the
// rest is the key bytes, also used as a wrapped case key, a sealed value, and (split in halves)
// as a context and a plaintext.
// Properties:
//   - what KeyReader decodes re-encodes to the bytes it consumed, a fully consumed key to itself;
//     AppendString and AppendInt64 preserve order; PrefixSuccessor is above every extension;
//   - a decoded counter key re-encodes to the same bytes;
//   - Unwrap refuses with the documented errors, a KEK it does not know only when the key names
//     one; an unwrapped key re-wraps and unwraps to the same bytes; NeedsRewrap agrees;
//   - Open refuses anything not sealed under its key and context; Seal then Open gives the
//     plaintext back, and fails under another context or with any byte changed.
//
// With CASECOORD_FUZZ_WRITE_SEEDS=<dir> in the environment, the first run writes wrapped-key and
// sealed-value seeds made with the fixed keys below to <dir> (how corpus/keys/wrapped-* was made).
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "services/cases/case_keys.h"
#include "services/stats/counters.h"
#include "services/storage/encryption.h"
#include "services/storage/key_encoding.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using namespace casecoord;

// Fixed so that the seed corpus can hold wrapped keys that unwrap.
storage::KeyEncryptionKey FixedKek(char fill) {
  auto kek = storage::KeyEncryptionKey::FromBytes(std::string(storage::kKeyBytes, fill));
  if (!kek.ok()) std::abort();
  return *kek;
}

struct Keys {
  // Current KEK 0x11..., previous KEK 0x22...: both paths of Unwrap and NeedsRewrap.
  cases::CaseKeyring keyring{std::make_shared<storage::Keyring>(
      FixedKek('\x11'), std::vector<storage::KeyEncryptionKey>{FixedKek('\x22')})};
  // A case key of this process, for the seal properties.
  std::optional<cases::CaseKey> case_key;
};

Keys& TheKeys() {
  static Keys* keys = [] {
    auto* made = new Keys();
    auto fresh = made->keyring.NewKey();
    if (!fresh.ok()) std::abort();
    made->case_key.emplace(std::move(fresh->first));
    return made;
  }();
  return *keys;
}

void WriteSeed(const std::string& path, std::string_view bytes) {
  std::ofstream(path, std::ios::binary)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// The schema byte first, so that the seed is a whole input.
void WriteSeeds(const std::string& dir) {
  const cases::CaseKeyring old_keyring(std::make_shared<storage::Keyring>(FixedKek('\x22')));
  auto current = TheKeys().keyring.NewKey();
  auto previous = old_keyring.NewKey();
  if (!current.ok() || !previous.ok()) std::abort();
  const std::string schema(1, '\0');
  WriteSeed(dir + "/wrapped-current-kek", schema + current->second);
  WriteSeed(dir + "/wrapped-previous-kek", schema + previous->second);
}

void CheckKeyReader(uint8_t schema, std::string_view key) {
  storage::KeyReader reader(key);
  std::string reencoded;
  int read = 0;
  for (int i = 0; i < 4; ++i) {
    bool ok = false;
    switch ((schema >> (2 * i)) & 3) {
      case 0: {
        uint32_t value = 0;
        if ((ok = reader.ReadUint32(&value))) storage::AppendUint32(&reencoded, value);
        break;
      }
      case 1: {
        uint64_t value = 0;
        if ((ok = reader.ReadUint64(&value))) storage::AppendUint64(&reencoded, value);
        break;
      }
      case 2: {
        int64_t value = 0;
        if ((ok = reader.ReadInt64(&value))) storage::AppendInt64(&reencoded, value);
        break;
      }
      default: {
        std::string value;
        if ((ok = reader.ReadString(&value))) storage::AppendString(&reencoded, value);
        break;
      }
    }
    if (!ok) break;
    ++read;
  }
  FUZZ_CHECK(key.starts_with(reencoded), "%d components re-encode to other bytes", read);
  if (read == 4 && reader.done())
    FUZZ_CHECK(reencoded == key, "a whole key re-encodes differently");
}

void CheckOrder(std::string_view key) {
  const std::string_view a = key.substr(0, key.size() / 2), b = key.substr(key.size() / 2);
  std::string ea, eb;
  storage::AppendString(&ea, a);
  storage::AppendString(&eb, b);
  FUZZ_CHECK((a < b) == (ea < eb) && (a == b) == (ea == eb), "string order not preserved");
  if (key.size() >= 16) {
    int64_t x = 0, y = 0;
    for (int i = 0; i < 8; ++i) {
      x = static_cast<int64_t>((static_cast<uint64_t>(x) << 8) | static_cast<uint8_t>(key[i]));
      y = static_cast<int64_t>((static_cast<uint64_t>(y) << 8) | static_cast<uint8_t>(key[8 + i]));
    }
    std::string ex, ey;
    storage::AppendInt64(&ex, x);
    storage::AppendInt64(&ey, y);
    FUZZ_CHECK((x < y) == (ex < ey), "int64 order not preserved");
  }
  const std::string successor = storage::PrefixSuccessor(key);
  if (successor.empty()) {
    FUZZ_CHECK(key.find_first_not_of('\xff') == std::string_view::npos, "no successor");
  } else {
    FUZZ_CHECK(successor > key && !successor.starts_with(key) &&
                   successor > std::string(key) + std::string(8, '\xff'),
               "successor inside the prefix");
  }
}

void CheckCounterKey(std::string_view key) {
  const auto decoded = stats::DecodeCounterKey(key);
  if (decoded) FUZZ_CHECK(stats::EncodeCounterKey(*decoded) == key, "counter key re-encodes");
}

bool LooksLikeKekId(std::string_view id) {
  return id.size() == 16 && id.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

void CheckWrappedKey(std::string_view wrapped) {
  const cases::CaseKeyring& keyring = TheKeys().keyring;
  auto key = keyring.Unwrap(wrapped);
  const bool well_formed = wrapped.size() == cases::kWrappedCaseKeySize &&
                           static_cast<uint8_t>(wrapped[0]) == cases::kWrappedCaseKeyVersion &&
                           LooksLikeKekId(wrapped.substr(1, 16));
  FUZZ_CHECK(keyring.NeedsRewrap(wrapped) ==
                 (well_formed && wrapped.substr(1, 16) != keyring.current_kek_id()),
             "NeedsRewrap disagrees with the format");
  if (!key.ok()) {
    const Status& status = key.status();
    if (status.code() == StatusCode::kFailedPrecondition) {
      FUZZ_CHECK(well_formed && status.Is(Reason::kCaseKeyUnknownKek), "%s",
                 status.ToString().c_str());
    } else {
      FUZZ_CHECK(status.code() == StatusCode::kDataLoss && status.Is(Reason::kSealMismatch), "%s",
                 status.ToString().c_str());
    }
    return;
  }
  FUZZ_CHECK(well_formed, "a malformed wrapped key unwrapped");
  auto rewrapped = keyring.Wrap(*key);
  FUZZ_CHECK(rewrapped.ok() && !keyring.NeedsRewrap(*rewrapped), "re-wrapping failed");
  auto again = keyring.Unwrap(*rewrapped);
  FUZZ_CHECK(again.ok() && CRYPTO_memcmp(again->bytes(), key->bytes(), cases::kCaseKeyBytes) == 0,
             "a re-wrapped key unwraps to other bytes");
}

void CheckSeal(std::string_view input) {
  const cases::CaseKey& key = *TheKeys().case_key;
  const std::string_view context = input.substr(0, input.size() / 2);
  const std::string_view plaintext = input.substr(input.size() / 2);

  auto opened = cases::Open(key, context, input);
  FUZZ_CHECK(!opened.ok() && opened.status().code() == StatusCode::kDataLoss,
             "input opened without having been sealed");

  const std::string sealed = cases::Seal(key, context, plaintext);
  FUZZ_CHECK(sealed.size() == plaintext.size() + cases::kSealOverhead, "sealed size");
  auto back = cases::Open(key, context, sealed);
  FUZZ_CHECK(back.ok() && *back == plaintext, "sealed value does not open");
  FUZZ_CHECK(!cases::Open(key, std::string(context) + "#other", sealed).ok(),
             "opened under another context");
  std::string altered = sealed;
  const size_t at = input.empty() ? 0 : static_cast<uint8_t>(input[0]) % altered.size();
  altered[at] = static_cast<char>(altered[at] ^ 0x01);
  FUZZ_CHECK(!cases::Open(key, context, altered).ok(), "altered byte %zu went unnoticed", at);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  TheKeys();
  if (const char* dir = std::getenv("CASECOORD_FUZZ_WRITE_SEEDS")) WriteSeeds(dir);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string_view key(reinterpret_cast<const char*>(data) + 1, size - 1);
  CheckKeyReader(data[0], key);
  CheckOrder(key);
  CheckCounterKey(key);
  CheckWrappedKey(key);
  CheckSeal(key);
  return 0;
}
