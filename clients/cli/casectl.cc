// casectl: the casecoord command-line client.
//
//   casectl info                        server, storage and encryption state
//   casectl health                      SERVING / NOT_SERVING
//   casectl backup create               take an online encrypted backup
//   casectl backup list [--page-size N] list backups, newest first (all pages)
//   casectl backup restore backups/N --target NAME
//
// Connection (flags, or the environment variables in brackets):
//   --server  [CASECTL_SERVER]  host:port, default localhost:8443
//   --ca      [CASECTL_CA]      CA of the server certificate, default var/dev/pki/ca.crt
//   --user    [CASECTL_USER]    shortcut for --cert/--key in var/dev/pki/users/<user>.{crt,key}
//   --cert/--key [CASECTL_CERT/CASECTL_KEY]  client certificate and key
// Output is for people by default; --json prints the API's JSON instead.
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <ctime>
#include <iostream>

#include "casecoord/v1/admin.grpc.pb.h"
#include "clients/cli/client.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "services/common/grpc_errors.h"

namespace casecoord::cli {
namespace {

using google::protobuf::util::TimeUtil;

struct GlobalOptions {
  client::ConnectionOptions connection;
  std::string user;
  std::string pki_dir = "var/dev/pki";
  bool json = false;
  int timeout_seconds = 30;
};

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : fallback;
}

std::unique_ptr<grpc::ClientContext> NewContext(const GlobalOptions& options) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::seconds(options.timeout_seconds));
  return context;
}

int ReportError(const grpc::Status& status) {
  std::cerr << "エラー / error: " << DescribeGrpcError(status) << "\n";
  return 1;
}

void PrintJson(const google::protobuf::Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  std::cout << json;
}

std::string LocalTime(const google::protobuf::Timestamp& timestamp) {
  std::time_t seconds = TimeUtil::TimestampToTimeT(timestamp);
  std::tm local{};
  localtime_r(&seconds, &local);
  char buffer[32];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%d %H:%M:%S", &local);
  return buffer;
}

std::string HumanBytes(int64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), unit == 0 ? "%.0f %s" : "%.1f %s", value, units[unit]);
  return buffer;
}

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
              << backup.file_count() << " files, " << HumanBytes(backup.size_bytes()) << ")\n";
  }
  return 0;
}

int BackupList(const GlobalOptions& options, const std::shared_ptr<grpc::Channel>& channel,
               int page_size) {
  auto stub = v1::Admin::NewStub(channel);
  v1::ListBackupsResponse all;
  v1::ListBackupsRequest request;
  request.set_page_size(page_size);
  do {
    v1::ListBackupsResponse page;
    auto context = NewContext(options);
    grpc::Status status = stub->ListBackups(context.get(), request, &page);
    if (!status.ok()) return ReportError(status);
    all.mutable_backups()->MergeFrom(page.backups());
    request.set_page_token(page.next_page_token());
  } while (!request.page_token().empty());
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

  CLI11_PARSE(app, argc, argv);

  if (!options.user.empty()) {
    options.connection.cert_file = options.pki_dir + "/users/" + options.user + ".crt";
    options.connection.key_file = options.pki_dir + "/users/" + options.user + ".key";
  }
  auto channel = client::Connect(options.connection);
  if (!channel.ok()) {
    std::cerr << "エラー / error: " << channel.status().ToString() << "\n";
    return 2;
  }
  if (*info) return Info(options, *channel);
  if (*health) return Health(options, *channel);
  if (*backup_create) return BackupCreate(options, *channel);
  if (*backup_list) return BackupList(options, *channel, page_size);
  if (*backup_restore) return BackupRestore(options, *channel, restore_name, restore_target);
  return 0;
}

}  // namespace casecoord::cli

int main(int argc, char** argv) { return casecoord::cli::Main(argc, argv); }
