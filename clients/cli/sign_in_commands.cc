// casectl's commands for people's sign-in to the web console: passwords and second factors
// (admins), locks, and sessions (everyone their own, admins all).
#include <CLI/CLI.hpp>
#include <iostream>
#include <string>

#include "casecoord/v1/admin.grpc.pb.h"
#include "clients/cli/admin_support.h"
#include "clients/cli/command.h"
#include "clients/cli/render.h"
#include "clients/cli/table.h"

namespace casecoord::cli {
namespace {

class PasswordResetCommand : public Command {
 public:
  void Configure(CLI::App& app) override {
    app.add_option("id", id_, "ID or users/ID")->required();
  }

  int Run(const Context& context) override {
    v1::ResetUserPasswordRequest request;
    request.set_name(UserName(id_));
    return CallAdmin<v1::ResetUserPasswordRequest, v1::ResetUserPasswordResponse>(
        context, &v1::Admin::Stub::ResetUserPassword, request,
        [this](const v1::ResetUserPasswordResponse& response) {
          std::cout << "仮パスワードを発行しました / temporary password for " << UserId(id_)
                    << " (shown once; the next sign-in changes it and enrols the second factor):\n"
                    << response.temporary_password() << "\n";
        });
  }

 private:
  std::string id_;
};

class PasswordSetCommand : public Command {
 public:
  void Configure(CLI::App& app) override {
    app.add_option("id", id_, "ID or users/ID")->required();
  }

  int Prepare() override {
    // Read from standard input, never from the command line (which other users can see).
    if (!std::getline(std::cin, password_) || password_.empty()) {
      return UsageError("give the temporary password on standard input (one line)");
    }
    return kExitOk;
  }

  int Run(const Context& context) override {
    v1::ResetUserPasswordRequest request;
    request.set_name(UserName(id_));
    request.set_temporary_password(password_);
    return CallAdmin<v1::ResetUserPasswordRequest, v1::ResetUserPasswordResponse>(
        context, &v1::Admin::Stub::ResetUserPassword, request,
        [this](const v1::ResetUserPasswordResponse&) {
          std::cout << "仮パスワードを設定しました / temporary password set for " << UserId(id_)
                    << " (the next sign-in changes it and enrols the second factor)\n";
        });
  }

 private:
  std::string id_, password_;
};

class TotpResetCommand : public Command {
 public:
  void Configure(CLI::App& app) override {
    app.add_option("id", id_, "ID or users/ID")->required();
  }

  int Run(const Context& context) override {
    v1::ResetUserSecondFactorRequest request;
    request.set_name(UserName(id_));
    return CallAdmin<v1::ResetUserSecondFactorRequest, v1::ResetUserSecondFactorResponse>(
        context, &v1::Admin::Stub::ResetUserSecondFactor, request,
        [this](const v1::ResetUserSecondFactorResponse&) {
          std::cout << "二要素認証を初期化しました / second factor reset for " << UserId(id_)
                    << " (enrolled again at the next sign-in; sessions ended)\n";
        });
  }

 private:
  std::string id_;
};

class UnlockCommand : public Command {
 public:
  void Configure(CLI::App& app) override {
    app.add_option("id", id_, "ID or users/ID")->required();
  }

  int Run(const Context& context) override {
    v1::UnlockUserRequest request;
    request.set_name(UserName(id_));
    return CallAdmin<v1::UnlockUserRequest, v1::UnlockUserResponse>(
        context, &v1::Admin::Stub::UnlockUser, request,
        [this](const v1::UnlockUserResponse& response) {
          std::cout << (response.was_locked() ? "ロックを解除しました / unlocked "
                                              : "ロックされていません / was not locked: ")
                    << UserId(id_) << "\n";
        });
  }

 private:
  std::string id_;
};

class SessionListCommand : public Command {
 public:
  void Configure(CLI::App& app) override {
    app.add_option("--user", user_,
                   "only this user's sessions (admins); default: yours, or all "
                   "for an admin");
  }

  int Run(const Context& context) override {
    v1::ListSessionsRequest request;
    if (!user_.empty()) request.set_user(UserName(user_));
    return CallAdmin<v1::ListSessionsRequest, v1::ListSessionsResponse>(
        context, &v1::Admin::Stub::ListSessions, request,
        [](const v1::ListSessionsResponse& response) {
          std::vector<Row> rows;
          for (const v1::SignInSession& session : response.sessions()) {
            rows.push_back({session.session_id(), UserId(session.user()),
                            LocalTime(session.create_time()), LocalTime(session.last_seen_time()),
                            session.client()});
          }
          PrintTable({"セッション / session", "利用者 / user", "開始 / signed in",
                      "最終 / last seen", "端末 / client"},
                     rows);
        });
  }

 private:
  std::string user_;
};

class SessionRevokeCommand : public Command {
 public:
  void Configure(CLI::App& app) override {
    app.add_option("session", session_id_, "the session id (session list)")->required();
  }

  int Run(const Context& context) override {
    v1::RevokeSessionRequest request;
    request.set_session_id(session_id_);
    return CallAdmin<v1::RevokeSessionRequest, v1::RevokeSessionResponse>(
        context, &v1::Admin::Stub::RevokeSession, request,
        [this](const v1::RevokeSessionResponse&) {
          std::cout << "セッションを終了しました / session ended: " << session_id_ << "\n";
        });
  }

 private:
  std::string session_id_;
};

constexpr CommandSpec kSignInCommands[] = {
    {"user password", "ブラウザ用パスワード / passwords for the web console (admins)"},
    {"user password reset", "issue a generated temporary password (printed once)",
     Make<PasswordResetCommand>},
    {"user password set", "set a temporary password read from standard input",
     Make<PasswordSetCommand>},
    {"user totp", "二要素認証 / second factor (admins)"},
    {"user totp reset", "clear the second factor; it is enrolled again at the next sign-in",
     Make<TotpResetCommand>},
    {"user unlock", "lift a lock left by failed sign-ins (admins)", Make<UnlockCommand>},
    {"session", "ブラウザのセッション / web console sessions"},
    {"session list", "live sessions: yours, or everyone's for an admin", Make<SessionListCommand>},
    {"session revoke", "end a session", Make<SessionRevokeCommand>},
};

}  // namespace

std::span<const CommandSpec> SignInCommandTable() { return kSignInCommands; }

}  // namespace casecoord::cli
