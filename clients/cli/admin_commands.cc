// casectl info / health / backup / user / audit / access: server administration from the command
// line (see casectl.cc for the usage of each).
#include <google/protobuf/util/time_util.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include "casecoord/v1/admin.grpc.pb.h"
#include "clients/cli/admin_support.h"
#include "clients/cli/command.h"
#include "clients/cli/render.h"
#include "clients/cli/table.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace casecoord::cli {
namespace {

using google::protobuf::util::TimeUtil;

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

// --- Commands ------------------------------------------------------------------------------------

constexpr int kDefaultPageSize = 100;

// One call of the Admin service (see CallAndPrint).
// Every page of an Admin List call.
template <typename Request, typename Response>
int ListAdmin(const Context& context,
              grpc::Status (v1::Admin::Stub::*call)(grpc::ClientContext*, const Request&,
                                                    Response*),
              int page_size, const std::function<void(const Response&)>& print) {
  auto stub = v1::Admin::NewStub(context.channel);
  Request request;
  request.set_page_size(page_size);
  return ListAndPrint(context, stub.get(), call, request, /*all_pages=*/true, print);
}

class InfoCommand : public Command {
 public:
  void Configure(CLI::App& /*app*/) override {}

  int Run(const Context& context) override {
    return CallAdmin<v1::GetServerInfoRequest, v1::ServerInfo>(
        context, &v1::Admin::Stub::GetServerInfo, {}, &PrintInfo);
  }

 private:
  static void PrintInfo(const v1::ServerInfo& info) {
    const auto& storage = info.storage();
    std::cout << "サーバー / server      casecoord " << info.version() << " (" << info.mode()
              << ")\n"
              << "自治体 / municipality  " << info.municipality() << "\n"
              << "起動 / started         " << LocalTime(info.start_time()) << "\n"
              << "接続者 / you are       "
              << (info.caller_identity().empty() ? "(no client certificate)"
                                                 : info.caller_identity())
              << "\n"
              << "暗号化 / encryption    "
              << (storage.encrypted() ? storage.cipher() : std::string("none")) << "\n"
              << "鍵ID / key id          " << storage.current_key_id() << "\n"
              << "データ / data          " << HumanBytes(storage.live_data_bytes()) << ", about "
              << storage.estimated_keys() << " keys\n";
  }
};

class HealthCommand : public Command {
 public:
  void Configure(CLI::App& /*app*/) override {}

  int Run(const Context& context) override {
    auto stub = grpc::health::v1::Health::NewStub(context.channel);
    grpc::health::v1::HealthCheckResponse response;
    grpc::Status status = CallWithRetry(context.options, [&](grpc::ClientContext* call) {
      return stub->Check(call, grpc::health::v1::HealthCheckRequest(), &response);
    });
    if (!status.ok()) return ReportError(status);
    PrintResult(context, response, [&response] {
      std::cout << grpc::health::v1::HealthCheckResponse::ServingStatus_Name(response.status())
                << "\n";
    });
    return response.status() == grpc::health::v1::HealthCheckResponse::SERVING ? kExitOk
                                                                               : kExitFailed;
  }
};

class BackupCreateCommand : public Command {
 public:
  void Configure(CLI::App& /*app*/) override {}

  int Run(const Context& context) override {
    return CallAdmin<v1::CreateBackupRequest, v1::Backup>(
        context, &v1::Admin::Stub::CreateBackup, {}, [](const v1::Backup& backup) {
          std::cout << "バックアップを作成しました / backup created: " << backup.name() << " ("
                    << backup.file_count() << " files, " << HumanBytes(backup.size_bytes()) << ")\n"
                    << "audit head " << backup.audit_head() << "\n";
        });
  }
};

class BackupListCommand : public Command {
 public:
  void Configure(CLI::App& app) override {
    app.add_option("--page-size", page_size_, "backups fetched per call");
  }

  int Run(const Context& context) override {
    return ListAdmin<v1::ListBackupsRequest, v1::ListBackupsResponse>(
        context, &v1::Admin::Stub::ListBackups, page_size_, [](const auto& all) {
          if (all.backups().empty()) {
            std::cout << "バックアップはありません / no backups\n";
            return;
          }
          std::printf("%-14s %-19s %7s %12s\n", "NAME", "CREATED", "FILES", "SIZE");
          for (const auto& backup : all.backups()) {
            std::printf("%-14s %-19s %7d %12s\n", backup.name().c_str(),
                        LocalTime(backup.create_time()).c_str(), backup.file_count(),
                        HumanBytes(backup.size_bytes()).c_str());
          }
        });
  }

