// caseserver: the casecoord server and its offline maintenance commands.
//
//   caseserver serve      [settings]                 serve gRPC until SIGTERM/SIGINT
//   caseserver keygen     --out FILE                 write a new key-encryption key (mode 0600)
//   caseserver backup create|list [settings]         offline backup (server stopped) / list
//   caseserver backup fetch --to DIR [settings]      copy the off-site copy into DIR
//   caseserver backup verify-offsite --scratch DIR [settings]
//                                                    restore drill of the off-site copy
//   caseserver restore    --backup-id N --target DIR [settings]
//   caseserver rotate-key --new-kek-file FILE [settings]
//   caseserver audit verify [--expect-head SEQ:HASH] [settings]
//                                                    check the audit chain (server stopped)
//   caseserver audit recover --reason TEXT [settings]
//                                                    continue a trail whose head start-up refuses
//   caseserver counters verify [settings]            compare the statistics counters with a
//                                                    recount from the records (server stopped)
//   caseserver settings                              print every setting and its default
//
// Every command checks its keys before it opens anything: the KEK against the file headers of the
// data or backup directory (WRONG_KEY), the audit key against the data directory's audit key check
// file (AUDIT_KEY_MISMATCH). A failing command prints the reason and exits 1.
#include <absl/synchronization/mutex.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <optional>
#include <thread>

#include "services/auth/audit_log.h"
#include "services/backup/backup_schedule.h"
#include "services/backup/offsite.h"
#include "services/common/log.h"
#include "services/server/server.h"
#include "services/storage/backup.h"
#include "services/storage/key_source.h"
#include "services/storage/rotation.h"

// jemalloc's settings, read when caseserver links it (services/server/CMakeLists.txt; unused
// otherwise). Two arenas instead of four per core, and freed pages handed back within a second by
// a background thread: the block cache's churn otherwise kept caseserver's peak RSS at 280 MiB in
// cases_bench, against 233 MiB with these (docs/performance.md, "Cases"). MALLOC_CONF in the
// environment still overrides them.
extern "C" {
const char* malloc_conf = "narenas:2,dirty_decay_ms:1000,muzzy_decay_ms:0,background_thread:true";
}

