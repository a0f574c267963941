// Points in time as google.protobuf.Timestamp, at the clock's full (nanosecond) precision.
//
// Thread safety: reentrant.
#pragma once

#include <google/protobuf/timestamp.pb.h>

#include <chrono>

#include "services/common/clock.h"

namespace casecoord {

google::protobuf::Timestamp ToTimestamp(std::chrono::system_clock::time_point time);
// `clock.Now()` as a Timestamp.
google::protobuf::Timestamp NowTimestamp(const Clock& clock);

}  // namespace casecoord
