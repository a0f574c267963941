#include "services/directory/agency_csv.h"

#include <google/protobuf/timestamp.pb.h>
#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <optional>
#include <unordered_map>
#include <utility>

#include "services/common/enum_labels.h"
#include "services/common/fiscal_year.h"
#include "services/common/resource_names.h"
#include "services/common/text.h"
#include "services/common/timestamps.h"
#include "services/directory/agency_cells.h"

namespace casecoord::directory {

using text::EncodeFromUtf8;
using text::MapHeader;
using text::ReadTable;
using text::Table;
using text::TableProblem;
using text::TableRow;
using text::WriteCsv;

namespace {

using google::protobuf::util::TimeUtil;

constexpr std::string_view kIdeographicSpace = "\xE3\x80\x80";  // U+3000
// Enough cells to show the pattern of an export that cannot be written in Windows-31J.
constexpr size_t kMaxReportedCells = 10;

// The columns, in the order of AgencyColumns().
enum Column : int {
  kAgencyId,
  kDisplayName,
  kKana,
  kKind,
  kOperatorType,
  kFields,
  kIssueTags,
  kServices,
  kDistricts,
  kAddress,
  kPhone,
  kFax,
  kEmail,
  kHours,
  kReferralContact,
  kAcceptsReferrals,
  kState,
  kLastVerified,
  kColumnCount,
};

bool IsAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

bool IsFormulaStart(char c) {
  return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r';
}

// Whether `cell` is apostrophes followed by a character that starts a spreadsheet formula.
// Exports prefix every such cell with one more apostrophe and imports remove one, so that a cell
// whose data itself starts with "'=" survives the round trip too.
bool IsGuardable(std::string_view cell) {
  const size_t first = cell.find_first_not_of('\'');
  return first != std::string_view::npos && IsFormulaStart(cell[first]);
}

std::string Guard(std::string cell) {
  if (IsGuardable(cell)) cell.insert(cell.begin(), '\'');
  return cell;
}

std::string Unguard(std::string_view cell) {
  if (cell.starts_with('\'') && IsGuardable(cell.substr(1))) cell.remove_prefix(1);
  return std::string(cell);
}

std::string AsciiLower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Splits a list cell at "、" "，" "," "；" ";" and line breaks; items are trimmed, empty ones
// dropped.
std::vector<std::string> SplitList(std::string_view text) {
  static constexpr std::string_view kSeparators[] = {"、", "，", "；", ",", ";", "\r", "\n"};
  std::vector<std::string> items;
  size_t start = 0;
  size_t i = 0;
  auto flush = [&](size_t end) {
    const std::string_view item = TrimSpaces(text.substr(start, end - start));
    if (!item.empty()) items.emplace_back(item);
  };
  while (i < text.size()) {
    size_t separator_length = 0;
    for (std::string_view separator : kSeparators) {
      if (text.substr(i).starts_with(separator)) {
        separator_length = separator.size();
        break;
      }
    }
    if (separator_length == 0) {
      ++i;
      continue;
    }
    flush(i);
    i += separator_length;
    start = i;
  }
  flush(text.size());
  return items;
}

std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == '\r' || text[i] == '\n') {
      lines.push_back(text.substr(start, i - start));
      if (i + 1 < text.size() && text[i] == '\r' && text[i + 1] == '\n') ++i;
      start = i + 1;
    }
  }
  return lines;
}

// Splits "名称|対象|年齢" at "|" and "｜".
std::vector<std::string_view> SplitServiceParts(std::string_view line) {
  constexpr std::string_view kFullWidthBar = "｜";
  std::vector<std::string_view> parts;
  size_t start = 0;
  size_t i = 0;
  while (i < line.size()) {
    if (line[i] == '|') {
      parts.push_back(line.substr(start, i - start));
      start = ++i;
    } else if (line.substr(i).starts_with(kFullWidthBar)) {
      parts.push_back(line.substr(start, i - start));
      i += kFullWidthBar.size();
      start = i;
    } else {
      ++i;
    }
  }
  parts.push_back(line.substr(start));
  return parts;
}