namespace casecoord::server {
namespace {

int Fail(const Status& status) {
  log::Error("caseserver failed", {{"error", status.ToString()}});
  std::cerr << "caseserver: " << status.ToString() << "\n";
  return 1;
}

// Keys must never reach a core file or a debugger attached by another user.
void DisableCoreDumps() {
  struct rlimit no_core {
    0, 0
  };
  setrlimit(RLIMIT_CORE, &no_core);
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

struct OpenFileLimit {
  rlim_t before = 0;  // the soft limit caseserver was started with
  rlim_t soft = 0;    // the soft limit now
  rlim_t hard = 0;
};

// Every client connection holds a file descriptor, and so does every table file RocksDB keeps
// open; the soft limit many systems start services with (1024) is far below what either may need,
// while the hard limit is what the administrator allows. So caseserver takes the hard limit.
// Nothing in caseserver uses select(2), whose FD_SETSIZE of 1024 is why soft limits stay low.
OpenFileLimit RaiseOpenFileLimit() {
  OpenFileLimit limit;
  struct rlimit files {};
  if (getrlimit(RLIMIT_NOFILE, &files) != 0) return limit;
  limit.before = limit.soft = files.rlim_cur;
  limit.hard = files.rlim_max;
  if (files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &files) == 0) limit.soft = files.rlim_max;
  }
  return limit;
}

std::string LimitText(rlim_t value) {
  return value == RLIM_INFINITY ? "unlimited" : std::to_string(value);
}

log::Level ParseLevel(const std::string& level) {
  if (level == "debug") return log::Level::kDebug;
  if (level == "warning") return log::Level::kWarning;
  if (level == "error") return log::Level::kError;
  return log::Level::kInfo;
}

struct Settings {
  std::map<std::string, std::string> flags;
  std::string config_file;
};

void AddSettings(CLI::App* command, Settings* settings) {
  command->add_option("--config", settings->config_file, "optional settings file (name = value)");
  for (const auto& option : ConfigOptions()) {
    command->add_option_function<std::string>(
        "--" + option.name,
        [settings, name = option.name](const std::string& value) { settings->flags[name] = value; },
        option.help + " [" + EnvironmentName(option.name) + ", default \"" + option.default_value +
            "\"]");
  }
}

Result<ServerConfig> Resolve(const Settings& settings) {
  auto config = ResolveConfig(settings.flags, settings.config_file, ProcessEnvironment);
  if (config.ok()) log::SetMinimumLevel(ParseLevel(config->log_level));
  return config;
}

// The sync journal of the crash tests (storage::SyncJournal), in the caseserver_test_seams binary
// only: the production caseserver is compiled without it, so no environment can turn it on there.
Result<std::shared_ptr<storage::SyncJournal>> TestSyncJournal() {
#ifdef CASECOORD_TEST_SEAMS
  const char* path = std::getenv("CASECOORD_TEST_SYNC_JOURNAL");
  if (path != nullptr && *path != '\0') {
    log::Warning("test seam: journaling synced file sizes", {{"journal", path}});
    return storage::SyncJournal::Open(path);
  }
#endif
  return std::shared_ptr<storage::SyncJournal>();
}

// systemd's readiness protocol (Type=notify); without NOTIFY_SOCKET (not under systemd) a no-op.
void NotifySystemd(const std::string& state) {
  const int sent = sd_notify(0, state.c_str());
  if (sent < 0) log::Warning("sd_notify failed", {{"errno", std::to_string(-sent)}});
}

int Serve(const ServerConfig& config, const OpenFileLimit& files) {
  // Before any key is read or anything opened: production refuses unsafe settings, each on a line.
  if (const std::vector<Status> refusals = ProductionRefusals(config); !refusals.empty()) {
    for (const Status& refusal : refusals) {
      log::Error("refused in production mode", {{"error", refusal.ToString()}});
      std::cerr << "caseserver: refused in production mode: " << refusal.message() << "\n";
    }
    return 1;
  }
  log::Info("open-file limit", {{"soft", LimitText(files.soft)},
                                {"hard", LimitText(files.hard)},
                                {"started_with", LimitText(files.before)}});
  auto keyring = LoadKeyring(config);
  if (!keyring.ok()) return Fail(keyring.status());
  auto audit_key = LoadAuditKey(config);
  if (!audit_key.ok()) return Fail(audit_key.status());
  auto journal = TestSyncJournal();
  if (!journal.ok()) return Fail(journal.status());
  auto server = CaseServer::Start(config, *keyring, std::move(audit_key).value(),
                                  SystemClock::Instance(), nullptr, std::move(journal).value());
  if (!server.ok()) return Fail(server.status());
  NotifySystemd("READY=1\nSTATUS=serving on " + config.listen +
                "\nMAINPID=" + std::to_string(::getpid()));

  // Signals were blocked in every thread at start-up; this thread alone receives them.
  std::thread signal_waiter([&server] {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    int received = 0;
    sigwait(&signals, &received);
    log::Info("signal received", {{"signal", received == SIGTERM ? "SIGTERM" : "SIGINT"}});
    NotifySystemd("STOPPING=1\nSTATUS=draining and shutting down");
    (*server)->Shutdown();
  });
  (*server)->Wait();
  signal_waiter.join();
  return 0;
}

std::string FormatTime(int64_t seconds) {
  std::time_t time = seconds;
  std::tm local{};
  localtime_r(&time, &local);
  char buffer[32];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%d %H:%M:%S", &local);
  return buffer;
}

// The subcommands and the values of their options, filled in by CLI11.
struct Commands {
  Settings settings;
  CLI::App* serve = nullptr;
  std::string keygen_out;
  CLI::App* keygen = nullptr;
  CLI::App* backup_create = nullptr;
  CLI::App* backup_list = nullptr;
  std::string fetch_to;
  CLI::App* backup_fetch = nullptr;
  std::string drill_scratch;
  CLI::App* backup_verify_offsite = nullptr;
  uint32_t restore_id = 0;
  std::string restore_target;
  CLI::App* restore = nullptr;
  std::string new_kek_file;
  CLI::App* rotate = nullptr;
  std::string expect_head;
  CLI::App* audit_verify = nullptr;
  std::string recover_reason;
  CLI::App* audit_recover = nullptr;
  CLI::App* counters_verify = nullptr;
  CLI::App* list_settings = nullptr;
};

// Blocks the signals that the serving thread waits for, and sets process-wide defaults.
OpenFileLimit PrepareProcess() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  DisableCoreDumps();
  const OpenFileLimit open_files = RaiseOpenFileLimit();
  // Debian's abseil checks every gRPC mutex for lock-order cycles, a debugging aid that costs a few
  // percent of CPU on every call in production.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  return open_files;
}

