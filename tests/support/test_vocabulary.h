// The one vocabulary fixture of the tests. A vocabulary list with no terms accepts nothing
// (vocabularies.proto), so every test that writes districts, issue tags or fields seeds these: the
// development city's lists (deploy/demo/vocabularies.csv, which the demo directory and demo cases
// use) and the few ids tests make up. TestServer seeds them at start-up (setting
// demo-vocabularies); store tests validate against TestTermCatalog().
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "services/vocab/term_catalog.h"

namespace casecoord::testing {

// The path of deploy/demo/vocabularies.csv.
std::string DemoVocabulariesPath();

// The seed CSV (list,id,label,reading,order): the demo lists plus the made-up ids of the tests.
std::string TestVocabularyCsv();

// Seed lines (no header) for the ids of `list` ("districts", "issue-tags") that the fixture lacks,
// each labelled with its id: for benchmarks that generate their own districts and tags.
std::string VocabularyCsvLines(const std::string& list, const std::vector<std::string>& ids);

// A catalog holding every term of TestVocabularyCsv(), ACTIVE.
std::unique_ptr<vocab::TermCatalog> TestTermCatalog();

}  // namespace casecoord::testing
