#include "services/monitoring/monitoring_service.h"

#include <algorithm>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>

#include "services/common/fiscal_year.h"
#include "services/common/grpc_errors.h"
#include "services/common/pagination.h"
#include "services/common/resource_names.h"
#include "services/common/text.h"
#include "services/storage/request_ledger.h"
#include "services/worklist/due_index.h"

namespace casecoord::monitoring {
namespace {

// ListDueItemsRequest.due_by when unset: two weeks ahead.
constexpr int kDefaultHorizonDays = 14;
// Items per WatchDueItemsResponse (monitoring.proto).
constexpr int kItemsPerMessage = 1000;

bool Named(const std::string& name, const char* prefix) {
  const size_t length = std::char_traits<char>::length(prefix);
  return name.rfind(prefix, 0) == 0 && IsResourceId(std::string_view(name).substr(length));
}

}  // namespace

std::string MonitoringMethod(std::string_view rpc) {
  return "/" + std::string(v1::Monitoring::service_full_name()) + "/" + std::string(rpc);
}

Result<DueOwner> ResolveDueOwner(const std::string& requested, const auth::Caller& caller) {
  if (requested.empty()) {
    if (caller.Has(v1::COORDINATOR)) return DueOwner{kUserPrefix + caller.user_id, true};
    if (caller.agency.empty()) {
      return Status(Reason::kNoAgency,
                    "you belong to no agency and have no work list of your own; name one");
    }
    return DueOwner{caller.agency, true};
  }
  if (!Named(requested, kUserPrefix) && !Named(requested, kAgencyPrefix)) {
    return Status::InvalidArgument("owner",
                                   "must look like \"users/{user}\" or \"agencies/{agency}\"");
  }
  const bool own = requested == kUserPrefix + caller.user_id ||
                   (!caller.agency.empty() && requested == caller.agency);
  return DueOwner{requested, own};
}

Status MonitoringService::CheckVisible(auth::Call& call, const std::string& name) const {
  call.set_resource(name);
  auto case_name = CaseOfMonitoring(name);
  if (!case_name.ok()) return case_name.status();
  auto record = cases_.Get(*case_name);
  if (!record.ok()) return record.status();
  const cases::Viewer viewer{call.caller().Has(v1::COORDINATOR), call.caller().agency};
  return call.CheckRecordAccess(*case_name, cases::CanSee(*record, viewer));
}

Result<std::string> MonitoringService::OwnerFor(auth::Call& call,
                                                const std::string& requested) const {
  auto owner = ResolveDueOwner(requested, call.caller());
  if (!owner.ok()) return owner.status();
  call.set_resource(owner->owner + "/dueItems");
  CASECOORD_RETURN_IF_ERROR(call.CheckRecordAccess(owner->owner, owner->own));
  return owner->owner;
}

grpc::ServerUnaryReactor* MonitoringService::SetMonitoringSchedule(
    grpc::CallbackServerContext* context, const v1::SetMonitoringScheduleRequest* request,
    v1::MonitoringRecord* response) {
  return gatekeeper_.Handle(context, MonitoringMethod("SetMonitoringSchedule"),
                            [this, request, response](auth::Call& call) {
                              call.HoldUntilCommitted(cases_.LockCase(request->name()));
                              CASECOORD_RETURN_IF_ERROR(CheckVisible(call, request->name()));
                              auto record = store_.PrepareSetSchedule(*request, &call.changes());
                              if (!record.ok()) return record.status();
                              *response = std::move(record).value();
                              return Status::Ok();
                            });
}

grpc::ServerUnaryReactor* MonitoringService::GetMonitoring(grpc::CallbackServerContext* context,
                                                           const v1::GetMonitoringRequest* request,
                                                           v1::MonitoringRecord* response) {
  return gatekeeper_.Handle(context, MonitoringMethod("GetMonitoring"),
                            [this, request, response](auth::Call& call) {
                              CASECOORD_RETURN_IF_ERROR(CheckVisible(call, request->name()));
                              auto record = store_.Get(request->name());
                              if (!record.ok()) return record.status();
                              *response = std::move(record).value();
                              return Status::Ok();
                            });
}

grpc::ServerUnaryReactor* MonitoringService::RecordCheck(grpc::CallbackServerContext* context,
                                                         const v1::RecordCheckRequest* request,
                                                         v1::MonitoringRecord* response) {
  return gatekeeper_.Handle(
      context, MonitoringMethod("RecordCheck"), [this, request, response](auth::Call& call) {
        call.HoldUntilCommitted(cases_.LockCase(request->name()));
        CASECOORD_RETURN_IF_ERROR(CheckVisible(call, request->name()));
        // A retry answers with the record as it is now, which holds the check the first copy made.
        auto record = storage::WriteOnce<v1::MonitoringRecord>(
            store_.requests(), "RecordCheck", call.caller().user_id, request->request_id(),
            *request, &call.changes(), [this](const std::string& name) { return store_.Get(name); },
            [this, request, &call] {
              return store_.PrepareRecordCheck(call.caller().user_id, *request, &call.changes());
            },
            [](const v1::MonitoringRecord& written) { return written.name(); });
        if (!record.ok()) return record.status();
        *response = std::move(record).value();
        return Status::Ok();
      });
}

grpc::ServerUnaryReactor* MonitoringService::ListDueItems(grpc::CallbackServerContext* context,
                                                          const v1::ListDueItemsRequest* request,
                                                          v1::ListDueItemsResponse* response) {
  return gatekeeper_.Handle(
      context, MonitoringMethod("ListDueItems"), [this, request, response](auth::Call& call) {
        call.set_resource("dueItems");
        auto owner = OwnerFor(call, request->owner());
        if (!owner.ok()) return owner.status();
        const v1::Date due_by = request->has_due_by()
                                    ? request->due_by()
                                    : worklist::AddDays(JstToday(clock_), kDefaultHorizonDays);
        // Bound to the owner and to due_by as asked (unset follows the day, so that a listing
        // that spans midnight can go on).
        const std::string fingerprint =
            *owner + "|" +
            (request->has_due_by() ? std::to_string(worklist::DayNumber(due_by)) : "default");
        auto page = ParsePageRequest(request->page_size(), request->page_token(), fingerprint);
        if (!page.ok()) return page.status();
        auto items = store_.ListDue(*owner, due_by, page->after_key, page->size);
        if (!items.ok()) return items.status();
        for (auto& item : items->items) {
          call.AddReturned(item.case_());
          *response->add_items() = std::move(item);
        }
        if (!items->next_after.empty()) {
          response->set_next_page_token(MakePageToken(items->next_after, fingerprint));
        }
        return Status::Ok();
      });
}

// The state of one WatchDueItems stream, shared by its reactor (gRPC's callbacks) and the watcher
// (Offer on its thread, Stopped on the shutting-down thread). Every call into gRPC is made under
// `mutex_` and only before Finish: once Finish is called the reactor may be deleted at any time,
// while this object lives on until the watcher forgets it.
class MonitoringService::Stream final : public DueWatcher::Subscriber,
                                        public std::enable_shared_from_this<Stream> {
 public:
  Stream(grpc::ServerWriteReactor<v1::WatchDueItemsResponse>* reactor, std::string requested,
         auth::Gatekeeper& gatekeeper)
      : reactor_(reactor), requested_(std::move(requested)), gatekeeper_(gatekeeper) {}

  const std::string& requested() const { return requested_; }

  // The gatekeeper ran the start (on a worker): `status` is its outcome; `due_now` the owner's
  // items due now (when OK), which its audit entry named. Sends the first message and follows
  // the owner for `user_id` from then on.
  void Begin(const Status& status, const auth::CallOrigin& origin, const std::string& owner,
             const std::vector<v1::DueItem>& due_now, DueWatcher& watcher) {
    std::lock_guard<std::mutex> lock(mutex_);
    origin_ = origin;
    if (!status.ok()) {
      FinishLocked(ToGrpcStatus(status));
      return;
    }
    if (cancelled_) {
      FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "the client cancelled"));
      return;
    }
    started_ = true;
    pending_.emplace_back();  // the first message, even when nothing is due
    EnqueueLocked(sent_.Update(due_now));
    // Lock order: a stream's mutex, then the watcher's (the watcher never holds its own while
    // calling a stream).
    if (!watcher.Add(owner, shared_from_this())) {
      FinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE, "the server is shutting down"));
    }
  }

  // Items not sent before are sent once an audit entry names their cases (the watcher's thread
  // calls this in order, and entries complete in the order appended, so messages keep it).
  bool Offer(const std::vector<v1::DueItem>& due_now) override {
    std::vector<v1::DueItem> fresh;
    auth::CallOrigin origin;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (ending_) return false;
      fresh = sent_.Update(due_now);
      origin = origin_;
    }
    if (fresh.empty()) return true;
    std::vector<std::string> cases;
    for (const v1::DueItem& item : fresh) {
      if (std::find(cases.begin(), cases.end(), item.case_()) == cases.end()) {
        cases.push_back(item.case_());
      }
    }
    gatekeeper_.AuditStreamMessage(
        origin, MonitoringMethod("WatchDueItems"), "dueItems", std::move(cases),
        [self = shared_from_this(), fresh = std::move(fresh)](const Status& audited) mutable {
          std::lock_guard<std::mutex> lock(self->mutex_);
          if (audited.ok()) {
            self->EnqueueLocked(std::move(fresh));
          } else {
            self->FinishLocked(ToGrpcStatus(audited));
          }
        });
    return true;
  }

  void Stopped() override {
    std::lock_guard<std::mutex> lock(mutex_);
    FinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                              "the server is shutting down; watch again on reconnecting"));
  }

  // gRPC's OnWriteDone.
  void WriteDone(bool ok) {
    std::lock_guard<std::mutex> lock(mutex_);
    writing_ = false;
    pending_.pop_front();
    if (!ok) {
      FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "the client stopped reading"));
      return;
    }
    if (final_status_) {
      CallFinishLocked(*final_status_);
      return;
    }
    StartWriteLocked();
  }

  // gRPC's OnCancel.
  void Cancel() {
    std::lock_guard<std::mutex> lock(mutex_);
    cancelled_ = true;
    // Before Begin the gatekeeper still uses the call; Begin finishes it.
    if (started_) {
      FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "the client cancelled"));
    }
  }

 private:
  // Appends `items` to the messages waiting to be sent, at most kItemsPerMessage each, filling the
  // last one unless it is being written, and starts a write if none is under way.
  void EnqueueLocked(std::vector<v1::DueItem> items) {
    size_t next = 0;
    while (next < items.size()) {
      const bool last_in_flight = writing_ && pending_.size() == 1;
      if (pending_.empty() || last_in_flight || pending_.back().items_size() >= kItemsPerMessage) {
        pending_.emplace_back();
      }
      v1::WatchDueItemsResponse& message = pending_.back();
      while (next < items.size() && message.items_size() < kItemsPerMessage) {
        *message.add_items() = std::move(items[next++]);
      }
    }
    StartWriteLocked();
  }

  void StartWriteLocked() {
    if (writing_ || finish_called_ || ending_ || pending_.empty()) return;
    writing_ = true;
    // A deque keeps its elements in place as others are added.
    reactor_->StartWrite(&pending_.front());
  }

  // Ends the stream with `status`: now, or when the write under way completes.
  void FinishLocked(const grpc::Status& status) {
    if (ending_) return;
    ending_ = true;  // the watcher forgets the stream at its next interval
    if (writing_) {
      final_status_ = status;
    } else {
      CallFinishLocked(status);
    }
  }

  void CallFinishLocked(const grpc::Status& status) {
    if (finish_called_) return;
    finish_called_ = true;
    reactor_->Finish(status);
  }

  std::mutex mutex_;
  grpc::ServerWriteReactor<v1::WatchDueItemsResponse>* const reactor_;
  const std::string requested_;
  auth::Gatekeeper& gatekeeper_;
  auth::CallOrigin origin_;  // set by Begin, before the watcher may call Offer
  bool started_ = false;
  bool cancelled_ = false;
  bool writing_ = false;
  bool ending_ = false;
  bool finish_called_ = false;
  std::optional<grpc::Status> final_status_;
  // Messages to send; the front one is being written while `writing_`.
  std::deque<v1::WatchDueItemsResponse> pending_;
  SentItems sent_;
};

