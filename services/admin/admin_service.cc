#include "services/admin/admin_service.h"

#include <google/protobuf/util/time_util.h>

#include <charconv>
#include <filesystem>

#include "services/auth/peer_identity.h"
#include "services/common/pagination.h"
#include "services/common/reactor.h"
#include "services/storage/backup.h"
#include "services/storage/key_encoding.h"

namespace casecoord::admin {
namespace {

using google::protobuf::util::TimeUtil;

constexpr std::string_view kBackupPrefix = "backups/";

void FillBackup(const storage::BackupSummary& summary, v1::Backup* out) {
  out->set_name(std::string(kBackupPrefix) + std::to_string(summary.id));
  out->set_backup_id(summary.id);
  *out->mutable_create_time() = TimeUtil::SecondsToTimestamp(summary.timestamp_seconds);
  out->set_size_bytes(static_cast<int64_t>(summary.size_bytes));
  out->set_file_count(static_cast<int32_t>(summary.file_count));
}

Result<uint32_t> ParseBackupName(const std::string& name) {
  if (name.rfind(kBackupPrefix, 0) != 0) {
    return Status::InvalidArgument("name", "must look like \"backups/{backup_id}\"");
  }
  std::string_view digits(name);
  digits.remove_prefix(kBackupPrefix.size());
  uint32_t id = 0;
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
  if (digits.empty() || error != std::errc() || end != digits.data() + digits.size() || id == 0) {
    return Status::InvalidArgument("name", "backup id must be a positive integer");
  }
  return id;
}

bool ValidDirectoryName(const std::string& name) {
  if (name.empty() || name.size() > 63 || name.front() == '-') return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

}  // namespace

grpc::ServerUnaryReactor* AdminService::GetServerInfo(grpc::CallbackServerContext* context,
                                                      const v1::GetServerInfoRequest*,
                                                      v1::ServerInfo* response) {
  auto caller = auth::UserIdFromAuthContext(*context->auth_context());
  return RunOnWorkers(*deps_.workers, context, [this, response, caller] {
    response->set_version(deps_.version);
    response->set_mode(deps_.mode);
    response->set_municipality(deps_.municipality);
    *response->mutable_start_time() = TimeUtil::NanosecondsToTimestamp(
        std::chrono::duration_cast<std::chrono::nanoseconds>(deps_.start_time.time_since_epoch())
            .count());
    if (caller) response->set_caller_identity(std::string(auth::kUserUriPrefix) + *caller);
    auto stats = deps_.storage->Stats();
    auto* out = response->mutable_storage();
    out->set_encrypted(stats.encrypted);
    out->set_cipher(stats.cipher);
    out->set_current_key_id(stats.current_key_id);
    for (auto name : storage::kColumnFamilyNames) out->add_column_families(std::string(name));
    out->set_live_data_bytes(static_cast<int64_t>(stats.live_data_bytes));
    out->set_estimated_keys(static_cast<int64_t>(stats.estimated_keys));
    return Status::Ok();
  });
}

grpc::ServerUnaryReactor* AdminService::CreateBackup(grpc::CallbackServerContext* context,
                                                     const v1::CreateBackupRequest*,
                                                     v1::Backup* response) {
  return RunOnWorkers(*deps_.workers, context, [this, response] {
    auto summary = storage::CreateBackup(*deps_.storage, deps_.backup_dir);
    if (!summary.ok()) return summary.status();
    FillBackup(*summary, response);
    return Status::Ok();
  });
}

grpc::ServerUnaryReactor* AdminService::ListBackups(grpc::CallbackServerContext* context,
                                                    const v1::ListBackupsRequest* request,
                                                    v1::ListBackupsResponse* response) {
  return RunOnWorkers(*deps_.workers, context, [this, request, response] {
    auto page = ParsePageRequest(request->page_size(), request->page_token(), "backups");
    if (!page.ok()) return page.status();
    auto backups = storage::ListBackups(deps_.backup_dir, deps_.keyring);
    if (!backups.ok()) return backups.status();
    // Newest first; a page resumes below the last id returned (ids are never reused).
    uint64_t below = UINT64_MAX;
    if (!page->after_key.empty()) {
      storage::KeyReader reader(page->after_key);
      if (!reader.ReadUint64(&below)) {
        return Status::InvalidArgument("page_token", "not a page token issued by this server");
      }
    }
    for (const auto& backup : *backups) {
      if (backup.id >= below) continue;
      if (response->backups_size() == page->size) {
        std::string last_key;
        storage::AppendUint64(&last_key, response->backups().rbegin()->backup_id());
        response->set_next_page_token(MakePageToken(last_key, "backups"));
        break;
      }
      FillBackup(backup, response->add_backups());
    }
    return Status::Ok();
  });
}

grpc::ServerUnaryReactor* AdminService::RestoreBackup(grpc::CallbackServerContext* context,
                                                      const v1::RestoreBackupRequest* request,
                                                      v1::RestoreBackupResponse* response) {
  return RunOnWorkers(*deps_.workers, context, [this, request, response] {
    auto id = ParseBackupName(request->name());
    Status invalid = id.ok() ? Status::Ok() : id.status();
    if (!ValidDirectoryName(request->target())) {
      const char* description =
          "must be 1 to 63 lowercase letters, digits or '-', not starting with '-'";
      if (invalid.ok()) {
        invalid = Status::InvalidArgument("target", description);
      } else {
        invalid.AddViolation("target", description);
      }
    }
    if (!invalid.ok()) return invalid;
    std::string directory =
        (std::filesystem::absolute(deps_.restore_dir) / request->target()).string();
    auto verified = storage::RestoreBackup(deps_.backup_dir, *id, directory, deps_.keyring);
    if (!verified.ok()) return verified.status();
    response->set_directory(directory);
    response->set_verified_records(static_cast<int64_t>(*verified));
    return Status::Ok();
  });
}

}  // namespace casecoord::admin
