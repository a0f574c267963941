// The documented subset of AIP-160 filters every List method takes: a conjunction of comparisons,
//   key = value AND key < "quoted value" AND ...
// Each method decides which keys and operators it supports; this only splits the text.
//
// Thread safety: reentrant.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "services/common/status.h"

namespace casecoord {

struct FilterClause {
  std::string key;
  std::string op;     // "=", "<", "<=", ">", ">=" or "!="
  std::string value;  // surrounding double quotes removed
};

// Longer filters, or filters of more clauses, are refused before they are split.
inline constexpr size_t kMaxFilterBytes = 1024;
inline constexpr size_t kMaxFilterClauses = 16;

// The clauses of `filter` in order; empty for an empty filter. INVALID_ARGUMENT on field "filter"
// for a clause that is not "key op value", or a filter over the limits above. Messages quote at
// most a short prefix of the clause.
Result<std::vector<FilterClause>> ParseFilterClauses(std::string_view filter);

}  // namespace casecoord
