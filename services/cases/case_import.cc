#include "services/cases/case_import.h"

#include <utility>
#include <vector>

#include "services/cases/case_layout.h"
#include "services/common/resource_names.h"
#include "services/storage/key_encoding.h"
#include "services/storage/key_spaces.h"

namespace casecoord::cases {
namespace {

using storage::ColumnFamily;
using storage::key_spaces::kCaseImportSource;

// The decider recorded on an imported decision (sealed like any decider): who decided is on the
// city's paper record, not in the file.
constexpr char kImportedDecider[] = "移行データ / imported record";

// Whether a refusal of CheckNewCase is about the case (reported as a problem of the file) rather
// than a failure of the server.
bool IsCaseProblem(const Status& refusal) {
  return refusal.code() == StatusCode::kInvalidArgument ||
         refusal.code() == StatusCode::kNotFound ||
         refusal.code() == StatusCode::kFailedPrecondition;
}

// A problem stops the import unless allow_partial; the header's own (unknown columns) do not.
bool StopsImport(const CaseImportFile& file, const v1::ImportCasesResponse& response) {
  for (const auto& problem : response.problems()) {
    if (problem.line() != file.header_line) return true;
  }
  return false;
}

}  // namespace

Result<std::optional<uint64_t>> CaseImports::ImportedBefore(const std::string& source_id) const {
  CASECOORD_ASSIGN_OR_RETURN(
      const auto stored, storage_.Get(ColumnFamily::kIndexes, kCaseImportSource.Key(source_id)));
  if (!stored.has_value()) return std::optional<uint64_t>();
  storage::KeyReader reader(*stored);
  uint64_t id = 0;
  if (!reader.ReadUint64(&id)) {
    return Status(Reason::kCaseSequenceCorrupt, "bad import source index entry for " + source_id);
  }
  return std::optional<uint64_t>(id);
}

void CaseImports::ReportRefusal(const CaseImportFile& file, const ImportedCaseDraft& draft,
                                const Status& refusal, v1::ImportCasesResponse* response) const {
  if (refusal.field_violations().empty()) {
    const char* path = refusal.Is(Reason::kAgencyNotFound) ? "case.referring_agency" : "";
    *response->add_problems() = ProblemAt(file, draft, path, refusal.message());
    return;
  }
  for (const FieldViolation& violation : refusal.field_violations()) {
    *response->add_problems() = ProblemAt(file, draft, violation.field, violation.description);
  }
}

Result<v1::ImportCasesResponse> CaseImports::Prepare(const std::string& user_id,
                                                     const CaseImportFile& file,
                                                     const v1::CaseImportOptions& options,
                                                     storage::WriteBatch* batch) const {
  v1::ImportCasesResponse response;
  response.set_detected_format(file.format);
  response.set_rows_read(file.rows_read);
  response.set_cases_read(file.cases_read);
  *response.mutable_problems() = file.problems;
  int rejected = file.rejected;
  std::vector<const ImportedCaseDraft*> fresh;
  CASECOORD_RETURN_IF_ERROR(Classify(file, &response, &rejected, &fresh));
  response.set_unchanged(response.cases_size());
  response.set_rejected(rejected);
  response.set_created(static_cast<int>(fresh.size()));
  if (options.validate_only() || (!options.allow_partial() && StopsImport(file, response))) {
    for (const ImportedCaseDraft* draft : fresh) {
      v1::ImportedCase& listed = *response.add_cases();
      listed.set_source_id(draft->source_id);
      listed.set_line(draft->line);
    }
    if (!options.validate_only()) response.set_created(0);
    return response;
  }
  if (fresh.empty()) {
    response.set_applied(true);
    return response;
  }
  CASECOORD_RETURN_IF_ERROR(PutFresh(user_id, fresh, &response, batch));
  response.set_applied(true);
  return response;
}

Status CaseImports::Classify(const CaseImportFile& file, v1::ImportCasesResponse* response,
                             int* rejected, std::vector<const ImportedCaseDraft*>* fresh) const {
  for (const ImportedCaseDraft& draft : file.cases) {
    CASECOORD_ASSIGN_OR_RETURN(const std::optional<uint64_t> earlier,
                               ImportedBefore(draft.source_id));
    if (earlier) {
      CASECOORD_ASSIGN_OR_RETURN(const v1::Case existing, cases_.GetPublic(CaseName(*earlier)));
      v1::ImportedCase& listed = *response->add_cases();
      listed.set_source_id(draft.source_id);
      listed.set_line(draft.line);
      listed.set_case_(existing.name());
      listed.set_case_number(existing.case_number());
      listed.set_already_imported(true);
      continue;
    }
    Status refusal = cases_.CheckNewCase(draft.input).status();
    if (!refusal.ok()) {
      if (!IsCaseProblem(refusal)) return refusal;
      ReportRefusal(file, draft, refusal, response);
      ++*rejected;
      continue;
    }
    fresh->push_back(&draft);
  }
  return Status::Ok();
}

Status CaseImports::PutFresh(const std::string& user_id,
                             const std::vector<const ImportedCaseDraft*>& fresh,
                             v1::ImportCasesResponse* response, storage::WriteBatch* batch) const {
  CASECOORD_ASSIGN_OR_RETURN(const uint64_t first_id, cases_.creates().NextId());
  CaseStore::PendingNumbers pending;
  uint64_t id = first_id;
  for (const ImportedCaseDraft* draft : fresh) {
    CASECOORD_ASSIGN_OR_RETURN(
        CaseStore::NewCase created,
        cases_.PrepareNewCase(user_id, id, draft->input, Duplicates::kAllow, &pending, batch));
    CASECOORD_RETURN_IF_ERROR(PutDecisions(user_id, id, *draft, &created, batch));
    std::string id_value;
    storage::AppendUint64(&id_value, id);
    batch->Put(ColumnFamily::kIndexes, kCaseImportSource.Key(draft->source_id), id_value);
    v1::ImportedCase& listed = *response->add_cases();
    listed.set_source_id(draft->source_id);
    listed.set_line(draft->line);
    listed.set_case_(created.record.name());
    listed.set_case_number(created.record.case_number());
    ++id;
  }
  cases_.creates().Take(id - 1, batch);
  return Status::Ok();
}

Status CaseImports::PutDecisions(const std::string& user_id, uint64_t id,
                                 const ImportedCaseDraft& draft, CaseStore::NewCase* created,
                                 storage::WriteBatch* batch) const {
  if (draft.decisions.empty()) return Status::Ok();
  v1::Case& record = created->record;
  int64_t sequence = 1;  // OPENED
  for (const ImportedDecision& decision : draft.decisions) {
    v1::CaseEvent event;
    event.set_sequence(++sequence);
    event.set_kind(v1::STATE_CHANGED);
    *event.mutable_time() = record.create_time();
    event.set_actor(kUserPrefix + user_id);
    event.set_from_state(record.state());
    event.set_to_state(decision.to);
    event.set_outcome(decision.outcome);
    *event.mutable_decision_date() = decision.date;
    event.set_decider(kImportedDecider);
    event.set_reason(decision.reason);
    record.set_state(decision.to);
    record.set_outcome(decision.to == v1::CLOSED ? decision.outcome : v1::CASE_OUTCOME_UNSPECIFIED);
    CASECOORD_RETURN_IF_ERROR(cases_.PutEvent(id, created->key, std::move(event), record, batch));
  }
  record.set_etag(std::to_string(sequence));
  cases_.PutCase(id, created->key, record, batch);
  return Status::Ok();
}

}  // namespace casecoord::cases
