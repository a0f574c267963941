#include "services/vocab/term_check.h"

#include <cctype>

#include "services/common/text.h"

namespace casecoord::vocab {
namespace {

std::string_view Noun(Vocabulary list) {
  switch (list) {
    case Vocabulary::kDistricts:
      return "district";
    case Vocabulary::kIssueTags:
      return "issue tag";
    case Vocabulary::kFields:
      return "field";
  }
  return "term";
}

std::string Refusal(const TermCheck& terms, Vocabulary list, std::string_view value) {
  std::string description = "\"" + ShortQuote(value) + "\" is not a " + std::string(Noun(list)) +
                            " of the list " + std::string(ListId(list));
  const std::vector<std::string> nearest = terms.Suggest(list, value, 3);
  if (nearest.empty()) {
    description += " (see `casectl vocab list " + std::string(ListId(list)) + "`)";
  } else {
    description += "; nearest: ";
    for (size_t i = 0; i < nearest.size(); ++i) description += (i ? ", " : "") + nearest[i];
  }
  return description;
}

std::string RetiredRefusal(Vocabulary list, std::string_view id) {
  return "\"" + std::string(id) + "\" is a retired " + std::string(Noun(list)) +
         ": records that hold it keep it, a new one cannot use it";
}

}  // namespace

std::string_view ListId(Vocabulary list) {
  switch (list) {
    case Vocabulary::kDistricts:
      return "districts";
    case Vocabulary::kIssueTags:
      return "issue-tags";
    case Vocabulary::kFields:
      return "fields";
  }
  return "";
}

std::optional<Vocabulary> ParseListId(std::string_view id) {
  for (Vocabulary list : kAllVocabularies) {
    if (ListId(list) == id) return list;
  }
  return std::nullopt;
}

std::string FieldTermId(int field) {
  if (field == v1::SUPPORT_FIELD_UNSPECIFIED || !v1::SupportField_IsValid(field)) return "";
  std::string id = v1::SupportField_Name(static_cast<v1::SupportField>(field));
  for (char& c : id) {
    c = c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return id;
}

std::optional<v1::SupportField> FieldOfTermId(std::string_view id) {
  const auto* type = v1::SupportField_descriptor();
  for (int i = 0; i < type->value_count(); ++i) {
    const int number = type->value(i)->number();
    if (number != v1::SUPPORT_FIELD_UNSPECIFIED && FieldTermId(number) == id) {
      return static_cast<v1::SupportField>(number);
    }
  }
  return std::nullopt;
}

void CheckTerm(const TermCheck& terms, Vocabulary list, const std::set<std::string>& held,
               const std::string& field, std::string* value, FieldViolations* violations) {
  if (held.count(*value) > 0) return;
  TermCheck::State state = terms.StateOf(list, *value);
  if (state == TermCheck::State::kUnknown) {
    if (auto id = terms.IdOfLabel(list, *value)) {
      *value = *id;
      state = terms.StateOf(list, *value);
    }
  }
  switch (state) {
    case TermCheck::State::kActive:
      return;
    case TermCheck::State::kRetired:
      if (held.count(*value) == 0) (*violations)(field, RetiredRefusal(list, *value));
      return;
    case TermCheck::State::kUnknown:
      (*violations)(field, Refusal(terms, list, *value));
      return;
  }
}

void CheckField(const TermCheck& terms, int field_value, const std::set<std::string>& held,
                const std::string& field, FieldViolations* violations) {
  const std::string id = FieldTermId(field_value);
  if (id.empty()) {
    (*violations)(field, "unknown field " + std::to_string(field_value));
    return;
  }
  if (held.count(id) > 0) return;
  switch (terms.StateOf(Vocabulary::kFields, id)) {
    case TermCheck::State::kActive:
      return;
    case TermCheck::State::kRetired:
      if (held.count(id) == 0) (*violations)(field, RetiredRefusal(Vocabulary::kFields, id));
      return;
    case TermCheck::State::kUnknown:
      (*violations)(field, Refusal(terms, Vocabulary::kFields, id));
      return;
  }
}

}  // namespace casecoord::vocab
