// gRPC adapter for casecoord.v1.Admin: validates requests, runs storage work on the worker pool,
// maps results. No storage logic here (that lives in services/storage).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "casecoord/v1/admin.grpc.pb.h"
#include "services/auth/gatekeeper.h"
#include "services/auth/sign_in.h"
#include "services/storage/storage.h"

namespace casecoord::admin {

struct AdminDependencies {
  // Not owned; all outlive the service.
  storage::Storage* storage = nullptr;
  auth::Gatekeeper* gatekeeper = nullptr;
  auth::UserRegistry* users = nullptr;
  auth::AuditLog* audit = nullptr;
  auth::EmergencyAccessStore* emergency = nullptr;
  auth::SignIn* sign_in = nullptr;
  std::shared_ptr<const storage::Keyring> keyring;
  std::string backup_dir;
  std::string restore_dir;
  std::string version;
  std::string mode;
  std::string municipality;
  std::chrono::system_clock::time_point start_time;
  // Whether the record `name` (a grantable name, see EmergencyAccessStore::PrepareGrant) exists:
  // break-glass is granted on existing records only. Set by the server, which knows the stores.
  std::function<Result<bool>(const std::string& name)> record_exists;
};

// Full gRPC method name of an Admin RPC: "/casecoord.v1.Admin/<rpc>".
std::string AdminMethod(std::string_view rpc);

class AdminService final : public v1::Admin::CallbackService {
 public:
  explicit AdminService(AdminDependencies deps) : deps_(std::move(deps)) {}

  grpc::ServerUnaryReactor* GetServerInfo(grpc::CallbackServerContext* context,
                                          const v1::GetServerInfoRequest* request,
                                          v1::ServerInfo* response) override;
  grpc::ServerUnaryReactor* CreateBackup(grpc::CallbackServerContext* context,
                                         const v1::CreateBackupRequest* request,
                                         v1::Backup* response) override;
  grpc::ServerUnaryReactor* ListBackups(grpc::CallbackServerContext* context,
                                        const v1::ListBackupsRequest* request,
                                        v1::ListBackupsResponse* response) override;
  grpc::ServerUnaryReactor* RestoreBackup(grpc::CallbackServerContext* context,
                                          const v1::RestoreBackupRequest* request,
                                          v1::RestoreBackupResponse* response) override;
  grpc::ServerUnaryReactor* CreateUser(grpc::CallbackServerContext* context,
                                       const v1::CreateUserRequest* request,
                                       v1::User* response) override;
  grpc::ServerUnaryReactor* GetUser(grpc::CallbackServerContext* context,
                                    const v1::GetUserRequest* request, v1::User* response) override;
  grpc::ServerUnaryReactor* ListUsers(grpc::CallbackServerContext* context,
                                      const v1::ListUsersRequest* request,
                                      v1::ListUsersResponse* response) override;
  grpc::ServerUnaryReactor* LookupUsers(grpc::CallbackServerContext* context,
                                        const v1::LookupUsersRequest* request,
                                        v1::LookupUsersResponse* response) override;
  grpc::ServerUnaryReactor* UpdateUser(grpc::CallbackServerContext* context,
                                       const v1::UpdateUserRequest* request,
                                       v1::User* response) override;
  grpc::ServerUnaryReactor* ListAuditEntries(grpc::CallbackServerContext* context,
                                             const v1::ListAuditEntriesRequest* request,
                                             v1::ListAuditEntriesResponse* response) override;
  grpc::ServerUnaryReactor* VerifyAuditChain(grpc::CallbackServerContext* context,
                                             const v1::VerifyAuditChainRequest* request,
                                             v1::VerifyAuditChainResponse* response) override;
  grpc::ServerUnaryReactor* RequestEmergencyAccess(grpc::CallbackServerContext* context,
                                                   const v1::RequestEmergencyAccessRequest* request,
                                                   v1::EmergencyAccess* response) override;
  grpc::ServerUnaryReactor* ListEmergencyAccesses(
      grpc::CallbackServerContext* context, const v1::ListEmergencyAccessesRequest* request,
      v1::ListEmergencyAccessesResponse* response) override;

  grpc::ServerUnaryReactor* ResetUserPassword(grpc::CallbackServerContext* context,
                                              const v1::ResetUserPasswordRequest* request,
                                              v1::ResetUserPasswordResponse* response) override;
  grpc::ServerUnaryReactor* ResetUserSecondFactor(
      grpc::CallbackServerContext* context, const v1::ResetUserSecondFactorRequest* request,
      v1::ResetUserSecondFactorResponse* response) override;
  grpc::ServerUnaryReactor* UnlockUser(grpc::CallbackServerContext* context,
                                       const v1::UnlockUserRequest* request,
                                       v1::UnlockUserResponse* response) override;
  grpc::ServerUnaryReactor* ListSessions(grpc::CallbackServerContext* context,
                                         const v1::ListSessionsRequest* request,
                                         v1::ListSessionsResponse* response) override;
  grpc::ServerUnaryReactor* RevokeSession(grpc::CallbackServerContext* context,
                                          const v1::RevokeSessionRequest* request,
                                          v1::RevokeSessionResponse* response) override;

 private:
  // The user id of `name` ("users/{id}") if such a user exists; NOT_FOUND or INVALID_ARGUMENT.
  Result<std::string> ExistingUser(const std::string& name, const char* field) const;

  AdminDependencies deps_;
};

}  // namespace casecoord::admin
