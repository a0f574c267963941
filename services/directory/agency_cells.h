// Cell formats the directory's CSV and HSDS exports share. Internal to services/directory.
#pragma once

#include <google/protobuf/timestamp.pb.h>

#include <string>

#include "casecoord/v1/directory.pb.h"

namespace casecoord::directory {

// The JST calendar day of `timestamp` as YYYY-MM-DD.
std::string FormatDateCell(const google::protobuf::Timestamp& timestamp);
// "agencies/kita-hokatsu" → "kita-hokatsu".
std::string AgencyIdOf(const v1::Agency& agency);

}  // namespace casecoord::directory