// A small cursor over a cell, for the age and date grammars.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  bool AtEnd() const { return pos_ == text_.size(); }

  bool Consume(std::string_view token) {
    if (!text_.substr(pos_).starts_with(token)) return false;
    pos_ += token.size();
    return true;
  }

  bool ConsumeAny(std::initializer_list<std::string_view> tokens) {
    for (std::string_view token : tokens) {
      if (Consume(token)) return true;
    }
    return false;
  }

  void SkipSpaces() {
    for (;;) {
      if (pos_ < text_.size() && IsAsciiSpace(text_[pos_])) {
        ++pos_;
      } else if (!Consume(kIdeographicSpace)) {
        return;
      }
    }
  }

  // Reads min_digits to max_digits ASCII or full-width (０-９) digits.
  std::optional<int> Number(int min_digits, int max_digits) {
    const size_t start = pos_;
    int value = 0;
    int digits = 0;
    while (digits < max_digits && pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c >= '0' && c <= '9') {
        value = value * 10 + (c - '0');
        ++pos_;
      } else if (text_.substr(pos_).starts_with("\xEF\xBC") && pos_ + 2 < text_.size() &&
                 static_cast<unsigned char>(text_[pos_ + 2]) >= 0x90 &&
                 static_cast<unsigned char>(text_[pos_ + 2]) <= 0x99) {
        value = value * 10 + (static_cast<unsigned char>(text_[pos_ + 2]) - 0x90);
        pos_ += 3;
      } else {
        break;
      }
      ++digits;
    }
    if (digits < min_digits) {
      pos_ = start;
      return std::nullopt;
    }
    return value;
  }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

struct AgeRange {
  int min_age = 0;
  int max_age = 0;
};

// "18-64", "65-", "-17", with "〜" "～" "~" "－" as the range mark, an optional "歳" after
// each number and spaces around the mark. Empty text is no bound at all.
std::optional<AgeRange> ParseAgeRange(std::string_view text) {
  Scanner scanner(TrimSpaces(text));
  if (scanner.AtEnd()) return AgeRange{};
  const std::optional<int> low = scanner.Number(1, 3);
  if (low) scanner.Consume("歳");
  scanner.SkipSpaces();
  if (!scanner.ConsumeAny({"-", "~", "〜", "～", "－"})) return std::nullopt;
  scanner.SkipSpaces();
  const std::optional<int> high = scanner.Number(1, 3);
  if (high) scanner.Consume("歳");
  if (!scanner.AtEnd() || (!low && !high)) return std::nullopt;
  return AgeRange{low.value_or(0), high.value_or(0)};
}

std::string FormatAgeRange(int min_age, int max_age) {
  if (min_age <= 0 && max_age <= 0) return "";
  return (min_age > 0 ? std::to_string(min_age) : "") + "-" +
         (max_age > 0 ? std::to_string(max_age) : "");
}

// A date cell (see ParseJstDate) as a timestamp at midnight JST.
std::optional<google::protobuf::Timestamp> ParseDateCell(std::string_view text) {
  const auto midnight = ParseJstDate(text);
  if (!midnight) return std::nullopt;
  return ToTimestamp(*midnight);
}

std::optional<bool> ParseYesNo(std::string_view text) {
  const std::string value = AsciiLower(TrimSpaces(text));
  for (std::string_view yes : {"可", "○", "〇", "◯", "はい", "true", "1", "yes"}) {
    if (value == yes) return true;
  }
  for (std::string_view no : {"", "不可", "×", "✕", "いいえ", "false", "0", "no"}) {
    if (value == no) return false;
  }
  return std::nullopt;
}

std::string Join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += separator;
    out += items[i];
  }
  return out;
}

// Integers in `text` in order, for picking apart ParseCsv's messages.
std::vector<int> IntegersIn(std::string_view text) {
  std::vector<int> numbers;
  for (size_t i = 0; i < text.size();) {
    if (text[i] < '0' || text[i] > '9') {
      ++i;
      continue;
    }
    int value = 0;
    const auto [end, error] = std::from_chars(text.data() + i, text.data() + text.size(), value);
    if (error == std::errc()) numbers.push_back(value);
    i = static_cast<size_t>(end - text.data());
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
  }
  return numbers;
}