 private:
  int page_size_ = kDefaultPageSize;
};

class BackupRestoreCommand : public Command {
 public:
  void Configure(CLI::App& app) override {
    app.add_option("name", name_, "backups/{id}")->required();
    app.add_option("--target", target_, "new directory name")->required();
  }

  int Run(const Context& context) override {
    v1::RestoreBackupRequest request;
    request.set_name(name_);
    request.set_target(target_);
    return CallAdmin<v1::RestoreBackupRequest, v1::RestoreBackupResponse>(
        context, &v1::Admin::Stub::RestoreBackup, request, [](const auto& response) {
          std::cout << "復元しました / restored into " << response.directory() << " ("
                    << response.verified_records() << " records verified)\n";
        });
  }

 private:
  std::string name_, target_;
};

CLI::Option* AddRoleOption(CLI::App& app, std::vector<std::string>* names,
                           const std::string& extra_help) {
  return app
      .add_option("--role", *names,
                  "role, repeatable or comma-separated: " + ValidRoleNames() + extra_help)
      ->expected(1)
      ->delimiter(',')
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
}

class UserCreateCommand : public Command {
 public:
  void Configure(CLI::App& app) override {
    app.add_option("id", id_, "user id: lowercase letters, digits, '-' and '_'")->required();
    app.add_option("--name", display_name_, "display name, e.g. \"山田 太郎\"")->required();
    AddRoleOption(app, &role_names_, "")->required();
    app.add_option("--agency", agency_, "agencies/{agency_id}; required for agency_staff");
  }

  int Prepare() override {
    std::vector<v1::Role> roles;
    std::string error;
    if (!ParseRoles(role_names_, &roles, &error)) return UsageError(error);
    request_.set_user_id(UserId(id_));
    v1::User* user = request_.mutable_user();
    user->set_display_name(display_name_);
    user->set_agency(AgencyName(agency_));
    for (v1::Role role : roles) user->add_roles(role);
    return kExitOk;
  }

  int Run(const Context& context) override {
    return CallAdmin<v1::CreateUserRequest, v1::User>(
        context, &v1::Admin::Stub::CreateUser, request_, [](const v1::User& created) {
          std::cout << "利用者を登録しました / user created: " << created.name() << "\n";
          PrintUser(created);
        });
  }

 private:
  std::string id_, display_name_, agency_;
  std::vector<std::string> role_names_;
  v1::CreateUserRequest request_;
};

class UserGetCommand : public Command {
 public:
  void Configure(CLI::App& app) override {
    app.add_option("id", id_, "ID or users/ID")->required();
  }

  int Run(const Context& context) override {
    v1::GetUserRequest request;
    request.set_name(UserName(id_));
    return CallAdmin<v1::GetUserRequest, v1::User>(context, &v1::Admin::Stub::GetUser, request,
                                                   &PrintUser);
  }

 private:
  std::string id_;
};

class UserListCommand : public Command {
 public:
  void Configure(CLI::App& app) override {
    app.add_option("--page-size", page_size_, "users fetched per call");
  }

  int Run(const Context& context) override {
    return ListAdmin<v1::ListUsersRequest, v1::ListUsersResponse>(
        context, &v1::Admin::Stub::ListUsers, page_size_, [](const auto& all) {
          if (all.users().empty()) {
            std::cout << "利用者はいません / no users\n";
            return;
          }
          std::vector<Row> rows;
          for (const auto& user : all.users()) {
            rows.push_back({UserId(user.name()), user.display_name(), RolesText(user.roles()),
                            OrDash(user.agency()), StateText(user.state())});
          }
          PrintTable({"ID", "表示名/NAME", "ROLES", "AGENCY", "STATE"}, rows);
        });
  }

