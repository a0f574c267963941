#include "services/server/config.h"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>

#include "services/common/fiscal_year.h"
#include "services/common/text.h"

namespace casecoord::server {
namespace {

using Apply = std::function<Status(ServerConfig&, const std::string&)>;

Apply Text(std::string ServerConfig::*field, bool required = false, const std::string& name = "") {
  return [field, required, name](ServerConfig& config, const std::string& value) {
    if (required && value.empty()) return Status::InvalidArgument(name, "must be set");
    config.*field = value;
    return Status::Ok();
  };
}

Apply Integer(int ServerConfig::*field, const std::string& name, int minimum, int maximum) {
  return [=](ServerConfig& config, const std::string& value) {
    char* end = nullptr;
    long parsed = std::strtol(value.c_str(), &end, 10);
    if (value.empty() || *end != '\0' || parsed < minimum || parsed > maximum) {
      return Status::InvalidArgument(name, "must be an integer from " + std::to_string(minimum) +
                                               " to " + std::to_string(maximum) + ", got \"" +
                                               value + "\"");
    }
    config.*field = static_cast<int>(parsed);
    return Status::Ok();
  };
}

Apply Boolean(bool ServerConfig::*field, const std::string& name) {
  return [field, name](ServerConfig& config, const std::string& value) {
    if (value != "true" && value != "false") {
      return Status::InvalidArgument(name, "must be true or false");
    }
    config.*field = value == "true";
    return Status::Ok();
  };
}

// Where it listens, the mode, the directories and the keys.
std::vector<ConfigOption> ListenAndKeyOptions() {
  return {
      {"listen", "127.0.0.1:8443", "address:port to serve gRPC on (port 0 picks a free one)",
       Text(&ServerConfig::listen, true, "listen")},
      {"mode", "production",
       "production (client certificates required) or development (client certificates optional)",
       [](ServerConfig& config, const std::string& value) {
         if (value == "production") {
           config.mode = Mode::kProduction;
         } else if (value == "development") {
           config.mode = Mode::kDevelopment;
         } else {
           return Status::InvalidArgument("mode", "must be production or development");
         }
         return Status::Ok();
       }},
      {"municipality", "", "name of the municipality this instance serves",
       Text(&ServerConfig::municipality)},
      {"data-dir", "var/data/db", "RocksDB data directory (one per municipality)",
       Text(&ServerConfig::data_dir, true, "data-dir")},
      {"backup-dir", "var/data/backups", "directory for encrypted backups",
       Text(&ServerConfig::backup_dir, true, "backup-dir")},
      {"restore-dir", "var/data/restores", "root under which RestoreBackup creates directories",
       Text(&ServerConfig::restore_dir, true, "restore-dir")},
      {"tls-cert", "", "server certificate chain (PEM)", Text(&ServerConfig::tls_cert)},
      {"tls-key", "", "server private key (PEM)", Text(&ServerConfig::tls_key)},
      {"tls-client-ca", "", "CA bundle that client certificates must chain to (PEM)",
       Text(&ServerConfig::tls_client_ca)},
      {"kek-file", "",
       "file holding the key-encryption key, 64 hex digits, mode 0600 "
       "(otherwise the CASECOORD_KEK environment variable)",
       Text(&ServerConfig::kek_file)},
      {"previous-kek-files", "",
       "comma-separated key files still accepted for reading (after a rotation)",
       [](ServerConfig& config, const std::string& value) {
         config.previous_kek_files.clear();
         std::stringstream stream(value);
         std::string item;
         while (std::getline(stream, item, ',')) {
           if (!item.empty()) config.previous_kek_files.push_back(item);
         }
         return Status::Ok();
       }},
  };
}

// Workers, messages and connections.
std::vector<ConfigOption> ConnectionOptions() {
  return {
      {"worker-threads", "16",
       "threads for blocking storage work; more threads let more synced writes share one fsync",
       Integer(&ServerConfig::worker_threads, "worker-threads", 1, 512)},
      {"max-queued-requests", "10000", "requests waiting for a worker before RESOURCE_EXHAUSTED",
       Integer(&ServerConfig::max_queued_requests, "max-queued-requests", 1, 1000000)},
      {"max-message-bytes", "4194304", "largest request or response message",
       Integer(&ServerConfig::max_message_bytes, "max-message-bytes", 1024, 64 << 20)},
      {"keepalive-time-ms", "60000", "interval of HTTP/2 keepalive pings to idle clients",
       Integer(&ServerConfig::keepalive_time_ms, "keepalive-time-ms", 1000, 3600000)},
      {"keepalive-timeout-ms", "20000", "how long to wait for a keepalive ack",
       Integer(&ServerConfig::keepalive_timeout_ms, "keepalive-timeout-ms", 1000, 600000)},
      {"handshake-timeout-ms", "10000",
       "how long a new connection has to complete TLS and send its HTTP/2 settings before it is "
       "closed (gRPC's own default is 120 s, which lets idle connections pile up)",
       Integer(&ServerConfig::handshake_timeout_ms, "handshake-timeout-ms", 100, 600000)},
      {"max-connection-idle-ms", "300000",
       "a connection without calls for this long is closed with a GOAWAY (clients reconnect "
       "when they next call)",
       Integer(&ServerConfig::max_connection_idle_ms, "max-connection-idle-ms", 1000, 86400000)},
      {"max-concurrent-streams", "100",
       "calls one connection may have in progress at once; a client queues further calls on that "
       "connection, so keep long-lived watch streams of one connection below this",
       Integer(&ServerConfig::max_concurrent_streams, "max-concurrent-streams", 1, 100000)},
      {"max-connections", "4096",
       "open client connections at most (handshaking or established); further connections wait "
       "in the kernel's backlog until one closes. Lowered at start-up to the open-file limit "
       "minus reserved-fds",
       Integer(&ServerConfig::max_connections, "max-connections", 1, 1000000)},
      {"reserved-fds", "256",
       "file descriptors never used for connections, kept for the database's files, backups and "
       "gRPC itself",
       Integer(&ServerConfig::reserved_fds, "reserved-fds", 32, 1000000)},
      {"drain-ms", "2000",
       "on SIGTERM, how long health reports NOT_SERVING before the listener closes",
       Integer(&ServerConfig::drain_ms, "drain-ms", 0, 600000)},
      {"shutdown-grace-ms", "10000", "how long in-flight calls may finish before cancellation",
       Integer(&ServerConfig::shutdown_grace_ms, "shutdown-grace-ms", 0, 600000)},
  };
}

// The audit trail, the demo data and the services' own limits.
std::vector<ConfigOption> ServiceOptions() {
  return {
      {"audit-key-file", "",
       "file holding the audit HMAC key, 64 hex digits, mode 0600, kept apart from the data "
       "(otherwise the CASECOORD_AUDIT_KEY environment variable)",
       Text(&ServerConfig::audit_key_file)},
      {"bootstrap-admin", "",
       "user id created as the first admin at start-up if it does not exist yet",
       Text(&ServerConfig::bootstrap_admin)},
      {"demo-users", "false", "create one sample user per role at start-up (development only)",
       Boolean(&ServerConfig::demo_users, "demo-users")},
      {"demo-cases", "false",
       "open a few fictional households in different states at start-up when there are no cases "
       "(development; needs demo-directory and demo-users)",
       Boolean(&ServerConfig::demo_cases, "demo-cases")},
      {"demo-vocabularies", "",
       "CSV file (list,id,label,reading,order: the format of ImportTerms) imported into the "
       "vocabularies at start-up when the districts and issue-tags lists are empty (development)",
       Text(&ServerConfig::demo_vocabularies)},
      {"demo-directory", "",
       "CSV file imported into the agency directory at start-up when the directory is empty "
       "(development; the format of ImportAgencies)",
       Text(&ServerConfig::demo_directory)},
      {"case-retention-years", "5",
       "years after a case ended before an admin may purge its personal data (PurgeCase)",
       Integer(&ServerConfig::case_retention_years, "case-retention-years", 0, 100)},
      {"records-since", "2000-04-01",
       "the earliest intake date (受付日) a case may have, YYYY-MM-DD: cases received before it "
       "are not kept here",
       [](ServerConfig& config, const std::string& value) {
         if (!ParseJstDate(value) || value.size() != 10 || value[4] != '-') {
           return Status::InvalidArgument("records-since",
                                          "must be a date YYYY-MM-DD, got \"" + value + "\"");
         }
         config.records_since = value;
         return Status::Ok();
       }},
      {"rate-limit-per-second", "200", "calls per second each user may sustain",
       Integer(&ServerConfig::rate_limit_per_second, "rate-limit-per-second", 1, 1000000)},
      {"rate-limit-burst", "400", "calls a user may make at once before the rate applies",
       Integer(&ServerConfig::rate_limit_burst, "rate-limit-burst", 1, 1000000)},
      {"break-glass-minutes", "60", "how long an emergency (break-glass) access lasts",
       Integer(&ServerConfig::break_glass_minutes, "break-glass-minutes", 1, 24 * 60)},
      {"dispatch-max-follow-ups", "2",
       "follow-up consultations an adviser dispatch may have after its session (0: none)",
       Integer(&ServerConfig::dispatch_max_follow_ups, "dispatch-max-follow-ups", 0, 12)},
      {"dispatch-follow-up-months", "2",
       "months after an adviser dispatch's session within which its follow-ups may be dated",
       Integer(&ServerConfig::dispatch_follow_up_months, "dispatch-follow-up-months", 1, 24)},
      {"due-watch-interval-ms", "1000",
       "how often the work lists followed by WatchDueItems streams are read; an item that falls "
       "due reaches its streams within about this long",
       Integer(&ServerConfig::due_watch_interval_ms, "due-watch-interval-ms", 10, 600000)},
      {"watch-streams-per-user", "4",
       "WatchDueItems streams one user may hold open at once (a browser tab or two, a phone); "
       "more are RESOURCE_EXHAUSTED",
       Integer(&ServerConfig::watch_streams_per_user, "watch-streams-per-user", 1, 100)},
      {"stats-min-cell-count", "5",
       "k of the statistics' disclosure control: in tables of households, cells of 1 to k-1 "
       "are suppressed (\"x\") with the complementary cells that protect them",
       Integer(&ServerConfig::stats_min_cell_count, "stats-min-cell-count", 2, 100)},
      {"audit-head-log-minutes", "60",
       "how often the audit trail's head (SEQ:HASH) is logged, besides at start-up and shutdown: "
       "kept outside the database, it lets caseserver audit verify --expect-head detect a trail "
       "wiped or rolled back to before it",
       Integer(&ServerConfig::audit_head_log_minutes, "audit-head-log-minutes", 1, 24 * 60)},
      {"log-level", "info", "debug, info, warning or error",
       [](ServerConfig& config, const std::string& value) {
         if (value != "debug" && value != "info" && value != "warning" && value != "error") {
           return Status::InvalidArgument("log-level", "must be debug, info, warning or error");
         }
         config.log_level = value;
         return Status::Ok();
       }},
  };
}

// The HTTPS listener: the Connect API for browsers and partner systems, the probes, the console.
std::vector<ConfigOption> HttpOptions() {
  return {
      {"http-listen", "",
       "address:port to serve HTTPS on (the Connect API, /healthz, /readyz and the web console), "
       "with the same server certificate; empty: no HTTP listener",
       Text(&ServerConfig::http_listen)},
      {"http-threads", "128",
       "HTTP connections served at once: each open connection holds a thread, a browser's open "
       "work-list stream (WatchDueItems) included, so allow a few per person signed in",
       Integer(&ServerConfig::http_threads, "http-threads", 2, 1024)},
      {"http-max-body-bytes", "8388608",
       "largest HTTP request body (a JSON request, or every message of an upload); larger is 413",
       Integer(&ServerConfig::http_max_body_bytes, "http-max-body-bytes", 1024, 256 << 20)},
      {"http-read-timeout-ms", "10000",
       "an HTTP connection whose client sends nothing for this long while a request is being "
       "read is closed",
       Integer(&ServerConfig::http_read_timeout_ms, "http-read-timeout-ms", 100, 600000)},
      {"http-keepalive-timeout-ms", "5000",
       "an idle kept-alive HTTP connection is closed after this long",
       Integer(&ServerConfig::http_keepalive_timeout_ms, "http-keepalive-timeout-ms", 1000,
               600000)},
      {"http-require-client-certificate", "false",
       "require a client certificate (from tls-client-ca) on HTTP connections too, for networks "
       "whose policy demands it; sign-in is then a second check after the certificate",
       Boolean(&ServerConfig::http_require_client_certificate, "http-require-client-certificate")},
      {"session-idle-minutes", "30",
       "a browser session with no request for this long ends (the person signs in again)",
       Integer(&ServerConfig::session_idle_minutes, "session-idle-minutes", 1, 24 * 60)},
      {"session-absolute-hours", "12", "a browser session ends this long after sign-in",
       Integer(&ServerConfig::session_absolute_hours, "session-absolute-hours", 1, 7 * 24)},
      {"sign-in-max-failures", "5",
       "failed sign-ins in a row that lock an account for sign-in-lock-minutes",
       Integer(&ServerConfig::sign_in_max_failures, "sign-in-max-failures", 1, 100)},
      {"sign-in-lock-minutes", "15", "how long a locked account stays locked (an admin may unlock)",
       Integer(&ServerConfig::sign_in_lock_minutes, "sign-in-lock-minutes", 1, 24 * 60)},
      {"console-dir", "clients/web/dist",
       "directory of the web console's built files, served at / on the HTTP listener",
       Text(&ServerConfig::console_dir)},
  };
}

// "24h", "90m", "30s" or "0" (off): a whole number of hours, minutes or seconds, at most a week.
Apply Duration(int64_t ServerConfig::*field, const std::string& name) {
  return [field, name](ServerConfig& config, const std::string& value) {
    auto invalid = [&] {
      return Status::InvalidArgument(
          name,
          "must be 0 or a whole number of seconds, minutes or hours up to a week (\"30s\", "
          "\"90m\", \"24h\"), got \"" +
              value.substr(0, 32) + "\"");
    };
    if (value == "0") {
      config.*field = 0;
      return Status::Ok();
    }
    if (value.size() < 2) return invalid();
    const char unit = value.back();
    const int64_t scale = unit == 's' ? 1 : unit == 'm' ? 60 : unit == 'h' ? 3600 : 0;
    if (scale == 0) return invalid();
    constexpr int64_t kWeek = int64_t{7} * 24 * 3600;
    const std::optional<int64_t> parsed =
        ParseDecimalInt(std::string_view(value).substr(0, value.size() - 1), 1, kWeek / scale);
    if (!parsed) return invalid();
    config.*field = *parsed * scale;
    return Status::Ok();
  };
}

// The scraper's listener, the access log, scheduled backups and their off-site copy.
std::vector<ConfigOption> OperationsOptions() {
  return {
      {"metrics-listen", "",
       "address:port of the plain-HTTP listener serving /metrics (Prometheus text) to the "
       "metrics scraper alone; empty: none",
       Text(&ServerConfig::metrics_listen)},
      {"access-log", "true",
       "write one JSON line per call (time, channel, method, user, code, reason, latency, "
       "request size; no personal data) to stdout",
       Boolean(&ServerConfig::access_log, "access-log")},
      {"backup-interval", "24h",
       "how often the running server takes a backup into backup-dir, verifies it (restored to "
       "scratch under restore-dir, audit chain checked) and copies it off-site: 30s, 90m, 24h; "
       "0: no schedule",
       Duration(&ServerConfig::backup_interval_seconds, "backup-interval")},
      {"backup-keep", "14", "scheduled backups keep this many newest backups in backup-dir",
       Integer(&ServerConfig::backup_keep, "backup-keep", 1, 1000)},
      {"offsite-target", "",
       "where each scheduled backup is copied, already encrypted: s3://BUCKET/PREFIX (an "
       "S3-compatible bucket) or an absolute directory (a mounted share); empty: no copy",
       Text(&ServerConfig::offsite_target)},
      {"offsite-endpoint", "",
       "the S3-compatible service's base URL, e.g. https://s3.ap-northeast-1.amazonaws.com",
       Text(&ServerConfig::offsite_endpoint)},
      {"offsite-region", "ap-northeast-1", "the bucket's region (AWS Signature Version 4)",
       Text(&ServerConfig::offsite_region)},
      {"offsite-credentials-file", "",
       "file with the bucket's access key, mode 0600: lines \"access-key-id = ...\" and "
       "\"secret-access-key = ...\"",
       Text(&ServerConfig::offsite_credentials_file)},
      {"offsite-ca-file", "",
       "CA bundle for an https endpoint with a private CA; empty: the system's",
       Text(&ServerConfig::offsite_ca_file)},
  };
}

// Every option, in the order --help lists them.
std::vector<ConfigOption> BuildOptions() {
  std::vector<ConfigOption> options = ListenAndKeyOptions();
  for (std::vector<ConfigOption> (*part)() :
       {&ConnectionOptions, &ServiceOptions, &HttpOptions, &OperationsOptions}) {
    std::vector<ConfigOption> more = part();
    options.insert(options.end(), std::make_move_iterator(more.begin()),
                   std::make_move_iterator(more.end()));
  }
  return options;
}

Result<std::map<std::string, std::string>> ReadConfigFile(const std::string& path) {
  std::map<std::string, std::string> values;
  if (path.empty()) return values;
  std::ifstream in(path);
  if (!in) return Status::InvalidArgument("config", "cannot read config file " + path);
  std::string line;
  int number = 0;
  auto trim = [](const std::string& s) {
    size_t begin = s.find_first_not_of(" \t\r");
    size_t end = s.find_last_not_of(" \t\r");
    return begin == std::string::npos ? std::string() : s.substr(begin, end - begin + 1);
  };
  while (std::getline(in, line)) {
    ++number;
    line = trim(line.substr(0, line.find('#')));
    if (line.empty()) continue;
    size_t equals = line.find('=');
    if (equals == std::string::npos) {
      return Status::InvalidArgument(
          "config", path + ":" + std::to_string(number) + ": expected \"name = value\"");
    }
    values[trim(line.substr(0, equals))] = trim(line.substr(equals + 1));
  }
  return values;
}

}  // namespace

const std::vector<ConfigOption>& ConfigOptions() {
  static const std::vector<ConfigOption> options = BuildOptions();
  return options;
}

std::string EnvironmentName(const std::string& option_name) {
  std::string out = "CASECOORD_";
  for (char c : option_name) out.push_back(c == '-' ? '_' : static_cast<char>(std::toupper(c)));
  return out;
}

std::vector<Status> ProductionRefusals(const ServerConfig& config) {
  std::vector<Status> refusals;
  if (config.mode != Mode::kProduction) return refusals;
  auto refuse = [&refusals](const std::string& setting, const std::string& why) {
    refusals.push_back(Status(Reason::kUnsafeInProduction, setting + ": " + why));
  };
  if (config.demo_users) refuse("demo-users", "demo users are not allowed in production");
  if (!config.demo_directory.empty()) {
    refuse("demo-directory", "a demo agency directory is not allowed in production");
  }
  if (!config.demo_vocabularies.empty()) {
    refuse("demo-vocabularies", "demo vocabularies are not allowed in production");
  }
  if (config.demo_cases) refuse("demo-cases", "demo cases are not allowed in production");
  if (config.case_retention_years < 1) {
    refuse("case-retention-years",
           "must be at least 1 in production (cases could be purged "
           "the day they end)");
  }
  if (config.log_level == "debug") {
    refuse("log-level", "debug logging is not allowed in production");
  }
  if (config.tls_client_ca.empty()) {
    refuse("tls-client-ca", "production requires client certificates, so a client CA");
  } else if (struct stat info{}; ::stat(config.tls_client_ca.c_str(), &info) != 0) {
    refuse("tls-client-ca", "cannot read " + config.tls_client_ca);
  }
  // Object names and sizes would travel in clear (the signature keeps the secret and the files
  // are encrypted either way); a store on the same machine may be reached without TLS.
  if (config.offsite_endpoint.rfind("http://", 0) == 0 &&
      config.offsite_endpoint.rfind("http://127.0.0.1", 0) != 0 &&
      config.offsite_endpoint.rfind("http://localhost", 0) != 0 &&
      config.offsite_endpoint.rfind("http://[::1]", 0) != 0) {
    refuse("offsite-endpoint", "must be https:// unless the store is on this machine");
  }
  const std::pair<const char*, const std::string*> key_files[] = {
      {"kek-file", &config.kek_file},
      {"audit-key-file", &config.audit_key_file},
      {"tls-key", &config.tls_key},
      {"offsite-credentials-file", &config.offsite_credentials_file},
  };
  for (const auto& [setting, path] : key_files) {
    struct stat info {};
    if (path->empty() || ::stat(path->c_str(), &info) != 0) continue;  // reported when read
    if ((info.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
      refuse(setting, *path + " is readable by others (mode " +
                          std::to_string((info.st_mode >> 6) & 7) +
                          std::to_string((info.st_mode >> 3) & 7) +
                          std::to_string(info.st_mode & 7) + "): chmod 600 it");
    }
  }
  return refusals;
}

std::optional<std::string> ProcessEnvironment(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

Result<ServerConfig> ResolveConfig(
    const std::map<std::string, std::string>& flags, const std::string& config_file,
    const std::function<std::optional<std::string>(const std::string&)>& getenv) {
  auto file_values = ReadConfigFile(config_file);
  if (!file_values.ok()) return file_values.status();
  for (const auto& [key, value] : *file_values) {
    bool known = false;
    for (const auto& option : ConfigOptions()) known = known || option.name == key;
    if (!known) return Status::InvalidArgument(key, "unknown setting in " + config_file);
  }
  ServerConfig config;
  for (const auto& option : ConfigOptions()) {
    std::string value = option.default_value;
    if (auto it = file_values->find(option.name); it != file_values->end()) value = it->second;
    if (auto env = getenv(EnvironmentName(option.name))) value = *env;
    if (auto it = flags.find(option.name); it != flags.end()) value = it->second;
    CASECOORD_RETURN_IF_ERROR(option.apply(config, value));
  }
  return config;
}

}  // namespace casecoord::server
