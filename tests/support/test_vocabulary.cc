#include "tests/support/test_vocabulary.h"

#include <charconv>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace casecoord::testing {
namespace {

// Ids tests make up beyond the demo lists: case_flow_test's concurrent taggers.
constexpr const char* kMadeUpTags[] = {"tag-0", "tag-1", "tag-2", "tag-3",
                                       "tag-4", "tag-5", "tag-6", "tag-7"};

std::vector<std::string> SplitComma(const std::string& line) {
  std::vector<std::string> fields;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, ',')) fields.push_back(field);
  return fields;
}

}  // namespace

std::string DemoVocabulariesPath() {
  return std::string(CASECOORD_SOURCE_DIR) + "/deploy/demo/vocabularies.csv";
}

std::string TestVocabularyCsv() {
  std::ifstream in(DemoVocabulariesPath(), std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) throw std::runtime_error("cannot read " + DemoVocabulariesPath());
  std::string csv = text.str();
  if (!csv.empty() && csv.back() != '\n') csv += '\n';
  int order = 1000;
  for (const char* tag : kMadeUpTags) {
    csv += std::string("issue-tags,") + tag + ",テスト用タグ " + tag + ",," +
           std::to_string(order++) + "\n";
  }
  return csv;
}

std::string VocabularyCsvLines(const std::string& list, const std::vector<std::string>& ids) {
  const auto fixture = TestTermCatalog();
  const auto parsed = vocab::ParseListId(list);
  std::string lines;
  std::set<std::string> added;
  for (const auto& id : ids) {
    if (!parsed || fixture->StateOf(*parsed, id) != vocab::TermCheck::State::kUnknown) continue;
    if (added.insert(id).second) lines += list + "," + id + "," + id + ",,0\n";
  }
  return lines;
}

std::unique_ptr<vocab::TermCatalog> TestTermCatalog() {
  auto catalog = std::make_unique<vocab::TermCatalog>();
  std::istringstream lines(TestVocabularyCsv());
  std::string line;
  std::getline(lines, line);  // the header
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const std::vector<std::string> fields = SplitComma(line);
    if (fields.size() < 3) continue;
    const auto list = vocab::ParseListId(fields[0]);
    if (!list) throw std::runtime_error("bad test vocabulary line: " + line);
    int order = 0;
    if (fields.size() > 4)
      std::from_chars(fields[4].data(), fields[4].data() + fields[4].size(), order);
    catalog->PutActive(*list, fields[1], fields[2], fields.size() > 3 ? fields[3] : "", order);
  }
  return catalog;
}

}  // namespace casecoord::testing
