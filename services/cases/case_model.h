// Rules of a case that need no storage: which fields are personal (sealed at rest), and which
// state transitions are allowed (the lifecycle documented on TransitionCaseRequest in
// proto/casecoord/v1/cases.proto).
//
// Thread safety: all functions are reentrant.
#pragma once

#include "casecoord/v1/cases.pb.h"
#include "services/common/status.h"

namespace casecoord::cases {

// Moves the personal fields of `record` into a message holding only them: members' display_name,
// kana, birth_date and phone (with member_id, to join them back), address, phone, referral_note,
// the notes of involved_agencies (with their agency), presenting_problem. `record` keeps everything
// else, with those fields cleared. JoinPersonal(SplitPersonal(x), ...) restores x exactly.
v1::Case SplitPersonal(v1::Case* record);

// Puts the personal fields of `personal` (as made by SplitPersonal) back into `record`. Members
// and involved agencies are matched by position and must name the same member_id / agency;
// DATA_LOSS "PERSONAL_DATA_MISMATCH" otherwise (a sealed part that belongs to another version).
Status JoinPersonal(const v1::Case& personal, v1::Case* record);

// Whether `request` may move a case from `from`; FAILED_PRECONDITION "ILLEGAL_TRANSITION" naming
// the current state otherwise, and INVALID_ARGUMENT naming the field for a missing outcome or
// reason.
Status CheckTransition(v1::CaseState from, const v1::TransitionCaseRequest& request);

}  // namespace casecoord::cases
