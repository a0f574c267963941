#include "services/stats/vocabulary_rows.h"

#include <algorithm>

namespace casecoord::stats {

std::optional<vocab::Vocabulary> VocabularyOf(v1::StatDimension dimension) {
  switch (dimension) {
    case v1::DISTRICT:
      return vocab::Vocabulary::kDistricts;
    case v1::ISSUE_TAG:
      return vocab::Vocabulary::kIssueTags;
    case v1::FIELD:
      return vocab::Vocabulary::kFields;
    default:
      return std::nullopt;
  }
}

void ApplyVocabulary(const vocab::TermCheck& terms, v1::StatDimension dimension,
                     std::vector<std::string>* keys, std::vector<std::string>* unregistered,
                     std::map<std::string, std::string>* labels) {
  const std::optional<vocab::Vocabulary> list = VocabularyOf(dimension);
  if (!list) return;
  std::vector<std::string> registered;
  for (auto& key : *keys) {
    // Fields are counted under their lower-case enum names, their terms use '-'.
    std::string id = key;
    if (*list == vocab::Vocabulary::kFields) std::replace(id.begin(), id.end(), '_', '-');
    if (auto label = terms.LabelOf(*list, id)) {
      (*labels)[key] = *label;
      registered.push_back(std::move(key));
    } else if (*list == vocab::Vocabulary::kFields) {
      registered.push_back(std::move(key));
    } else {
      unregistered->push_back(std::move(key));
    }
  }
  if (!unregistered->empty()) registered.push_back(kUnregisteredKey);
  *keys = std::move(registered);
}

}  // namespace casecoord::stats
