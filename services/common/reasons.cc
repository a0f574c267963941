#include "services/common/reasons.h"

#include <algorithm>
#include <array>

namespace casecoord {
namespace {

constexpr ReasonSpec kReasons[] = {
#define CASECOORD_REASON_SPEC(id, name, code, japanese) \
  {Reason::id, name, StatusCode::code, japanese},
    CASECOORD_REASONS(CASECOORD_REASON_SPEC)
#undef CASECOORD_REASON_SPEC
};

// Declaration order is enum order, so a Reason indexes kReasons directly (kUnknown is 0).
constexpr bool InEnumOrder() {
  for (size_t i = 0; i < std::size(kReasons); ++i) {
    if (static_cast<size_t>(kReasons[i].reason) != i + 1) return false;
  }
  return true;
}
static_assert(InEnumOrder());

constexpr ReasonSpec kUnknownSpec = {Reason::kUnknown, "", StatusCode::kInternal,
                                     "内部エラーが発生しました。管理者に連絡してください"};

}  // namespace

std::span<const ReasonSpec> AllReasons() { return kReasons; }

const ReasonSpec& SpecOf(Reason reason) {
  const auto index = static_cast<size_t>(reason);
  if (index == 0 || index > std::size(kReasons)) return kUnknownSpec;
  return kReasons[index - 1];
}

Reason ReasonNamed(std::string_view name) {
  // About 150 names, looked up only when a client reads an error back: a scan is enough.
  const auto* found = std::find_if(std::begin(kReasons), std::end(kReasons),
                                   [name](const ReasonSpec& spec) { return spec.name == name; });
  return found == std::end(kReasons) ? Reason::kUnknown : found->reason;
}

}  // namespace casecoord