void AddBackupCommands(CLI::App* app, Commands* commands) {
  auto* backup = app->add_subcommand("backup", "offline backups (use casectl while serving)");
  backup->require_subcommand(1);
  commands->backup_create =
      backup->add_subcommand("create", "back up the stopped server's database");
  AddSettings(commands->backup_create, &commands->settings);
  commands->backup_list = backup->add_subcommand("list", "list backups");
  AddSettings(commands->backup_list, &commands->settings);
  commands->backup_fetch = backup->add_subcommand(
      "fetch",
      "copy the off-site copy (offsite-target) into a new directory, to restore from it "
      "with restore --backup-dir");
  commands->backup_fetch->add_option("--to", commands->fetch_to, "new, empty directory")
      ->required();
  AddSettings(commands->backup_fetch, &commands->settings);
  commands->backup_verify_offsite = backup->add_subcommand(
      "verify-offsite",
      "restore drill: fetch the off-site copy, restore its newest backup and check its audit "
      "chain, all under --scratch (emptied afterwards); exit 3 if the copy is not sound");
  commands->backup_verify_offsite
      ->add_option("--scratch", commands->drill_scratch,
                   "working directory (needs room for a "
                   "copy and a restore)")
      ->required();
  AddSettings(commands->backup_verify_offsite, &commands->settings);

  auto* restore = app->add_subcommand("restore", "restore a backup into a new directory");
  restore->add_option("--backup-id", commands->restore_id, "backup to restore")->required();
  restore->add_option("--target", commands->restore_target, "new, empty data directory")
      ->required();
  AddSettings(restore, &commands->settings);
  commands->restore = restore;
}

void AddAuditCommands(CLI::App* app, Commands* commands) {
  auto* audit = app->add_subcommand("audit", "the audit trail (use casectl while serving)");
  audit->require_subcommand(1);
  auto* audit_verify = audit->add_subcommand(
      "verify", "check the stopped server's audit hash chain and MACs; exit 3 if broken");
  audit_verify->add_option("--expect-head", commands->expect_head,
                           "a head kept earlier (SEQ:HASH, from the log or a backup): the trail is "
                           "broken unless it still holds that entry");
  AddSettings(audit_verify, &commands->settings);
  commands->audit_verify = audit_verify;
  auto* audit_recover = audit->add_subcommand(
      "recover",
      "continue a trail whose head start-up refuses (missing, older or newer than the entries): "
      "signs a head after the last entry with an entry recording the finding and your reason");
  audit_recover
      ->add_option("--reason", commands->recover_reason, "why, for the trail (at most 500 bytes)")
      ->required();
  AddSettings(audit_recover, &commands->settings);
  commands->audit_recover = audit_recover;
}

