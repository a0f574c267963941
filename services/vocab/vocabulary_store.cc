#include "services/vocab/vocabulary_store.h"

#include <google/protobuf/util/time_util.h>

#include <charconv>
#include <map>
#include <set>

#include "services/common/text.h"
#include "services/common/timestamps.h"
#include "services/storage/key_spaces.h"
#include "services/storage/record_kit.h"
#include "services/text/csv.h"

namespace casecoord::vocab {
namespace {

using google::protobuf::util::TimeUtil;
using storage::ColumnFamily;

constexpr size_t kMaxLabelCharacters = 100;
constexpr int kMaxDisplayOrder = 1000000;
constexpr size_t kMaxImportBytes = 1 << 20;

std::string TermKey(Vocabulary list, std::string_view id) {
  return storage::key_spaces::kVocabularyTerm.Key(std::string(ListId(list)) + ":" +
                                                  std::string(id));
}

// The id rules of the list: every list takes resource ids; fields only SupportField values.
std::optional<std::string> IdProblem(Vocabulary list, std::string_view id) {
  if (!IsResourceId(id)) return "1 to 63 lowercase letters, digits or '-', not starting with '-'";
  if (list == Vocabulary::kFields && !FieldOfTermId(id)) {
    return "the fields list holds the SupportField values only (elderly-care, disability, ...)";
  }
  return std::nullopt;
}

std::optional<int> ParseOrder(std::string_view text) {
  if (text.empty()) return 0;
  int value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 0 ||
      value > kMaxDisplayOrder) {
    return std::nullopt;
  }
  return value;
}

// An import's rows: where each cell is, the problems found so far, and the ids and labels seen.
class ImportRows {
 public:
  ImportRows(const std::vector<int>& columns, FieldViolations& problems)
      : columns_(columns), problems_(problems) {}

  std::string Cell(const text::CsvRow& row, int column) const {
    const int index = columns_[column];
    return index < 0 ? std::string() : row.fields[index];
  }

  void Problem(const text::CsvRow& row, int column, const std::string& problem) {
    problems_(
        "line " + std::to_string(row.line) + ", column " + std::to_string(columns_[column] + 1),
        problem);
  }

  struct Key {
    Vocabulary list;
    std::string id;
    int order;
  };
  // The row's list, id and order, once each is valid and the id is new in the file; nullopt
  // (with the problem noted) otherwise.
  std::optional<Key> KeyOf(const text::CsvRow& row) {
    const std::optional<Vocabulary> list = ParseListId(Cell(row, 0));
    if (!list) return Fail(row, 0, "must be districts, issue-tags or fields");
    std::string id = Cell(row, 1);
    if (auto problem = IdProblem(*list, id)) return Fail(row, 1, *problem);
    if (!seen_ids_.insert({static_cast<int>(*list), id}).second) {
      return Fail(row, 1, "\"" + id + "\" is given twice");
    }
    const std::optional<int> order = ParseOrder(Cell(row, 4));
    if (!order) return Fail(row, 4, "must be a whole number from 0 to 1,000,000");
    return Key{*list, std::move(id), *order};
  }

  // Notes the field violations of `valid` at their columns; false if there were any.
  bool Valid(const text::CsvRow& row, const Status& valid) {
    for (const auto& violation : valid.field_violations()) {
      Problem(row,
              violation.field == "label"     ? 2
              : violation.field == "reading" ? 3
                                             : 4,
              violation.description);
    }
    return valid.ok();
  }

  // False (with the problem noted) if another row of the list has the same label.
  bool NewLabel(const text::CsvRow& row, Vocabulary list, const std::string& label) {
    if (seen_labels_.insert({static_cast<int>(list), label}).second) return true;
    Problem(row, 2, "\"" + ShortQuote(label) + "\" is given twice");
    return false;
  }

 private:
  std::nullopt_t Fail(const text::CsvRow& row, int column, const std::string& problem) {
    Problem(row, column, problem);
    return std::nullopt;
  }

