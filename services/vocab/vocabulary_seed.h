// Seeding the vocabularies from a file at start-up (setting demo-vocabularies, `make run`): the
// development city's lists, before the demo directory and demo cases that use their ids.
#pragma once

#include <string>

#include "services/auth/audit_log.h"
#include "services/storage/storage.h"
#include "services/vocab/vocabulary_store.h"

namespace casecoord::vocab {

// Imports the seed CSV at `path` (ImportTermsRequest's format) as the "system" user, audited, if
// `path` is not empty and the districts and issue-tags lists are both empty; does nothing
// otherwise. FAILED_PRECONDITION DEMO_VOCABULARIES_UNREADABLE / DEMO_VOCABULARIES_INVALID naming
// the file. Call before serving (it takes the store's write lock).
Status SeedVocabularies(const std::string& path, storage::Storage& storage,
                        VocabularyStore& vocabularies, auth::AuditLog& audit);

}  // namespace casecoord::vocab
