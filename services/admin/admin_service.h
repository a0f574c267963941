// gRPC adapter for casecoord.v1.Admin: validates requests, runs storage work on the worker pool,
// maps results. No storage logic here (that lives in services/storage).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "casecoord/v1/admin.grpc.pb.h"
#include "services/common/worker_pool.h"
#include "services/storage/storage.h"

namespace casecoord::admin {

struct AdminDependencies {
  storage::Storage* storage = nullptr;  // not owned; outlives the service
  WorkerPool* workers = nullptr;        // not owned; outlives the service
  std::shared_ptr<const storage::Keyring> keyring;
  std::string backup_dir;
  std::string restore_dir;
  std::string version;
  std::string mode;
  std::string municipality;
  std::chrono::system_clock::time_point start_time;
};

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

 private:
  AdminDependencies deps_;
};

}  // namespace casecoord::admin
