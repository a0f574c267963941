// casectl: the casecoord command-line client.
//
//   casectl info                        server, storage and encryption state
//   casectl health                      SERVING / NOT_SERVING
//   casectl backup create               take an online encrypted backup
//   casectl backup list [--page-size N] list backups, newest first (all pages)
//   casectl backup restore backups/N --target NAME
//   casectl user create ID --name "表示名" --role ROLE [--role ROLE ...] [--agency agencies/X]
//   casectl user get ID                 ID or users/ID
//   casectl user list [--page-size N]   every user (all pages)
//   casectl user update ID [--name ..] [--role ROLE ..] [--agency ..] [--state active|disabled]
//   casectl user disable ID / casectl user enable ID
//   casectl audit list [--resource R | --user U] [--since TIME] [--until TIME] [--limit N]
//                                       oldest first; TIME is RFC 3339, 2026-11-22T09:00:00+09:00
//   casectl audit verify [--expect-head SEQ:HASH]
//                                       exit 0 when the audit trail is intact (and holds the
//                                       expected head, kept from an earlier verify, the server's
//                                       log or a backup), 3 when broken
//   casectl access request RESOURCE --reason "..."   break-glass access (coordinators)
//   casectl access list [--page-size N] emergency accesses, newest first (all pages)
//   casectl agency list|get|create|update|delete|search|partners|import|export|survey ...
//                                       the agency directory; see agency_commands.h
//   casectl case open|get|list|transition|close|history ...
//                                       cases (ケース); see case_commands.h
//   casectl adviser list|create ...     the adviser registry (アドバイザー名簿)
//   casectl dispatch request|get|list|approve|decline|session|followup|close ...
//                                       adviser dispatch (アドバイザー派遣); see
//                                       dispatch_commands.h
//   casectl due [--owner O] [--by DATE] [--watch]   your work list (期限一覧)
//   casectl monitoring get|set|check ...            monitoring (モニタリング); see
//                                       monitoring_commands.h
//   casectl meeting schedule|get|list|acknowledge|minutes|cancel|assignment|export ...
//                                       case meetings (ケース検討会議, 支援会議); see
//                                       meeting_commands.h
//   casectl plan create|get|list|review ...         support plans (支援計画); see
//                                       meeting_commands.h
//   casectl stats yearly|export ...                 statistics (事業実績); see stats_commands.h
//   casectl stats plan list|get|create|update|record|progress|export ...
//                                       welfare plans (推進計画) and their indicators; see
//                                       stats_commands.h
// ROLE is one of admin, coordinator, agency_staff, adviser, planner, auditor. audit
// list is for auditors, audit verify and access list for auditors and admins, user for admins.
//
// Connection (flags, or the environment variables in brackets):
//   --server  [CASECTL_SERVER]  host:port, default localhost:8443
//   --ca      [CASECTL_CA]      CA of the server certificate, default var/dev/pki/ca.crt
//   --user    [CASECTL_USER]    shortcut for --cert/--key in var/dev/pki/users/<user>.{crt,key}
//   --cert/--key [CASECTL_CERT/CASECTL_KEY]  client certificate and key
// Output is for people by default; --json prints the API's JSON instead. Exit status: 0 success,
// 1 the call failed, 2 bad usage or connection options, 3 the audit trail is broken.
#include <google/protobuf/util/time_util.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <functional>
#include <iostream>
#include <optional>
#include <vector>

#include "casecoord/v1/admin.grpc.pb.h"
#include "clients/cli/agency_commands.h"
#include "clients/cli/case_commands.h"
#include "clients/cli/client.h"
#include "clients/cli/command.h"
#include "clients/cli/command_support.h"
#include "clients/cli/dispatch_commands.h"
#include "clients/cli/meeting_commands.h"
#include "clients/cli/stats_commands.h"
#include "clients/cli/table.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace casecoord::cli {
namespace {

using google::protobuf::util::TimeUtil;

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : fallback;
}

// --- Users -------------------------------------------------------------------------------------

struct RoleName {
  const char* name;
  v1::Role role;
};