  const std::vector<int>& columns_;
  FieldViolations& problems_;
  std::set<std::pair<int, std::string>> seen_ids_;
  std::set<std::pair<int, std::string>> seen_labels_;
};

enum class TermChange { kCreated, kUpdated, kUnchanged };

bool SameContent(const v1::Term& a, const v1::Term& b) {
  return a.label() == b.label() && a.reading() == b.reading() &&
         a.display_order() == b.display_order();
}

TermChange ChangeOf(bool exists, const v1::Term& before, const v1::Term& after) {
  if (!exists) return TermChange::kCreated;
  return SameContent(before, after) ? TermChange::kUnchanged : TermChange::kUpdated;
}

void Count(TermChange change, v1::ImportTermsResponse* response) {
  switch (change) {
    case TermChange::kCreated:
      response->set_created(response->created() + 1);
      break;
    case TermChange::kUpdated:
      response->set_updated(response->updated() + 1);
      break;
    case TermChange::kUnchanged:
      response->set_unchanged(response->unchanged() + 1);
      break;
  }
}

// VOCABULARY_FULL when adding `terms` would take a list over kMaxTermsPerList.
Status CheckListCapacity(const TermCatalog& catalog,
                         const std::vector<std::pair<Vocabulary, v1::Term>>& terms) {
  for (Vocabulary list : kAllVocabularies) {
    size_t added = 0;
    for (const auto& [term_list, term] : terms) {
      added += term_list == list && !catalog.Find(list, term.term_id()).has_value();
    }
    if (catalog.Size(list) + added > kMaxTermsPerList) {
      return Status(Reason::kVocabularyFull, std::string(ListId(list)) + " would hold more than " +
                                                 std::to_string(kMaxTermsPerList) + " terms");
    }
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<VocabularyStore>> VocabularyStore::Open(const storage::Storage& storage,
                                                               const Clock& clock) {
  std::unique_ptr<VocabularyStore> store(new VocabularyStore(clock));
  CASECOORD_RETURN_IF_ERROR(storage::ForEachRecord<v1::Term>(
      storage, ColumnFamily::kRecords, storage::key_spaces::kVocabularyTerm.Prefix(), "",
      Reason::kVocabularyRecordCorrupt,
      [&store](std::string_view, const v1::Term& term) -> Result<bool> {
        store->catalog_.Put(term);
        return true;
      }));
  return store;
}

Status VocabularyStore::Validate(Vocabulary list, const v1::Term& term,
                                 const std::string& prefix) const {
  FieldViolations violations;
  const size_t label_length = CharacterCount(term.label());
  if (label_length == 0 || label_length > kMaxLabelCharacters) {
    violations(prefix + "label", "must be 1 to 100 characters");
  } else if (auto holder = catalog_.IdOfLabel(list, term.label());
             holder && *holder != term.term_id()) {
    violations(prefix + "label", "\"" + ShortQuote(term.label()) + "\" is the label of " + *holder);
  }
  if (CharacterCount(term.reading()) > kMaxLabelCharacters) {
    violations(prefix + "reading", "at most 100 characters");
  }
  if (term.display_order() < 0 || term.display_order() > kMaxDisplayOrder) {
    violations(prefix + "display_order", "must be 0 to 1,000,000");
  }
  return violations.ToStatus();
}

void VocabularyStore::Stamp(v1::Term* term) const {
  const auto now = NowTimestamp(clock_);
  *term->mutable_update_time() = now;
  term->set_etag(std::to_string(TimeUtil::TimestampToNanoseconds(now)));
}

void VocabularyStore::Put(Vocabulary list, const v1::Term& term, storage::WriteBatch* batch) const {
  batch->Put(ColumnFamily::kRecords, TermKey(list, term.term_id()), term.SerializeAsString());
}

Result<v1::Term> VocabularyStore::PrepareCreate(const std::string& parent,
                                                const std::string& term_id, const v1::Term& term,
                                                storage::WriteBatch* batch) const {
  CASECOORD_ASSIGN_OR_RETURN(const Vocabulary list, ParseListName(parent, "parent"));
  if (auto problem = IdProblem(list, term_id)) return Status::InvalidArgument("term_id", *problem);
  v1::Term created;
  created.set_name(TermName(list, term_id));
  created.set_term_id(term_id);
  created.set_label(term.label());
  created.set_reading(term.reading());
  created.set_display_order(term.display_order());
  created.set_state(v1::Term::ACTIVE);
  CASECOORD_RETURN_IF_ERROR(Validate(list, created, "term."));
  // A stored fields term replaces its seed; any other existing id is taken.
  auto existing = catalog_.Find(list, term_id);
  if (existing && (list != Vocabulary::kFields || existing->has_update_time())) {
    return Status(Reason::kTermExists, created.name() + " exists");
  }
  if (catalog_.Size(list) >= kMaxTermsPerList) {
    return Status(Reason::kVocabularyFull, std::string(ListId(list)) + " holds " +
                                               std::to_string(kMaxTermsPerList) + " terms");
  }
  Stamp(&created);
  Put(list, created, batch);
  return created;
}

Result<v1::Term> VocabularyStore::PrepareUpdate(const v1::Term& patch, const v1::FieldMask& mask,
                                                storage::WriteBatch* batch) const {
  CASECOORD_ASSIGN_OR_RETURN(const auto parsed, ParseTermName(patch.name(), "term.name"));
  const auto& [list, id] = parsed;
  if (mask.paths().empty()) return Status::InvalidArgument("update_mask", "must name fields");
  auto stored = catalog_.Find(list, id);
  if (!stored) return Status(Reason::kTermNotFound, "no term " + patch.name());
  CASECOORD_RETURN_IF_ERROR(storage::CheckEtag(patch.name(), patch.etag(), stored->etag()));
  v1::Term updated = *stored;
  for (const auto& path : mask.paths()) {
    if (path == "label") {
      updated.set_label(patch.label());
    } else if (path == "reading") {
      updated.set_reading(patch.reading());
    } else if (path == "display_order") {
      updated.set_display_order(patch.display_order());
    } else {
      return Status::InvalidArgument("update_mask", "cannot update \"" + ShortQuote(path) + "\"");
    }
  }
  CASECOORD_RETURN_IF_ERROR(Validate(list, updated, "term."));
  Stamp(&updated);
  Put(list, updated, batch);
  return updated;
}

Result<v1::Term> VocabularyStore::PrepareSetState(const std::string& name, const std::string& etag,
                                                  v1::Term::State state,
                                                  storage::WriteBatch* batch) const {
  CASECOORD_ASSIGN_OR_RETURN(const auto parsed, ParseTermName(name, "name"));
  auto stored = catalog_.Find(parsed.first, parsed.second);
  if (!stored) return Status(Reason::kTermNotFound, "no term " + name);
  CASECOORD_RETURN_IF_ERROR(storage::CheckEtag(name, etag, stored->etag()));
  if (stored->state() == state) return *stored;
  stored->set_state(state);
  Stamp(&*stored);
  Put(parsed.first, *stored, batch);
  return *stored;
}

Result<v1::ImportTermsResponse> VocabularyStore::PrepareImport(
    std::string_view csv, bool dry_run, storage::WriteBatch* batch,
    std::vector<v1::Term>* changed) const {
  if (csv.size() > kMaxImportBytes) return Status::InvalidArgument("csv", "at most 1 MiB");
  text::CsvEncoding encoding;
  CASECOORD_ASSIGN_OR_RETURN(const std::string utf8, text::DecodeToUtf8(csv, &encoding));
  const text::CsvTable table = text::ParseCsv(utf8);
  CASECOORD_ASSIGN_OR_RETURN(const std::vector<int> columns,
                             text::MapHeader(table.header,
                                             {{"list", "リスト"},
                                              {"id", "コード"},
                                              {"label", "表示名"},
                                              {"reading", "読み"},
                                              {"order", "表示順"}},
                                             {true, true, true, false, false}));
  FieldViolations problems;
  for (const auto& problem : table.problems) {
    problems("line " + std::to_string(problem.line) + ", column " + std::to_string(problem.column),
             problem.problem);
  }
  ImportRows rows(columns, problems);
  v1::ImportTermsResponse response;
  std::vector<std::pair<Vocabulary, v1::Term>> terms;
  for (const auto& row : table.rows) {
    const std::optional<ImportRows::Key> key = rows.KeyOf(row);
    if (!key) continue;
    v1::Term term = catalog_.Find(key->list, key->id).value_or(v1::Term());
    const bool exists = term.has_update_time();
    const v1::Term before = term;
    term.set_name(TermName(key->list, key->id));
    term.set_term_id(key->id);
    term.set_label(rows.Cell(row, 2));
    term.set_reading(rows.Cell(row, 3));
    term.set_display_order(key->order);
    if (term.state() == v1::Term::STATE_UNSPECIFIED) term.set_state(v1::Term::ACTIVE);
    if (!rows.Valid(row, Validate(key->list, term, ""))) continue;
    if (!rows.NewLabel(row, key->list, term.label())) continue;
    const TermChange change = ChangeOf(exists, before, term);
    Count(change, &response);
    if (change != TermChange::kUnchanged) terms.emplace_back(key->list, std::move(term));
  }
  CASECOORD_RETURN_IF_ERROR(problems.ToStatus());
  CASECOORD_RETURN_IF_ERROR(CheckListCapacity(catalog_, terms));
  if (dry_run) return response;
  for (auto& [list, term] : terms) {
    Stamp(&term);
    Put(list, term, batch);
    changed->push_back(std::move(term));
  }
  return response;
}

}  // namespace casecoord::vocab
