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
//                                       the agency directory; see agency_commands.cc
//   casectl case open|get|list|transition|close|history ...
//                                       cases (ケース); see case_commands.cc
//   casectl adviser list|create ...     the adviser registry (アドバイザー名簿)
//   casectl dispatch request|get|list|approve|decline|session|followup|close ...
//                                       adviser dispatch (アドバイザー派遣); see
//                                       dispatch_commands.cc
//   casectl due [--owner O] [--by DATE] [--watch]   your work list (期限一覧)
//   casectl monitoring get|set|check ...            monitoring (モニタリング); see
//                                       monitoring_commands.h
//   casectl meeting schedule|get|list|acknowledge|minutes|cancel|assignment|export ...
//                                       case meetings (ケース検討会議, 支援会議); see
//                                       meeting_commands.cc
//   casectl plan create|get|list|review ...         support plans (支援計画); see
//                                       meeting_commands.cc
//   casectl stats yearly|export ...                 statistics (事業実績); see stats_commands.cc
//   casectl stats plan list|get|create|update|record|progress|export ...
//                                       welfare plans (推進計画) and their indicators; see
//                                       welfare_plan_commands.cc
// ROLE is one of admin, coordinator, agency_staff, adviser, planner, auditor. audit
// list is for auditors, audit verify and access list for auditors and admins, user for admins.
//
// Connection (flags, or the environment variables in brackets):
//   --server  [CASECTL_SERVER]  host:port, default localhost:8443
//   --ca      [CASECTL_CA]      CA of the server certificate, default var/dev/pki/ca.crt
//   --user    [CASECTL_USER]    shortcut for --cert/--key in var/dev/pki/users/<user>.{crt,key}
//   --cert/--key [CASECTL_CERT/CASECTL_KEY]  client certificate and key
// Layout: every subcommand is a Command (command.h) that owns its flags, checks them in Prepare()
// before connecting and calls the server in Run(); each area lists its commands in one table
// (admin, agency, agency_transfer, case, case_import, case_maintenance, case_search, case_team,
// dispatch, monitoring, meeting, plan, stats, vocab, welfare_plan *_commands.cc), and the *_support
// files hold what an area's files share. Rendering shared by all (dates, cells, field text, --json)
// is in render.h and table.h.
//
// Output is for people by default; --json (before or after the subcommand) prints the API's JSON
// instead. Exit status: 0 success, 1 the call failed, 2 bad usage or connection options, 3 the
// audit trail is broken.
#include <grpc/grpc.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

#include "clients/cli/case_support.h"
#include "clients/cli/client.h"
#include "clients/cli/command.h"
#include "clients/cli/command_support.h"

namespace casecoord::cli {
namespace {

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : fallback;
}

void AddGlobalOptions(CLI::App& app, GlobalOptions& options) {
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
}

}  // namespace

int Main(int argc, char** argv) {
  CLI::App app{"casectl: casecoord の操作 / command-line client for casecoord"};
  app.require_subcommand(1);
  GlobalOptions options;
  AddGlobalOptions(app, options);

  CommandRegistry registry(app);
  registry.Add(AdminCommandTable());
  registry.Add(AgencyCommandTable());
  registry.Add(AgencyTransferCommandTable());
  registry.Add(CaseCommandTable());
  registry.Add(CaseImportCommandTable());
  registry.Add(CaseMaintenanceCommandTable());
  registry.Add(CaseTeamCommandTable());
  registry.Add(CaseSearchCommandTable());
  registry.Add(DispatchCommandTable());
  registry.Add(MonitoringCommandTable());
  registry.Add(MeetingCommandTable());
  registry.Add(PlanCommandTable());
  registry.Add(SignInCommandTable());
  registry.Add(StatsCommandTable());
  registry.Add(VocabCommandTable());
  registry.Add(WelfarePlanCommandTable());
  AddJsonFlagToLeaves(app, &options.json);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);
    return code == 0 ? kExitOk : kExitUsage;
  }

  if (!options.user.empty()) {
    options.connection.cert_file = options.pki_dir + "/users/" + options.user + ".crt";
    options.connection.key_file = options.pki_dir + "/users/" + options.user + ".key";
  }
  // Arguments are checked before connecting, so usage errors never depend on the server; only a
  // case named by its number (R6-0042) is looked up, connecting early for it.
  std::shared_ptr<grpc::Channel> early_channel;
  cases::SetCaseNumberLookup(
      [&options, &early_channel]() -> Result<std::shared_ptr<grpc::Channel>> {
        if (early_channel) return early_channel;
        auto connected = client::Connect(options.connection);
        if (connected.ok()) early_channel = *connected;
        return connected;
      },
      &options);
  // The lookup refers to this frame; it must not outlive it.
  struct ClearLookupOnReturn {
    ~ClearLookupOnReturn() { cases::SetCaseNumberLookup(nullptr, nullptr); }
  } clear_lookup_on_return;
  Command* command = registry.Selected();
  if (command != nullptr) {
    if (const int code = command->Prepare(); code != kExitOk) return code;
  }

  auto channel = early_channel ? Result<std::shared_ptr<grpc::Channel>>(early_channel)
                               : client::Connect(options.connection);
  if (!channel.ok()) {
    std::cerr << "エラー / error: " << channel.status().ToString() << "\n";
    return kExitUsage;
  }
  if (command != nullptr) return command->Run(Context{options, *channel});
  return kExitOk;
}

}  // namespace casecoord::cli

namespace {

// gRPC tears a channel down on its own threads after the last reference goes. Holding one library
// reference for the whole run and releasing it with grpc_shutdown_blocking makes the exit wait for
// that teardown, so nothing of a connection (its TLS context, say) is half-freed when the process
// ends -- which LeakSanitizer would otherwise report, now and then, as OpenSSL memory leaked.
class GrpcRuntime {
 public:
  GrpcRuntime() { grpc_init(); }
  ~GrpcRuntime() { grpc_shutdown_blocking(); }
  GrpcRuntime(const GrpcRuntime&) = delete;
  GrpcRuntime& operator=(const GrpcRuntime&) = delete;
};

}  // namespace

int main(int argc, char** argv) {
  const GrpcRuntime grpc_runtime;
  // Nothing in casectl throws on input; this only turns a library failure (bad_alloc, say) into a
  // message and an exit code instead of an abort.
  try {
    return casecoord::cli::Main(argc, argv);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "エラー / error: %s\n", error.what());
  } catch (...) {
    std::fprintf(stderr, "エラー / error: unexpected failure\n");
  }
  return 1;
}
