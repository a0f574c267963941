#include "services/storage/rotation.h"

#include <rocksdb/file_system.h>

#include <filesystem>

#include "services/common/log.h"
#include "services/storage/storage.h"

namespace casecoord::storage {
namespace {

Status OpenAndClose(const std::string& path, std::shared_ptr<const Keyring> keyring, bool compact) {
  auto storage = Storage::OpenExisting(path, std::move(keyring));
  if (!storage.ok()) return storage.status();
  if (compact) return (*storage)->CompactAll();
  return Status::Ok();
}

// Re-encrypts one file of a closed database under the keyring's current KEK: decrypting read,
// encrypting write to a temporary file, fsync, rename over the original.
Status ReencryptByCopy(rocksdb::Env* env, const std::string& file) {
  const auto& fs = env->GetFileSystem();
  const std::string temporary = file + ".rekey";
  rocksdb::FileOptions file_options;
  std::unique_ptr<rocksdb::FSSequentialFile> in;
  auto status = fs->NewSequentialFile(file, file_options, &in, nullptr);
  std::unique_ptr<rocksdb::FSWritableFile> out;
  if (status.ok()) status = fs->NewWritableFile(temporary, file_options, &out, nullptr);
  std::string buffer(1 << 16, '\0');
  while (status.ok()) {
    rocksdb::Slice chunk;
    status = in->Read(buffer.size(), rocksdb::IOOptions(), &chunk, buffer.data(), nullptr);
    if (!status.ok() || chunk.empty()) break;
    status = out->Append(chunk, rocksdb::IOOptions(), nullptr);
  }
  if (status.ok()) status = out->Sync(rocksdb::IOOptions(), nullptr);
  if (status.ok()) status = out->Close(rocksdb::IOOptions(), nullptr);
  if (status.ok()) status = fs->RenameFile(temporary, file, rocksdb::IOOptions(), nullptr);
  if (!status.ok()) {
    fs->DeleteFile(temporary, rocksdb::IOOptions(), nullptr).PermitUncheckedError();
    return FromRocksStatus(status, "re-encrypting " + file);
  }
  return Status::Ok();
}

}  // namespace

Result<RotationReport> RotateKey(const std::string& path,
                                 const std::shared_ptr<const Keyring>& keyring) {
  RotationReport report;
  report.new_key_id = keyring->current().id();
  CASECOORD_RETURN_IF_ERROR(OpenAndClose(path, keyring, /*compact=*/true));
  CASECOORD_RETURN_IF_ERROR(OpenAndClose(path, keyring, /*compact=*/false));

  auto env = NewEncryptedEnv(keyring);
  for (const auto& entry : std::filesystem::directory_iterator(path)) {
    if (!entry.is_regular_file() || entry.file_size() == 0) continue;
    auto header = ReadFileHeader(entry.path().string());
    if (!header.ok() || header->key_id == report.new_key_id) continue;
    CASECOORD_RETURN_IF_ERROR(ReencryptByCopy(env.get(), entry.path().string()));
    ++report.files_copied;
  }

  auto inspection = InspectDataDirectory(path, keyring.get());
  if (!inspection.ok()) return inspection.status();
  report.files_per_key_id = inspection->files_per_key_id;
  report.old_keys_unused =
      report.files_per_key_id.size() == 1 && report.files_per_key_id.count(report.new_key_id) == 1;
  log::Info("key rotation finished",
            {{"new_key_id", report.new_key_id},
             {"files_copied", std::to_string(report.files_copied)},
             {"old_keys_unused", report.old_keys_unused ? "true" : "false"}});
  return report;
}

}  // namespace casecoord::storage
