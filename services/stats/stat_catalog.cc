#include "services/stats/stat_catalog.h"

#include <cctype>

#include "casecoord/v1/cases.pb.h"
#include "casecoord/v1/directory.pb.h"
#include "services/common/enum_labels.h"
#include "services/stats/vocabulary_rows.h"

namespace casecoord::stats {
namespace {

std::string Upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

// The enum a dimension's values are lower-cased names of, if any.
const google::protobuf::EnumDescriptor* ValueEnum(v1::StatDimension dimension) {
  switch (dimension) {
    case v1::FIELD:
      return v1::SupportField_descriptor();
    case v1::REFERRER_KIND:
      return v1::AgencyKind_descriptor();
    case v1::OUTCOME:
      return v1::CaseOutcome_descriptor();
    default:
      return nullptr;
  }
}

}  // namespace

const MetricInfo* FindMetric(v1::StatMetric metric) {
  for (const auto& info : kMetricInfo) {
    if (info.metric == metric) return &info;
  }
  return nullptr;
}

const DimensionInfo* FindDimension(v1::StatDimension dimension) {
  for (const auto& info : kDimensionInfo) {
    if (info.dimension == dimension) return &info;
  }
  return nullptr;
}

int SortRank(v1::StatDimension dimension, const std::string& key) {
  const auto* type = ValueEnum(dimension);
  if (type == nullptr) return 0;
  const auto* value = type->FindValueByName(Upper(key));
  return value == nullptr ? 1 << 20 : value->number();
}

void LabelRow(v1::StatDimension dimension, const std::string& key, v1::StatRow* row) {
  row->set_key(key);
  if (key == kTotalKey) {
    row->set_is_total(true);
    row->set_label_ja("合計");
    row->set_label("Total");
    return;
  }
  if (dimension == v1::STAT_DIMENSION_UNSPECIFIED) {
    v1::StatMetric metric;
    if (v1::StatMetric_Parse(key, &metric)) {
      row->set_label_ja(LabelJa(*v1::StatMetric_descriptor(), metric));
      row->set_label(FindMetric(metric)->label);
      return;
    }
  }
  if (key.empty()) {
    row->set_label_ja("不明・未設定");
    row->set_label("Not recorded");
    return;
  }
  if (key == kUnregisteredKey) {
    row->set_label_ja("未登録");
    row->set_label("Unregistered");
    return;
  }
  if (const auto* type = ValueEnum(dimension)) {
    if (const auto* value = type->FindValueByName(Upper(key))) {
      row->set_label_ja(LabelJa(*value));
      row->set_label(value->name());
      return;
    }
  }
  row->set_label_ja(key);
  row->set_label(key);
}

}  // namespace casecoord::stats
