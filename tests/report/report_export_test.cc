#include "clients/report/report_export.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zip.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "casecoord/v1/common.pb.h"
#include "casecoord/v1/statistics.pb.h"
#include "services/text/csv.h"
#include "tests/support/temp_dir.h"

namespace casecoord::report {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

// ---------------------------------------------------------------------------------------------
// A minimal XML reader, strict enough to catch what a browser or Excel would reject: tags must
// nest and match, there is one root, attribute values are quoted and unique, and '<' and '&'
// appear in text only as references.

struct XmlElement {
  std::string name;
  std::map<std::string, std::string> attributes;
  std::string text;  // the decoded text of the element and its descendants
  int parent = -1;
};

struct XmlDocument {
  std::vector<XmlElement> elements;  // in document order; elements[0] is the root
  std::string error;                 // empty when well-formed

  std::vector<const XmlElement*> All(std::string_view name) const {
    std::vector<const XmlElement*> found;
    for (const XmlElement& element : elements) {
      if (element.name == name) found.push_back(&element);
    }
    return found;
  }
  std::vector<const XmlElement*> WithClass(std::string_view name, std::string_view cls) const {
    std::vector<const XmlElement*> found;
    for (const XmlElement* element : All(name)) {
      const auto it = element->attributes.find("class");
      if (it != element->attributes.end() && it->second == cls) found.push_back(element);
    }
    return found;
  }
};

void AppendUtf8(char32_t code, std::string* out) {
  if (code < 0x80) {
    out->push_back(static_cast<char>(code));
  } else if (code < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (code >> 6)));
    out->push_back(static_cast<char>(0x80 | (code & 0x3F)));
  } else if (code < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (code >> 12)));
    out->push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (code & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (code >> 18)));
    out->push_back(static_cast<char>(0x80 | ((code >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (code & 0x3F)));
  }
}

// Decodes references; false on a bare '&', an unknown entity or a raw '<'.
bool DecodeXmlText(std::string_view raw, std::string* out) {
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '<') return false;
    if (raw[i] != '&') {
      out->push_back(raw[i]);
      continue;
    }
    const size_t end = raw.find(';', i);
    if (end == std::string_view::npos) return false;
    const std::string_view entity = raw.substr(i + 1, end - i - 1);
    if (entity == "amp") {
      out->push_back('&');
    } else if (entity == "lt") {
      out->push_back('<');
    } else if (entity == "gt") {
      out->push_back('>');
    } else if (entity == "quot") {
      out->push_back('"');
    } else if (entity == "apos") {
      out->push_back('\'');
    } else if (entity.size() > 1 && entity[0] == '#') {
      const bool hex = entity[1] == 'x';
      const std::string digits(entity.substr(hex ? 2 : 1));
      if (digits.empty() || digits.find_first_not_of(hex ? "0123456789abcdefABCDEF"
                                                         : "0123456789") != std::string::npos) {
        return false;
      }
      AppendUtf8(static_cast<char32_t>(std::stoul(digits, nullptr, hex ? 16 : 10)), out);
    } else {
      return false;
    }
    i = end;
  }
  return true;
}

bool IsNameChar(char c, bool first) {
  const unsigned char u = static_cast<unsigned char>(c);
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || u >= 0x80) {
    return true;
  }
  return !first && ((c >= '0' && c <= '9') || c == '-' || c == '.');
}

XmlDocument ParseXml(std::string_view xml) {
  XmlDocument doc;
  std::vector<int> open;
  bool root_closed = false;
  size_t i = 0;
  const auto fail = [&doc, &i](const std::string& why) {
    doc.error = why + " at byte " + std::to_string(i);
    return doc;
  };
  const auto skip_spaces = [&xml, &i] {
    while (i < xml.size() && (xml[i] == ' ' || xml[i] == '\t' || xml[i] == '\r' || xml[i] == '\n'))
      ++i;
  };
  const auto read_name = [&xml, &i]() {
    const size_t start = i;
    while (i < xml.size() && IsNameChar(xml[i], i == start)) ++i;
    return std::string(xml.substr(start, i - start));
  };
  while (i < xml.size()) {
    if (xml[i] != '<') {
      const size_t end = std::min(xml.find('<', i), xml.size());
      const std::string_view raw = xml.substr(i, end - i);
      std::string text;
      if (!DecodeXmlText(raw, &text)) return fail("bad text");
      if (raw.find("]]>") != std::string_view::npos) return fail("]]> in text");
      if (open.empty()) {
        if (text.find_first_not_of(" \t\r\n") != std::string::npos) {
          return fail("text outside the root");
        }
      } else {
        for (int index : open) doc.elements[index].text += text;
      }
      i = end;
      continue;
    }
    if (xml.substr(i).starts_with("<?")) {
      const size_t end = xml.find("?>", i);
      if (end == std::string_view::npos) return fail("unterminated processing instruction");
      i = end + 2;
      continue;
    }
    if (xml.substr(i).starts_with("<!--")) {
      const size_t end = xml.find("-->", i);
      if (end == std::string_view::npos) return fail("unterminated comment");
      i = end + 3;
      continue;
    }
    if (xml.substr(i).starts_with("<!")) return fail("DOCTYPE or CDATA not expected");
    if (xml.substr(i).starts_with("</")) {
      i += 2;
      const std::string name = read_name();
      skip_spaces();
      if (i >= xml.size() || xml[i] != '>') return fail("bad end tag");
      ++i;
      if (open.empty() || doc.elements[open.back()].name != name) {
        return fail("end tag </" + name + "> does not match");
      }
      open.pop_back();
      if (open.empty()) root_closed = true;
      continue;
    }
    ++i;
    XmlElement element;
    element.name = read_name();
    if (element.name.empty()) return fail("bad tag name");
    if (open.empty() && root_closed) return fail("a second root");
    bool self_closing = false;
    while (true) {
      const size_t before = i;
      skip_spaces();
      if (i >= xml.size()) return fail("unterminated tag");
      if (xml[i] == '>') {
        ++i;
        break;
      }
      if (xml.substr(i).starts_with("/>")) {
        i += 2;
        self_closing = true;
        break;
      }
      if (i == before) return fail("attributes must be separated by spaces");
      const std::string attribute = read_name();
      if (attribute.empty()) return fail("bad attribute name");
      skip_spaces();
      if (i >= xml.size() || xml[i] != '=') return fail("attribute without a value");
      ++i;
      skip_spaces();
      if (i >= xml.size() || (xml[i] != '"' && xml[i] != '\'')) return fail("unquoted value");
      const char quote = xml[i++];
      const size_t end = xml.find(quote, i);
      if (end == std::string_view::npos) return fail("unterminated value");
      std::string value;
      if (!DecodeXmlText(xml.substr(i, end - i), &value)) return fail("bad attribute value");
      if (!element.attributes.emplace(attribute, value).second) return fail("repeated attribute");
      i = end + 1;
    }
    element.parent = open.empty() ? -1 : open.back();
    doc.elements.push_back(std::move(element));
    if (self_closing) {
      if (open.empty()) root_closed = true;
    } else {
      open.push_back(static_cast<int>(doc.elements.size()) - 1);
    }
  }
  if (!open.empty()) return fail("unclosed <" + doc.elements[open.back()].name + ">");
  if (doc.elements.empty()) return fail("no root");
  return doc;
}