constexpr RoleName kRoleNames[] = {
    {"admin", v1::ADMIN},     {"coordinator", v1::COORDINATOR}, {"agency_staff", v1::AGENCY_STAFF},
    {"adviser", v1::ADVISER}, {"planner", v1::PLANNER},         {"auditor", v1::AUDITOR},
};

std::string ValidRoleNames() {
  std::string names;
  for (const auto& entry : kRoleNames) {
    if (!names.empty()) names += ", ";
    names += entry.name;
  }
  return names;
}

// Lowercase role names to v1::Role; on an unknown name, explains and returns false.
bool ParseRoles(const std::vector<std::string>& names, std::vector<v1::Role>* roles,
                std::string* error) {
  roles->clear();
  for (const auto& name : names) {
    const auto* found = std::find_if(std::begin(kRoleNames), std::end(kRoleNames),
                                     [&name](const RoleName& entry) { return name == entry.name; });
    if (found == std::end(kRoleNames)) {
      *error = "不明な役割 / unknown role \"" + name + "\" (valid roles: " + ValidRoleNames() + ")";
      return false;
    }
    if (std::find(roles->begin(), roles->end(), found->role) == roles->end()) {
      roles->push_back(found->role);
    }
  }
  return true;
}

std::string RoleText(int role) {
  for (const auto& entry : kRoleNames) {
    if (entry.role == role) return entry.name;
  }
  return "role(" + std::to_string(role) + ")";
}

std::string RolesText(const google::protobuf::RepeatedField<int>& roles) {
  std::string text;
  for (int role : roles) {
    if (!text.empty()) text += ",";
    text += RoleText(role);
  }
  return OrDash(text);
}

std::string StateText(v1::User::State state) {
  switch (state) {
    case v1::User::ACTIVE:
      return "active";
    case v1::User::DISABLED:
      return "disabled";
    default:
      return "unspecified";
  }
}

// "alice" and "users/alice" both name users/alice.
std::string UserName(const std::string& id) {
  return id.rfind("users/", 0) == 0 ? id : "users/" + id;
}

std::string UserId(const std::string& id) { return id.rfind("users/", 0) == 0 ? id.substr(6) : id; }

// "x" is taken as agencies/x; empty stays empty (no agency).
std::string AgencyName(const std::string& agency) {
  return agency.empty() || agency.find('/') != std::string::npos ? agency : "agencies/" + agency;
}

void PrintUser(const v1::User& user) {
  PrintFields({
      {"名前 / name", user.name()},
      {"表示名 / display name", user.display_name()},
      {"役割 / roles", RolesText(user.roles())},
      {"所属 / agency", OrDash(user.agency())},
      {"状態 / state", StateText(user.state())},
      {"作成 / created", LocalTime(user.create_time())},
      {"更新 / updated", LocalTime(user.update_time())},
  });
}

// What `user update` changes; unset members are left alone (and left out of the update mask).
struct UserChanges {
  std::optional<std::string> display_name;
  std::optional<std::vector<v1::Role>> roles;
  std::optional<std::string> agency;
  std::optional<v1::User::State> state;
};

// --- Audit trail -------------------------------------------------------------------------------

// RFC 3339, e.g. 2026-11-22T09:00:00+09:00 or 2026-11-22T00:00:00Z.
bool ParseTime(const std::string& option, const std::string& text,
               google::protobuf::Timestamp* timestamp, std::string* error) {
  if (TimeUtil::FromString(text, timestamp)) return true;
  *error = "日時の形式が不正です / " + option + ": \"" + text +
           "\" is not an RFC 3339 time (e.g. 2026-11-22T09:00:00+09:00)";
  return false;
}

// "/casecoord.v1.Admin/GetUser" -> "Admin.GetUser".
std::string ShortMethod(const std::string& method) {
  const size_t slash = method.rfind('/');
  if (slash == std::string::npos || slash == 0) return method;
  const std::string service = method.substr(0, slash);
  const size_t dot = service.rfind('.');
  const std::string short_service = service.substr(dot == std::string::npos ? 1 : dot + 1);
  return short_service + "." + method.substr(slash + 1);
}

struct AuditListOptions {
  v1::ListAuditEntriesRequest request;
  int limit = 0;  // 0: every entry
};

