#include "services/vocab/term_catalog.h"

#include <algorithm>
#include <cctype>
#include <mutex>
#include <tuple>

#include "services/common/enum_labels.h"
#include "services/common/text.h"
#include "services/text/japanese_text.h"

namespace casecoord::vocab {
namespace {

constexpr char kTermsInfix[] = "/terms/";

// Levenshtein distance over bytes (ids are ASCII), at most 64 bytes of each side considered.
size_t EditDistance(std::string_view a, std::string_view b) {
  a = a.substr(0, 64);
  b = b.substr(0, 64);
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string TermName(Vocabulary list, std::string_view id) {
  return std::string(kVocabularyPrefix) + std::string(ListId(list)) + kTermsInfix + std::string(id);
}

Result<Vocabulary> ParseListName(std::string_view name, const std::string& field) {
  std::optional<Vocabulary> list;
  if (name.starts_with(kVocabularyPrefix)) {
    list = ParseListId(name.substr(sizeof(kVocabularyPrefix) - 1));
  }
  if (!list) {
    return Status::InvalidArgument(
        field,
        "must be \"vocabularies/districts\", \"vocabularies/issue-tags\" or "
        "\"vocabularies/fields\"");
  }
  return *list;
}

Result<std::pair<Vocabulary, std::string>> ParseTermName(std::string_view name,
                                                         const std::string& field) {
  const size_t infix = name.find(kTermsInfix);
  if (infix != std::string_view::npos) {
    auto list = ParseListName(name.substr(0, infix), field);
    const std::string_view id = name.substr(infix + sizeof(kTermsInfix) - 1);
    if (list.ok() && IsResourceId(id)) return std::make_pair(*list, std::string(id));
  }
  return Status::InvalidArgument(field, "must look like \"vocabularies/{list}/terms/{term_id}\"");
}

void TermCatalog::SeedFields() {
  const auto* type = v1::SupportField_descriptor();
  for (int i = 0; i < type->value_count(); ++i) {
    const auto* value = type->value(i);
    if (value->number() == v1::SUPPORT_FIELD_UNSPECIFIED) continue;
    PutActive(Vocabulary::kFields, FieldTermId(value->number()), LabelJa(*value), "",
              value->number() * 10);
  }
}

void TermCatalog::Put(const v1::Term& term) {
  auto parsed = ParseTermName(term.name(), "term.name");
  if (!parsed.ok()) return;
  Entry entry{term, text::NormalizeForSearch(term.label()),
              text::NormalizeForSearch(term.reading())};
  entry.term.set_term_id(parsed->second);
  std::unique_lock<std::shared_mutex> lock(mutex_);
  lists_[static_cast<int>(parsed->first)][parsed->second] = std::move(entry);
}

void TermCatalog::PutActive(Vocabulary list, std::string_view id, std::string_view label,
                            std::string_view reading, int display_order) {
  v1::Term term;
  term.set_name(TermName(list, id));
  term.set_term_id(std::string(id));
  term.set_label(std::string(label));
  term.set_reading(std::string(reading));
  term.set_display_order(display_order);
  term.set_state(v1::Term::ACTIVE);
  Put(term);
}

std::optional<v1::Term> TermCatalog::Find(Vocabulary list, std::string_view id) const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  const auto& terms = Terms(list);
  auto it = terms.find(id);
  if (it == terms.end()) return std::nullopt;
  return it->second.term;
}

std::vector<v1::Term> TermCatalog::List(Vocabulary list) const {
  std::vector<v1::Term> out;
  {
    std::shared_lock<std::shared_mutex> lock(mutex_);
    for (const auto& [id, entry] : Terms(list)) out.push_back(entry.term);
  }
  std::stable_sort(out.begin(), out.end(), [](const v1::Term& a, const v1::Term& b) {
    return a.display_order() < b.display_order();
  });
  return out;
}

size_t TermCatalog::Size(Vocabulary list) const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  return Terms(list).size();
}

TermCheck::State TermCatalog::StateOf(Vocabulary list, std::string_view id) const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  const auto& terms = Terms(list);
  auto it = terms.find(id);
  if (it == terms.end()) return State::kUnknown;
  return it->second.term.state() == v1::Term::RETIRED ? State::kRetired : State::kActive;
}

std::optional<std::string> TermCatalog::IdOfLabel(Vocabulary list, std::string_view text) const {
  text = TrimSpaces(text);
  if (text.empty()) return std::nullopt;
  std::shared_lock<std::shared_mutex> lock(mutex_);
  for (const auto& [id, entry] : Terms(list)) {
    if (entry.term.label() == text) return id;
  }
  return std::nullopt;
}

std::optional<std::string> TermCatalog::LabelOf(Vocabulary list, std::string_view id) const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  const auto& terms = Terms(list);
  auto it = terms.find(id);
  if (it == terms.end()) return std::nullopt;
  return it->second.term.label();
}

std::vector<std::string> TermCatalog::Suggest(Vocabulary list, std::string_view text,
                                              size_t limit) const {
  const std::string folded = text::NormalizeForSearch(text);
  std::string lowered(TrimSpaces(text));
  for (char& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const size_t max_distance = std::max<size_t>(2, lowered.size() / 3);
  // (tier, distance, display order, id): smaller is nearer.
  std::vector<std::tuple<int, size_t, int, std::string>> near;
  {
    std::shared_lock<std::shared_mutex> lock(mutex_);
    for (const auto& [id, entry] : Terms(list)) {
      if (entry.term.state() != v1::Term::ACTIVE) continue;
      const int order = entry.term.display_order();
      if (!folded.empty() &&
          (folded == entry.folded_label || folded == entry.folded_reading || folded == id)) {
        near.emplace_back(0, 0, order, id);
      } else if (!folded.empty() && (entry.folded_label.find(folded) != std::string::npos ||
                                     entry.folded_reading.find(folded) != std::string::npos)) {
        near.emplace_back(1, 0, order, id);
      } else if (const size_t distance = EditDistance(lowered, id); distance <= max_distance) {
        near.emplace_back(2, distance, order, id);
      }
    }
  }
  std::sort(near.begin(), near.end());
  std::vector<std::string> ids;
  for (size_t i = 0; i < near.size() && i < limit; ++i) ids.push_back(std::get<3>(near[i]));
  return ids;
}

}  // namespace casecoord::vocab