TEST(XmlReaderTest, RejectsWhatIsNotWellFormed) {
  EXPECT_EQ(ParseXml("<a><b/></a>").error, "");
  EXPECT_NE(ParseXml("<a><b></a>").error, "");
  EXPECT_NE(ParseXml("<a>1 < 2</a>").error, "");
  EXPECT_NE(ParseXml("<a>R&D</a>").error, "");
  EXPECT_NE(ParseXml("<a x=1/>").error, "");
  EXPECT_NE(ParseXml("<a/><b/>").error, "");
  EXPECT_EQ(ParseXml("<a t=\"&lt;&#x41;\">&amp;</a>").elements[0].attributes.at("t"), "<A");
}

// ---------------------------------------------------------------------------------------------
// XLSX parts

// Every entry of a zip archive held in memory, by name.
std::map<std::string, std::string> Unzip(const std::string& bytes) {
  std::map<std::string, std::string> entries;
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
  if (source == nullptr) {
    ADD_FAILURE() << "zip_source_buffer_create: " << zip_error_strerror(&error);
    zip_error_fini(&error);
    return entries;
  }
  zip_t* archive = zip_open_from_source(source, ZIP_RDONLY, &error);
  if (archive == nullptr) {
    ADD_FAILURE() << "not a zip archive: " << zip_error_strerror(&error);
    zip_source_free(source);
    zip_error_fini(&error);
    return entries;
  }
  const zip_int64_t count = zip_get_num_entries(archive, 0);
  for (zip_int64_t index = 0; index < count; ++index) {
    zip_stat_t stat;
    zip_stat_init(&stat);
    if (zip_stat_index(archive, static_cast<zip_uint64_t>(index), 0, &stat) != 0) continue;
    zip_file_t* file = zip_fopen_index(archive, static_cast<zip_uint64_t>(index), 0);
    if (file == nullptr) {
      ADD_FAILURE() << "cannot open " << stat.name;
      continue;
    }
    std::string content(static_cast<size_t>(stat.size), '\0');
    const zip_int64_t read = zip_fread(file, content.data(), stat.size);
    zip_fclose(file);
    EXPECT_EQ(read, static_cast<zip_int64_t>(stat.size)) << stat.name;
    entries.emplace(stat.name, std::move(content));
  }
  zip_discard(archive);  // also frees the source
  zip_error_fini(&error);
  return entries;
}

struct XlsxCell {
  std::string type;   // "s" shared string, "n" or "" number, "str", "inlineStr", …
  std::string value;  // the <v> text; for "s" the shared string itself
  bool is_number() const { return type.empty() || type == "n"; }
};

struct XlsxSheet {
  std::vector<std::string> sheet_names;
  std::map<std::string, XlsxCell> cells;  // by reference, "B4"
  std::string styles;

  // The reference of the first cell (row-major) whose text is `text`, or "".
  std::string Find(const std::string& text) const {
    std::string best;
    std::pair<int, std::string> best_key{INT32_MAX, ""};
    for (const auto& [ref, cell] : cells) {
      if (cell.is_number() || cell.value != text) continue;
      const size_t digits = ref.find_first_of("0123456789");
      const std::pair<int, std::string> key{std::stoi(ref.substr(digits)), ref.substr(0, digits)};
      if (key < best_key) {
        best_key = key;
        best = ref;
      }
    }
    return best;
  }
  static std::string Ref(const std::string& column, const std::string& ref) {
    return column + ref.substr(ref.find_first_of("0123456789"));
  }
  std::optional<XlsxCell> At(const std::string& ref) const {
    const auto it = cells.find(ref);
    if (it == cells.end()) return std::nullopt;
    return it->second;
  }
};

