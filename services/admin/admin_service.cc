#include "services/admin/admin_service.h"

#include <google/protobuf/util/time_util.h>

#include <charconv>
#include <filesystem>
#include <optional>

#include "services/auth/peer_identity.h"
#include "services/common/log.h"
#include "services/common/pagination.h"
#include "services/common/resource_names.h"
#include "services/common/text.h"
#include "services/storage/backup.h"
#include "services/storage/key_encoding.h"

namespace casecoord::admin {
namespace {

using google::protobuf::util::TimeUtil;

void FillBackup(const storage::BackupSummary& summary, v1::Backup* out) {
  out->set_name(std::string(kBackupPrefix) + std::to_string(summary.id));
  out->set_backup_id(summary.id);
  *out->mutable_create_time() = TimeUtil::SecondsToTimestamp(summary.timestamp_seconds);
  out->set_size_bytes(static_cast<int64_t>(summary.size_bytes));
  out->set_file_count(static_cast<int32_t>(summary.file_count));
  out->set_audit_head(summary.audit_head);
}

Result<uint32_t> ParseBackupName(const std::string& name) {
  if (name.rfind(kBackupPrefix, 0) != 0) {
    return Status::InvalidArgument("name", "must look like \"backups/{backup_id}\"");
  }
  std::string_view digits(name);
  digits.remove_prefix(sizeof(kBackupPrefix) - 1);
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

uint64_t ReadPageSequence(const std::string& after_key) {
  uint64_t sequence = 0;
  storage::KeyReader reader(after_key);
  return reader.ReadUint64(&sequence) ? sequence : 0;
}

std::string PageSequenceKey(uint64_t sequence) {
  std::string key;
  storage::AppendUint64(&key, sequence);
  return key;
}

Result<std::optional<std::chrono::system_clock::time_point>> OptionalTime(
    const google::protobuf::Timestamp& timestamp, bool present, const char* field) {
  if (!present) return std::optional<std::chrono::system_clock::time_point>();
  // The range google.protobuf.Timestamp documents: 0001-01-01 to 9999-12-31.
  if (timestamp.seconds() < TimeUtil::kTimestampMinSeconds ||
      timestamp.seconds() > TimeUtil::kTimestampMaxSeconds || timestamp.nanos() < 0 ||
      timestamp.nanos() > 999999999) {
    return Status::InvalidArgument(field, "not a valid timestamp");
  }
  return std::optional<std::chrono::system_clock::time_point>(std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::nanoseconds(TimeUtil::TimestampToNanoseconds(timestamp)))));
}

}  // namespace

std::string AdminMethod(std::string_view rpc) {
  return "/" + std::string(v1::Admin::service_full_name()) + "/" + std::string(rpc);
}