void AddCommands(CLI::App* app, Commands* commands) {
  commands->serve = app->add_subcommand("serve", "serve gRPC until SIGTERM or SIGINT");
  AddSettings(commands->serve, &commands->settings);

  commands->keygen =
      app->add_subcommand("keygen", "write a new random key-encryption key (mode 0600)");
  commands->keygen->add_option("--out", commands->keygen_out, "file to create")->required();

  AddBackupCommands(app, commands);

  auto* rotate = app->add_subcommand(
      "rotate-key", "re-encrypt the stopped server's database under a new key-encryption key");
  rotate
      ->add_option("--new-kek-file", commands->new_kek_file,
                   "the new key (the old one: --kek-file)")
      ->required();
  AddSettings(rotate, &commands->settings);
  commands->rotate = rotate;

  AddAuditCommands(app, commands);

  auto* counters = app->add_subcommand("counters", "the statistics counters (server stopped)");
  counters->require_subcommand(1);
  commands->counters_verify = counters->add_subcommand(
      "verify",
      "compare the stopped server's statistics counters with a recount from the records; exit 3 "
      "if any differs (RebuildCaseCounters replaces them while serving)");
  AddSettings(commands->counters_verify, &commands->settings);

  commands->list_settings = app->add_subcommand("settings", "print every setting and its default");
}

int ListSettings() {
  for (const auto& option : ConfigOptions()) {
    std::cout << "--" << option.name << " / " << EnvironmentName(option.name) << " (default \""
              << option.default_value << "\")\n    " << option.help << "\n";
  }
  return 0;
}

int Keygen(const std::string& out) {
  auto key = storage::GenerateKeyFile(out);
  if (!key.ok()) return Fail(key.status());
  std::cout << "wrote key " << key->id() << " to " << out << "\n";
  return 0;
}

using KeyringPtr = std::shared_ptr<const storage::Keyring>;

int CreateBackup(const ServerConfig& config, const KeyringPtr& keyring) {
  auto storage = storage::Storage::OpenExisting(config.data_dir, keyring);
  if (!storage.ok()) return Fail(storage.status());
  auto head = auth::LastAuditEntry(**storage);
  if (!head.ok()) return Fail(head.status());
  auto summary = storage::CreateBackup(**storage, config.backup_dir, auth::FormatAuditHead(*head));
  if (!summary.ok()) return Fail(summary.status());
  std::cout << "backup " << summary->id << " created in " << config.backup_dir << " ("
            << summary->file_count << " files, " << summary->size_bytes << " bytes)\n"
            << "audit head " << summary->audit_head << "\n";
  return 0;
}

int ListBackups(const ServerConfig& config, const KeyringPtr& keyring) {
  auto backups = storage::ListBackups(config.backup_dir, keyring);
  if (!backups.ok()) return Fail(backups.status());
  std::printf("%-6s %-19s %8s %12s  %s\n", "ID", "CREATED", "FILES", "BYTES", "AUDIT HEAD");
  for (const auto& b : *backups) {
    std::printf("%-6u %-19s %8u %12llu  %s\n", b.id, FormatTime(b.timestamp_seconds).c_str(),
                b.file_count, static_cast<unsigned long long>(b.size_bytes),
                b.audit_head.empty() ? "-" : b.audit_head.c_str());
  }
  return 0;
}

int Restore(const ServerConfig& config, const KeyringPtr& keyring, uint32_t restore_id,
            const std::string& restore_target) {
  auto records = storage::RestoreBackup(config.backup_dir, restore_id, restore_target, keyring);
  if (!records.ok()) return Fail(records.status());
  std::cout << "restored backup " << restore_id << " into " << restore_target << "; " << *records
            << " records read back and verified\n";
  return 0;
}

int VerifyAudit(const ServerConfig& config, const KeyringPtr& keyring,
                const std::string& expect_head) {
  std::optional<auth::AuditHead> expected;
  if (!expect_head.empty()) {
    auto parsed = auth::ParseAuditHead(expect_head, "expect-head");
    if (!parsed.ok()) return Fail(parsed.status());
    expected = *parsed;
  }
  auto audit_key = LoadAuditKey(config);
  if (!audit_key.ok()) return Fail(audit_key.status());
  // Before opening: an open replays the write-ahead log and rewrites files.
  Status key_checked = auth::CheckAuditKeyFile(config.data_dir, *audit_key);
  if (!key_checked.ok()) return Fail(key_checked);
  auto storage = storage::Storage::OpenExisting(config.data_dir, keyring);
  if (!storage.ok()) return Fail(storage.status());
  // Without AuditLog::Open, which refuses the very trails this must report on.
  auth::AuditVerification result = auth::VerifyAuditTrail(**storage, *audit_key, expected);
  if (result.intact) {
    std::cout << "監査証跡は改ざんされていません / audit trail intact (" << result.entries_checked
              << " entries";
    if (expected) std::cout << ", holds the expected head";
    std::cout << ")\nhead " << auth::FormatAuditHead(result.head) << "\n";
    return 0;
  }
  std::cout << "監査証跡の破損 / audit trail BROKEN at entry " << result.first_broken_sequence
            << ": " << result.problem << "\n";
  return 3;
}