XlsxSheet ReadXlsx(const std::string& bytes) {
  XlsxSheet sheet;
  const std::map<std::string, std::string> parts = Unzip(bytes);
  for (const char* name :
       {"xl/workbook.xml", "xl/sharedStrings.xml", "xl/worksheets/sheet1.xml", "xl/styles.xml"}) {
    EXPECT_TRUE(parts.contains(name)) << name;
    if (!parts.contains(name)) return sheet;
  }
  const XmlDocument workbook = ParseXml(parts.at("xl/workbook.xml"));
  EXPECT_EQ(workbook.error, "");
  for (const XmlElement* element : workbook.All("sheet")) {
    sheet.sheet_names.push_back(element->attributes.at("name"));
  }
  const XmlDocument strings = ParseXml(parts.at("xl/sharedStrings.xml"));
  EXPECT_EQ(strings.error, "");
  std::vector<std::string> shared;
  for (const XmlElement* element : strings.All("si")) shared.push_back(element->text);

  const XmlDocument worksheet = ParseXml(parts.at("xl/worksheets/sheet1.xml"));
  EXPECT_EQ(worksheet.error, "");
  for (size_t index = 0; index < worksheet.elements.size(); ++index) {
    const XmlElement& element = worksheet.elements[index];
    if (element.name != "c") continue;
    XlsxCell cell;
    const auto type = element.attributes.find("t");
    if (type != element.attributes.end()) cell.type = type->second;
    for (const XmlElement& child : worksheet.elements) {
      if (child.name == "v" && child.parent == static_cast<int>(index)) cell.value = child.text;
    }
    if (cell.type == "s") {
      const size_t at = std::stoul(cell.value);
      EXPECT_LT(at, shared.size());
      cell.value = at < shared.size() ? shared[at] : "";
    }
    if (element.text.empty() && cell.type.empty()) continue;  // a formatted blank
    sheet.cells[element.attributes.at("r")] = cell;
  }
  sheet.styles = parts.at("xl/styles.xml");
  return sheet;
}

// ---------------------------------------------------------------------------------------------
// Messages as the Statistics service answers them

v1::FiscalYear Year(int year, const char* era, const char* era_ja) {
  v1::FiscalYear out;
  out.set_year(year);
  out.set_era_label(era);
  out.set_era_label_ja(era_ja);
  return out;
}

// A cell: a number, or "x" with a reason.
struct C {
  int64_t value = 0;
  v1::SuppressionReason reason = v1::SUPPRESSION_REASON_UNSPECIFIED;
};
C X(v1::SuppressionReason reason) { return C{0, reason}; }

void AddRow(v1::StatTable* table, const std::string& key, const std::string& label_ja,
            std::vector<C> cells) {
  v1::StatRow* row = table->add_rows();
  row->set_key(key);
  row->set_label_ja(label_ja);
  row->set_is_total(key == "TOTAL");
  for (const C& c : cells) {
    v1::StatCell* cell = row->add_cells();
    if (c.reason != v1::SUPPRESSION_REASON_UNSPECIFIED) {
      cell->set_suppressed(true);
      cell->set_reason(c.reason);
      cell->set_display("x");
    } else {
      cell->set_value(c.value);
      cell->set_display(std::to_string(c.value));
    }
  }
}

constexpr char kRuleJa[] =
    "世帯数の表では1〜4件のセルを「x」で秘匿し（少数秘匿）、行・列の合計から逆算できないよう他の"
    "セルも秘匿しています（二次秘匿）。";

v1::YearlyReport SampleReport() {
  v1::YearlyReport report;
  *report.add_fiscal_years() = Year(2018, "H30", "平成30年度");
  *report.add_fiscal_years() = Year(2019, "R1", "令和元年度");

  v1::StatTable* cases = report.mutable_cases();
  cases->set_title_ja("1. 総合相談支援体制取扱件数");
  cases->set_counts_households(true);
  cases->set_rows_add_up(true);
  AddRow(cases, "CASES_COORDINATED", "関係機関と支援調整した件数",
         {C{12}, X(v1::PRIMARY), X(v1::DERIVED)});
  AddRow(cases, "CASES_COMPLETED_BY_ADVICE", "問い合わせ・相談のみで支援完了した件数",
         {C{1234}, X(v1::COMPLEMENTARY), X(v1::DERIVED)});
  AddRow(cases, "TOTAL", "合計", {C{1246}, C{20}, C{1266}});

  v1::StatTable* activities = report.mutable_activities();
  activities->set_title_ja("2. 会議等開催件数");
  activities->set_rows_add_up(true);
  AddRow(activities, "CASE_MEETINGS", "ケース検討会議回数", {C{24}, C{30}, C{54}});
  AddRow(activities, "COORDINATION_CONTACTS", "関係機関との個別調整回数", {C{3}, C{2}, C{5}});
  AddRow(activities, "ADVISER_MEETINGS", "アドバイザー会議開催回数", {C{6}, C{6}, C{12}});
  AddRow(activities, "TOTAL", "合計", {C{33}, C{38}, C{71}});

  v1::StatTable* districts = report.add_breakdowns();
  districts->set_metric(v1::CASES_OPENED);
  districts->set_dimension(v1::DISTRICT);
  districts->set_title_ja("受付件数（地区別）");
  districts->set_counts_households(true);
  districts->set_rows_add_up(true);
  AddRow(districts, "kita", "北地区", {C{10}, C{8}, C{18}});
  AddRow(districts, "minami", "南地区", {X(v1::PRIMARY), C{7}, X(v1::DERIVED)});
  AddRow(districts, "", "未設定", {C{0}, C{0}, C{0}});
  AddRow(districts, "TOTAL", "合計", {X(v1::COMPLEMENTARY), C{15}, X(v1::DERIVED)});

  v1::DisclosureControl* disclosure = report.mutable_disclosure();
  disclosure->set_min_cell_count(5);
  *disclosure->mutable_canonical_from() = Year(2018, "H30", "平成30年度");
  *disclosure->mutable_canonical_to() = Year(2019, "R1", "令和元年度");
  disclosure->set_rule_ja(kRuleJa);
  disclosure->set_rule("In tables of households, cells of 1 to 4 are suppressed (\"x\").");
  disclosure->set_audit_passed(true);
  report.mutable_generate_time()->set_seconds(1585666800);  // 2020-04-01 00:00 JST
  return report;
}