class MonitoringService::WatchReactor final
    : public grpc::ServerWriteReactor<v1::WatchDueItemsResponse> {
 public:
  WatchReactor(MonitoringService& service, grpc::CallbackServerContext* context,
               const v1::WatchDueItemsRequest* request)
      : service_(service),
        stream_(std::make_shared<Stream>(this, request->owner(), service.gatekeeper_)) {
    ++service_.open_streams_;
    // Shared with the gatekeeper's work and its completion, which may outlive nothing here: the
    // reactor is not finished before `done` has run (Stream::Begin).
    auto start = start_;
    std::shared_ptr<Stream> stream = stream_;
    MonitoringService* owner_service = &service;
    service_.gatekeeper_.Dispatch(
        context, MonitoringMethod("WatchDueItems"),
        [owner_service, stream, start](auth::Call& call) {
          call.set_resource("dueItems");
          auto owner = owner_service->OwnerFor(call, stream->requested());
          if (!owner.ok()) return owner.status();
          if (!owner_service->AcquireStreamSlot(call.caller().user_id)) {
            return Status(Reason::kTooManyStreams,
                          "you have " + std::to_string(owner_service->streams_per_user_) +
                              " work-list streams open already; close one first");
          }
          start->slot_user = call.caller().user_id;
          start->origin = call.origin();
          auto due_now = owner_service->watcher_.DueNow(*owner);
          if (!due_now.ok()) return due_now.status();
          for (const v1::DueItem& item : *due_now) call.AddReturned(item.case_());
          start->owner = std::move(owner).value();
          start->due_now = std::move(due_now).value();
          return Status::Ok();
        },
        [owner_service, stream, start](const Status& status) {
          stream->Begin(status, start->origin, start->owner, start->due_now,
                        owner_service->watcher_);
        });
  }

  void OnWriteDone(bool ok) override { stream_->WriteDone(ok); }
  void OnCancel() override { stream_->Cancel(); }
  void OnDone() override {
    // The gatekeeper's work has run by now (the reactor finishes only after Begin).
    if (!start_->slot_user.empty()) service_.ReleaseStreamSlot(start_->slot_user);
    --service_.open_streams_;
    delete this;
  }

 private:
  // What the gatekeeper's work found, shared with its completion.
  struct Start {
    std::string owner;
    std::vector<v1::DueItem> due_now;
    std::string slot_user;    // whose stream slot this stream holds; empty if none
    auth::CallOrigin origin;  // who watches, for the audit entries of later messages
  };

  MonitoringService& service_;
  const std::shared_ptr<Stream> stream_;
  const std::shared_ptr<Start> start_ = std::make_shared<Start>();
};

bool MonitoringService::AcquireStreamSlot(const std::string& user_id) {
  std::lock_guard<std::mutex> lock(slots_mutex_);
  int& open = streams_of_user_[user_id];
  if (open >= streams_per_user_) return false;
  ++open;
  return true;
}

void MonitoringService::ReleaseStreamSlot(const std::string& user_id) {
  std::lock_guard<std::mutex> lock(slots_mutex_);
  auto it = streams_of_user_.find(user_id);
  if (it != streams_of_user_.end() && --it->second <= 0) streams_of_user_.erase(it);
}

grpc::ServerWriteReactor<v1::WatchDueItemsResponse>* MonitoringService::WatchDueItems(
    grpc::CallbackServerContext* context, const v1::WatchDueItemsRequest* request) {
  return new WatchReactor(*this, context, request);
}

}  // namespace casecoord::monitoring
