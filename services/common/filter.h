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

// The clauses of `filter` in order; empty for an empty filter. INVALID_ARGUMENT on field "filter"
// for a clause that is not "key op value".
Result<std::vector<FilterClause>> ParseFilterClauses(std::string_view filter);

}  // namespace casecoord