 private:
  int page_size_ = kDefaultPageSize;
};

// user update, disable and enable: reads the user for its etag, then changes what was asked
// (`user` holds the new values, `paths` names them for the update mask).
class UserChangeCommand : public Command {
 public:
  void Configure(CLI::App& app) override {
    app.add_option("id", id_, "ID or users/ID")->required();
  }

  int Run(const Context& context) override {
    auto stub = v1::Admin::NewStub(context.channel);
    v1::GetUserRequest get;
    get.set_name(UserName(id_));
    v1::User current;
    grpc::Status status = CallWithRetry(context.options, [&](grpc::ClientContext* get_context) {
      return stub->GetUser(get_context, get, &current);
    });
    if (!status.ok()) return ReportError(status);
    request_.mutable_user()->set_name(current.name());
    request_.mutable_user()->set_etag(current.etag());
    v1::User updated;
    status = CallWithRetry(context.options, [&](grpc::ClientContext* call) {
      return stub->UpdateUser(call, request_, &updated);
    });
    if (!status.ok()) return ReportError(status);
    return PrintResult(context, updated, [&updated] {
      std::cout << "利用者を更新しました / user updated: " << updated.name() << "\n";
      PrintUser(updated);
    });
  }

 protected:
  void Change(const std::string& path) { request_.mutable_update_mask()->add_paths(path); }
  v1::User& user() { return *request_.mutable_user(); }

 private:
  std::string id_;
  v1::UpdateUserRequest request_;
};

class UserUpdateCommand : public UserChangeCommand {
 public:
  void Configure(CLI::App& app) override {
    UserChangeCommand::Configure(app);
    name_option_ = app.add_option("--name", display_name_, "new display name");
    roles_option_ = AddRoleOption(app, &role_names_, " (replaces all)");
    agency_option_ = app.add_option("--agency", agency_, "agencies/{agency_id}; \"\" removes it");
    state_option_ = app.add_option("--state", state_, "active or disabled");
  }

  int Prepare() override {
    if (name_option_->count() > 0) {
      user().set_display_name(display_name_);
      Change("display_name");
    }
    if (roles_option_->count() > 0) {
      std::vector<v1::Role> roles;
      std::string error;
      if (!ParseRoles(role_names_, &roles, &error)) return UsageError(error);
      for (v1::Role role : roles) user().add_roles(role);
      Change("roles");
    }
    if (agency_option_->count() > 0) {
      user().set_agency(AgencyName(agency_));
      Change("agency");
    }
    if (state_option_->count() > 0) {
      if (state_ != "active" && state_ != "disabled") {
        return UsageError("不明な状態 / unknown state \"" + state_ +
                          "\" (valid states: active, disabled)");
      }
      user().set_state(state_ == "active" ? v1::User::ACTIVE : v1::User::DISABLED);
      Change("state");
    }
    if (name_option_->count() + roles_option_->count() + agency_option_->count() +
            state_option_->count() ==
        0) {
      return UsageError(
          "変更する項目がありません / nothing to update: give --name, --role, --agency or --state");
    }
    return kExitOk;
  }

 private:
  CLI::Option* name_option_ = nullptr;
  CLI::Option* roles_option_ = nullptr;
  CLI::Option* agency_option_ = nullptr;
  CLI::Option* state_option_ = nullptr;
  std::string display_name_, agency_, state_;
  std::vector<std::string> role_names_;
};

// user disable / user enable: the same as user update --state.
template <v1::User::State kState>
class UserStateCommand : public UserChangeCommand {
 public:
  int Prepare() override {
    user().set_state(kState);
    Change("state");
    return kExitOk;
  }
};

class AuditListCommand : public Command {
 public:
  void Configure(CLI::App& app) override {
    auto* resource_option =
        app.add_option("--resource", resource_, "only entries for this resource");
    app.add_option("--user", user_, "only entries by this user (ID or users/ID)")
        ->excludes(resource_option);
    app.add_option("--since", since_, "from this RFC 3339 time, e.g. 2026-11-22T09:00:00+09:00");
    app.add_option("--until", until_, "before this RFC 3339 time");
    app.add_option("--page-size", page_size_, "entries fetched per call");
    app.add_option("--limit", limit_, "stop after this many entries (default: all)");
  }