int Info(const GlobalOptions& options, const std::shared_ptr<grpc::Channel>& channel) {
  auto stub = v1::Admin::NewStub(channel);
  v1::ServerInfo info;
  auto context = NewContext(options);
  grpc::Status status = stub->GetServerInfo(context.get(), v1::GetServerInfoRequest(), &info);
  if (!status.ok()) return ReportError(status);
  if (options.json) {
    PrintJson(info);
    return 0;
  }
  const auto& storage = info.storage();
  std::cout << "サーバー / server      casecoord " << info.version() << " (" << info.mode() << ")\n"
            << "自治体 / municipality  " << info.municipality() << "\n"
            << "起動 / started         " << LocalTime(info.start_time()) << "\n"
            << "接続者 / you are       "
            << (info.caller_identity().empty() ? "(no client certificate)" : info.caller_identity())
            << "\n"
            << "暗号化 / encryption    "
            << (storage.encrypted() ? storage.cipher() : std::string("none")) << "\n"
            << "鍵ID / key id          " << storage.current_key_id() << "\n"
            << "データ / data          " << HumanBytes(storage.live_data_bytes()) << ", about "
            << storage.estimated_keys() << " keys\n";
  return 0;
}

int Health(const GlobalOptions& options, const std::shared_ptr<grpc::Channel>& channel) {
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::health::v1::HealthCheckResponse response;
  auto context = NewContext(options);
  grpc::Status status =
      stub->Check(context.get(), grpc::health::v1::HealthCheckRequest(), &response);
  if (!status.ok()) return ReportError(status);
  if (options.json) {
    PrintJson(response);
  } else {
    std::cout << grpc::health::v1::HealthCheckResponse::ServingStatus_Name(response.status())
              << "\n";
  }
  return response.status() == grpc::health::v1::HealthCheckResponse::SERVING ? 0 : 1;
}

void PrintBackupRow(const v1::Backup& backup) {
  std::printf("%-14s %-19s %7d %12s\n", backup.name().c_str(),
              LocalTime(backup.create_time()).c_str(), backup.file_count(),
              HumanBytes(backup.size_bytes()).c_str());
}

int BackupCreate(const GlobalOptions& options, const std::shared_ptr<grpc::Channel>& channel) {
  auto stub = v1::Admin::NewStub(channel);
  v1::Backup backup;
  auto context = NewContext(options);
  grpc::Status status = stub->CreateBackup(context.get(), v1::CreateBackupRequest(), &backup);
  if (!status.ok()) return ReportError(status);
  if (options.json) {
    PrintJson(backup);
  } else {
    std::cout << "バックアップを作成しました / backup created: " << backup.name() << " ("
              << backup.file_count() << " files, " << HumanBytes(backup.size_bytes()) << ")\n"
              << "audit head " << backup.audit_head() << "\n";
  }
  return 0;
}

int BackupList(const GlobalOptions& options, const std::shared_ptr<grpc::Channel>& channel,
               int page_size) {
  auto stub = v1::Admin::NewStub(channel);
  v1::ListBackupsResponse all;
  v1::ListBackupsRequest request;
  request.set_page_size(page_size);
  grpc::Status status =
      FetchPages(options, std::bind_front(&v1::Admin::Stub::ListBackups, stub.get()), request, &all,
                 /*all_pages=*/true);
  if (!status.ok()) return ReportError(status);
  if (options.json) {
    PrintJson(all);
    return 0;
  }
  if (all.backups().empty()) {
    std::cout << "バックアップはありません / no backups\n";
    return 0;
  }
  std::printf("%-14s %-19s %7s %12s\n", "NAME", "CREATED", "FILES", "SIZE");
  for (const auto& backup : all.backups()) PrintBackupRow(backup);
  return 0;
}

int BackupRestore(const GlobalOptions& options, const std::shared_ptr<grpc::Channel>& channel,
                  const std::string& name, const std::string& target) {
  auto stub = v1::Admin::NewStub(channel);
  v1::RestoreBackupRequest request;
  request.set_name(name);
  request.set_target(target);
  v1::RestoreBackupResponse response;
  auto context = NewContext(options);
  grpc::Status status = stub->RestoreBackup(context.get(), request, &response);
  if (!status.ok()) return ReportError(status);
  if (options.json) {
    PrintJson(response);
  } else {
    std::cout << "復元しました / restored into " << response.directory() << " ("
              << response.verified_records() << " records verified)\n";
  }
  return 0;
}

