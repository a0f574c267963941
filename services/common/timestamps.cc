#include "services/common/timestamps.h"

#include <google/protobuf/util/time_util.h>

namespace casecoord {

google::protobuf::Timestamp ToTimestamp(std::chrono::system_clock::time_point time) {
  return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(
      std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch()).count());
}

google::protobuf::Timestamp NowTimestamp(const Clock& clock) { return ToTimestamp(clock.Now()); }

}  // namespace casecoord
