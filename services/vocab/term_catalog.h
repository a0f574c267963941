// The terms of every managed vocabulary, in memory: the TermCheck the stores validate with. The
// VocabularyStore keeps one as the mirror of its records (writers publish after commit); tests
// seed one directly (tests/support/test_vocabulary.h).
//
// The fields list is never empty: every SupportField value that has no stored term is present as
// an ACTIVE term labelled with its label_ja (SeedFields), so the national list needs no import.
//
// Thread safety: all methods may be called concurrently (readers share a lock; Put is exclusive).
#pragma once

#include <map>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "casecoord/v1/vocabularies.pb.h"
#include "services/vocab/term_check.h"

namespace casecoord::vocab {

inline constexpr char kVocabularyPrefix[] = "vocabularies/";

// "vocabularies/{list}/terms/{id}".
std::string TermName(Vocabulary list, std::string_view id);
// The list and id of a term name; INVALID_ARGUMENT naming `field` if it is not one.
Result<std::pair<Vocabulary, std::string>> ParseTermName(std::string_view name,
                                                         const std::string& field);
// The list of "vocabularies/{list}"; INVALID_ARGUMENT naming `field` otherwise.
Result<Vocabulary> ParseListName(std::string_view name, const std::string& field);

class TermCatalog final : public TermCheck {
 public:
  TermCatalog() { SeedFields(); }

  // Adds or replaces the term named by term.name() (which must be a valid term name).
  void Put(const v1::Term& term);
  // Adds or replaces an ACTIVE term (for seeding): name, id, label, reading and order set.
  void PutActive(Vocabulary list, std::string_view id, std::string_view label,
                 std::string_view reading = "", int display_order = 0);

  std::optional<v1::Term> Find(Vocabulary list, std::string_view id) const;
  // Every term of `list`, by display_order then id.
  std::vector<v1::Term> List(Vocabulary list) const;
  size_t Size(Vocabulary list) const;

  State StateOf(Vocabulary list, std::string_view id) const override;
  std::optional<std::string> IdOfLabel(Vocabulary list, std::string_view text) const override;
  std::optional<std::string> LabelOf(Vocabulary list, std::string_view id) const override;
  std::vector<std::string> Suggest(Vocabulary list, std::string_view text,
                                   size_t limit) const override;

 private:
  struct Entry {
    v1::Term term;
    std::string folded_label;    // NormalizeForSearch(label)
    std::string folded_reading;  // NormalizeForSearch(reading)
  };
  // Terms of the fields list for every SupportField value, from their label_ja.
  void SeedFields();
  const std::map<std::string, Entry, std::less<>>& Terms(Vocabulary list) const {
    return lists_[static_cast<int>(list)];
  }

  mutable std::shared_mutex mutex_;
  std::map<std::string, Entry, std::less<>> lists_[3];
};

}  // namespace casecoord::vocab
