// Case meetings over storage (meetings.proto): scheduling, participants and their confidentiality
// acknowledgements, minutes with role assignments, and the counts of meetings held.
//
// Layout (kRecords unless said):
//   "meeting"/id           the meeting: its public part and, sealed, its personal part
//                          (materials, support policy, decisions, actions, cancel reason) with
//                          context "meetings/{id}#personal" under the key of its case, or of its
//                          own for an adviser meeting without a case
//   "meeting-key"/id       that own key, wrapped (CaseKeyring); absent for a meeting of a case
//   kMeta "meeting-next-id"                            the id sequence
//   kIndexes "meeting-request"/user/request_id → id    create idempotency
// Role assignments that are OPEN are in the work list (services/worklist) of their agency and of
// the case's coordinator, subject "meetings/{id}#{assignment}", written in the same batch.
//
// Counting: a meeting of a case that is held appends MEETING_HELD to the case's history
// (CaseAccess::PrepareRecordEvent), which counts it under the case's classification like every case
// event; an adviser meeting without a case is counted here (RecountCounters).
//
// Writers hold the lock of the meeting's case (CaseAccess::LockCase; for a meeting without a case,
// LockCase of its own name) from preparation until commit, and creates also the id sequence lock.
//
// Thread safety: all methods may be called concurrently.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "casecoord/v1/meetings.pb.h"
#include "services/cases/case_access.h"
#include "services/cases/case_keys.h"
#include "services/common/clock.h"
#include "services/common/handoff_lock.h"
#include "services/common/status.h"
#include "services/stats/counters.h"
#include "services/storage/record_kit.h"
#include "services/storage/storage.h"

namespace casecoord::meetings {

// Who asks, for need to know: coordinators see every meeting; everyone else only the meetings
// they take part in, and their content only once they acknowledged confidentiality.
struct MeetingViewer {
  bool coordinator = false;
  std::string user;  // "users/{id}"
};

enum class Access {
  kNone,            // not a participant: NOT_FOUND
  kUnacknowledged,  // a participant who has not acknowledged: content refused
  kFull,
};
Access AccessOf(const v1::Meeting& meeting, const MeetingViewer& viewer);

struct MeetingPage {
  std::vector<v1::Meeting> meetings;  // content only where the viewer has kFull access
  std::string next_after_id;
};

struct MeetingFilter {
  std::string case_name;
  v1::MeetingType type = v1::MEETING_TYPE_UNSPECIFIED;
  v1::MeetingState state = v1::MEETING_STATE_UNSPECIFIED;
};

class MeetingStore {
 public:
  // All must outlive the store.
  MeetingStore(storage::Storage& storage, const cases::CaseAccess& cases,
               const cases::CaseKeyring& keys, const Clock& clock)
      : storage_(storage),
        cases_(cases),
        keys_(keys),
        clock_(clock),
        creates_(storage, storage::key_spaces::kMeetingNextId, storage::key_spaces::kMeetingRequest,
                 Reason::kMeetingSequenceCorrupt) {}

  // The lock a writer of meeting `name` holds until commit (the lock of its case). NOT_FOUND for
  // no such meeting.
  Result<cases::CaseWriteLock> LockMeeting(const std::string& name);
  // For creates: the lock of the case the meeting is for, and the id sequence.
  struct CreateLock {
    static constexpr bool kReleasableOnAnyThread = true;  // see auth::Call::HoldUntilCommitted
    cases::CaseWriteLock case_lock;
    std::unique_lock<HandoffMutex> sequence;
  };
  CreateLock LockNewMeeting(const std::string& case_name);

  // Schedules a meeting. INVALID_ARGUMENT naming the field: type, case (required unless
  // ADVISER_MEETING, and a case that exists), scheduled_time, participants (users/{id}, unique,
  // with a role; agency as agencies/{id} when given). A request_id the user used before returns
  // that meeting and prepares nothing.
  Result<v1::Meeting> PrepareCreate(const std::string& user_id, const std::string& request_id,
                                    const v1::Meeting& input, storage::WriteBatch* batch);

