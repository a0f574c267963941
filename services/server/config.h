// caseserver configuration: one declarative table (kConfigOptions in config.cc) of every setting
// with its default, help text and validation. Each setting can come from, in order of precedence:
//   1. a command-line flag        --data-dir=/srv/casecoord/db
//   2. an environment variable    CASECOORD_DATA_DIR=/srv/casecoord/db
//   3. the optional config file   data-dir = /srv/casecoord/db     (--config FILE, '#' comments)
//   4. the default in the table.
// Secrets are not settings: the key-encryption key comes from --kek-file or CASECOORD_KEK, and the
// audit key from --audit-key-file or CASECOORD_AUDIT_KEY, never from a settings value itself.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "services/common/status.h"

namespace casecoord::server {

enum class Mode { kProduction, kDevelopment };

struct ServerConfig {
  std::string listen;
  Mode mode = Mode::kProduction;
  std::string municipality;
  std::string data_dir;
  std::string backup_dir;
  std::string restore_dir;
  std::string tls_cert;
  std::string tls_key;
  std::string tls_client_ca;
  std::string kek_file;
  std::vector<std::string> previous_kek_files;
  int worker_threads = 0;
  int max_queued_requests = 0;
  int max_message_bytes = 0;
  int keepalive_time_ms = 0;
  int keepalive_timeout_ms = 0;
  int handshake_timeout_ms = 0;
  int max_connection_idle_ms = 0;
  int max_concurrent_streams = 0;
  int max_connections = 0;
  int reserved_fds = 0;
  int drain_ms = 0;
  int shutdown_grace_ms = 0;
  std::string log_level;
  std::string audit_key_file;
  std::string bootstrap_admin;
  bool demo_users = false;
  std::string demo_directory;
  std::string demo_vocabularies;
  bool demo_cases = false;
  int case_retention_years = 5;
  // The earliest intake date a case may have, "YYYY-MM-DD" (validated as a real day).
  std::string records_since = "2000-04-01";
  int rate_limit_per_second = 0;
  int rate_limit_burst = 0;
  int break_glass_minutes = 0;
  int dispatch_max_follow_ups = 2;
  int dispatch_follow_up_months = 2;
  int due_watch_interval_ms = 1000;
  int watch_streams_per_user = 4;
  int stats_min_cell_count = 5;
  int audit_head_log_minutes = 60;
  // The HTTPS listener (Connect API, probes, console); empty http_listen: none.
  std::string http_listen;
  int http_threads = 128;
  int http_max_body_bytes = 8 << 20;
  int http_read_timeout_ms = 10000;
  int http_keepalive_timeout_ms = 5000;
  bool http_require_client_certificate = false;
  std::string console_dir;
  // Sign-in for people (the HTTP listener's /auth routes).
  int session_idle_minutes = 30;
  int session_absolute_hours = 12;
  int sign_in_max_failures = 5;
  int sign_in_lock_minutes = 15;
  // Operations: the scraper's listener, the access log, scheduled backups and their off-site copy.
  std::string metrics_listen;
  bool access_log = true;
  int64_t backup_interval_seconds = int64_t{24} * 3600;  // 0: no schedule
  int backup_keep = 14;
  std::string offsite_target;
  std::string offsite_endpoint;
  std::string offsite_region;
  std::string offsite_credentials_file;
  std::string offsite_ca_file;
};

struct ConfigOption {
  std::string name;           // flag and file key, e.g. "data-dir"
  std::string default_value;  // as text, parsed like any other source
  std::string help;
  std::function<Status(ServerConfig&, const std::string&)> apply;
};

const std::vector<ConfigOption>& ConfigOptions();

// "data-dir" -> "CASECOORD_DATA_DIR".
std::string EnvironmentName(const std::string& option_name);

// Resolves every option from `flags` (name -> value, only those given), the environment (through
// `getenv`), and `config_file` (may be empty). Unknown keys in the file and invalid values are
// INVALID_ARGUMENT naming the option.
Result<ServerConfig> ResolveConfig(
    const std::map<std::string, std::string>& flags, const std::string& config_file,
    const std::function<std::optional<std::string>(const std::string&)>& getenv);

// What production mode refuses in `config` (demo data, short retention, debug logging, key files
// readable by others, no client CA): one FAILED_PRECONDITION UNSAFE_IN_PRODUCTION per problem,
// each naming its setting. Empty in development mode. Reads file modes only; opens nothing.
std::vector<Status> ProductionRefusals(const ServerConfig& config);

// The process environment, for ResolveConfig.
std::optional<std::string> ProcessEnvironment(const std::string& name);

}  // namespace casecoord::server
