// The managed vocabularies over storage (vocabularies.proto): one record per term in kRecords
// under "vocab-term" (key_spaces.h), keyed by list and id, mirrored in a TermCatalog so that
// validating a write reads no storage.
//
// Changes are prepared into a WriteBatch that the caller commits with its audit entry; Publish()
// then updates the mirror. Writers are serialised by LockForWrite() from preparation until the
// batch is committed and published, so that etag and uniqueness checks cannot interleave.
//
// Thread safety: all methods may be called concurrently.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "casecoord/v1/identity.pb.h"
#include "casecoord/v1/vocabularies.pb.h"
#include "services/common/clock.h"
#include "services/common/status.h"
#include "services/storage/storage.h"
#include "services/vocab/term_catalog.h"

namespace casecoord::vocab {

// Terms per list at most (ListTerms answers a list whole).
inline constexpr size_t kMaxTermsPerList = 2000;

class VocabularyStore {
 public:
  // Loads every stored term into the mirror. DATA_LOSS VOCABULARY_RECORD_CORRUPT for an unreadable
  // record. `storage` and `clock` must outlive the store.
  static Result<std::unique_ptr<VocabularyStore>> Open(const storage::Storage& storage,
                                                       const Clock& clock);

  // What the stores validate with; lives as long as this store.
  const TermCatalog& terms() const { return catalog_; }

  std::unique_lock<std::mutex> LockForWrite() { return std::unique_lock<std::mutex>(write_mutex_); }

  // A new ACTIVE term (INVALID_ARGUMENT naming the field; ALREADY_EXISTS TERM_EXISTS;
  // FAILED_PRECONDITION VOCABULARY_FULL past kMaxTermsPerList).
  Result<v1::Term> PrepareCreate(const std::string& parent, const std::string& term_id,
                                 const v1::Term& term, storage::WriteBatch* batch) const;
  // Applies the label, reading and display_order paths of `mask` (NOT_FOUND TERM_NOT_FOUND,
  // ABORTED STALE_ETAG, INVALID_ARGUMENT naming the field).
  Result<v1::Term> PrepareUpdate(const v1::Term& patch, const v1::FieldMask& mask,
                                 storage::WriteBatch* batch) const;
  // Sets the state of the term `name` (NOT_FOUND, ABORTED STALE_ETAG). A term already in `state`
  // is returned as it is and nothing is prepared.
  Result<v1::Term> PrepareSetState(const std::string& name, const std::string& etag,
                                   v1::Term::State state, storage::WriteBatch* batch) const;
  // Prepares every term of a seed-format CSV (ImportTermsRequest), all or nothing; the terms to
  // publish are appended to `changed` (none on a dry run). INVALID_ARGUMENT with a violation
  // "line {n}, column {c}" per problem.
  Result<v1::ImportTermsResponse> PrepareImport(std::string_view csv, bool dry_run,
                                                storage::WriteBatch* batch,
                                                std::vector<v1::Term>* changed) const;

  // Makes committed terms visible to terms().
  void Publish(const v1::Term& term) { catalog_.Put(term); }

 private:
  explicit VocabularyStore(const Clock& clock) : clock_(clock) {}
  // Label and reading and order of `term` in `list`, as `prefix` + field.
  Status Validate(Vocabulary list, const v1::Term& term, const std::string& prefix) const;
  void Stamp(v1::Term* term) const;
  void Put(Vocabulary list, const v1::Term& term, storage::WriteBatch* batch) const;

  const Clock& clock_;
  std::mutex write_mutex_;
  TermCatalog catalog_;
};

}  // namespace casecoord::vocab
