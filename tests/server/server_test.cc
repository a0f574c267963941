// Integration tests: the real caseserver on 127.0.0.1:0, real RocksDB, real mutual TLS.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <future>
#include <thread>

#include "casecoord/v1/admin.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "services/auth/audit_log.h"
#include "services/common/grpc_errors.h"
#include "tests/support/test_server.h"

namespace casecoord {
namespace {

using grpc::health::v1::Health;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;
using testing::TestServer;
using testing::TestServerOptions;

std::unique_ptr<grpc::ClientContext> ContextWithDeadline(int seconds = 10) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
  return context;
}

grpc::Status GetInfo(const std::shared_ptr<grpc::Channel>& channel, v1::ServerInfo* info) {
  auto stub = v1::Admin::NewStub(channel);
  auto context = ContextWithDeadline(5);
  return stub->GetServerInfo(context.get(), v1::GetServerInfoRequest(), info);
}

TEST(ServerTest, AnswersOverMutualTlsAndSeesTheCallerFromItsCertificate) {
  TestServer server;
  v1::ServerInfo info;
  grpc::Status status = GetInfo(server.ChannelFor("coordinator"), &info);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(info.version(), server::kVersion);
  EXPECT_EQ(info.mode(), "production");
  EXPECT_EQ(info.municipality(), "テスト市");
  EXPECT_EQ(info.caller_identity(), "urn:casecoord:user:coordinator");
  EXPECT_TRUE(info.storage().encrypted());
  EXPECT_EQ(info.storage().current_key_id(), server.keyring()->current().id());
  EXPECT_GE(info.storage().column_families_size(), 6);
}

TEST(ServerTest, ClientWithoutCertificateOrFromAnotherCaCannotCall) {
  TestServer server;
  v1::ServerInfo info;
  grpc::Status no_certificate = GetInfo(server.ChannelWithoutCertificate(), &info);
  EXPECT_EQ(no_certificate.error_code(), grpc::StatusCode::UNAVAILABLE)
      << no_certificate.error_message();
  grpc::Status other_ca = GetInfo(server.ChannelFromOtherCa("coordinator"), &info);
  EXPECT_EQ(other_ca.error_code(), grpc::StatusCode::UNAVAILABLE) << other_ca.error_message();
  // The same server still answers a properly authenticated client.
  EXPECT_TRUE(GetInfo(server.ChannelFor("admin"), &info).ok());
}

TEST(ServerTest, ACertificateWhoseUriIsNotAValidUserIdIdentifiesNobody) {
  TestServer server;
  v1::ServerInfo info;
  grpc::Status status = GetInfo(server.ChannelFor("Bad User"), &info);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << status.error_message();
}

TEST(ServerTest, DevelopmentModeConnectsWithoutCertificateButIdentifiesNobody) {
  TestServerOptions options;
  options.mode = server::Mode::kDevelopment;
  TestServer server(options);
  v1::ServerInfo info;
  // TLS accepts the connection; the gatekeeper finds no user in it.
  grpc::Status status = GetInfo(server.ChannelWithoutCertificate(), &info);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << status.error_message();
  ASSERT_TRUE(GetInfo(server.ChannelFor("planner"), &info).ok());
  EXPECT_EQ(info.mode(), "development");
  // A certificate from a foreign CA is still refused.
  EXPECT_FALSE(GetInfo(server.ChannelFromOtherCa("admin"), &info).ok());
}

TEST(ServerTest, HealthReportsServingThenNotServingOnShutdown) {
  TestServerOptions options;
  options.drain_ms = 1500;
  TestServer server(options);
  auto channel = server.ChannelFor("admin");
  auto health = Health::NewStub(channel);
  HealthCheckResponse response;
  {
    auto context = ContextWithDeadline();
    ASSERT_TRUE(health->Check(context.get(), HealthCheckRequest(), &response).ok());
    EXPECT_EQ(response.status(), HealthCheckResponse::SERVING);
  }
  // A watcher sees the transition as it happens.
  grpc::ClientContext watch_context;
  watch_context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  auto watch = health->Watch(&watch_context, HealthCheckRequest());
  ASSERT_TRUE(watch->Read(&response));
  EXPECT_EQ(response.status(), HealthCheckResponse::SERVING);

  auto stopped = std::async(std::launch::async, [&] { server.Stop(); });
  ASSERT_TRUE(watch->Read(&response));
  EXPECT_EQ(response.status(), HealthCheckResponse::NOT_SERVING);
  {
    // During the drain the listener is still open and says NOT_SERVING.
    auto context = ContextWithDeadline();
    grpc::Status status = health->Check(context.get(), HealthCheckRequest(), &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.status(), HealthCheckResponse::NOT_SERVING);
  }
  watch_context.TryCancel();
  watch->Finish().IgnoreError();
  stopped.get();
  v1::ServerInfo info;
  EXPECT_FALSE(GetInfo(channel, &info).ok());
}

// A plain TCP connection to the server, without TLS.
int RawConnection(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  return fd;
}

// Whether the server closes `fd` (end of stream or reset) within `seconds`, having sent nothing.
bool ClosedByServer(int fd, int seconds) {
  pollfd readable{fd, POLLIN, 0};
  if (poll(&readable, 1, seconds * 1000) != 1) return false;
  char byte;
  ssize_t read = recv(fd, &byte, 1, 0);
  return read == 0 || (read < 0 && errno == ECONNRESET);
}

TEST(ServerTest, ClosesAConnectionThatNeverHandshakes) {
  TestServerOptions options;
  options.handshake_timeout_ms = 1000;
  TestServer server(options);
  int idle = RawConnection(server.server().port());
  // A generous bound for a 1 s timeout, yet well short of the 120 s gRPC would wait by default.
  EXPECT_TRUE(ClosedByServer(idle, 60));
  close(idle);
  v1::ServerInfo info;
  EXPECT_TRUE(GetInfo(server.ChannelFor("admin"), &info).ok());
}

TEST(ServerTest, ClosesAConnectionWithoutCallsAfterTheIdleTimeout) {
  TestServerOptions options;
  options.max_connection_idle_ms = 1000;
  TestServer server(options);
  auto channel = server.ChannelFor("admin");
  v1::ServerInfo info;
  ASSERT_TRUE(GetInfo(channel, &info).ok());
  ASSERT_EQ(channel->GetState(false), GRPC_CHANNEL_READY);
  // The server's GOAWAY takes the channel out of READY (the bound is generous, not a measurement).
  EXPECT_TRUE(channel->WaitForStateChange(
      GRPC_CHANNEL_READY, std::chrono::system_clock::now() + std::chrono::seconds(60)));
  // The client reconnects for its next call.
  EXPECT_TRUE(GetInfo(channel, &info).ok());
}

TEST(ServerTest, BackupsAreCreatedListedPagedAndRestored) {
  TestServer server;
  auto admin = v1::Admin::NewStub(server.ChannelFor("admin"));
  std::vector<int64_t> ids;
  for (int i = 0; i < 3; ++i) {
    v1::Backup backup;
    auto context = ContextWithDeadline(30);
    grpc::Status status = admin->CreateBackup(context.get(), v1::CreateBackupRequest(), &backup);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(backup.name(), "backups/" + std::to_string(backup.backup_id()));
    EXPECT_GT(backup.file_count(), 0);
    ids.push_back(backup.backup_id());
  }

  // Page through, two at a time: newest first, every backup exactly once.
  std::vector<int64_t> listed;
  v1::ListBackupsRequest request;
  request.set_page_size(2);
  int pages = 0;
  do {
    v1::ListBackupsResponse response;
    auto context = ContextWithDeadline();
    ASSERT_TRUE(admin->ListBackups(context.get(), request, &response).ok());
    for (const auto& backup : response.backups()) listed.push_back(backup.backup_id());
    request.set_page_token(response.next_page_token());
    ++pages;
  } while (!request.page_token().empty());
  EXPECT_EQ(pages, 2);
  EXPECT_EQ(listed, std::vector<int64_t>(ids.rbegin(), ids.rend()));

  // Restore the oldest into a new directory; the server verifies it by reading it back.
  v1::RestoreBackupRequest restore;
  restore.set_name("backups/" + std::to_string(ids.front()));
  restore.set_target("check-2026");
  v1::RestoreBackupResponse restored;
  auto context = ContextWithDeadline(30);
  grpc::Status status = admin->RestoreBackup(context.get(), restore, &restored);
  ASSERT_TRUE(status.ok()) << DescribeGrpcError(status);
  EXPECT_EQ(restored.directory(), server.config().restore_dir + "/check-2026");

  // Restoring over it again changes nothing and says why.
  auto again_context = ContextWithDeadline(30);
  status = admin->RestoreBackup(again_context.get(), restore, &restored);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(FromGrpcStatus(status).reason(), "TARGET_NOT_EMPTY");
}

// A backup carries the audit head it holds, and VerifyAuditChain checks such a head (a witness).
TEST(ServerTest, BackupsRecordTheAuditHeadThatVerifyChecks) {
  TestServer server;
  auto admin = v1::Admin::NewStub(server.ChannelFor("admin"));
  auto auditor = v1::Admin::NewStub(server.ChannelFor("auditor"));
  v1::Backup backup;
  auto backup_context = ContextWithDeadline(30);
  ASSERT_TRUE(admin->CreateBackup(backup_context.get(), v1::CreateBackupRequest(), &backup).ok());
  ASSERT_TRUE(auth::ParseAuditHead(backup.audit_head(), "audit_head").ok()) << backup.audit_head();
  v1::ListBackupsResponse listed;
  auto list_context = ContextWithDeadline();
  ASSERT_TRUE(admin->ListBackups(list_context.get(), v1::ListBackupsRequest(), &listed).ok());
  ASSERT_EQ(listed.backups_size(), 1);
  EXPECT_EQ(listed.backups(0).audit_head(), backup.audit_head());

  v1::VerifyAuditChainRequest request;
  request.set_expected_head(backup.audit_head());
  v1::VerifyAuditChainResponse verified;
  auto verify_context = ContextWithDeadline();
  ASSERT_TRUE(auditor->VerifyAuditChain(verify_context.get(), request, &verified).ok());
  EXPECT_TRUE(verified.intact()) << verified.problem();
  auto head = auth::ParseAuditHead(verified.head(), "head");
  ASSERT_TRUE(head.ok()) << verified.head();
  EXPECT_GT(head->sequence, 0u);

  // A head this trail never reached: a trail rolled back to before it looks just like this.
  request.set_expected_head(std::to_string(head->sequence + 100) + ":" + std::string(64, '0'));
  auto ahead_context = ContextWithDeadline();
  ASSERT_TRUE(auditor->VerifyAuditChain(ahead_context.get(), request, &verified).ok());
  EXPECT_FALSE(verified.intact());
  EXPECT_GT(verified.first_broken_sequence(), 0);
  EXPECT_NE(verified.problem().find("witnessed head"), std::string::npos) << verified.problem();

  request.set_expected_head("not a head");
  auto bad_context = ContextWithDeadline();
  grpc::Status status = auditor->VerifyAuditChain(bad_context.get(), request, &verified);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  Status refused = FromGrpcStatus(status);
  ASSERT_FALSE(refused.field_violations().empty());
  EXPECT_EQ(refused.field_violations()[0].field, "expected_head");
}

TEST(ServerTest, ColleaguesAreLookedUpByNameOrByAgencyWithNothingButNameAndAgency) {
  TestServer server;
  auto admin = v1::Admin::NewStub(server.ChannelFor("agency-staff"));
  v1::LookupUsersRequest by_name;
  by_name.add_names("users/other-staff");
  by_name.add_names("users/nobody");
  by_name.add_names("users/disabled");
  v1::LookupUsersResponse found;
  ASSERT_TRUE(admin->LookupUsers(ContextWithDeadline().get(), by_name, &found).ok());
  ASSERT_EQ(found.users_size(), 2) << "an unknown user is left out, a disabled one is kept";
  EXPECT_EQ(found.users(0).name(), "users/other-staff");
  EXPECT_EQ(found.users(0).display_name(), "テスト other-staff");
  EXPECT_EQ(found.users(0).agency(), "agencies/a2");
  EXPECT_EQ(found.users(1).name(), "users/disabled");

  v1::LookupUsersRequest by_agency;
  by_agency.set_agency("agencies/a1");
  v1::LookupUsersResponse staff;
  ASSERT_TRUE(admin->LookupUsers(ContextWithDeadline().get(), by_agency, &staff).ok());
  ASSERT_EQ(staff.users_size(), 1);
  EXPECT_EQ(staff.users(0).name(), "users/agency-staff");

  by_agency.add_names("users/coordinator");
  v1::LookupUsersResponse refused;
  const grpc::Status both = admin->LookupUsers(ContextWithDeadline().get(), by_agency, &refused);
  EXPECT_EQ(both.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  v1::LookupUsersRequest malformed;
  malformed.add_names("coordinator");
  EXPECT_EQ(admin->LookupUsers(ContextWithDeadline().get(), malformed, &refused).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST(ServerTest, BadRequestsNameEveryInvalidField) {
  TestServer server;
  auto admin = v1::Admin::NewStub(server.ChannelFor("admin"));

  v1::ListBackupsRequest list;
  list.set_page_size(-1);
  v1::ListBackupsResponse listed;
  auto context = ContextWithDeadline();
  Status status = FromGrpcStatus(admin->ListBackups(context.get(), list, &listed));
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  ASSERT_EQ(status.field_violations().size(), 1u);
  EXPECT_EQ(status.field_violations()[0].field, "page_size");

  list.set_page_size(10);
  list.set_page_token("forged-token");
  auto token_context = ContextWithDeadline();
  status = FromGrpcStatus(admin->ListBackups(token_context.get(), list, &listed));
  ASSERT_EQ(status.field_violations().size(), 1u);
  EXPECT_EQ(status.field_violations()[0].field, "page_token");

  v1::RestoreBackupRequest restore;
  restore.set_name("backup/x");
  restore.set_target("../../etc");
  v1::RestoreBackupResponse restored;
  auto restore_context = ContextWithDeadline();
  status = FromGrpcStatus(admin->RestoreBackup(restore_context.get(), restore, &restored));
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  ASSERT_EQ(status.field_violations().size(), 2u);
  EXPECT_EQ(status.field_violations()[0].field, "name");
  EXPECT_EQ(status.field_violations()[1].field, "target");
  EXPECT_FALSE(std::filesystem::exists(server.config().restore_dir));
}

TEST(ServerTest, RefusesToStartOnAnotherKeysDatabaseWithoutTouchingIt) {
  std::string data_dir;
  server::ServerConfig config;
  TestServer first;
  config = first.config();
  first.Stop();
  auto before = testing::SnapshotDirectory(config.data_dir);
  auto wrong = std::make_shared<storage::Keyring>(storage::KeyEncryptionKey::Generate());
  auto started = server::CaseServer::Start(config, wrong, first.audit_key());
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.status().reason(), "WRONG_KEY");
  EXPECT_EQ(testing::SnapshotDirectory(config.data_dir), before);
}

TEST(ServerTest, RefusesAWrongAuditKeyBeforeOpeningTheDatabase) {
  TestServer first;
  server::ServerConfig config = first.config();
  first.Stop();
  auto before = testing::SnapshotDirectory(config.data_dir);
  auto wrong = storage::KeyEncryptionKey::Generate();
  auto started = server::CaseServer::Start(
      config, first.keyring(),
      std::string(reinterpret_cast<const char*>(wrong.bytes()), storage::kKeyBytes));
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.status().reason(), "AUDIT_KEY_MISMATCH") << started.status().ToString();
  // Not even opened: an open would have replayed the log and rewritten files.
  EXPECT_EQ(testing::SnapshotDirectory(config.data_dir), before);
}

TEST(ServerTest, HealthIsNotServingFromAFailedWalSyncUntilTheStorageResumes) {
  TestServerOptions options;
  options.wal_faults = std::make_shared<storage::WalFaultInjector>();
  TestServer server(options);
  auto channel = server.ChannelFor("admin");
  auto health = Health::NewStub(channel);
  grpc::ClientContext watch_context;
  watch_context.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(1));
  auto watch = health->Watch(&watch_context, HealthCheckRequest());
  HealthCheckResponse response;
  ASSERT_TRUE(watch->Read(&response));
  EXPECT_EQ(response.status(), HealthCheckResponse::SERVING);

  auto admin = v1::Admin::NewStub(channel);
  auto create_user = [&](const std::string& id) {
    v1::CreateUserRequest request;
    request.set_user_id(id);
    request.mutable_user()->set_display_name("テスト " + id);
    request.mutable_user()->add_roles(v1::PLANNER);
    v1::User created;
    auto context = ContextWithDeadline();
    return admin->CreateUser(context.get(), request, &created);
  };
  ASSERT_TRUE(create_user("before-fault").ok());

  // The disk fails to sync the log (and to create a new one, so the storage cannot resume yet).
  options.wal_faults->SetFailing(storage::WalFaultInjector::kSync |
                                 storage::WalFaultInjector::kCreate);
  grpc::Status failed = create_user("during-fault");
  EXPECT_EQ(failed.error_code(), grpc::StatusCode::UNAVAILABLE) << failed.error_message();
  ASSERT_TRUE(watch->Read(&response));
  EXPECT_EQ(response.status(), HealthCheckResponse::NOT_SERVING);
  {
    auto context = ContextWithDeadline();
    ASSERT_TRUE(health->Check(context.get(), HealthCheckRequest(), &response).ok());
    EXPECT_EQ(response.status(), HealthCheckResponse::NOT_SERVING);
  }

  options.wal_faults->SetFailing(0);
  ASSERT_TRUE(watch->Read(&response));
  EXPECT_EQ(response.status(), HealthCheckResponse::SERVING);
  grpc::Status after = create_user("after-fault");
  EXPECT_TRUE(after.ok()) << after.error_message();
  watch_context.TryCancel();
  watch->Finish().IgnoreError();
}

}  // namespace
}  // namespace casecoord