  int Prepare() override {
    if (limit_ < 0) {
      return UsageError("--limit: must be 0 (all) or more, not " + std::to_string(limit_));
    }
    request_.set_resource(resource_);
    request_.set_user_id(UserId(user_));
    std::string error;
    if (!since_.empty() && !ParseTime("--since", since_, request_.mutable_start_time(), &error)) {
      return UsageError(error);
    }
    if (!until_.empty() && !ParseTime("--until", until_, request_.mutable_end_time(), &error)) {
      return UsageError(error);
    }
    request_.set_page_size(page_size_);
    return kExitOk;
  }

  int Run(const Context& context) override {
    v1::ListAuditEntriesResponse all;
    grpc::Status status = Fetch(context, &all);
    if (!status.ok()) return ReportError(status);
    // audit list has no --page-token: its output has never carried the token a --limit stops at.
    all.clear_next_page_token();
    if (limit_ > 0 && all.entries_size() > limit_) {
      all.mutable_entries()->DeleteSubrange(limit_, all.entries_size() - limit_);
    }
    return PrintResult(context, all, [&all] { PrintEntries(all); });
  }

 private:
  grpc::Status Fetch(const Context& context, v1::ListAuditEntriesResponse* all) const {
    auto stub = v1::Admin::NewStub(context.channel);
    // With a --limit, each page asks for no more than the entries still wanted.
    auto call = [&](grpc::ClientContext* call_context, const v1::ListAuditEntriesRequest& request,
                    v1::ListAuditEntriesResponse* page) {
      v1::ListAuditEntriesRequest sized = request;
      if (limit_ > 0) {
        const int remaining = limit_ - all->entries_size();
        sized.set_page_size(page_size_ > 0 ? std::min(page_size_, remaining) : remaining);
      }
      return stub->ListAuditEntries(call_context, sized, page);
    };
    return FetchPages(context.options, call, request_, all, /*all_pages=*/true,
                      [this](const v1::ListAuditEntriesResponse& so_far) {
                        return limit_ > 0 && so_far.entries_size() >= limit_;
                      });
  }

  static void PrintEntries(const v1::ListAuditEntriesResponse& all) {
    if (all.entries().empty()) {
      std::cout << "監査記録はありません / no audit entries\n";
      return;
    }
    std::vector<Row> rows;
    for (const auto& entry : all.entries()) {
      std::string basis = entry.legal_basis();
      if (!entry.break_glass_reason().empty()) basis += " 理由: " + entry.break_glass_reason();
      // An operator's maintenance entry (caseserver audit recover) says what it found and why.
      if (!entry.detail().empty()) basis += " " + entry.detail();
      rows.push_back({std::to_string(entry.sequence()), LocalTime(entry.time()),
                      OrDash(entry.user_id()), ShortMethod(entry.method()),
                      OrDash(entry.resource()), entry.outcome(), OrDash(basis)});
    }
    PrintTable({"SEQ", "TIME", "USER", "METHOD", "RESOURCE", "OUTCOME", "BASIS"}, rows);
  }

  std::string resource_, user_, since_, until_;
  int page_size_ = kDefaultPageSize;
  int limit_ = 0;  // 0: every entry
  v1::ListAuditEntriesRequest request_;
};

class AuditVerifyCommand : public Command {
 public:
  void Configure(CLI::App& app) override {
    app.add_option("--expect-head", expect_head_,
                   "a head kept earlier (SEQ:HASH): the trail is broken unless it still holds "
                   "that entry");
  }

  int Run(const Context& context) override {
    auto stub = v1::Admin::NewStub(context.channel);
    v1::VerifyAuditChainRequest request;
    request.set_expected_head(expect_head_);
    v1::VerifyAuditChainResponse response;
    grpc::Status status = CallWithRetry(context.options, [&](grpc::ClientContext* call) {
      return stub->VerifyAuditChain(call, request, &response);
    });
    if (!status.ok()) return ReportError(status);
    PrintResult(context, response, [&] { PrintVerdict(response); });
    return response.intact() ? kExitOk : kExitAuditBroken;
  }

 private:
  static constexpr int kExitAuditBroken = 3;