int RecoverAudit(const ServerConfig& config, const KeyringPtr& keyring,
                 const std::string& recover_reason) {
  auto audit_key = LoadAuditKey(config);
  if (!audit_key.ok()) return Fail(audit_key.status());
  auto storage = storage::Storage::OpenExisting(config.data_dir, keyring);
  if (!storage.ok()) return Fail(storage.status());
  auto recovered = auth::AuditLog::Recover(**storage, *audit_key, recover_reason);
  if (!recovered.ok()) return Fail(recovered.status());
  log::Warning("audit trail recovered",
               {{"finding", recovered->finding}, {"head", auth::FormatAuditHead(recovered->head)}});
  std::cout << "監査証跡を継続しました / audit trail continued: " << recovered->finding << ": "
            << recovered->description << "\nrecorded as entry " << recovered->head.sequence
            << "; new head " << auth::FormatAuditHead(recovered->head) << "\n";
  return 0;
}

int VerifyCountersCommand(const ServerConfig& config, const KeyringPtr& keyring) {
  auto storage = storage::Storage::OpenExisting(config.data_dir, keyring);
  if (!storage.ok()) return Fail(storage.status());
  auto verified = VerifyCounters(**storage, keyring);
  if (!verified.ok()) return Fail(verified.status());
  if (verified->differences.empty()) {
    std::cout << "統計カウンタは記録と一致しています / counters agree with a recount from the "
                 "records ("
              << verified->counters_recomputed << " counters)\n";
    return 0;
  }
  std::cout << "統計カウンタの不一致 / counters DIFFER from a recount from the records:\n";
  for (const auto& difference : verified->differences) {
    std::cout << "  " << difference.key.ToString() << ": stored " << difference.stored
              << ", recounted " << difference.recomputed << "\n";
  }
  return 3;
}

int RotateKey(const ServerConfig& config, const KeyringPtr& keyring,
              const std::string& new_kek_file) {
  auto new_key = storage::LoadKeyFile(new_kek_file);
  if (!new_key.ok()) return Fail(new_key.status());
  std::vector<storage::KeyEncryptionKey> readable;
  for (const auto& id : keyring->ids()) readable.push_back(*keyring->Find(id));
  auto rotating = std::make_shared<storage::Keyring>(*new_key, std::move(readable));
  auto report = storage::RotateKey(config.data_dir, rotating);
  if (!report.ok()) return Fail(report.status());
  std::cout << "new key " << report->new_key_id
            << "; files re-encrypted by copy: " << report->files_copied << "\n";
  for (const auto& [id, count] : report->files_per_key_id) {
    std::cout << "  key " << id << ": " << count << " files\n";
  }
  if (report->old_keys_unused) {
    std::cout << "no file uses an old key any more; keep the old key only for older backups\n";
    return 0;
  }
  std::cout << "some files still use an old key\n";
  return 1;
}

Result<std::unique_ptr<backup::OffsiteStore>> OpenOffsite(const ServerConfig& config) {
  if (config.offsite_target.empty()) {
    return Status::InvalidArgument("offsite-target", "must name the off-site copy to read");
  }
  return backup::OpenOffsiteStore(OffsiteSettingsOf(config));
}

int FetchOffsite(const ServerConfig& config, const std::string& target) {
  auto store = OpenOffsite(config);
  if (!store.ok()) return Fail(store.status());
  auto fetched = backup::FetchFromOffsite(**store, target);
  if (!fetched.ok()) return Fail(fetched.status());
  std::cout << "fetched " << *fetched << " files from " << (*store)->Describe() << " into "
            << target << "\n";
  return 0;
}