// ParseCsv's problems, which are English, in the Japanese the users of the file read.
std::string JapaneseCsvProblem(std::string_view problem) {
  constexpr std::string_view kQuoteAdvice =
      "（欄全体を \" で囲み、欄の中の \" は \"\" と二つ重ねてください）";
  const std::vector<int> numbers = IntegersIn(problem);
  if (problem.starts_with("quoted field is never closed")) {
    std::string out =
        "引用符（\"）が閉じられていないため、ファイルの残りがすべてこの欄に入っています";
    if (numbers.size() == 2) {
      out += "（" + std::to_string(numbers[0]) + "〜" + std::to_string(numbers[1]) + "行目）";
    }
    return out;
  }
  if (problem.starts_with("unexpected text after the closing quote")) {
    return "閉じる引用符（\"）の後に文字があります" + std::string(kQuoteAdvice);
  }
  if (problem.starts_with("quote inside an unquoted field")) {
    return "引用符（\"）で囲まれていない欄の中に \" があります" + std::string(kQuoteAdvice);
  }
  if (problem.starts_with("record has ") && numbers.size() == 2) {
    return "列の数が見出しと合いません（この行は " + std::to_string(numbers[0]) + " 列、見出しは " +
           std::to_string(numbers[1]) + " 列）";
  }
  if (problem == "header name is empty") return "見出しが空の列があります";
  constexpr std::string_view kRepeatsPrefix = "header name \"";
  constexpr std::string_view kRepeatsInfix = "\" repeats column ";
  const size_t infix = problem.rfind(kRepeatsInfix);
  if (problem.starts_with(kRepeatsPrefix) && infix != std::string_view::npos && !numbers.empty()) {
    const std::string_view name =
        problem.substr(kRepeatsPrefix.size(), infix - kRepeatsPrefix.size());
    return "見出し「" + std::string(name) + "」が " + std::to_string(numbers.back()) +
           " 列目と重複しています";
  }
  constexpr std::string_view kBeyondInfix = " is beyond the header's last column ";
  if (const size_t beyond = problem.find(kBeyondInfix);
      problem.starts_with("cell ") && beyond != std::string_view::npos) {
    return "見出しのない列（セル " + std::string(problem.substr(5, beyond - 5)) +
           "）に値があります（見出しは " +
           std::string(problem.substr(beyond + kBeyondInfix.size())) + " 列まで）";
  }
  return "CSVの形式が正しくありません: " + std::string(problem);
}

// Converts the cells of one well-formed record.
class RowConverter {
 public:
  RowConverter(const TableRow& row, const std::vector<int>& indices,
               const std::vector<std::string>& header, std::vector<v1::ImportProblem>* problems)
      : row_(row), indices_(indices), header_(header), problems_(problems) {}

  // Whether every cell converted.
  bool Convert(AgencyCsvRow* out) {
    out->line = row_.line;
    v1::Agency& agency = out->agency;
    if (const auto cell = Cell(kAgencyId)) out->agency_id = Unguard(TrimSpaces(*cell));
    if (const auto cell = Cell(kDisplayName)) agency.set_display_name(Unguard(*cell));
    if (const auto cell = Cell(kKana)) agency.set_kana(Unguard(*cell));
    if (const auto cell = Cell(kKind)) {
      agency.set_kind(static_cast<v1::AgencyKind>(
          Enum(kKind, *v1::AgencyKind_descriptor(), *cell).value_or(0)));
    }
    if (const auto cell = Cell(kOperatorType)) {
      agency.set_operator_type(static_cast<v1::OperatorType>(
          Enum(kOperatorType, *v1::OperatorType_descriptor(), *cell).value_or(0)));
    }
    if (const auto cell = Cell(kFields)) Fields(*cell, &agency);
    if (const auto cell = Cell(kIssueTags)) {
      for (std::string& tag : SplitList(Unguard(TrimSpaces(*cell)))) agency.add_issue_tags(tag);
    }
    if (const auto cell = Cell(kServices)) Services(*cell, &agency);
    if (const auto cell = Cell(kDistricts)) {
      for (std::string& district : SplitList(Unguard(TrimSpaces(*cell)))) {
        agency.add_districts(district);
      }
    }
    if (const auto cell = Cell(kAddress)) agency.set_address(Unguard(*cell));
    if (const auto cell = Cell(kPhone)) agency.set_phone(Unguard(*cell));
    if (const auto cell = Cell(kFax)) agency.set_fax(Unguard(*cell));
    if (const auto cell = Cell(kEmail)) agency.set_email(Unguard(*cell));
    if (const auto cell = Cell(kHours)) agency.set_hours(Unguard(*cell));
    if (const auto cell = Cell(kReferralContact)) agency.set_referral_contact(Unguard(*cell));
    if (const auto cell = Cell(kAcceptsReferrals)) AcceptsReferrals(*cell, &agency);
    agency.set_state(v1::Agency::ACTIVE);
    if (const auto cell = Cell(kState)) State(*cell, &agency);
    if (const auto cell = Cell(kLastVerified)) LastVerified(*cell, &agency);
    return ok_;
  }