int UserCreate(const GlobalOptions& options, const std::shared_ptr<grpc::Channel>& channel,
               const std::string& id, const std::string& display_name,
               const std::vector<v1::Role>& roles, const std::string& agency) {
  auto stub = v1::Admin::NewStub(channel);
  v1::CreateUserRequest request;
  request.set_user_id(UserId(id));
  v1::User* user = request.mutable_user();
  user->set_display_name(display_name);
  user->set_agency(AgencyName(agency));
  for (v1::Role role : roles) user->add_roles(role);
  v1::User created;
  auto context = NewContext(options);
  grpc::Status status = stub->CreateUser(context.get(), request, &created);
  if (!status.ok()) return ReportError(status);
  if (options.json) {
    PrintJson(created);
  } else {
    std::cout << "利用者を登録しました / user created: " << created.name() << "\n";
    PrintUser(created);
  }
  return 0;
}

int UserGet(const GlobalOptions& options, const std::shared_ptr<grpc::Channel>& channel,
            const std::string& id) {
  auto stub = v1::Admin::NewStub(channel);
  v1::GetUserRequest request;
  request.set_name(UserName(id));
  v1::User user;
  auto context = NewContext(options);
  grpc::Status status = stub->GetUser(context.get(), request, &user);
  if (!status.ok()) return ReportError(status);
  if (options.json) {
    PrintJson(user);
  } else {
    PrintUser(user);
  }
  return 0;
}

int UserList(const GlobalOptions& options, const std::shared_ptr<grpc::Channel>& channel,
             int page_size) {
  auto stub = v1::Admin::NewStub(channel);
  v1::ListUsersResponse all;
  v1::ListUsersRequest request;
  request.set_page_size(page_size);
  grpc::Status status =
      FetchPages(options, std::bind_front(&v1::Admin::Stub::ListUsers, stub.get()), request, &all,
                 /*all_pages=*/true);
  if (!status.ok()) return ReportError(status);
  if (options.json) {
    PrintJson(all);
    return 0;
  }
  if (all.users().empty()) {
    std::cout << "利用者はいません / no users\n";
    return 0;
  }
  std::vector<Row> rows;
  for (const auto& user : all.users()) {
    rows.push_back({UserId(user.name()), user.display_name(), RolesText(user.roles()),
                    OrDash(user.agency()), StateText(user.state())});
  }
  PrintTable({"ID", "表示名/NAME", "ROLES", "AGENCY", "STATE"}, rows);
  return 0;
}

int UserUpdate(const GlobalOptions& options, const std::shared_ptr<grpc::Channel>& channel,
               const std::string& id, const UserChanges& changes) {
  auto stub = v1::Admin::NewStub(channel);
  v1::GetUserRequest get;
  get.set_name(UserName(id));
  v1::User current;
  auto get_context = NewContext(options);
  grpc::Status status = stub->GetUser(get_context.get(), get, &current);
  if (!status.ok()) return ReportError(status);

  v1::UpdateUserRequest request;
  v1::User* user = request.mutable_user();
  user->set_name(current.name());
  user->set_etag(current.etag());
  auto* paths = request.mutable_update_mask()->mutable_paths();
  if (changes.display_name) {
    user->set_display_name(*changes.display_name);
    paths->Add("display_name");
  }
  if (changes.roles) {
    for (v1::Role role : *changes.roles) user->add_roles(role);
    paths->Add("roles");
  }
  if (changes.agency) {
    user->set_agency(AgencyName(*changes.agency));
    paths->Add("agency");
  }
  if (changes.state) {
    user->set_state(*changes.state);
    paths->Add("state");
  }
  v1::User updated;
  auto context = NewContext(options);
  status = stub->UpdateUser(context.get(), request, &updated);
  if (!status.ok()) return ReportError(status);
  if (options.json) {
    PrintJson(updated);
  } else {
    std::cout << "利用者を更新しました / user updated: " << updated.name() << "\n";
    PrintUser(updated);
  }
  return 0;
}

