// The consultation log of a case: entries (consultations, home visits, coordination contacts with
// agencies, ...) appended one after another and never changed; a correction is an AMENDMENT entry
// naming the entry it corrects. Each entry records a CONSULTATION_LOGGED event in the case's
// history, which a coordination contact counts in the statistics. Layout in case_store.h
// ("case-entry").
//
// Writers hold CaseStore::LockCase of the case until their batch commits.
//
// Thread safety: all methods may be called concurrently.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "casecoord/v1/cases.pb.h"
#include "services/cases/case_store.h"
#include "services/common/clock.h"
#include "services/common/status.h"
#include "services/directory/agency_store.h"
#include "services/storage/storage.h"

namespace casecoord::cases {

class CaseConsultations {
 public:
  // All must outlive this object.
  CaseConsultations(const CaseStore& cases, const storage::Storage& storage,
                    const directory::AgencyStore& agencies, const Clock& clock)
      : cases_(cases), storage_(storage), agencies_(agencies), clock_(clock) {}

  // Appends an entry to the case's consultation log (and a CONSULTATION_LOGGED event, counted if
  // it is a coordination contact). INVALID_ARGUMENT naming the field: kind, date (a real day, not
  // in the future), summary, agency (required and in the directory for COORDINATION_CONTACT),
  // amends/amendment_reason (required for AMENDMENT, naming an earlier entry of this case).
  // FAILED_PRECONDITION "DATED_BEFORE_INTAKE" for a date before the case's intake.
  Result<v1::ConsultationEntry> PrepareAppendConsultation(const std::string& user_id,
                                                          const std::string& parent,
                                                          const v1::ConsultationEntry& input,
                                                          storage::WriteBatch* batch) const;

  // Entries after number `after`, oldest first, opened, each with the entries that amend it.
  Result<std::vector<v1::ConsultationEntry>> Consultations(const std::string& parent, int64_t after,
                                                           int limit) const;

 private:
  // Adds to `violations` every bad field of `input` for case `id` at `now`. Returns an error only
  // if storage cannot be read.
  Status CheckEntry(uint64_t id, const v1::ConsultationEntry& input,
                    std::chrono::system_clock::time_point now, FieldViolations* violations) const;
  // Whether `amends` names an existing entry of case `id`.
  Result<bool> AmendsAnEntry(uint64_t id, const std::string& amends) const;
  // The entry stored under `value`, opened under `key`.
  Result<v1::ConsultationEntry> OpenEntry(const std::string& parent, const CaseKey& key,
                                          std::string_view value) const;

  const CaseStore& cases_;
  const storage::Storage& storage_;
  const directory::AgencyStore& agencies_;
  const Clock& clock_;
};

}  // namespace casecoord::cases