  // The 1-based file column of `column`.
  int FileColumn(Column column) const { return indices_[column] + 1; }

  void Problem(Column column, std::string message) {
    ok_ = false;
    v1::ImportProblem& problem = problems_->emplace_back();
    problem.set_line(row_.line);
    problem.set_column(FileColumn(column));
    problem.set_column_name(header_[indices_[column]]);
    problem.set_problem(std::move(message));
  }

 private:
  std::optional<std::string_view> Cell(Column column) const {
    const int index = indices_[column];
    if (index < 0) return std::nullopt;
    return row_.cells[index];
  }

  static std::string Label(Column column) { return AgencyColumns()[column].header_names.front(); }

  // The number of the value named by the cell; nullopt (with a problem) if none is, and also
  // nullopt (without one) for an empty cell, which leaves the field to the store's rules.
  std::optional<int> Enum(Column column, const google::protobuf::EnumDescriptor& type,
                          std::string_view cell) {
    const std::string text = Unguard(TrimSpaces(cell));
    if (text.empty()) return std::nullopt;
    std::optional<int> number = ParseEnumLabel(type, text);
    if (!number) Problem(column, Label(column) + "が不明です: " + text);
    return number;
  }

  void Fields(std::string_view cell, v1::Agency* agency) {
    std::vector<std::string> unknown;
    for (const std::string& item : SplitList(Unguard(TrimSpaces(cell)))) {
      const std::optional<int> field = ParseEnumLabel(*v1::SupportField_descriptor(), item);
      if (field) {
        agency->add_fields(static_cast<v1::SupportField>(*field));
      } else {
        unknown.push_back(item);
      }
    }
    if (!unknown.empty()) Problem(kFields, Label(kFields) + "が不明です: " + Join(unknown, "、"));
  }

  void AcceptsReferrals(std::string_view cell, v1::Agency* agency) {
    const std::string text = Unguard(TrimSpaces(cell));
    const std::optional<bool> accepts = ParseYesNo(text);
    if (accepts) {
      agency->set_accepts_referrals(*accepts);
    } else {
      Problem(kAcceptsReferrals,
              Label(kAcceptsReferrals) + "は 可 または 不可 で入力してください: " + text);
    }
  }

  // An empty cell leaves the state ACTIVE.
  void State(std::string_view cell, v1::Agency* agency) {
    const std::string text = Unguard(TrimSpaces(cell));
    if (!text.empty()) {
      agency->set_state(static_cast<v1::Agency::State>(
          Enum(kState, *v1::Agency::State_descriptor(), text).value_or(0)));
    }
  }

  void LastVerified(std::string_view cell, v1::Agency* agency) {
    const std::string text = Unguard(TrimSpaces(cell));
    if (text.empty()) return;
    const std::optional<google::protobuf::Timestamp> date = ParseDateCell(text);
    if (date) {
      *agency->mutable_last_verified_time() = *date;
    } else {
      Problem(kLastVerified, "日付の形式が正しくありません（YYYY-MM-DD）: " + text);
    }
  }

  void Services(std::string_view cell, v1::Agency* agency) {
    std::vector<std::string> bad;
    const std::string text = Unguard(TrimSpaces(cell));
    for (std::string_view raw_line : SplitLines(text)) {
      const std::string_view line = TrimSpaces(raw_line);
      if (line.empty()) continue;
      const std::vector<std::string_view> parts = SplitServiceParts(line);
      const std::string_view name = TrimSpaces(parts[0]);
      if (parts.size() > 3 || name.empty()) {
        bad.push_back("形式が正しくありません（名称|対象|年齢）: " + std::string(line));
        continue;
      }
      const std::optional<AgeRange> ages =
          parts.size() == 3 ? ParseAgeRange(parts[2]) : std::optional<AgeRange>(AgeRange{});
      if (!ages) {
        bad.push_back("年齢の形式が正しくありません（例: 18-64、65-、-17）: " + std::string(line));
        continue;
      }
      v1::AgencyService* service = agency->add_services();
      service->set_name(std::string(name));
      if (parts.size() >= 2) service->set_eligibility(std::string(TrimSpaces(parts[1])));
      service->set_min_age(ages->min_age);
      service->set_max_age(ages->max_age);
    }
    if (!bad.empty()) Problem(kServices, Label(kServices) + "の" + Join(bad, "；"));
  }

