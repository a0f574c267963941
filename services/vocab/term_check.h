// The narrow view of the managed vocabularies (vocabularies.proto) that the areas whose records use
// a list take: whether a code is a term of the list, its label, and the nearest terms to a code
// that is not. The cases and directory stores validate through it; the statistics label rows with
// it. services/vocab/term_catalog.h holds the implementation (the in-memory mirror the
// VocabularyStore keeps, which tests seed directly).
//
// Thread safety: implementations must be safe to call concurrently.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "casecoord/v1/directory.pb.h"
#include "services/common/status.h"

namespace casecoord::vocab {

enum class Vocabulary { kDistricts, kIssueTags, kFields };
inline constexpr Vocabulary kAllVocabularies[] = {Vocabulary::kDistricts, Vocabulary::kIssueTags,
                                                  Vocabulary::kFields};

// "districts", "issue-tags", "fields": the {list} of "vocabularies/{list}".
std::string_view ListId(Vocabulary list);
std::optional<Vocabulary> ParseListId(std::string_view id);

// The term id of a SupportField value: its name lower-cased with '-' for '_' ("elderly-care");
// "" for SUPPORT_FIELD_UNSPECIFIED or a number that is not a value.
std::string FieldTermId(int field);
// The SupportField value whose term id is `id`, or nullopt.
std::optional<v1::SupportField> FieldOfTermId(std::string_view id);

class TermCheck {
 public:
  enum class State { kUnknown, kActive, kRetired };

  virtual ~TermCheck() = default;

  virtual State StateOf(Vocabulary list, std::string_view id) const = 0;
  // The id of the term (ACTIVE or RETIRED) whose label is `text`, after trimming ASCII and
  // ideographic spaces; nullopt if none.
  virtual std::optional<std::string> IdOfLabel(Vocabulary list, std::string_view text) const = 0;
  // The label of the term `id` (ACTIVE or RETIRED), or nullopt.
  virtual std::optional<std::string> LabelOf(Vocabulary list, std::string_view id) const = 0;
  // At most `limit` ACTIVE ids near `text`, nearest first: terms whose label or reading equals it
  // after NormalizeForSearch folding (width, case, katakana → hiragana: "北区", "きたく" and
  // "キタク" all find kita), then labels containing it, then ids within a small edit distance.
  // Empty when nothing is near.
  virtual std::vector<std::string> Suggest(Vocabulary list, std::string_view text,
                                           size_t limit) const = 0;
};

// Checks one value a write puts on a record against `list`, adding a violation of `field` when it
// is refused:
//   - a value in `held` (the values of this list the record held before the write) passes: a
//     RETIRED term, or a code typed before the lists existed, stays valid on the record holding it;
//   - an ACTIVE id passes;
//   - the exact Japanese label of a term is accepted in place of its id, and `value` is replaced by
//     the id (what records store);
//   - a RETIRED id not in `held` is refused;
//   - anything else is refused, naming the nearest ids (TermCheck::Suggest).
void CheckTerm(const TermCheck& terms, Vocabulary list, const std::set<std::string>& held,
               const std::string& field, std::string* value, FieldViolations* violations);

// CheckTerm for a SupportField value (fields are enum numbers on records; a label is not accepted
// here, the enum already names the value).
void CheckField(const TermCheck& terms, int field_value, const std::set<std::string>& held,
                const std::string& field, FieldViolations* violations);

}  // namespace casecoord::vocab
