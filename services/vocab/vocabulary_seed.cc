#include "services/vocab/vocabulary_seed.h"

#include <fstream>
#include <sstream>
#include <vector>

#include "services/common/log.h"

namespace casecoord::vocab {

Status SeedVocabularies(const std::string& path, storage::Storage& storage,
                        VocabularyStore& vocabularies, auth::AuditLog& audit) {
  if (path.empty()) return Status::Ok();
  if (vocabularies.terms().Size(Vocabulary::kDistricts) > 0 ||
      vocabularies.terms().Size(Vocabulary::kIssueTags) > 0) {
    return Status::Ok();
  }
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  if (!in) {
    return Status(Reason::kDemoVocabulariesUnreadable, "demo-vocabularies: cannot read " + path);
  }
  auto lock = vocabularies.LockForWrite();
  storage::WriteBatch batch(storage);
  std::vector<v1::Term> changed;
  auto imported = vocabularies.PrepareImport(bytes.str(), /*dry_run=*/false, &batch, &changed);
  if (!imported.ok()) {
    std::string problems;
    for (const auto& violation : imported.status().field_violations()) {
      problems += "; " + violation.field + ": " + violation.description;
    }
    return Status(Reason::kDemoVocabulariesInvalid,
                  "demo-vocabularies: " + path + ": " + imported.status().message() + problems);
  }
  auth::AuditRecord record{"system",        "", "bootstrap", "vocabularies", "OK",
                           "configuration", "", {}};
  CASECOORD_RETURN_IF_ERROR(audit.Append(record, &batch));  // commits the batch with the entry
  for (const auto& term : changed) vocabularies.Publish(term);
  log::Info("demo vocabularies loaded",
            {{"file", path}, {"terms", std::to_string(changed.size())}});
  return Status::Ok();
}

}  // namespace casecoord::vocab