// The restore drill: whatever fails is reported, and the scratch directory is emptied.
int VerifyOffsite(const ServerConfig& config, const KeyringPtr& keyring,
                  const std::string& scratch) {
  auto audit_key = LoadAuditKey(config);
  if (!audit_key.ok()) return Fail(audit_key.status());
  auto store = OpenOffsite(config);
  if (!store.ok()) return Fail(store.status());
  const std::string copy = scratch + "/offsite-copy";
  const std::string restores = scratch + "/offsite-restore";
  struct RemoveAfterwards {
    std::vector<std::string> paths;
    ~RemoveAfterwards() {
      std::error_code ignored;
      for (const std::string& path : paths) std::filesystem::remove_all(path, ignored);
    }
  } cleanup{{copy, restores}};
  auto fetched = backup::FetchFromOffsite(**store, copy);
  if (!fetched.ok()) return Fail(fetched.status());
  auto backups = storage::ListBackups(copy, keyring);
  if (!backups.ok()) return Fail(backups.status());
  if (backups->empty()) {
    return Fail(Status(Reason::kBackupNotFound, "the off-site copy holds no backup"));
  }
  const storage::BackupSummary& newest = backups->front();
  auto verified = backup::VerifyBackup(copy, newest, keyring, *audit_key, restores);
  if (!verified.ok()) {
    std::cout << "オフサイトのバックアップは復元できません / off-site copy NOT sound: "
              << verified.status().ToString() << "\n";
    return 3;
  }
  std::cout << "オフサイトのバックアップを復元・検証しました / off-site copy sound: backup "
            << newest.id << " of " << FormatTime(newest.timestamp_seconds) << ", "
            << verified->keys_restored << " keys restored, " << verified->audit_entries_checked
            << " audit entries verified (" << *fetched << " files from " << (*store)->Describe()
            << ")\n";
  return 0;
}

// Runs the offline command the user chose (one that needs the key-encryption keys).
int RunOfflineCommand(const Commands& commands, const ServerConfig& config,
                      const KeyringPtr& keyring) {
  if (*commands.backup_create) return CreateBackup(config, keyring);
  if (*commands.backup_list) return ListBackups(config, keyring);
  if (*commands.backup_verify_offsite)
    return VerifyOffsite(config, keyring, commands.drill_scratch);
  if (*commands.restore) {
    return Restore(config, keyring, commands.restore_id, commands.restore_target);
  }
  if (*commands.audit_verify) return VerifyAudit(config, keyring, commands.expect_head);
  if (*commands.audit_recover) return RecoverAudit(config, keyring, commands.recover_reason);
  if (*commands.counters_verify) return VerifyCountersCommand(config, keyring);
  if (*commands.rotate) return RotateKey(config, keyring, commands.new_kek_file);
  return 0;
}

}  // namespace

int Main(int argc, char** argv) {
  const OpenFileLimit open_files = PrepareProcess();

  CLI::App app{"caseserver: casecoord server (複合課題の支援調整記録システム)"};
  app.require_subcommand(1);
  Commands commands;
  AddCommands(&app, &commands);

  CLI11_PARSE(app, argc, argv);

  if (*commands.list_settings) return ListSettings();
  if (*commands.keygen) return Keygen(commands.keygen_out);

  auto config = Resolve(commands.settings);
  if (!config.ok()) return Fail(config.status());
  if (*commands.serve) return Serve(*config, open_files);
  if (*commands.backup_fetch) return FetchOffsite(*config, commands.fetch_to);

  auto keyring = LoadKeyring(*config);
  if (!keyring.ok()) return Fail(keyring.status());
  return RunOfflineCommand(commands, *config, *keyring);
}

}  // namespace casecoord::server

int main(int argc, char** argv) {
  // Every failure the server foresees is a Status; what escapes is a bug (or std::bad_alloc), and
  // it must still end the process with a message and a failing exit code, not std::terminate.
  try {
    return casecoord::server::Main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "caseserver: unexpected exception: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "caseserver: unexpected exception of an unknown type\n");
  }
  return 1;
}