  const TableRow& row_;
  const std::vector<int>& indices_;
  const std::vector<std::string>& header_;
  std::vector<v1::ImportProblem>* problems_;
  bool ok_ = true;
};

v1::ImportProblem MakeProblem(int line, int column, const std::vector<std::string>& header,
                              std::string message) {
  v1::ImportProblem problem;
  problem.set_line(line);
  problem.set_column(column);
  if (column > 0 && static_cast<size_t>(column) <= header.size()) {
    problem.set_column_name(header[column - 1]);
  }
  problem.set_problem(std::move(message));
  return problem;
}

}  // namespace

std::string FormatDateCell(const google::protobuf::Timestamp& timestamp) {
  return FormatJstDate(std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::nanoseconds(TimeUtil::TimestampToNanoseconds(timestamp)))));
}

std::string AgencyIdOf(const v1::Agency& agency) {
  std::string_view name = agency.name();
  if (name.starts_with(kAgencyPrefix)) name.remove_prefix(sizeof(kAgencyPrefix) - 1);
  return std::string(name);
}

const std::vector<AgencyColumn>& AgencyColumns() {
  static const std::vector<AgencyColumn>* const columns = new std::vector<AgencyColumn>{
      {"agency_id", {"機関ID", "機関ＩＤ", "ID", "agency_id"}, true},
      {"display_name", {"機関名", "機関名称", "名称", "display_name"}, true},
      {"kana", {"フリガナ", "ふりがな", "カナ", "よみがな", "kana"}, true},
      {"kind", {"種別", "機関種別", "kind"}, true},
      {"operator_type", {"運営形態", "operator_type"}, false},
      {"fields", {"分野", "fields"}, false},
      {"issue_tags", {"課題タグ", "タグ", "issue_tags"}, false},
      {"services", {"サービス", "services"}, false},
      {"districts", {"担当地区", "地区", "districts"}, false},
      {"address", {"住所", "所在地", "address"}, false},
      {"phone", {"電話番号", "電話", "TEL", "ＴＥＬ", "phone"}, false},
      {"fax", {"FAX", "ＦＡＸ", "FAX番号", "ＦＡＸ番号", "ファックス", "fax"}, false},
      {"email", {"メール", "メールアドレス", "Eメール", "E-mail", "email"}, false},
      {"hours", {"受付時間", "hours"}, false},
      {"referral_contact", {"紹介窓口", "referral_contact"}, false},
      {"accepts_referrals", {"紹介受付", "accepts_referrals"}, false},
      {"state", {"状態", "state"}, false},
      {"last_verified_time", {"最終確認日", "last_verified"}, false},
  };
  return *columns;
}