int AuditList(const GlobalOptions& options, const std::shared_ptr<grpc::Channel>& channel,
              const AuditListOptions& audit) {
  auto stub = v1::Admin::NewStub(channel);
  v1::ListAuditEntriesResponse all;
  const int page_size = audit.request.page_size();
  // With a --limit, each page asks for no more than the entries still wanted.
  auto call = [&](grpc::ClientContext* context, const v1::ListAuditEntriesRequest& request,
                  v1::ListAuditEntriesResponse* page) {
    v1::ListAuditEntriesRequest sized = request;
    if (audit.limit > 0) {
      const int remaining = audit.limit - all.entries_size();
      sized.set_page_size(page_size > 0 ? std::min(page_size, remaining) : remaining);
    }
    return stub->ListAuditEntries(context, sized, page);
  };
  grpc::Status status = FetchPages(options, call, audit.request, &all, /*all_pages=*/true,
                                   [&](const v1::ListAuditEntriesResponse& so_far) {
                                     return audit.limit > 0 && so_far.entries_size() >= audit.limit;
                                   });
  if (!status.ok()) return ReportError(status);
  // audit list has no --page-token: its output has never carried the token a --limit stops at.
  all.clear_next_page_token();
  if (audit.limit > 0 && all.entries_size() > audit.limit) {
    all.mutable_entries()->DeleteSubrange(audit.limit, all.entries_size() - audit.limit);
  }
  if (options.json) {
    PrintJson(all);
    return 0;
  }
  if (all.entries().empty()) {
    std::cout << "監査記録はありません / no audit entries\n";
    return 0;
  }
  std::vector<Row> rows;
  for (const auto& entry : all.entries()) {
    std::string basis = entry.legal_basis();
    if (!entry.break_glass_reason().empty()) basis += " 理由: " + entry.break_glass_reason();
    // An operator's maintenance entry (caseserver audit recover) says what it found and why.
    if (!entry.detail().empty()) basis += " " + entry.detail();
    rows.push_back({std::to_string(entry.sequence()), LocalTime(entry.time()),
                    OrDash(entry.user_id()), ShortMethod(entry.method()), OrDash(entry.resource()),
                    entry.outcome(), OrDash(basis)});
  }
  PrintTable({"SEQ", "TIME", "USER", "METHOD", "RESOURCE", "OUTCOME", "BASIS"}, rows);
  return 0;
}

int AuditVerify(const GlobalOptions& options, const std::shared_ptr<grpc::Channel>& channel,
                const std::string& expect_head) {
  auto stub = v1::Admin::NewStub(channel);
  v1::VerifyAuditChainRequest request;
  request.set_expected_head(expect_head);
  v1::VerifyAuditChainResponse response;
  auto context = NewContext(options);
  grpc::Status status = stub->VerifyAuditChain(context.get(), request, &response);
  if (!status.ok()) return ReportError(status);
  if (options.json) {
    PrintJson(response);
  } else if (response.intact()) {
    std::cout << "監査証跡は改ざんされていません / audit trail intact ("
              << response.entries_checked() << " entries"
              << (expect_head.empty() ? "" : ", holds the expected head") << ")\nhead "
              << response.head() << "\n";
  } else {
    std::cout << "監査証跡の破損 / audit trail BROKEN at entry " << response.first_broken_sequence()
              << ": " << response.problem() << "\n";
  }
  return response.intact() ? 0 : 3;
}

int AccessRequest(const GlobalOptions& options, const std::shared_ptr<grpc::Channel>& channel,
                  const std::string& resource, const std::string& reason) {
  auto stub = v1::Admin::NewStub(channel);
  v1::RequestEmergencyAccessRequest request;
  request.set_resource(resource);
  request.set_reason(reason);
  v1::EmergencyAccess access;
  auto context = NewContext(options);
  grpc::Status status = stub->RequestEmergencyAccess(context.get(), request, &access);
  if (!status.ok()) return ReportError(status);
  if (options.json) {
    PrintJson(access);
    return 0;
  }
  std::cout << "緊急アクセスを許可しました / emergency access granted: " << access.name() << "\n";
  PrintFields({
      {"対象 / resource", access.resource()},
      {"理由 / reason", access.reason()},
      {"期限 / expires", LocalTime(access.expire_time())},
  });
  std::cout << "この操作は監査証跡に記録されます / this access is marked in the audit trail\n";
  return 0;
}

