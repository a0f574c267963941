#include "services/storage/encryption.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <rocksdb/file_system.h>

#include <fstream>
#include <iterator>
#include <random>
#include <set>
#include <thread>

#include "tests/support/temp_dir.h"

namespace casecoord::storage {
namespace {

std::string Unhex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

template <size_t N>
std::array<uint8_t, N> ToArray(const std::string& bytes) {
  std::array<uint8_t, N> out{};
  std::copy(bytes.begin(), bytes.end(), out.begin());
  return out;
}

// NIST SP 800-38A, F.5.5 CTR-AES256.Encrypt.
const std::string kNistKey =
    Unhex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4");
const std::string kNistCounter = Unhex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
const std::string kNistPlain = Unhex(
    "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
    "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710");
const std::string kNistCipher = Unhex(
    "601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c5"
    "2b0930daa23de94ce87017ba2d84988ddfc9c58db67aada613c2dd08457941a6");

AesCtrCipherStream NistStream() {
  return AesCtrCipherStream(ToArray<kKeyBytes>(kNistKey), ToArray<kIvBytes>(kNistCounter));
}

TEST(AesCtrCipherStreamTest, MatchesNistVectorInOneCall) {
  auto stream = NistStream();
  std::string data = kNistPlain;
  ASSERT_TRUE(stream.Encrypt(0, data.data(), data.size()).ok());
  EXPECT_EQ(data, kNistCipher);
  ASSERT_TRUE(stream.Decrypt(0, data.data(), data.size()).ok());
  EXPECT_EQ(data, kNistPlain);
}

TEST(AesCtrCipherStreamTest, EachBlockAtItsOffsetMatchesNist) {
  auto stream = NistStream();
  for (size_t block = 0; block < 4; ++block) {
    std::string data = kNistPlain.substr(block * 16, 16);
    ASSERT_TRUE(stream.Encrypt(block * 16, data.data(), data.size()).ok());
    EXPECT_EQ(data, kNistCipher.substr(block * 16, 16)) << "block " << block;
  }
}

TEST(AesCtrCipherStreamTest, UnalignedSplitCallsMatchNist) {
  auto stream = NistStream();
  // Pieces that start and end inside blocks, including single bytes.
  const std::vector<std::pair<size_t, size_t>> pieces = {{0, 5},  {5, 1},   {6, 17}, {23, 9},
                                                         {32, 1}, {33, 30}, {63, 1}};
  std::string data = kNistPlain;
  for (auto [offset, size] : pieces) {
    ASSERT_TRUE(stream.Encrypt(offset, data.data() + offset, size).ok());
  }
  EXPECT_EQ(data, kNistCipher);
}

TEST(AesCtrCipherStreamTest, RandomSplitsEqualOneShotFarIntoTheFile) {
  std::mt19937_64 random(7);
  std::array<uint8_t, kKeyBytes> key{};
  std::array<uint8_t, kIvBytes> iv{};
  for (auto& b : key) b = static_cast<uint8_t>(random());
  iv.fill(0xff);  // forces the 128-bit counter to carry across every byte
  AesCtrCipherStream stream(key, iv);
  std::string plain(100000, '\0');
  for (auto& c : plain) c = static_cast<char>(random());
  const uint64_t base = (uint64_t{1} << 36) + 4096 + 3;  // beyond 32-bit offsets, unaligned

  std::string one_shot = plain;
  ASSERT_TRUE(stream.Encrypt(base, one_shot.data(), one_shot.size()).ok());
  EXPECT_NE(one_shot, plain);

  std::string pieces = plain;
  size_t offset = 0;
  while (offset < pieces.size()) {
    size_t size = std::min<size_t>(1 + random() % 5000, pieces.size() - offset);
    ASSERT_TRUE(stream.Encrypt(base + offset, pieces.data() + offset, size).ok());
    offset += size;
  }
  EXPECT_EQ(pieces, one_shot);

  // Concurrent decryption of disjoint ranges (RocksDB reads one table file from many threads).
  std::vector<std::thread> threads;
  std::string decrypted = one_shot;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      size_t begin = t * 25000;
      ASSERT_TRUE(stream.Decrypt(base + begin, decrypted.data() + begin, 25000).ok());
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(decrypted, plain);
}

TEST(KeyEncryptionKeyTest, ParsesHexAndRejectsMalformedKeys) {
  auto key = KeyEncryptionKey::FromHex(" " + std::string(64, 'a') + "\n");
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->ToHex(), std::string(64, 'a'));
  EXPECT_EQ(key->id().size(), 16u);
  EXPECT_FALSE(KeyEncryptionKey::FromHex(std::string(63, 'a')).ok());
  EXPECT_FALSE(KeyEncryptionKey::FromHex(std::string(64, 'g')).ok());
  EXPECT_NE(KeyEncryptionKey::Generate().id(), KeyEncryptionKey::Generate().id());
}

TEST(FileHeaderTest, WrapsAndUnwrapsTheDataKey) {
  auto kek = KeyEncryptionKey::Generate();
  std::array<uint8_t, kKeyBytes> data_key{};
  FileHeader header = FileHeader::Create(kek, &data_key);
  std::string bytes(kFileHeaderSize, '\0');
  header.Serialize(bytes.data());
  auto parsed = FileHeader::Parse(bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  std::array<uint8_t, kKeyBytes> unwrapped{};
  ASSERT_TRUE(parsed->Unwrap(kek, &unwrapped).ok());
  EXPECT_EQ(unwrapped, data_key);
  // The data key itself never appears in the header.
  EXPECT_EQ(bytes.find(std::string(data_key.begin(), data_key.end())), std::string::npos);
}

TEST(FileHeaderTest, WrongKeyAndTamperingAreNamed) {
  auto kek = KeyEncryptionKey::Generate();
  std::array<uint8_t, kKeyBytes> data_key{};
  std::string bytes(kFileHeaderSize, '\0');
  FileHeader::Create(kek, &data_key).Serialize(bytes.data());

  auto other = KeyEncryptionKey::Generate();
  EXPECT_EQ(FileHeader::Parse(bytes)->Unwrap(other, &data_key).reason(), "WRONG_KEY");

  for (size_t position : {50u /* IV */, 80u /* wrapped key */, 110u /* tag */}) {
    std::string tampered = bytes;
    tampered[position] ^= 0x01;
    auto parsed = FileHeader::Parse(tampered);
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(parsed->Unwrap(kek, &data_key).reason(), "HEADER_TAMPERED") << position;
  }
  EXPECT_EQ(FileHeader::Parse("SQLite format 3").status().reason(), "NOT_ENCRYPTED");
}

TEST(EncryptedEnvTest, IvsAndDataKeysAreUniqueAcrossConcurrentlyCreatedFiles) {
  testing::TempDir dir;
  auto keyring = std::make_shared<Keyring>(KeyEncryptionKey::Generate());
  auto env = NewEncryptedEnv(keyring);
  auto fs = env->GetFileSystem();
  constexpr int kThreads = 8;
  constexpr int kFilesPerThread = 64;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kFilesPerThread; ++i) {
        std::unique_ptr<rocksdb::FSWritableFile> file;
        std::string name = dir.Sub("f" + std::to_string(t) + "_" + std::to_string(i));
        ASSERT_TRUE(fs->NewWritableFile(name, rocksdb::FileOptions(), &file, nullptr).ok());
        ASSERT_TRUE(
            file->Append("same plaintext in every file", rocksdb::IOOptions(), nullptr).ok());
        ASSERT_TRUE(file->Close(rocksdb::IOOptions(), nullptr).ok());
      }
    });
  }
  for (auto& thread : threads) thread.join();

  std::set<std::string> ivs, data_keys, bodies;
  for (const auto& name : testing::ListFiles(dir.path())) {
    auto header = ReadFileHeader(dir.Sub(name));
    ASSERT_TRUE(header.ok());
    std::array<uint8_t, kKeyBytes> data_key{};
    ASSERT_TRUE(header->Unwrap(keyring->current(), &data_key).ok());
    ivs.emplace(header->iv.begin(), header->iv.end());
    data_keys.emplace(data_key.begin(), data_key.end());
    std::ifstream in(dir.Sub(name), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ASSERT_GT(bytes.size(), kFileHeaderSize);
    bodies.insert(bytes.substr(kFileHeaderSize));
  }
  EXPECT_EQ(ivs.size(), size_t{kThreads * kFilesPerThread});
  EXPECT_EQ(data_keys.size(), size_t{kThreads * kFilesPerThread});
  EXPECT_EQ(bodies.size(), size_t{kThreads * kFilesPerThread});  // same plaintext, all different
}

}  // namespace
}  // namespace casecoord::storage