v1::PlanProgress SamplePlan() {
  v1::PlanProgress progress;
  v1::WelfarePlan* plan = progress.mutable_plan();
  plan->set_name("plans/dai2ki");
  plan->set_display_name("第2期地域共生社会推進計画");
  plan->set_first_fiscal_year(2018);
  plan->set_last_fiscal_year(2019);
  v1::PolicyArea* goal = plan->add_policy_areas();
  goal->set_id("goal-1");
  goal->set_level(v1::BASIC_GOAL);
  goal->set_title("地域で支え合う");
  v1::PolicyArea* measure = plan->add_policy_areas();
  measure->set_id("measure-1-1");
  measure->set_level(v1::MEASURE);
  measure->set_title("相談支援体制の充実");
  measure->set_parent_id("goal-1");

  // Bound to a statistic: its 2019 actual rests on a suppressed cell.
  v1::IndicatorProgress* bound = progress.add_indicators();
  v1::Indicator* coordinated = bound->mutable_indicator();
  coordinated->set_id("coordinated");
  coordinated->set_display_name("関係機関と支援調整した件数");
  coordinated->set_policy_area_id("measure-1-1");
  coordinated->set_unit(v1::CASES);
  coordinated->set_baseline_fiscal_year(2017);
  coordinated->set_baseline_value(10);
  coordinated->set_target_fiscal_year(2019);
  coordinated->set_target_value(30);
  coordinated->set_direction(v1::HIGHER_IS_BETTER);
  coordinated->set_department("福祉総務課");
  coordinated->mutable_binding()->mutable_statistic()->set_metric(v1::CASES_COORDINATED);
  v1::IndicatorActual* a2018 = bound->add_actuals();
  a2018->set_fiscal_year(2018);
  a2018->set_value(12);
  a2018->set_display("12");
  v1::IndicatorActual* a2019 = bound->add_actuals();
  a2019->set_fiscal_year(2019);
  a2019->set_suppressed(true);
  a2019->set_display("x");
  bound->set_latest_fiscal_year(2018);
  bound->set_achievement_rate(10);
  bound->set_status(v1::BEHIND);

  // Entered by hand (a survey), with texts.
  v1::IndicatorProgress* by_hand = progress.add_indicators();
  v1::Indicator* share = by_hand->mutable_indicator();
  share->set_id("cooperation");
  share->set_display_name("関係機関と連携できていると感じる機関の割合");
  share->set_policy_area_id("goal-1");
  share->set_unit(v1::PERCENT);
  share->set_baseline_fiscal_year(2017);
  share->set_baseline_value(60.5);
  share->set_target_fiscal_year(2019);
  share->set_target_value(80);
  share->set_department("地域福祉課");
  v1::IndicatorActual* s2018 = by_hand->add_actuals();
  s2018->set_fiscal_year(2018);
  s2018->set_value(70.25);
  s2018->set_achievements("研修を2回実施");
  v1::IndicatorActual* s2019 = by_hand->add_actuals();
  s2019->set_fiscal_year(2019);
  s2019->set_value(83.3);
  s2019->set_achievements("研修を3回実施\n事例検討会を開催");
  s2019->set_next_steps("- 関係機関向け研修を拡充する");
  by_hand->set_latest_fiscal_year(2019);
  by_hand->set_achievement_rate(116.4);
  by_hand->set_status(v1::ACHIEVED);

  *progress.mutable_disclosure() = SampleReport().disclosure();
  return progress;
}

// ---------------------------------------------------------------------------------------------
// CSV

// The CSV decoded and parsed back with the directory's reader. The exporter pads every record to
// one width, so a synthetic header of that width reads the whole file without a problem.
std::vector<std::vector<std::string>> ReadCsv(const std::string& bytes, size_t width,
                                              text::CsvEncoding expected_encoding) {
  text::CsvEncoding detected = text::CsvEncoding::kUtf8;
  Result<std::string> text = text::DecodeToUtf8(bytes, &detected);
  EXPECT_TRUE(text.ok()) << text.status().ToString();
  if (!text.ok()) return {};
  EXPECT_EQ(detected, expected_encoding);
  std::string header;
  for (size_t i = 0; i < width; ++i) header += (i > 0 ? ",c" : "c") + std::to_string(i);
  const text::CsvTable table = text::ParseCsv(header + "\r\n" + *text);
  for (const text::CsvProblem& problem : table.problems) {
    ADD_FAILURE() << "line " << problem.line << " column " << problem.column << ": "
                  << problem.problem;
  }
  std::vector<std::vector<std::string>> rows;
  for (const text::CsvRow& row : table.rows) rows.push_back(row.fields);
  return rows;
}

// The first record whose first field is `first`, or an empty one.
std::vector<std::string> RecordStartingWith(const std::vector<std::vector<std::string>>& rows,
                                            const std::string& first) {
  for (const auto& row : rows) {
    if (!row.empty() && row[0] == first) return row;
  }
  ADD_FAILURE() << "no record starts with " << first;
  return {};
}

bool AnyFirstFieldContains(const std::vector<std::vector<std::string>>& rows,
                           const std::string& needle) {
  return std::any_of(rows.begin(), rows.end(), [&needle](const auto& row) {
    return !row.empty() && row[0].find(needle) != std::string::npos;
  });
}

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

