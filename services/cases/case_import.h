// Bringing a city's existing cases over (Cases.ImportCases): each case of the file opened on its
// intake date and moved through the decisions the file records, with their own dates, so that its
// history and the yearly counts come out as if it had been recorded live.
//
// Layout: kIndexes "case-import-source"/source id → case id, written with the case, so that a
// source id is imported at most once (a re-run changes nothing).
//
// Thread safety: Prepare may be called concurrently with other readers; writers serialise on
// CaseStore::LockNewCase, which the caller holds until the batch commits.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "casecoord/v1/cases.pb.h"
#include "services/cases/case_import_file.h"
#include "services/cases/case_store.h"
#include "services/common/status.h"
#include "services/storage/storage.h"

namespace casecoord::cases {

class CaseImports {
 public:
  // Both must outlive this object.
  CaseImports(const storage::Storage& storage, const CaseStore& cases)
      : storage_(storage), cases_(cases) {}

  // Checks every new case of `file` as CreateCase would (problems located by line and column) and
  // prepares in `batch` the creation of those without a problem, by `user_id`, unless
  // options.validate_only, or a problem was found (in the file or here) without
  // options.allow_partial — then nothing is prepared and `applied` is false. Source ids imported
  // before are reported as unchanged. Errors are storage failures only.
  Result<v1::ImportCasesResponse> Prepare(const std::string& user_id, const CaseImportFile& file,
                                          const v1::CaseImportOptions& options,
                                          storage::WriteBatch* batch) const;

 private:
  // The case an earlier import made of `source_id`, or nullopt.
  Result<std::optional<uint64_t>> ImportedBefore(const std::string& source_id) const;
  // Sorts the file's cases into those imported before (listed in `response` as such), those the
  // case rules refuse (reported, counted in `rejected`) and the new ones (`fresh`).
  Status Classify(const CaseImportFile& file, v1::ImportCasesResponse* response, int* rejected,
                  std::vector<const ImportedCaseDraft*>* fresh) const;
  // Prepares the `fresh` cases, their decisions and source-id index entries into `batch`, each
  // listed in `response` with its new name and number.
  Status PutFresh(const std::string& user_id, const std::vector<const ImportedCaseDraft*>& fresh,
                  v1::ImportCasesResponse* response, storage::WriteBatch* batch) const;
  // The problems CaseStore finds with a case of the file, located in the file.
  void ReportRefusal(const CaseImportFile& file, const ImportedCaseDraft& draft,
                     const Status& refusal, v1::ImportCasesResponse* response) const;
  // Records the decisions of `draft` on the new case `created` (its OPENED event is sequence 1).
  Status PutDecisions(const std::string& user_id, uint64_t id, const ImportedCaseDraft& draft,
                      CaseStore::NewCase* created, storage::WriteBatch* batch) const;

  const storage::Storage& storage_;
  const CaseStore& cases_;
};

}  // namespace casecoord::cases