  void PrintVerdict(const v1::VerifyAuditChainResponse& response) const {
    if (response.intact()) {
      std::cout << "監査証跡は改ざんされていません / audit trail intact ("
                << response.entries_checked() << " entries"
                << (expect_head_.empty() ? "" : ", holds the expected head") << ")\nhead "
                << response.head() << "\n";
    } else {
      std::cout << "監査証跡の破損 / audit trail BROKEN at entry "
                << response.first_broken_sequence() << ": " << response.problem() << "\n";
    }
  }

  std::string expect_head_;
};

class AccessRequestCommand : public Command {
 public:
  void Configure(CLI::App& app) override {
    app.add_option("resource", resource_,
                   "the record: cases/{n}, meetings/{n}, dispatches/{n} (coordinators: users/{id})")
        ->required();
    app.add_option("--reason", reason_, "why it must be opened now")->required();
  }

  int Run(const Context& context) override {
    v1::RequestEmergencyAccessRequest request;
    request.set_resource(resource_);
    request.set_reason(reason_);
    return CallAdmin<v1::RequestEmergencyAccessRequest, v1::EmergencyAccess>(
        context, &v1::Admin::Stub::RequestEmergencyAccess, request,
        [](const v1::EmergencyAccess& access) {
          std::cout << "緊急アクセスを許可しました / emergency access granted: " << access.name()
                    << "\n";
          PrintFields({
              {"対象 / resource", access.resource()},
              {"理由 / reason", access.reason()},
              {"期限 / expires", LocalTime(access.expire_time())},
          });
          std::cout
              << "この操作は監査証跡に記録されます / this access is marked in the audit trail\n";
        });
  }

 private:
  std::string resource_, reason_;
};

class AccessListCommand : public Command {
 public:
  void Configure(CLI::App& app) override {
    app.add_option("--page-size", page_size_, "accesses fetched per call");
  }

  int Run(const Context& context) override {
    return ListAdmin<v1::ListEmergencyAccessesRequest, v1::ListEmergencyAccessesResponse>(
        context, &v1::Admin::Stub::ListEmergencyAccesses, page_size_, [](const auto& all) {
          if (all.emergency_accesses().empty()) {
            std::cout << "緊急アクセスはありません / no emergency accesses\n";
            return;
          }
          std::vector<Row> rows;
          for (const auto& access : all.emergency_accesses()) {
            rows.push_back({access.name(), access.user_id(), access.resource(),
                            LocalTime(access.grant_time()), LocalTime(access.expire_time()),
                            access.reason()});
          }
          PrintTable({"NAME", "USER", "RESOURCE", "GRANTED", "EXPIRES", "REASON"}, rows);
        });
  }

 private:
  int page_size_ = kDefaultPageSize;
};

constexpr CommandSpec kAdminCommands[] = {
    {"info", "サーバー情報 / server information", Make<InfoCommand>},
    {"health", "稼働状態 / health (exit 0 when SERVING)", Make<HealthCommand>},
    {"backup", "バックアップ / backups"},
    {"backup create", "take an online encrypted backup", Make<BackupCreateCommand>},
    {"backup list", "list backups, newest first", Make<BackupListCommand>},
    {"backup restore", "restore a backup into a new directory on the server",
     Make<BackupRestoreCommand>},
    {"user", "利用者 / users (admins)"},
    {"user create", "register a user (their certificate's id)", Make<UserCreateCommand>},
    {"user get", "show one user", Make<UserGetCommand>},
    {"user list", "list every user", Make<UserListCommand>},
    {"user update", "change the options given, nothing else", Make<UserUpdateCommand>},
    {"user disable", "disable a user (same as --state disabled)",
     Make<UserStateCommand<v1::User::DISABLED>>},
    {"user enable", "enable a user (same as --state active)",
     Make<UserStateCommand<v1::User::ACTIVE>>},
    {"audit", "監査証跡 / audit trail (auditors)"},
    {"audit list", "list audit entries, oldest first", Make<AuditListCommand>},
    {"audit verify", "check the hash chain (exit 3 if broken)", Make<AuditVerifyCommand>},
    {"access", "緊急アクセス / emergency (break-glass) access"},
    {"access request", "open a record outside your scope (coordinators)",
     Make<AccessRequestCommand>},
    {"access list", "list emergency accesses, newest first", Make<AccessListCommand>},
};

}  // namespace

std::span<const CommandSpec> AdminCommandTable() { return kAdminCommands; }

}  // namespace casecoord::cli
