// gRPC adapter for casecoord.v1.Monitoring: every call goes through the gatekeeper (identity, role,
// audit); MonitoringStore owns the rules and the work list index holds the lists.
//
// Need to know: a monitoring record follows its case (coordinators see every case, agency staff the
// cases whose team includes their agency; anyone else gets NOT_FOUND, through
// Call::CheckRecordAccess so that a break-glass grant for the case still works). A work list is
// readable only by its owner: "users/{caller}", or the caller's agency (ResolveDueOwner).
//
// WatchDueItems is a server-streaming reactor started through Gatekeeper::Dispatch (authorised and
// audited once, when it starts), then fed by the DueWatcher's thread; it ends when the client
// cancels, or with UNAVAILABLE when the watcher stops (server shutdown).
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <string>

#include "casecoord/v1/monitoring.grpc.pb.h"
#include "services/auth/gatekeeper.h"
#include "services/cases/case_access.h"
#include "services/monitoring/due_watcher.h"
#include "services/monitoring/monitoring_store.h"

namespace casecoord::monitoring {

// Full gRPC method name of a Monitoring RPC.
std::string MonitoringMethod(std::string_view rpc);

// Whose work list `requested` (ListDueItemsRequest.owner) names for `caller`, and whether it is
// the caller's own. "" is the caller's own list: "users/{caller}" for a coordinator, the caller's
// agency otherwise (FAILED_PRECONDITION "NO_AGENCY" when they have none). INVALID_ARGUMENT "owner"
// unless it looks like "users/{user}" or "agencies/{agency}".
struct DueOwner {
  std::string owner;
  bool own = false;
};
Result<DueOwner> ResolveDueOwner(const std::string& requested, const auth::Caller& caller);

class MonitoringService final : public v1::Monitoring::CallbackService {
 public:
  // All must outlive the service. A user may hold `streams_per_user` WatchDueItems streams open
  // at once; more are RESOURCE_EXHAUSTED (TOO_MANY_STREAMS).
  MonitoringService(auth::Gatekeeper& gatekeeper, MonitoringStore& store,
                    const cases::CaseAccess& cases, DueWatcher& watcher, const Clock& clock,
                    int streams_per_user = 4)
      : gatekeeper_(gatekeeper),
        store_(store),
        cases_(cases),
        watcher_(watcher),
        clock_(clock),
        streams_per_user_(streams_per_user) {}

  grpc::ServerUnaryReactor* SetMonitoringSchedule(grpc::CallbackServerContext* context,
                                                  const v1::SetMonitoringScheduleRequest* request,
                                                  v1::MonitoringRecord* response) override;
  grpc::ServerUnaryReactor* GetMonitoring(grpc::CallbackServerContext* context,
                                          const v1::GetMonitoringRequest* request,
                                          v1::MonitoringRecord* response) override;
  grpc::ServerUnaryReactor* RecordCheck(grpc::CallbackServerContext* context,
                                        const v1::RecordCheckRequest* request,
                                        v1::MonitoringRecord* response) override;
  grpc::ServerUnaryReactor* ListDueItems(grpc::CallbackServerContext* context,
                                         const v1::ListDueItemsRequest* request,
                                         v1::ListDueItemsResponse* response) override;
  grpc::ServerWriteReactor<v1::WatchDueItemsResponse>* WatchDueItems(
      grpc::CallbackServerContext* context, const v1::WatchDueItemsRequest* request) override;

  // WatchDueItems streams whose reactor has not finished yet (tests check that streams end).
  int open_streams() const { return open_streams_.load(); }

 private:
  class WatchReactor;
  class Stream;

  // The case of monitoring record `name` if the caller may see it; NOT_FOUND (as for an absent
  // case) otherwise.
  Status CheckVisible(auth::Call& call, const std::string& name) const;
  // The owner of the work list the caller asks for, audited as the call's resource; NOT_FOUND for
  // somebody else's list (unless a break-glass grant covers it).
  Result<std::string> OwnerFor(auth::Call& call, const std::string& requested) const;

  // Takes one of `user_id`'s stream slots; false when all are taken.
  bool AcquireStreamSlot(const std::string& user_id);
  void ReleaseStreamSlot(const std::string& user_id);

  auth::Gatekeeper& gatekeeper_;
  MonitoringStore& store_;
  const cases::CaseAccess& cases_;
  DueWatcher& watcher_;
  const Clock& clock_;
  const int streams_per_user_;
  std::atomic<int> open_streams_{0};
  std::mutex slots_mutex_;
  std::map<std::string, int> streams_of_user_;  // GUARDED_BY(slots_mutex_)
};

}  // namespace casecoord::monitoring