int AccessList(const GlobalOptions& options, const std::shared_ptr<grpc::Channel>& channel,
               int page_size) {
  auto stub = v1::Admin::NewStub(channel);
  v1::ListEmergencyAccessesResponse all;
  v1::ListEmergencyAccessesRequest request;
  request.set_page_size(page_size);
  grpc::Status status =
      FetchPages(options, std::bind_front(&v1::Admin::Stub::ListEmergencyAccesses, stub.get()),
                 request, &all, /*all_pages=*/true);
  if (!status.ok()) return ReportError(status);
  if (options.json) {
    PrintJson(all);
    return 0;
  }
  if (all.emergency_accesses().empty()) {
    std::cout << "緊急アクセスはありません / no emergency accesses\n";
    return 0;
  }
  std::vector<Row> rows;
  for (const auto& access : all.emergency_accesses()) {
    rows.push_back({access.name(), access.user_id(), access.resource(),
                    LocalTime(access.grant_time()), LocalTime(access.expire_time()),
                    access.reason()});
  }
  PrintTable({"NAME", "USER", "RESOURCE", "GRANTED", "EXPIRES", "REASON"}, rows);
  return 0;
}

}  // namespace

int Main(int argc, char** argv) {
  CLI::App app{"casectl: casecoord の操作 / command-line client for casecoord"};
  app.require_subcommand(1);
  GlobalOptions options;
  options.connection.target = EnvOr("CASECTL_SERVER", "localhost:8443");
  options.connection.ca_file = EnvOr("CASECTL_CA", "var/dev/pki/ca.crt");
  options.connection.cert_file = EnvOr("CASECTL_CERT", "");
  options.connection.key_file = EnvOr("CASECTL_KEY", "");
  options.user = EnvOr("CASECTL_USER", "");

  app.add_option("--server", options.connection.target, "server address host:port");
  app.add_option("--ca", options.connection.ca_file, "CA certificate of the server (PEM)");
  app.add_option("--cert", options.connection.cert_file, "client certificate (PEM)");
  app.add_option("--key", options.connection.key_file, "client private key (PEM)");
  app.add_option("--user", options.user,
                 "use <pki-dir>/users/<user>.crt and .key as the client certificate");
  app.add_option("--pki-dir", options.pki_dir, "directory of the development PKI");
  app.add_option("--timeout", options.timeout_seconds, "seconds before a call is abandoned");
  app.add_flag("--json", options.json, "print JSON instead of tables");

  auto* info = app.add_subcommand("info", "サーバー情報 / server information");
  auto* health = app.add_subcommand("health", "稼働状態 / health (exit 0 when SERVING)");
  auto* backup = app.add_subcommand("backup", "バックアップ / backups");
  backup->require_subcommand(1);
  auto* backup_create = backup->add_subcommand("create", "take an online encrypted backup");
  int page_size = 100;
  auto* backup_list = backup->add_subcommand("list", "list backups, newest first");
  backup_list->add_option("--page-size", page_size, "backups fetched per call");
  std::string restore_name, restore_target;
  auto* backup_restore =
      backup->add_subcommand("restore", "restore a backup into a new directory on the server");
  backup_restore->add_option("name", restore_name, "backups/{id}")->required();
  backup_restore->add_option("--target", restore_target, "new directory name")->required();

  auto* user = app.add_subcommand("user", "利用者 / users (admins)");
  user->require_subcommand(1);
  std::string user_id, display_name, agency, state;
  std::vector<std::string> role_names;
  const std::string role_help = "role, repeatable or comma-separated: " + ValidRoleNames();
  auto* user_create = user->add_subcommand("create", "register a user (their certificate's id)");
  user_create->add_option("id", user_id, "user id: lowercase letters, digits, '-' and '_'")
      ->required();
  user_create->add_option("--name", display_name, "display name, e.g. \"山田 太郎\"")->required();
  user_create->add_option("--role", role_names, role_help)
      ->required()
      ->expected(1)
      ->delimiter(',')
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  user_create->add_option("--agency", agency, "agencies/{agency_id}; required for agency_staff");
  auto* user_get = user->add_subcommand("get", "show one user");
  user_get->add_option("id", user_id, "ID or users/ID")->required();
  auto* user_list = user->add_subcommand("list", "list every user");
  user_list->add_option("--page-size", page_size, "users fetched per call");
  auto* user_update = user->add_subcommand("update", "change the options given, nothing else");
  user_update->add_option("id", user_id, "ID or users/ID")->required();
  auto* update_name = user_update->add_option("--name", display_name, "new display name");
  auto* update_roles = user_update->add_option("--role", role_names, role_help + " (replaces all)")
                           ->expected(1)
                           ->delimiter(',')
                           ->allow_extra_args(false)
                           ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  auto* update_agency =
      user_update->add_option("--agency", agency, "agencies/{agency_id}; \"\" removes it");
  auto* update_state = user_update->add_option("--state", state, "active or disabled");
  auto* user_disable = user->add_subcommand("disable", "disable a user (same as --state disabled)");
  user_disable->add_option("id", user_id, "ID or users/ID")->required();
  auto* user_enable = user->add_subcommand("enable", "enable a user (same as --state active)");
  user_enable->add_option("id", user_id, "ID or users/ID")->required();

  auto* audit = app.add_subcommand("audit", "監査証跡 / audit trail (auditors)");
  audit->require_subcommand(1);
  auto* audit_list = audit->add_subcommand("list", "list audit entries, oldest first");
  std::string audit_resource, audit_user, since, until;
  int limit = 0;
  auto* resource_option =
      audit_list->add_option("--resource", audit_resource, "only entries for this resource");
  audit_list->add_option("--user", audit_user, "only entries by this user (ID or users/ID)")
      ->excludes(resource_option);
  audit_list->add_option("--since", since,
                         "from this RFC 3339 time, e.g. 2026-11-22T09:00:00+09:00");
  audit_list->add_option("--until", until, "before this RFC 3339 time");
  audit_list->add_option("--page-size", page_size, "entries fetched per call");
  audit_list->add_option("--limit", limit, "stop after this many entries (default: all)");
  auto* audit_verify = audit->add_subcommand("verify", "check the hash chain (exit 3 if broken)");
  std::string expect_head;
  audit_verify->add_option("--expect-head", expect_head,
                           "a head kept earlier (SEQ:HASH): the trail is broken unless it still "
                           "holds that entry");

  auto* access = app.add_subcommand("access", "緊急アクセス / emergency (break-glass) access");
  access->require_subcommand(1);
  std::string access_resource, access_reason;
  auto* access_request =
      access->add_subcommand("request", "open a record outside your scope (coordinators)");
  access_request
      ->add_option("resource", access_resource,
                   "the record: cases/{n}, meetings/{n}, dispatches/{n} (coordinators: users/{id})")
      ->required();
  access_request->add_option("--reason", access_reason, "why it must be opened now")->required();
  auto* access_list = access->add_subcommand("list", "list emergency accesses, newest first");
  access_list->add_option("--page-size", page_size, "accesses fetched per call");

  AgencyCommands agency_commands(&app);
  CaseCommands case_commands(&app);
  DispatchCommands dispatch_commands(&app);
  MeetingCommands meeting_commands(&app);
  StatsCommands stats_commands(&app);
  CommandRegistry registry(app);
  registry.Add(MonitoringCommandTable());
  AddJsonFlagToLeaves(app, &options.json);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);
    return code == 0 ? 0 : 2;
  }

  // Arguments are checked before connecting, so usage errors never depend on the server.
  std::vector<v1::Role> roles;
  UserChanges changes;
  AuditListOptions audit_options;
  std::string error;
  if (*user_create && !ParseRoles(role_names, &roles, &error)) return UsageError(error);
  if (*user_update) {
    if (update_name->count() > 0) changes.display_name = display_name;
    if (update_roles->count() > 0) {
      if (!ParseRoles(role_names, &roles, &error)) return UsageError(error);
      changes.roles = roles;
    }
    if (update_agency->count() > 0) changes.agency = agency;
    if (update_state->count() > 0) {
      if (state == "active") {
        changes.state = v1::User::ACTIVE;
      } else if (state == "disabled") {
        changes.state = v1::User::DISABLED;
      } else {
        return UsageError("不明な状態 / unknown state \"" + state +
                          "\" (valid states: active, disabled)");
      }
    }
    if (!changes.display_name && !changes.roles && !changes.agency && !changes.state) {
      return UsageError(
          "変更する項目がありません / nothing to update: give --name, --role, --agency or --state");
    }
  }
  if (agency_commands.Selected()) {
    if (const int code = agency_commands.Prepare(); code != kExitOk) return code;
  }
  if (case_commands.Selected()) {
    if (const int code = case_commands.Prepare(); code != kExitOk) return code;
  }
  if (dispatch_commands.Selected()) {
    if (const int code = dispatch_commands.Prepare(); code != kExitOk) return code;
  }
  Command* command = registry.Selected();
  if (command != nullptr) {
    if (const int code = command->Prepare(); code != kExitOk) return code;
  }
  if (meeting_commands.Selected()) {
    if (const int code = meeting_commands.Prepare(); code != kExitOk) return code;
  }
  if (stats_commands.Selected()) {
    if (const int code = stats_commands.Prepare(); code != kExitOk) return code;
  }
  if (*user_disable) changes.state = v1::User::DISABLED;
  if (*user_enable) changes.state = v1::User::ACTIVE;
  if (*audit_list) {
    if (limit < 0) {
      return UsageError("--limit: must be 0 (all) or more, not " + std::to_string(limit));
    }
    v1::ListAuditEntriesRequest& request = audit_options.request;
    request.set_resource(audit_resource);
    request.set_user_id(UserId(audit_user));
    if (!since.empty() && !ParseTime("--since", since, request.mutable_start_time(), &error)) {
      return UsageError(error);
    }
    if (!until.empty() && !ParseTime("--until", until, request.mutable_end_time(), &error)) {
      return UsageError(error);
    }
    request.set_page_size(page_size);
    audit_options.limit = limit;
  }

  if (!options.user.empty()) {
    options.connection.cert_file = options.pki_dir + "/users/" + options.user + ".crt";
    options.connection.key_file = options.pki_dir + "/users/" + options.user + ".key";
  }
  auto channel = client::Connect(options.connection);
  if (!channel.ok()) {
    std::cerr << "エラー / error: " << channel.status().ToString() << "\n";
    return 2;
  }
  if (agency_commands.Selected()) return agency_commands.Run(options, *channel);
  if (case_commands.Selected()) return case_commands.Run(options, *channel);
  if (dispatch_commands.Selected()) return dispatch_commands.Run(options, *channel);
  if (command != nullptr) return command->Run(Context{options, *channel});
  if (meeting_commands.Selected()) return meeting_commands.Run(options, *channel);
  if (stats_commands.Selected()) return stats_commands.Run(options, *channel);
  if (*info) return Info(options, *channel);
  if (*health) return Health(options, *channel);
  if (*backup_create) return BackupCreate(options, *channel);
  if (*backup_list) return BackupList(options, *channel, page_size);
  if (*backup_restore) return BackupRestore(options, *channel, restore_name, restore_target);
  if (*user_create) return UserCreate(options, *channel, user_id, display_name, roles, agency);
  if (*user_get) return UserGet(options, *channel, user_id);
  if (*user_list) return UserList(options, *channel, page_size);
  if (*user_update || *user_disable || *user_enable) {
    return UserUpdate(options, *channel, user_id, changes);
  }
  if (*audit_list) return AuditList(options, *channel, audit_options);
  if (*audit_verify) return AuditVerify(options, *channel, expect_head);
  if (*access_request) return AccessRequest(options, *channel, access_resource, access_reason);
  if (*access_list) return AccessList(options, *channel, page_size);
  return 0;
}

}  // namespace casecoord::cli

int main(int argc, char** argv) { return casecoord::cli::Main(argc, argv); }
