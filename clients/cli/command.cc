#include "clients/cli/command.h"

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>

namespace casecoord::cli {

CommandRegistry::CommandRegistry(CLI::App& root) : root_(root) {}

CommandRegistry::~CommandRegistry() = default;

void CommandRegistry::Add(std::span<const CommandSpec> table) {
  for (const CommandSpec& spec : table) {
    const size_t space = spec.path.rfind(' ');
    CLI::App* parent = &root_;
    if (space != std::string_view::npos) {
      const auto found = groups_.find(spec.path.substr(0, space));
      if (found == groups_.end()) {
        std::cerr << "casectl: no group for \"" << spec.path << "\"\n";
        std::abort();
      }
      parent = found->second;
    }
    const std::string name(space == std::string_view::npos ? spec.path
                                                           : spec.path.substr(space + 1));
    CLI::App* app = parent->add_subcommand(name, std::string(spec.description));
    if (!spec.footer.empty()) app->footer(std::string(spec.footer));
    if (spec.make == nullptr) {
      app->require_subcommand(1);
      groups_.emplace(std::string(spec.path), app);
      continue;
    }
    std::unique_ptr<Command> command = spec.make();
    command->Configure(*app);
    commands_.emplace_back(app, std::move(command));
  }
}

Command* CommandRegistry::Selected() const {
  for (const auto& [app, command] : commands_) {
    if (app->parsed()) return command.get();
  }
  return nullptr;
}

CLI::Option* AddRepeatable(CLI::App& app, const std::string& flag, std::vector<std::string>* values,
                           const std::string& help) {
  return app.add_option(flag, *values, help)
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
}

void AddJsonFlagToLeaves(CLI::App& app, bool* json) {
  const std::vector<CLI::App*> children = app.get_subcommands([](CLI::App*) { return true; });
  for (CLI::App* child : children) {
    if (child->get_subcommands([](CLI::App*) { return true; }).empty()) {
      child->add_flag("--json", *json, "print JSON instead of tables");
    } else {
      AddJsonFlagToLeaves(*child, json);
    }
  }
}

}  // namespace casecoord::cli
