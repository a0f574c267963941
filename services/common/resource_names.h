// The collection prefixes of resource names (AIP-122: "cases/42", "agencies/kita-hokatsu"),
// declared once for every layer that parses or builds a name.
#pragma once

namespace casecoord {

inline constexpr char kAdviserPrefix[] = "advisers/";
inline constexpr char kAgencyPrefix[] = "agencies/";
inline constexpr char kBackupPrefix[] = "backups/";
inline constexpr char kCasePrefix[] = "cases/";
inline constexpr char kDispatchPrefix[] = "dispatches/";
inline constexpr char kMeetingPrefix[] = "meetings/";
inline constexpr char kPlanPrefix[] = "plans/";  // welfare plans of the statistics area
inline constexpr char kUserPrefix[] = "users/";

}  // namespace casecoord
