// What the casectl agency commands share (agency_commands.cc: the directory;
// agency_transfer_commands.cc: import, export and the cooperation survey): agency names, help texts
// and checks.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "casecoord/v1/directory.grpc.pb.h"
#include "clients/cli/command.h"
#include "clients/cli/render.h"

namespace casecoord::cli::agencies {

inline constexpr char kIdHelp[] = "機関ID / agency id: ID or agencies/ID";
inline constexpr char kFilterHelp[] =
    "条件 / filter, e.g. 'kind = WELFARE_OFFICE AND district = \"kita\" AND tag = \"8050\"'";
inline constexpr char kOrderHelp[] = "並び順 / order: \"kana\" (五十音順); default agency id";

// "kita" and "agencies/kita" both name agencies/kita.
inline std::string AgencyName(const std::string& id) {
  return StartsWith(id, kAgencyPrefix) ? id : std::string(kAgencyPrefix) + id;
}

// "agencies/kita" and "agencies/kita/cooperationSurveys/2024" -> "kita".
inline std::string AgencyId(const std::string& name) {
  if (!StartsWith(name, kAgencyPrefix)) return name;
  const size_t start = kAgencyPrefix.size();
  const size_t slash = name.find('/', start);
  return name.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
}

inline std::string YesNo(bool value, const char* yes, const char* no) { return value ? yes : no; }

// --order-by: "" or "kana".
inline int CheckOrder(const std::string& order_by) {
  if (order_by.empty() || order_by == "kana") return kExitOk;
  return UsageError("並び順が不明です / --order-by: \"" + order_by +
                    "\" (give kana, or leave it out for agency id order)");
}

// The stub of the agency directory for `context`.
inline std::unique_ptr<v1::AgencyDirectory::Stub> Directory(const Context& context) {
  return v1::AgencyDirectory::NewStub(context.channel);
}

}  // namespace casecoord::cli::agencies