grpc::ServerUnaryReactor* AdminService::GetServerInfo(grpc::CallbackServerContext* context,
                                                      const v1::GetServerInfoRequest*,
                                                      v1::ServerInfo* response) {
  return deps_.gatekeeper->Handle(
      context, AdminMethod("GetServerInfo"), [this, response](auth::Call& call) {
        response->set_version(deps_.version);
        response->set_mode(deps_.mode);
        response->set_municipality(deps_.municipality);
        *response->mutable_start_time() =
            TimeUtil::NanosecondsToTimestamp(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                                 deps_.start_time.time_since_epoch())
                                                 .count());
        response->set_caller_identity(std::string(auth::kUserUriPrefix) + call.caller().user_id);
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
  return deps_.gatekeeper->Handle(
      context, AdminMethod("CreateBackup"), [this, response](auth::Call& call) {
        call.set_resource("backups");
        // Read before the backup starts, so the backup holds at least this entry.
        const std::string head = auth::FormatAuditHead(deps_.audit->head());
        auto summary = storage::CreateBackup(*deps_.storage, deps_.backup_dir, head);
        if (!summary.ok()) return summary.status();
        log::Info("backup created", {{"backup_id", std::to_string(summary->id)},
                                     {"audit_head", summary->audit_head}});
        FillBackup(*summary, response);
        return Status::Ok();
      });
}

grpc::ServerUnaryReactor* AdminService::ListBackups(grpc::CallbackServerContext* context,
                                                    const v1::ListBackupsRequest* request,
                                                    v1::ListBackupsResponse* response) {
  return deps_.gatekeeper->Handle(
      context, AdminMethod("ListBackups"), [this, request, response](auth::Call& call) {
        call.set_resource("backups");
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
  return deps_.gatekeeper->Handle(
      context, AdminMethod("RestoreBackup"), [this, request, response](auth::Call& call) {
        call.set_resource(request->name());
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

grpc::ServerUnaryReactor* AdminService::CreateUser(grpc::CallbackServerContext* context,
                                                   const v1::CreateUserRequest* request,
                                                   v1::User* response) {
  return deps_.gatekeeper->Handle(
      context, AdminMethod("CreateUser"), [this, request, response](auth::Call& call) {
        call.set_resource(kUserPrefix + request->user_id());
        call.HoldUntilCommitted(deps_.users->LockForWrite());
        auto created =
            deps_.users->PrepareCreate(request->user_id(), request->user(), &call.changes());
        if (!created.ok()) return created.status();
        *response = *created;
        call.OnCommitted([this, user = *created] { deps_.users->Publish(user); });
        return Status::Ok();
      });
}

grpc::ServerUnaryReactor* AdminService::GetUser(grpc::CallbackServerContext* context,
                                                const v1::GetUserRequest* request,
                                                v1::User* response) {
  return deps_.gatekeeper->Handle(
      context, AdminMethod("GetUser"), [this, request, response](auth::Call& call) {
        call.set_resource(request->name());
        auto user_id = auth::UserRegistry::ParseUserName(request->name(), "name");
        if (!user_id.ok()) return user_id.status();
        auto user = deps_.users->Find(*user_id);
        if (!user) return Status(Reason::kUserNotFound, request->name() + " not found");
        *response = *user;
        return Status::Ok();
      });
}

grpc::ServerUnaryReactor* AdminService::ListUsers(grpc::CallbackServerContext* context,
                                                  const v1::ListUsersRequest* request,
                                                  v1::ListUsersResponse* response) {
  return deps_.gatekeeper->Handle(
      context, AdminMethod("ListUsers"), [this, request, response](auth::Call& call) {
        call.set_resource("users");
        auto page = ParsePageRequest(request->page_size(), request->page_token(), "users");
        if (!page.ok()) return page.status();
        bool more = false;
        for (auto& user : deps_.users->List(page->after_key, page->size, &more)) {
          *response->add_users() = std::move(user);
        }
        if (more) {
          const std::string& last = response->users().rbegin()->name();
          response->set_next_page_token(MakePageToken(last.substr(last.find('/') + 1), "users"));
        }
        return Status::Ok();
      });
}

namespace {

constexpr int kMaxLookedUpUsers = 200;
constexpr int kMaxAgencyStaff = 500;

v1::UserCard CardOf(const v1::User& user) {
  v1::UserCard card;
  card.set_name(user.name());
  card.set_display_name(user.display_name());
  card.set_agency(user.agency());
  return card;
}

// The cards of the named users the registry knows, in the request's order.
Status AddNamedUsers(const auth::UserRegistry& users, const v1::LookupUsersRequest& request,
                     v1::LookupUsersResponse* response) {
  for (int i = 0; i < request.names_size(); ++i) {
    auto user_id = auth::UserRegistry::ParseUserName(request.names(i),
                                                     ("names[" + std::to_string(i) + "]").c_str());
    if (!user_id.ok()) return user_id.status();
    if (auto user = users.Find(*user_id)) *response->add_users() = CardOf(*user);
  }
  return Status::Ok();
}

// The cards of the agency's active users, by user id. The registry holds the city's staff
// (hundreds), so one pass over it is cheap.
void AddAgencyStaff(const auth::UserRegistry& users, const std::string& agency,
                    v1::LookupUsersResponse* response) {
  std::string after;
  bool more = true;
  while (more && response->users_size() < kMaxAgencyStaff) {
    const auto page = users.List(after, kMaxAgencyStaff, &more);
    if (page.empty()) return;
    for (const auto& user : page) {
      if (user.agency() == agency && user.state() == v1::User::ACTIVE) {
        *response->add_users() = CardOf(user);
      }
    }
    after = page.back().name().substr(page.back().name().find('/') + 1);
  }
}

}  // namespace

grpc::ServerUnaryReactor* AdminService::LookupUsers(grpc::CallbackServerContext* context,
                                                    const v1::LookupUsersRequest* request,
                                                    v1::LookupUsersResponse* response) {
  return deps_.gatekeeper->Handle(
      context, AdminMethod("LookupUsers"), [this, request, response](auth::Call& call) {
        call.set_resource("users");
        if (request->names_size() > kMaxLookedUpUsers) {
          return Status::InvalidArgument("names", "at most 200 users at a time");
        }
        if (!request->agency().empty() && request->names_size() > 0) {
          return Status::InvalidArgument("agency", "give either names or an agency, not both");
        }
        if (request->agency().empty()) return AddNamedUsers(*deps_.users, *request, response);
        AddAgencyStaff(*deps_.users, request->agency(), response);
        return Status::Ok();
      });
}

grpc::ServerUnaryReactor* AdminService::UpdateUser(grpc::CallbackServerContext* context,
                                                   const v1::UpdateUserRequest* request,
                                                   v1::User* response) {
  return deps_.gatekeeper->Handle(
      context, AdminMethod("UpdateUser"), [this, request, response](auth::Call& call) {
        call.set_resource(request->user().name());
        call.HoldUntilCommitted(deps_.users->LockForWrite());
        auto updated =
            deps_.users->PrepareUpdate(request->user(), request->update_mask(), &call.changes());
        if (!updated.ok()) return updated.status();
        *response = *updated;
        call.OnCommitted([this, user = *updated] {
          deps_.users->Publish(user);
          // A disabled user's browser sessions end at once (and each end is audited).
          if (user.state() != v1::User::ACTIVE && deps_.sign_in != nullptr) {
            deps_.sign_in->EndSessionsOf(user.name().substr(sizeof(kUserPrefix) - 1));
          }
        });
        return Status::Ok();
      });
}

grpc::ServerUnaryReactor* AdminService::ListAuditEntries(grpc::CallbackServerContext* context,
                                                         const v1::ListAuditEntriesRequest* request,
                                                         v1::ListAuditEntriesResponse* response) {
  return deps_.gatekeeper->Handle(
      context, AdminMethod("ListAuditEntries"), [this, request, response](auth::Call& call) {
        call.set_resource("auditEntries");
        Status invalid;
        if (!request->resource().empty() && !request->user_id().empty()) {
          invalid = Status::InvalidArgument("user_id", "give either resource or user_id, not both");
        }
        auto start = OptionalTime(request->start_time(), request->has_start_time(), "start_time");
        auto end = OptionalTime(request->end_time(), request->has_end_time(), "end_time");
        for (const auto* time : {&start, &end}) {
          if (time->ok()) continue;
          if (invalid.ok()) {
            invalid = time->status();
          } else {
            invalid.AddViolation(time->status().field_violations()[0].field,
                                 "not a valid timestamp");
          }
        }
        if (!invalid.ok()) return invalid;
        const std::string fingerprint = request->resource() + "|" + request->user_id() + "|" +
                                        request->start_time().SerializeAsString() + "|" +
                                        request->end_time().SerializeAsString();
        auto page = ParsePageRequest(request->page_size(), request->page_token(), fingerprint);
        if (!page.ok()) return page.status();
        auth::AuditQuery query;
        query.resource = request->resource();
        query.user_id = request->user_id();
        query.start = *start;
        query.end = *end;
        query.after_sequence = ReadPageSequence(page->after_key);
        query.limit = page->size;
        auto listed = deps_.audit->List(query);
        if (!listed.ok()) return listed.status();
        for (auto& entry : listed->entries) *response->add_entries() = std::move(entry);
        if (listed->more) {
          response->set_next_page_token(MakePageToken(
              PageSequenceKey(static_cast<uint64_t>(response->entries().rbegin()->sequence())),
              fingerprint));
        }
        return Status::Ok();
      });
}

grpc::ServerUnaryReactor* AdminService::VerifyAuditChain(grpc::CallbackServerContext* context,
                                                         const v1::VerifyAuditChainRequest* request,
                                                         v1::VerifyAuditChainResponse* response) {
  return deps_.gatekeeper->Handle(
      context, AdminMethod("VerifyAuditChain"), [this, request, response](auth::Call& call) {
        call.set_resource("auditEntries");
        std::optional<auth::AuditHead> expected;
        if (!request->expected_head().empty()) {
          auto parsed = auth::ParseAuditHead(request->expected_head(), "expected_head");
          if (!parsed.ok()) return parsed.status();
          expected = *parsed;
        }
        auth::AuditVerification result = deps_.audit->Verify(expected);
        response->set_intact(result.intact);
        response->set_entries_checked(result.entries_checked);
        response->set_first_broken_sequence(result.first_broken_sequence);
        response->set_problem(result.problem);
        response->set_head(auth::FormatAuditHead(result.head));
        return Status::Ok();
      });
}

grpc::ServerUnaryReactor* AdminService::RequestEmergencyAccess(
    grpc::CallbackServerContext* context, const v1::RequestEmergencyAccessRequest* request,
    v1::EmergencyAccess* response) {
  return deps_.gatekeeper->Handle(
      context, AdminMethod("RequestEmergencyAccess"), [this, request, response](auth::Call& call) {
        call.set_resource(request->resource());
        // The shape first (PrepareGrant), then existence: a grant on nothing is NOT_FOUND, which
        // tells the caller no more than a granted one would (that the record exists).
        CASECOORD_RETURN_IF_ERROR(auth::EmergencyAccessStore::ValidateGrant(
            call.caller(), request->resource(), request->reason()));
        auto exists =
            deps_.record_exists ? deps_.record_exists(request->resource()) : Result<bool>(false);
        if (!exists.ok()) return exists.status();
        if (!*exists) return Status(Reason::kNotFound, request->resource() + " not found");
        auto grant = deps_.emergency->PrepareGrant(call.caller(), request->resource(),
                                                   request->reason(), &call.changes());
        if (!grant.ok()) return grant.status();
        *response = *grant;
        return Status::Ok();
      });
}

grpc::ServerUnaryReactor* AdminService::ListEmergencyAccesses(
    grpc::CallbackServerContext* context, const v1::ListEmergencyAccessesRequest* request,
    v1::ListEmergencyAccessesResponse* response) {
  return deps_.gatekeeper->Handle(
      context, AdminMethod("ListEmergencyAccesses"), [this, request, response](auth::Call& call) {
        call.set_resource("emergencyAccesses");
        auto page = ParsePageRequest(request->page_size(), request->page_token(), "emergency");
        if (!page.ok()) return page.status();
        bool more = false;
        for (auto& grant :
             deps_.emergency->List(ReadPageSequence(page->after_key), page->size, &more)) {
          *response->add_emergency_accesses() = std::move(grant);
        }
        if (more) {
          const std::string& last = response->emergency_accesses().rbegin()->name();
          auto sequence = ParseDecimalId(std::string_view(last).substr(last.find('/') + 1));
          if (!sequence) {
            return Status(Reason::kEmergencyAccessCorrupt, last + " is not a grant's name");
          }
          response->set_next_page_token(MakePageToken(PageSequenceKey(*sequence), "emergency"));
        }
        return Status::Ok();
      });
}

}  // namespace casecoord::admin
