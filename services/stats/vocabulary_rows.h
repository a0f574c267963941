// The statistics' view of the managed vocabularies (services/vocab): which list a breakdown
// dimension's values belong to, and how a breakdown's row keys become the lists' rows.
//
// Thread safety: reentrant; `terms` must be safe for concurrent reads (TermCheck is).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "casecoord/v1/statistics.pb.h"
#include "services/vocab/term_check.h"

namespace casecoord::stats {

// The key of the breakdown row that groups values no vocabulary term has (not a valid term id).
inline constexpr char kUnregisteredKey[] = "*unregistered";

// The vocabulary whose terms are the values of `dimension` (districts, issue tags, fields), if any.
std::optional<vocab::Vocabulary> VocabularyOf(v1::StatDimension dimension);

// Replaces the keys of `keys` that are no term of the dimension's list (districts and issue tags;
// fields are enum values, always kept) by one kUnregisteredKey row at the end, moving them to
// `unregistered`, and records the labels of the terms (RETIRED ones too) in `labels`.
void ApplyVocabulary(const vocab::TermCheck& terms, v1::StatDimension dimension,
                     std::vector<std::string>* keys, std::vector<std::string>* unregistered,
                     std::map<std::string, std::string>* labels);

}  // namespace casecoord::stats