namespace {

// The file column of each AgencyColumns() entry (-1: absent); an error if a required one is
// missing.
Result<std::vector<int>> MapAgencyHeader(const std::vector<std::string>& header) {
  std::vector<std::vector<std::string>> accepted;
  std::vector<bool> required;
  for (const AgencyColumn& column : AgencyColumns()) {
    accepted.push_back(column.header_names);
    required.push_back(column.required);
  }
  return MapHeader(header, accepted, required);
}

// Why the header cell `name`, which fills no column, is not read: unknown, or another name of a
// column that an earlier cell fills. Empty for a repeated name, which ParseCsv reported.
std::string UnreadColumnProblem(std::string_view name, const std::vector<std::string>& header,
                                const std::vector<int>& indices) {
  const std::vector<AgencyColumn>& columns = AgencyColumns();
  for (size_t c = 0; c < columns.size(); ++c) {
    const auto& names = columns[c].header_names;
    if (std::find(names.begin(), names.end(), name) == names.end()) continue;
    const std::string_view used = TrimSpaces(header[indices[c]]);
    if (used == name) return "";
    return "「" + std::string(used) +
           "」と同じ項目の列です（読み込みません）: " + std::string(name);
  }
  return "不明な列です（読み込みません）: " + std::string(name);
}

// Converts the well-formed records into `result->rows`, and what is wrong with the others into
// `result->problems`; an agency id may appear once.
void ConvertRows(const Table& table, const std::vector<int>& indices, AgencyCsv* result) {
  std::unordered_map<std::string, int> first_line_of_id;
  for (const TableRow& row : table.rows) {
    RowConverter converter(row, indices, table.header, &result->problems);
    AgencyCsvRow converted;
    bool ok = converter.Convert(&converted);
    if (!converted.agency_id.empty()) {
      auto [it, inserted] = first_line_of_id.emplace(converted.agency_id, row.line);
      if (!inserted) {
        converter.Problem(kAgencyId, "機関IDが重複しています: " + converted.agency_id + "（" +
                                         std::to_string(it->second) + "行目と同じ）");
        ok = false;
      }
    }
    if (ok) result->rows.push_back(std::move(converted));
  }
}

}  // namespace

Result<AgencyCsv> ParseAgencyCsv(std::string_view bytes) {
  AgencyCsv result;
  CASECOORD_ASSIGN_OR_RETURN(const Table table, ReadTable(bytes));
  result.format = table.format;
  result.encoding = table.encoding;
  if (table.header.empty()) {
    return Status(Reason::kNoHeader, "the file has no header row");
  }
  const std::vector<AgencyColumn>& columns = AgencyColumns();
  Result<std::vector<int>> indices = MapAgencyHeader(table.header);
  if (!indices.ok()) return indices.status();

  const int header_line = table.header_line;
  result.header.reserve(table.header.size() + 1);
  result.header.emplace_back();
  result.header.insert(result.header.end(), table.header.begin(), table.header.end());
  for (size_t c = 0; c < columns.size(); ++c) {
    const int index = (*indices)[c];
    if (index < 0) continue;
    if (c != static_cast<size_t>(kAgencyId)) result.present_paths.push_back(columns[c].path);
    result.column_of_path[columns[c].path] = index + 1;
  }

  // ParseCsv's problems, and the number of records it rejected.
  std::vector<int> rejected_lines;
  for (const TableProblem& problem : table.problems) {
    result.problems.push_back(MakeProblem(problem.line, problem.column, table.header,
                                          JapaneseCsvProblem(problem.problem)));
    if (problem.line != header_line) rejected_lines.push_back(problem.line);
  }
  std::sort(rejected_lines.begin(), rejected_lines.end());
  rejected_lines.erase(std::unique(rejected_lines.begin(), rejected_lines.end()),
                       rejected_lines.end());
  result.rows_read = static_cast<int>(table.rows.size() + rejected_lines.size());

  // Header cells that fill no column.
  for (size_t i = 0; i < table.header.size(); ++i) {
    const std::string_view name = TrimSpaces(table.header[i]);
    if (name.empty()) continue;  // ParseCsv reported it
    if (std::find(indices->begin(), indices->end(), static_cast<int>(i)) != indices->end()) {
      continue;
    }
    std::string problem = UnreadColumnProblem(name, table.header, *indices);
    if (!problem.empty()) {
      result.problems.push_back(
          MakeProblem(header_line, static_cast<int>(i) + 1, table.header, std::move(problem)));
    }
  }

  ConvertRows(table, *indices, &result);

  std::stable_sort(result.problems.begin(), result.problems.end(),
                   [](const v1::ImportProblem& a, const v1::ImportProblem& b) {
                     return a.line() != b.line() ? a.line() < b.line() : a.column() < b.column();
                   });
  return result;
}

