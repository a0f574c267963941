#include "services/common/filter.h"

#include "services/common/text.h"

namespace casecoord {

Result<std::vector<FilterClause>> ParseFilterClauses(std::string_view filter) {
  std::vector<FilterClause> clauses;
  if (filter.size() > kMaxFilterBytes) {
    return Status::InvalidArgument("filter", "is " + std::to_string(filter.size()) +
                                                 " bytes; at most " +
                                                 std::to_string(kMaxFilterBytes) + " are accepted");
  }
  std::string_view rest = TrimSpaces(filter);
  while (!rest.empty()) {
    if (clauses.size() == kMaxFilterClauses) {
      return Status::InvalidArgument(
          "filter", "has more than " + std::to_string(kMaxFilterClauses) + " clauses");
    }
    const size_t and_at = rest.find(" AND ");
    const std::string_view clause = TrimSpaces(rest.substr(0, and_at));
    rest =
        and_at == std::string_view::npos ? std::string_view() : TrimSpaces(rest.substr(and_at + 5));
    const size_t op_at = clause.find_first_of("=<>!");
    if (op_at == std::string_view::npos || op_at == 0) {
      return Status::InvalidArgument("filter",
                                     "expected \"key = value\" in \"" + ShortQuote(clause) + "\"");
    }
    FilterClause parsed;
    parsed.key = TrimSpaces(clause.substr(0, op_at));
    const size_t op_length = op_at + 1 < clause.size() && clause[op_at + 1] == '=' ? 2 : 1;
    parsed.op = clause.substr(op_at, op_length);
    // "==" is not AIP-160; refusing it keeps `op` one of the six documented operators.
    if (parsed.op == "!" || parsed.op == "==") {
      return Status::InvalidArgument("filter",
                                     "unknown operator in \"" + ShortQuote(clause) + "\"");
    }
    std::string_view value = TrimSpaces(clause.substr(op_at + op_length));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    parsed.value = value;
    clauses.push_back(std::move(parsed));
  }
  return clauses;
}

}  // namespace casecoord
