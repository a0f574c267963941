// The command objects of casectl: each subcommand is a class that owns its flags, checks them
// before any connection (Prepare) and makes its calls (Run). Each area (agency, case, meeting...)
// lists its commands in one table of CommandSpec rows; CommandRegistry turns the tables into the
// CLI11 subcommand tree and finds the command the command line chose.
#pragma once

#include <grpcpp/grpcpp.h>

#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "clients/cli/command_support.h"

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace casecoord::cli {

// What a command runs with: the global options and the connection to the server.
struct Context {
  const GlobalOptions& options;
  std::shared_ptr<grpc::Channel> channel;

  bool json() const { return options.json; }
};

class Command {
 public:
  virtual ~Command() = default;

  // Adds the command's arguments and flags to `app` (its own subcommand), bound to members of
  // this object, which outlives parsing and Run().
  virtual void Configure(CLI::App& app) = 0;

  // After parsing, before connecting: checks the flags and builds the request, so that a bad value
  // is reported before any call. kExitOk, or kExitUsage after explaining on stderr (UsageError).
  virtual int Prepare() { return kExitOk; }

  // Makes the calls and prints the result; returns casectl's exit status.
  virtual int Run(const Context& context) = 0;
};

// One row of an area's command table. `path` names the subcommand from the root, words separated
// by single spaces ("agency survey record"); every word before the last names a group given in an
// earlier row. A row without `make` is such a group: it only holds subcommands and requires one.
struct CommandSpec {
  std::string_view path;
  std::string_view description;
  std::unique_ptr<Command> (*make)() = nullptr;
  std::string_view footer = {};  // shown below the subcommand's --help
};

template <typename CommandType>
std::unique_ptr<Command> Make() {
  return std::make_unique<CommandType>();
}

// The area tables (defined in the *_commands.cc files).
std::span<const CommandSpec> AdminCommandTable();
std::span<const CommandSpec> AgencyCommandTable();
std::span<const CommandSpec> AgencyTransferCommandTable();
std::span<const CommandSpec> CaseCommandTable();
std::span<const CommandSpec> CaseImportCommandTable();
std::span<const CommandSpec> CaseMaintenanceCommandTable();
std::span<const CommandSpec> CaseTeamCommandTable();
std::span<const CommandSpec> CaseSearchCommandTable();
std::span<const CommandSpec> DispatchCommandTable();
std::span<const CommandSpec> MonitoringCommandTable();
std::span<const CommandSpec> MeetingCommandTable();
std::span<const CommandSpec> PlanCommandTable();
std::span<const CommandSpec> SignInCommandTable();
std::span<const CommandSpec> StatsCommandTable();
std::span<const CommandSpec> VocabCommandTable();
std::span<const CommandSpec> WelfarePlanCommandTable();

// Builds the subcommands of `root` from command tables and, after parsing, finds the chosen one.
// Not thread-safe; `root` must outlive the registry.
class CommandRegistry {
 public:
  explicit CommandRegistry(CLI::App& root);
  CommandRegistry(const CommandRegistry&) = delete;
  CommandRegistry& operator=(const CommandRegistry&) = delete;
  ~CommandRegistry();

  // Adds every row of `table` (groups first, as the table lists them). A row whose group is not
  // known is a programming error: it aborts.
  void Add(std::span<const CommandSpec> table);

  // After parsing: the command the command line chose, or nullptr.
  Command* Selected() const;

 private:
  CLI::App& root_;
  std::map<std::string, CLI::App*, std::less<>> groups_;
  std::vector<std::pair<CLI::App*, std::unique_ptr<Command>>> commands_;
};

// A repeatable option of `app`: each occurrence takes one value, which is never split (add
// ->delimiter(',') for comma-separated lists too).
CLI::Option* AddRepeatable(CLI::App& app, const std::string& flag, std::vector<std::string>* values,
                           const std::string& help);

// Gives every leaf subcommand below `app` a --json flag bound to `json`, so that --json works
// after the subcommand ("casectl case list --json") as well as before it.
void AddJsonFlagToLeaves(CLI::App& app, bool* json);

}  // namespace casecoord::cli