TEST(YearlyReportCsvTest, Utf8BomHasTheTablesAsCitiesPublishThem) {
  Result<std::string> csv = YearlyReportCsv(SampleReport(), CsvFlavor::kUtf8Bom);
  ASSERT_TRUE(csv.ok()) << csv.status().ToString();
  EXPECT_THAT(*csv, StartsWith("\xEF\xBB\xBF"));
  // Tables are separated by truly empty lines.
  EXPECT_THAT(*csv, HasSubstr("\r\n\r\n2. 会議等開催件数,"));

  const auto rows = ReadCsv(*csv, 4, text::CsvEncoding::kUtf8Bom);
  ASSERT_FALSE(rows.empty());
  EXPECT_THAT(rows[0], ElementsAre("事業実績（平成30年度～令和元年度）", "", "", ""));
  EXPECT_THAT(rows[1], ElementsAre("作成日：2020-04-01", "", "", ""));
  EXPECT_THAT(rows[2], ElementsAre("1. 総合相談支援体制取扱件数", "", "", ""));
  EXPECT_THAT(rows[3], ElementsAre("区分", "平成30年度", "令和元年度", "合計"));
  // Numbers without thousands separators; suppressed cells as "x".
  EXPECT_THAT(RecordStartingWith(rows, "関係機関と支援調整した件数"),
              ElementsAre("関係機関と支援調整した件数", "12", "x", "x"));
  EXPECT_THAT(RecordStartingWith(rows, "問い合わせ・相談のみで支援完了した件数"),
              ElementsAre("問い合わせ・相談のみで支援完了した件数", "1234", "x", "x"));
  EXPECT_THAT(RecordStartingWith(rows, "ケース検討会議回数"),
              ElementsAre("ケース検討会議回数", "24", "30", "54"));
  EXPECT_THAT(RecordStartingWith(rows, "受付件数（地区別）"),
              ElementsAre("受付件数（地区別）", "", "", ""));
  EXPECT_THAT(RecordStartingWith(rows, "南地区"), ElementsAre("南地区", "x", "7", "x"));
  EXPECT_THAT(RecordStartingWith(rows, "未設定"), ElementsAre("未設定", "0", "0", "0"));
  const int headers = static_cast<int>(
      std::count_if(rows.begin(), rows.end(), [](const auto& row) { return row[0] == "区分"; }));
  EXPECT_EQ(headers, 3);  // cases, activities, the breakdown

  // The notes: the rule, k, and every suppressed cell with its reason.
  EXPECT_TRUE(AnyFirstFieldContains(rows, kRuleJa));
  EXPECT_TRUE(AnyFirstFieldContains(rows, "k = 5"));
  EXPECT_TRUE(AnyFirstFieldContains(rows, "秘匿を判定した期間：平成30年度～令和元年度"));
  EXPECT_TRUE(AnyFirstFieldContains(
      rows, "「1. 総合相談支援体制取扱件数」関係機関と支援調整した件数／令和元年度：少数秘匿"));
  EXPECT_TRUE(AnyFirstFieldContains(
      rows,
      "「1. 総合相談支援体制取扱件数」問い合わせ・相談のみで支援完了した件数／令和元年度："
      "二次秘匿"));
  EXPECT_TRUE(AnyFirstFieldContains(rows, "「受付件数（地区別）」南地区／合計：秘匿値を含む集計"));
  EXPECT_TRUE(AnyFirstFieldContains(rows, "秘匿箇所（8か所）"));
  const int listed = static_cast<int>(std::count_if(
      rows.begin(), rows.end(), [](const auto& row) { return row[0].starts_with("・「"); }));
  EXPECT_EQ(listed, 8);
}

TEST(YearlyReportCsvTest, Cp932IsNotUtf8AndReadsBackToTheSameText) {
  Result<std::string> bom = YearlyReportCsv(SampleReport(), CsvFlavor::kUtf8Bom);
  Result<std::string> cp932 = YearlyReportCsv(SampleReport(), CsvFlavor::kCp932);
  ASSERT_TRUE(bom.ok()) << bom.status().ToString();
  ASSERT_TRUE(cp932.ok()) << cp932.status().ToString();
  EXPECT_THAT(*cp932, Not(StartsWith("\xEF\xBB\xBF")));
  EXPECT_LT(cp932->size(), bom->size());  // two bytes per kanji instead of three

  // DecodeToUtf8 takes UTF-8 whenever the bytes are valid UTF-8: kCp932 means they are not.
  const auto rows = ReadCsv(*cp932, 4, text::CsvEncoding::kCp932);
  EXPECT_THAT(RecordStartingWith(rows, "区分"),
              ElementsAre("区分", "平成30年度", "令和元年度", "合計"));
  EXPECT_THAT(RecordStartingWith(rows, "関係機関と支援調整した件数"),
              ElementsAre("関係機関と支援調整した件数", "12", "x", "x"));

  // The same text but for 〜 (U+301C), which Windows-31J writes as its ～ (U+FF5E).
  Result<std::string> from_bom = text::DecodeToUtf8(*bom, nullptr);
  Result<std::string> from_cp932 = text::DecodeToUtf8(*cp932, nullptr);
  ASSERT_TRUE(from_bom.ok() && from_cp932.ok());
  EXPECT_EQ(*from_cp932, Replace(*from_bom, "〜", "～"));
}

