// The yearly cooperation survey (連携に関する年次調査): for each agency and fiscal year, whether it
// answered that it has close cooperation with related agencies. The share of "yes" over the
// answering agencies is a plan indicator (成果指標), so the two counts of each fiscal year are kept
// as counters written in the same batch as the answer that changes them: a summary is one read,
// and RecountFromAnswers proves that it agrees with the answers.
//
// Answers stay when their agency is deleted: the figures of past years do not change.
//
// Thread safety: all methods may be called concurrently; writers hold LockForWrite() from
// preparation until the commit.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "casecoord/v1/directory.pb.h"
#include "services/common/clock.h"
#include "services/common/status.h"
#include "services/directory/agency_store.h"
#include "services/storage/storage.h"

namespace casecoord::directory {

class CooperationSurveyStore {
 public:
  // `agencies` must outlive this store.
  CooperationSurveyStore(storage::Storage& storage, const AgencyStore& agencies, const Clock& clock)
      : storage_(storage), agencies_(agencies), clock_(clock) {}

  std::unique_lock<std::mutex> LockForWrite() { return std::unique_lock<std::mutex>(write_mutex_); }

  // Records or replaces the answer of `parent` ("agencies/{agency}", which must exist: NOT_FOUND)
  // for `fiscal_year` (1990 to the current fiscal year + 1, else INVALID_ARGUMENT on
  // "fiscal_year"), with the counters of that year, into `batch`.
  Result<v1::CooperationSurveyAnswer> PrepareRecord(const std::string& parent, int fiscal_year,
                                                    bool close_cooperation,
                                                    const std::string& recorded_by,
                                                    storage::WriteBatch* batch) const;

  // Removes an answer (NOT_FOUND if absent) and adjusts the counters, into `batch`.
  Status PrepareDelete(const std::string& name, storage::WriteBatch* batch) const;

  // Answers of `fiscal_year` after agency id `after_id`, in agency id order; `more` if others
  // follow.
  Result<std::vector<v1::CooperationSurveyAnswer>> List(int fiscal_year,
                                                        const std::string& after_id, int limit,
                                                        bool* more) const;

  // From the counters: one read, whatever the number of agencies.
  Result<v1::CooperationSurveySummary> Summary(int fiscal_year) const;

  // The same figures counted from the stored answers (to check the counters).
  Result<v1::CooperationSurveySummary> RecountFromAnswers(int fiscal_year) const;

  // INVALID_ARGUMENT on "fiscal_year" unless 1990 <= fiscal_year <= current fiscal year + 1.
  Status CheckFiscalYear(int fiscal_year) const;

 private:
  struct Counts {
    int64_t answered = 0;
    int64_t close = 0;
  };
  Result<Counts> ReadCounts(int fiscal_year) const;
  void WriteCounts(int fiscal_year, const Counts& counts, storage::WriteBatch* batch) const;

  storage::Storage& storage_;
  const AgencyStore& agencies_;
  const Clock& clock_;
  std::mutex write_mutex_;
};

// The agency id in an answer's name ("agencies/kita/cooperationSurveys/2024" → "kita").
std::string AnswerAgencyId(const v1::CooperationSurveyAnswer& answer);

// The summary message for the two counts, with the share rounded to one decimal.
v1::CooperationSurveySummary MakeCooperationSurveySummary(int fiscal_year, int64_t answered,
                                                          int64_t close);

}  // namespace casecoord::directory