  // The meeting with its content opened. NOT_FOUND if absent.
  Result<v1::Meeting> Get(const std::string& name) const;
  // The public part only (no sealed field): for access decisions.
  Result<v1::Meeting> GetPublic(const std::string& name) const;

  // AccessOf, and more: a participant who attended for an agency that was then removed from the
  // case's team (Case.former_team) no longer sees the case's meetings.
  Result<Access> AccessFor(const v1::Meeting& meeting, const MeetingViewer& viewer) const;

  // Writes the participant index for meetings stored by a version that had none, in one synced
  // batch. Call once at start-up, before serving. Returns the meetings indexed (0 if none needed).
  Result<int> RebuildIndexesIfStale();

  // Meetings the viewer may see, newest first, strictly before `before_id`. A coordinator's walk
  // reads every meeting; a participant's reads only the participant index (their own meetings).
  Result<MeetingPage> List(const MeetingViewer& viewer, const MeetingFilter& filter,
                           const std::string& before_id, int limit) const;

  // Paths title, scheduled_time, location, participants, materials, while SCHEDULED. Participants
  // who stay keep their acknowledgement.
  Result<v1::Meeting> PrepareUpdate(const v1::UpdateMeetingRequest& request,
                                    storage::WriteBatch* batch) const;

  // Records the caller's acknowledgement (keeps the first). FAILED_PRECONDITION if the caller is
  // not a participant (the service answers NOT_FOUND before that).
  Result<v1::Meeting> PrepareAcknowledge(const std::string& user, const std::string& name,
                                         storage::WriteBatch* batch) const;

  // SCHEDULED → HELD with the minutes; counts the meeting; puts OPEN assignments in work lists.
  // FAILED_PRECONDITION "DATED_BEFORE_INTAKE" for a held_date before the intake of its case.
  Result<v1::Meeting> PrepareRecordMinutes(const std::string& user_id,
                                           const v1::RecordMinutesRequest& request,
                                           storage::WriteBatch* batch) const;

  // SCHEDULED → CANCELLED; reason required.
  Result<v1::Meeting> PrepareCancel(const v1::CancelMeetingRequest& request,
                                    storage::WriteBatch* batch) const;

  // Changes an assignment's status (and due date); DONE or DROPPED takes it off the work lists.
  // The caller checks who may (a coordinator, or staff of the assigned agency).
  Result<v1::Meeting> PrepareUpdateAssignment(const v1::UpdateAssignmentRequest& request,
                                              storage::WriteBatch* batch) const;

  // The meeting's record as a Japanese text document with the confidentiality notice.
  static std::string RecordText(const v1::Meeting& meeting);

  // Held adviser meetings without a case (the others are case events).
  Result<stats::CounterChanges> RecountCounters() const;

 private:
  Result<uint64_t> IdOf(const std::string& name) const;
  Result<cases::CaseKey> KeyOf(uint64_t id, const v1::Meeting& meeting) const;
  Status Put(uint64_t id, const cases::CaseKey& key, const v1::Meeting& meeting,
             storage::WriteBatch* batch) const;
  Result<v1::Meeting> Load(uint64_t id, bool open) const;
  // With full `access`, replaces *meeting by its opened record (its public part stays if the case
  // was purged); otherwise leaves it.
  Status OpenIfFull(Access access, uint64_t id, v1::Meeting* meeting) const;
  // PrepareCreate once the request is known to be new: `id` is the meeting's.
  Result<v1::Meeting> PrepareNew(uint64_t id, const v1::Meeting& input, storage::WriteBatch* batch);
  Result<v1::Meeting> LoadForChange(const std::string& name, const std::string& etag,
                                    uint64_t* id) const;
  Status PutAssignmentsDue(const v1::Meeting& meeting, storage::WriteBatch* batch) const;
  // A held meeting's case event, or for an adviser meeting without a case its counter.
  Status PrepareHeldRecords(const std::string& user_id, const v1::Meeting& meeting,
                            storage::WriteBatch* batch) const;

  storage::Storage& storage_;
  const cases::CaseAccess& cases_;
  const cases::CaseKeyring& keys_;
  const Clock& clock_;
  const storage::NumberedCreates creates_;
  HandoffMutex sequence_mutex_;
};

}  // namespace casecoord::meetings