TEST(YearlyReportCsvTest, CumulativeTablesSaySoInTheirTitle) {
  v1::YearlyReport report = SampleReport();
  report.mutable_cases()->set_cumulative(true);
  Result<std::string> csv = YearlyReportCsv(report, CsvFlavor::kUtf8Bom);
  ASSERT_TRUE(csv.ok()) << csv.status().ToString();
  const auto rows = ReadCsv(*csv, 4, text::CsvEncoding::kUtf8Bom);
  EXPECT_THAT(RecordStartingWith(rows, "1. 総合相談支援体制取扱件数（平成30年度からの累計）"),
              Not(IsEmpty()));
  EXPECT_FALSE(AnyFirstFieldContains(rows, "2. 会議等開催件数（"));
}

TEST(YearlyReportCsvTest, AnUnmappableLabelFailsInCp932Only) {
  v1::YearlyReport report = SampleReport();
  report.mutable_breakdowns(0)->mutable_rows(0)->set_label_ja("𠮷野地区");
  Result<std::string> cp932 = YearlyReportCsv(report, CsvFlavor::kCp932);
  ASSERT_FALSE(cp932.ok());
  EXPECT_EQ(cp932.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(cp932.status().reason(), "UNMAPPABLE_CHARACTER");
  EXPECT_TRUE(YearlyReportCsv(report, CsvFlavor::kUtf8Bom).ok());
}

TEST(YearlyReportCsvTest, RefusesReportsThatAreNotProtected) {
  v1::YearlyReport unaudited = SampleReport();
  unaudited.mutable_disclosure()->set_audit_passed(false);
  Result<std::string> csv = YearlyReportCsv(unaudited, CsvFlavor::kUtf8Bom);
  EXPECT_EQ(csv.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(csv.status().reason(), "DISCLOSURE_AUDIT_NOT_PASSED");

  // A published count of 1 to k−1 households.
  v1::YearlyReport small = SampleReport();
  v1::StatCell* cell = small.mutable_breakdowns(0)->mutable_rows(1)->mutable_cells(0);
  cell->set_suppressed(false);
  cell->set_value(3);
  for (const Status& status : {YearlyReportCsv(small, CsvFlavor::kUtf8Bom).status(),
                               YearlyReportXlsx(small).status(), YearlyReportSvg(small).status()}) {
    EXPECT_EQ(status.code(), StatusCode::kFailedPrecondition);
    EXPECT_EQ(status.reason(), "UNPROTECTED_CELL");
    EXPECT_THAT(status.message(), HasSubstr("breakdowns[0].rows[1].cells[0]"));
  }
  // Activities count events and are not suppressed: small counts are fine there.
  EXPECT_TRUE(YearlyReportCsv(SampleReport(), CsvFlavor::kUtf8Bom).ok());

  v1::YearlyReport short_row = SampleReport();
  short_row.mutable_activities()->mutable_rows(0)->mutable_cells()->RemoveLast();
  csv = YearlyReportCsv(short_row, CsvFlavor::kUtf8Bom);
  EXPECT_EQ(csv.status().code(), StatusCode::kInvalidArgument);
  ASSERT_EQ(csv.status().field_violations().size(), 1u);
  EXPECT_EQ(csv.status().field_violations()[0].field, "activities.rows[0].cells");

  EXPECT_EQ(YearlyReportCsv(v1::YearlyReport(), CsvFlavor::kUtf8Bom).status().code(),
            StatusCode::kInvalidArgument);
}

const std::vector<std::string> kPlanHeader = {
    "基本目標・施策", "指標名", "単位",     "担当課",         "基準値",
    "基準年度",       "目標値", "目標年度", "平成30年度実績", "令和元年度実績",
    "達成率（%）",    "状況",   "記載年度", "取組実績",       "今後の方針"};

TEST(PlanProgressCsvTest, OneLinePerIndicatorWithActualsRateAndStatus) {
  for (const CsvFlavor flavor : {CsvFlavor::kUtf8Bom, CsvFlavor::kCp932}) {
    Result<std::string> csv = PlanProgressCsv(SamplePlan(), flavor);
    ASSERT_TRUE(csv.ok()) << csv.status().ToString();
    const auto rows = ReadCsv(
        *csv, kPlanHeader.size(),
        flavor == CsvFlavor::kCp932 ? text::CsvEncoding::kCp932 : text::CsvEncoding::kUtf8Bom);
    ASSERT_GE(rows.size(), 4u);
    EXPECT_EQ(rows[0][0], "第2期地域共生社会推進計画 成果指標の進捗状況（平成30年度～令和元年度）");
    EXPECT_EQ(RecordStartingWith(rows, "基本目標・施策"), kPlanHeader);
    // The bound indicator: its 2019 actual rests on a suppressed cell.
    EXPECT_THAT(RecordStartingWith(rows, "地域で支え合う／相談支援体制の充実"),
                ElementsAre("地域で支え合う／相談支援体制の充実", "関係機関と支援調整した件数",
                            "件", "福祉総務課", "10", "平成29年度", "30", "令和元年度", "12", "x",
                            "10", "遅れ", "", "", ""));
    // Entered by hand: decimals as written, the texts of the latest year with text; a text that
    // a spreadsheet would run as a formula is guarded by an apostrophe.
    EXPECT_THAT(RecordStartingWith(rows, "地域で支え合う"),
                ElementsAre("地域で支え合う", "関係機関と連携できていると感じる機関の割合", "%",
                            "地域福祉課", "60.5", "平成29年度", "80", "令和元年度", "70.25", "83.3",
                            "116.4", "達成", "令和元年度", "研修を3回実施\n事例検討会を開催",
                            "'- 関係機関向け研修を拡充する"));
    EXPECT_TRUE(AnyFirstFieldContains(rows, "x：統計の秘匿値に基づくため公表していません"));
    // Windows-31J writes the rule's 〜 (U+301C) as its ～ (U+FF5E).
    EXPECT_TRUE(AnyFirstFieldContains(
        rows, flavor == CsvFlavor::kCp932 ? Replace(kRuleJa, "〜", "～") : kRuleJa));
  }
}

TEST(PlanProgressCsvTest, RefusesAPeriodLongerThanAPlanHas) {
  v1::PlanProgress progress = SamplePlan();
  progress.mutable_plan()->set_last_fiscal_year(2040);
  Result<std::string> csv = PlanProgressCsv(progress, CsvFlavor::kUtf8Bom);
  EXPECT_EQ(csv.status().code(), StatusCode::kInvalidArgument);
  ASSERT_EQ(csv.status().field_violations().size(), 1u);
  EXPECT_EQ(csv.status().field_violations()[0].field, "plan.last_fiscal_year");
}

// ---------------------------------------------------------------------------------------------
// XLSX

// Points TMPDIR (which std::filesystem::temp_directory_path() reads) at a private directory
// while it lives, so that files other tests export at the same time do not count here.
class PrivateTmpdir {
 public:
  PrivateTmpdir() {
    if (const char* old = std::getenv("TMPDIR")) old_ = old;
    setenv("TMPDIR", dir_.path().c_str(), 1);
  }
  ~PrivateTmpdir() {
    if (old_) {
      setenv("TMPDIR", old_->c_str(), 1);
    } else {
      unsetenv("TMPDIR");
    }
  }
  PrivateTmpdir(const PrivateTmpdir&) = delete;
  PrivateTmpdir& operator=(const PrivateTmpdir&) = delete;
  const std::string& path() const { return dir_.path(); }

 private:
  casecoord::testing::TempDir dir_;
  std::optional<std::string> old_;
};

TEST(YearlyReportXlsxTest, NumbersAreNumericCellsAndSuppressedCellsAreX) {
  const PrivateTmpdir tmpdir;
  Result<std::string> xlsx = YearlyReportXlsx(SampleReport());
  ASSERT_TRUE(xlsx.ok()) << xlsx.status().ToString();
  EXPECT_THAT(casecoord::testing::ListFiles(tmpdir.path()), IsEmpty())
      << "the temporary file must be removed";
  EXPECT_THAT(*xlsx, StartsWith("PK"));

  const XlsxSheet sheet = ReadXlsx(*xlsx);
  EXPECT_THAT(sheet.sheet_names, ElementsAre("事業実績"));

  // Title, creation date, an empty row, the table's title, then its header.
  EXPECT_EQ(sheet.Find("事業実績（平成30年度～令和元年度）"), "A1");
  ASSERT_EQ(sheet.Find("区分"), "A5");
  EXPECT_EQ(sheet.At("B5")->value, "平成30年度");
  EXPECT_EQ(sheet.At("C5")->value, "令和元年度");
  EXPECT_EQ(sheet.At("D5")->value, "合計");

  ASSERT_EQ(sheet.Find("関係機関と支援調整した件数"), "A6");
  const std::optional<XlsxCell> twelve = sheet.At("B6");
  ASSERT_TRUE(twelve.has_value());
  EXPECT_TRUE(twelve->is_number());
  EXPECT_EQ(twelve->value, "12");
  const std::optional<XlsxCell> suppressed = sheet.At("C6");
  ASSERT_TRUE(suppressed.has_value());
  EXPECT_EQ(suppressed->type, "s");
  EXPECT_EQ(suppressed->value, "x");

  const std::optional<XlsxCell> many = sheet.At("B7");
  ASSERT_TRUE(many.has_value());
  EXPECT_TRUE(many->is_number());
  EXPECT_EQ(many->value, "1234");
  EXPECT_THAT(sheet.styles, HasSubstr("#,##0"));  // shown as 1,234, still a number
  EXPECT_THAT(sheet.styles, HasSubstr("<b/>"));   // the bold header

  const std::string south = sheet.Find("南地区");
  ASSERT_FALSE(south.empty());
  EXPECT_EQ(sheet.At(XlsxSheet::Ref("B", south))->value, "x");
  EXPECT_EQ(sheet.At(XlsxSheet::Ref("C", south))->value, "7");
  EXPECT_FALSE(sheet.Find("注記").empty());
}

TEST(PlanProgressXlsxTest, SheetOfIndicatorsWithSuppressedAndDecimalActuals) {
  Result<std::string> xlsx = PlanProgressXlsx(SamplePlan());
  ASSERT_TRUE(xlsx.ok()) << xlsx.status().ToString();
  const XlsxSheet sheet = ReadXlsx(*xlsx);
  EXPECT_THAT(sheet.sheet_names, ElementsAre("成果指標"));
  ASSERT_EQ(sheet.Find("基本目標・施策"), "A3");
  EXPECT_EQ(sheet.At("I3")->value, "平成30年度実績");
  EXPECT_EQ(sheet.At("J3")->value, "令和元年度実績");

  ASSERT_EQ(sheet.Find("地域で支え合う／相談支援体制の充実"), "A4");
  EXPECT_EQ(sheet.At("I4")->value, "12");
  EXPECT_TRUE(sheet.At("I4")->is_number());
  EXPECT_EQ(sheet.At("J4")->type, "s");
  EXPECT_EQ(sheet.At("J4")->value, "x");
  EXPECT_EQ(sheet.At("L4")->value, "遅れ");

  EXPECT_EQ(sheet.At("I5")->value, "70.25");
  EXPECT_TRUE(sheet.At("I5")->is_number());
  EXPECT_EQ(sheet.At("K5")->value, "116.4");
  EXPECT_EQ(sheet.At("L5")->value, "達成");
  // No apostrophe in a real spreadsheet cell: it is text already.
  EXPECT_EQ(sheet.At("O5")->value, "- 関係機関向け研修を拡充する");
}

// ---------------------------------------------------------------------------------------------
// SVG

double Attribute(const XmlElement& element, const std::string& name) {
  return std::stod(element.attributes.at(name));
}

TEST(YearlyReportSvgTest, WellFormedGroupedBarsWithLegendAndAxis) {
  Result<std::string> svg = YearlyReportSvg(SampleReport());
  ASSERT_TRUE(svg.ok()) << svg.status().ToString();
  text::CsvEncoding encoding = text::CsvEncoding::kCp932;
  ASSERT_TRUE(text::DecodeToUtf8(*svg, &encoding).ok());
  EXPECT_EQ(encoding, text::CsvEncoding::kUtf8);  // valid UTF-8 without a BOM

  const XmlDocument doc = ParseXml(*svg);
  ASSERT_EQ(doc.error, "") << *svg;
  const XmlElement& root = doc.elements[0];
  EXPECT_EQ(root.name, "svg");
  EXPECT_EQ(root.attributes.at("xmlns"), "http://www.w3.org/2000/svg");
  EXPECT_EQ(root.attributes.at("version"), "1.1");
  EXPECT_THAT(root.attributes.at("font-family"), HasSubstr("sans-serif"));
  EXPECT_THAT(root.attributes.at("font-family"), HasSubstr("Noto Sans CJK JP"));
  EXPECT_EQ(doc.All("title")[0]->text, "事業実績（平成30年度～令和元年度）");

  std::vector<std::string> years;
  for (const XmlElement* label : doc.WithClass("text", "year-label")) years.push_back(label->text);
  EXPECT_THAT(years, ElementsAre("H30", "R1", "H30", "R1"));  // two panels

  std::vector<std::string> legend;
  for (const XmlElement* label : doc.WithClass("text", "legend")) legend.push_back(label->text);
  EXPECT_THAT(legend,
              ElementsAre("関係機関と支援調整した件数", "問い合わせ・相談のみで支援完了した件数",
                          "x：秘匿（値は公表していません）", "ケース検討会議回数",
                          "関係機関との個別調整回数", "アドバイザー会議開催回数"));
  EXPECT_FALSE(doc.WithClass("text", "tick-label").empty());

  // Published cells are bars in proportion; totals are not drawn.
  const auto bars = doc.WithClass("rect", "bar");
  ASSERT_EQ(bars.size(), 2u + 6u);
  EXPECT_NEAR(Attribute(*bars[0], "height") / Attribute(*bars[1], "height"), 12.0 / 1234, 1e-3);
  for (const XmlElement* bar : bars) EXPECT_THAT(bar->text, Not(HasSubstr("合計")));

  // Suppressed cells: a marker of one fixed height labelled "x".
  const auto marks = doc.WithClass("rect", "bar-suppressed");
  ASSERT_EQ(marks.size(), 2u);
  for (const XmlElement* mark : marks) {
    EXPECT_EQ(mark->attributes.at("height"), "12");
    EXPECT_EQ(mark->attributes.at("fill"), "url(#hatch)");
    EXPECT_THAT(mark->text, HasSubstr("令和元年度：x"));
  }
  const auto x_labels = doc.WithClass("text", "suppressed-label");
  ASSERT_EQ(x_labels.size(), 2u);
  for (const XmlElement* label : x_labels) EXPECT_EQ(label->text, "x");
}

TEST(YearlyReportSvgTest, NothingDependsOnWhatASuppressedCellHolds) {
  // The server sends 0 for a suppressed cell; even a message that carried the real value (or a
  // huge one, which would rescale the axis) must draw the same picture.
  v1::YearlyReport leaky = SampleReport();
  for (v1::StatRow& row : *leaky.mutable_cases()->mutable_rows()) {
    for (v1::StatCell& cell : *row.mutable_cells()) {
      if (cell.suppressed()) {
        cell.set_value(cell.reason() == v1::PRIMARY ? 3 : 1000000);
        cell.set_display(std::to_string(cell.value()));
      }
    }
  }
  Result<std::string> clean = YearlyReportSvg(SampleReport());
  Result<std::string> leaked = YearlyReportSvg(leaky);
  ASSERT_TRUE(clean.ok() && leaked.ok());
  EXPECT_EQ(*clean, *leaked);
  EXPECT_THAT(*leaked, Not(HasSubstr("1,000,000")));
  Result<std::string> csv = YearlyReportCsv(leaky, CsvFlavor::kUtf8Bom);
  ASSERT_TRUE(csv.ok());
  EXPECT_EQ(*csv, *YearlyReportCsv(SampleReport(), CsvFlavor::kUtf8Bom));
}

TEST(YearlyReportSvgTest, LabelsAreEscaped) {
  v1::YearlyReport report = SampleReport();
  report.mutable_cases()->mutable_rows(0)->set_label_ja("65歳未満<単身> & \"その他\"");
  Result<std::string> svg = YearlyReportSvg(report);
  ASSERT_TRUE(svg.ok()) << svg.status().ToString();
  EXPECT_THAT(*svg, Not(HasSubstr("<単身>")));
  EXPECT_THAT(*svg, HasSubstr("65歳未満&lt;単身&gt; &amp; &quot;その他&quot;"));
  const XmlDocument doc = ParseXml(*svg);
  ASSERT_EQ(doc.error, "");
  EXPECT_EQ(doc.WithClass("text", "legend")[0]->text, "65歳未満<単身> & \"その他\"");
}

}  // namespace
}  // namespace casecoord::report