namespace {

// The "services" cell: one line per service, "name|eligibility|ages" with empty trailing parts
// left out.
std::string ServicesCell(const v1::Agency& agency) {
  std::vector<std::string> services;
  for (const v1::AgencyService& service : agency.services()) {
    const std::string ages = FormatAgeRange(service.min_age(), service.max_age());
    std::string line = service.name();
    if (!service.eligibility().empty() || !ages.empty()) line += "|" + service.eligibility();
    if (!ages.empty()) line += "|" + ages;
    services.push_back(std::move(line));
  }
  return Join(services, "\n");
}

// The cells of `agency`, guarded against formulas.
std::vector<std::string> AgencyRow(const v1::Agency& agency) {
  std::vector<std::string> row(kColumnCount);
  row[kAgencyId] = AgencyIdOf(agency);
  row[kDisplayName] = agency.display_name();
  row[kKana] = agency.kana();
  if (agency.kind() != 0) row[kKind] = LabelJa(*v1::AgencyKind_descriptor(), agency.kind());
  if (agency.operator_type() != 0) {
    row[kOperatorType] = LabelJa(*v1::OperatorType_descriptor(), agency.operator_type());
  }
  std::vector<std::string> fields;
  for (int field : agency.fields()) {
    fields.push_back(LabelJa(*v1::SupportField_descriptor(), field));
  }
  row[kFields] = Join(fields, "、");
  row[kIssueTags] =
      Join(std::vector<std::string>(agency.issue_tags().begin(), agency.issue_tags().end()), "、");
  row[kServices] = ServicesCell(agency);
  row[kDistricts] =
      Join(std::vector<std::string>(agency.districts().begin(), agency.districts().end()), "、");
  row[kAddress] = agency.address();
  row[kPhone] = agency.phone();
  row[kFax] = agency.fax();
  row[kEmail] = agency.email();
  row[kHours] = agency.hours();
  row[kReferralContact] = agency.referral_contact();
  row[kAcceptsReferrals] = agency.accepts_referrals() ? "可" : "不可";
  if (agency.state() != 0) row[kState] = LabelJa(*v1::Agency::State_descriptor(), agency.state());
  if (agency.has_last_verified_time()) {
    row[kLastVerified] = FormatDateCell(agency.last_verified_time());
  }
  for (std::string& cell : row) cell = Guard(std::move(cell));
  return row;
}

// The first kMaxReportedCells cells that `encoding` cannot represent, by agency and column;
// `*count` is the number of all of them.
std::string ListUnmappableCells(const std::vector<v1::Agency>& agencies,
                                const std::vector<std::vector<std::string>>& rows,
                                const std::vector<std::string>& header, CsvEncoding encoding,
                                size_t* count) {
  constexpr std::string_view kEnglishPrefix =
      "characters that Windows-31J (Shift_JIS) cannot represent: ";
  std::string listed;
  for (size_t a = 0; a < agencies.size(); ++a) {
    for (size_t c = 0; c < rows[a].size(); ++c) {
      Result<std::string> cell = EncodeFromUtf8(rows[a][c], encoding);
      if (cell.ok()) continue;
      if (++*count > kMaxReportedCells) continue;
      std::string_view detail = cell.status().message();
      if (detail.starts_with(kEnglishPrefix)) detail.remove_prefix(kEnglishPrefix.size());
      if (!listed.empty()) listed += "; ";
      listed += "agency \"" + rows[a][kAgencyId] + "\" (" + agencies[a].display_name() +
                "), column " + header[c] + ": " + std::string(detail);
    }
  }
  return listed;
}

}  // namespace

Result<std::string> AgenciesToCsv(const std::vector<v1::Agency>& agencies, CsvEncoding encoding) {
  const std::vector<AgencyColumn>& columns = AgencyColumns();
  std::vector<std::string> header;
  header.reserve(columns.size());
  for (const AgencyColumn& column : columns) header.push_back(column.header_names.front());

  std::vector<std::vector<std::string>> rows;
  rows.reserve(agencies.size());
  for (const v1::Agency& agency : agencies) rows.push_back(AgencyRow(agency));

  Result<std::string> encoded = EncodeFromUtf8(WriteCsv(header, rows), encoding);
  if (encoded.ok() || !encoded.status().Is(Reason::kUnmappableCharacter)) return encoded;

  // Name the agencies and columns, which a line number of the whole file would not.
  size_t count = 0;
  std::string listed = ListUnmappableCells(agencies, rows, header, encoding, &count);
  if (count == 0) return encoded;
  if (count > kMaxReportedCells) {
    listed += " and " + std::to_string(count - kMaxReportedCells) + " more cells";
  }
  return Status(Reason::kUnmappableCharacter,
                "Windows-31J (Shift_JIS) cannot represent some characters; export as UTF-8 "
                "instead: " +
                    listed);
}

}  // namespace casecoord::directory
