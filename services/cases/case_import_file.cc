#include "services/cases/case_import_file.h"

#include <algorithm>
#include <optional>
#include <set>
#include <unordered_map>
#include <utility>

#include "services/cases/case_model.h"
#include "services/common/enum_labels.h"
#include "services/common/fiscal_year.h"
#include "services/common/text.h"
#include "services/text/table.h"

namespace casecoord::cases {
namespace {

enum Column {
  kSourceId,
  kIntakeDate,
  kDistrict,
  kReferringAgency,
  kPresentingProblem,
  kReferralNote,
  kAddress,
  kHouseholdIssueTags,
  kFields,
  kUrgency,
  kConsent,
  kCoordinator,
  kCoordinatedOn,
  kSupportDecidedOn,
  kCompletedByAdviceOn,
  kClosedOn,
  kOutcome,
  kReview,
  kFirstMemberColumn,
  kMemberName = kFirstMemberColumn,
  kKana,
  kBirthDate,
  kRelationship,
  kPrincipal,
  kMemberIssueTags,
  kColumnCount,
};

struct ImportColumn {
  std::string name;  // English name, also accepted as a header
  std::vector<std::string> header_names;
  bool required = false;
  // The field path CaseStore names for it, relative to the case or (member columns) to a member.
  std::string path;
};

const std::vector<ImportColumn>& ImportColumns() {
  static const std::vector<ImportColumn>* const columns = new std::vector<ImportColumn>{
      {"source_id", {"管理番号", "元番号"}, true, ""},
      {"intake_date", {"受付日", "受付年月日"}, true, "intake_date"},
      {"district", {"地区", "福祉区"}, true, "district"},
      {"referring_agency", {"つなぎ元", "つなぎ元機関"}, true, "referring_agency"},
      {"presenting_problem", {"相談内容"}, true, "presenting_problem"},
      {"referral_note", {"つなぎ元の対応"}, false, "referral_note"},
      {"address", {"住所"}, false, "address"},
      {"household_issue_tags", {"世帯の課題"}, false, "household_issue_tags"},
      {"fields", {"分野"}, false, "fields"},
      {"urgency", {"緊急度"}, false, "urgency"},
      {"consent", {"同意"}, false, "consent"},
      {"coordinator", {"担当", "担当コーディネーター"}, false, "coordinator"},
      {"coordinated_on", {"支援調整開始日"}, false, ""},
      {"support_decided_on", {"支援決定日"}, false, ""},
      {"completed_by_advice_on", {"相談のみ完了日"}, false, ""},
      {"closed_on", {"終結日"}, false, ""},
      {"outcome", {"終結理由"}, false, ""},
      {"review", {"終結の検証"}, false, ""},
      {"member_name", {"氏名"}, true, "display_name"},
      {"kana", {"フリガナ", "ふりがな"}, false, "kana"},
      {"birth_date", {"生年月日"}, false, "birth_date"},
      {"relationship", {"続柄"}, false, "relationship"},
      {"principal", {"本人"}, false, "principal"},
      {"member_issue_tags", {"課題タグ"}, false, "issue_tags"},
  };
  return *columns;
}

std::string FormatName(text::CsvEncoding encoding) {
  switch (encoding) {
    case text::CsvEncoding::kUtf8Bom:
      return "csv-utf8-bom";
    case text::CsvEncoding::kCp932:
      return "csv-cp932";
    case text::CsvEncoding::kUtf8:
      break;
  }
  return "csv-utf8";
}

std::vector<std::string> SplitList(std::string_view cell) {
  std::vector<std::string> items;
  std::string current;
  auto flush = [&] {
    const std::string_view item = TrimSpaces(current);
    if (!item.empty()) items.emplace_back(item);
    current.clear();
  };
  size_t i = 0;
  while (i < cell.size()) {
    bool separated = false;
    for (std::string_view separator : {"、", "，", "；", ",", ";", "\n", "\r"}) {
      if (cell.substr(i, separator.size()) == separator) {
        flush();
        i += separator.size();
        separated = true;
        break;
      }
    }
    if (!separated) current += cell[i++];
  }
  flush();
  return items;
}

std::optional<bool> ParseYes(std::string_view cell) {
  const std::string_view value = TrimSpaces(cell);
  for (std::string_view yes : {"○", "〇", "◯", "はい", "本人", "true", "TRUE", "1", "yes"}) {
    if (value == yes) return true;
  }
  for (std::string_view no : {"", "×", "いいえ", "false", "FALSE", "0", "no"}) {
    if (value == no) return false;
  }
  return std::nullopt;
}

std::string DateText(const v1::Date& date) {
  char text[16];
  std::snprintf(text, sizeof(text), "%04d-%02d-%02d", date.year(), date.month(), date.day());
  return text;
}

bool Before(const v1::Date& a, const v1::Date& b) {
  return std::make_tuple(a.year(), a.month(), a.day()) <
         std::make_tuple(b.year(), b.month(), b.day());
}

// Converts the rows of a table into cases, reporting into `file`.
class RowConverter {
 public:
  RowConverter(const text::Table& table, std::vector<int> indices, const v1::Date& today,
               CaseImportFile* file)
      : table_(table), indices_(std::move(indices)), today_(today), file_(*file) {}

  void Run() {
    std::unordered_map<std::string, int> last_line_of_id;
    for (const text::TableRow& row : table_.rows) {
      const std::string source_id(TrimSpaces(Cell(row, kSourceId)));
      if (source_id.empty()) {
        Problem(row.line, kSourceId, "管理番号がありません / source_id is empty");
        continue;
      }
      if (!current_ || current_->draft.source_id != source_id) {
        FinishCase();
        auto [it, inserted] = last_line_of_id.emplace(source_id, row.line);
        if (!inserted) {
          RejectEarlier(source_id);
          Problem(row.line, kSourceId,
                  "管理番号 " + source_id + " の行は続けて並べてください（" +
                      std::to_string(it->second) + "行目にもあります）");
          continue;
        }
        StartCase(row, source_id);
      } else {
        CheckSameCaseCells(row);
      }
      AddMember(row);
    }
    FinishCase();
  }

 private:
  struct OpenCase {
    ImportedCaseDraft draft;
    const text::TableRow* first_row = nullptr;
    bool ok = true;
  };

  std::string_view Cell(const text::TableRow& row, int column) const {
    const int index = indices_[column];
    if (index < 0 || static_cast<size_t>(index) >= row.cells.size()) return {};
    return row.cells[index];
  }

  void Problem(int line, int column, std::string message) {
    v1::ImportProblem& problem = *file_.problems.Add();
    problem.set_line(line);
    const int index = indices_[column];
    if (index >= 0) {
      problem.set_column(index + 1);
      problem.set_column_name(table_.header[index]);
    }
    problem.set_problem(std::move(message));
    if (current_) current_->ok = false;
  }

  std::optional<v1::Date> DateCell(const text::TableRow& row, int column) {
    const std::string_view cell = TrimSpaces(Cell(row, column));
    if (cell.empty()) return std::nullopt;
    std::optional<v1::Date> date = ParseCivilDate(cell);
    if (!date) {
      Problem(row.line, column, "日付が読めません: " + ShortQuote(cell));
    } else if (Before(today_, *date)) {
      Problem(row.line, column, "未来の日付です: " + DateText(*date));
      date.reset();
    }
    return date;
  }

  template <typename Enum>
  std::optional<Enum> EnumCell(const text::TableRow& row, int column,
                               const google::protobuf::EnumDescriptor& type) {
    const std::string_view cell = TrimSpaces(Cell(row, column));
    if (cell.empty()) return std::nullopt;
    const std::optional<int> value = ParseEnumLabel(type, cell);
    if (!value) {
      Problem(row.line, column, "値が不明です: " + ShortQuote(cell));
      return std::nullopt;
    }
    return static_cast<Enum>(*value);
  }

  void StartCase(const text::TableRow& row, const std::string& source_id) {
    current_.emplace(OpenCase{});  // clang 14 cannot default-construct it in place here
    current_->first_row = &row;
    ImportedCaseDraft& draft = current_->draft;
    draft.source_id = source_id;
    draft.line = row.line;
    if (source_id.size() > 64) Problem(row.line, kSourceId, "管理番号は64文字までです");
    ++file_.cases_read;
    ReadCaseCells(row, &draft.input);
    ReadDecisions(row, &draft);
  }

  void ReadCaseCells(const text::TableRow& row, v1::Case* input) {
    if (const auto intake = DateCell(row, kIntakeDate)) {
      *input->mutable_intake_date() = *intake;
    } else if (TrimSpaces(Cell(row, kIntakeDate)).empty()) {
      Problem(row.line, kIntakeDate, "受付日がありません / intake_date is empty");
    }
    input->set_district(std::string(TrimSpaces(Cell(row, kDistrict))));
    std::string agency(TrimSpaces(Cell(row, kReferringAgency)));
    if (!agency.empty() && !agency.starts_with("agencies/")) agency = "agencies/" + agency;
    input->set_referring_agency(agency);
    input->set_presenting_problem(std::string(TrimSpaces(Cell(row, kPresentingProblem))));
    input->set_referral_note(std::string(TrimSpaces(Cell(row, kReferralNote))));
    input->set_address(std::string(TrimSpaces(Cell(row, kAddress))));
    for (auto& tag : SplitList(Cell(row, kHouseholdIssueTags))) {
      input->add_household_issue_tags(std::move(tag));
    }
    for (const std::string& item : SplitList(Cell(row, kFields))) {
      const std::optional<int> field = ParseEnumLabel(*v1::SupportField_descriptor(), item);
      if (!field) {
        Problem(row.line, kFields, "分野が不明です: " + ShortQuote(item));
      } else {
        input->add_fields(static_cast<v1::SupportField>(*field));
      }
    }
    if (auto urgency = EnumCell<v1::Urgency>(row, kUrgency, *v1::Urgency_descriptor())) {
      input->set_urgency(*urgency);
    }
    if (auto consent =
            EnumCell<v1::ConsentStatus>(row, kConsent, *v1::ConsentStatus_descriptor())) {
      input->set_consent(*consent);
    }
    const std::string_view coordinator = TrimSpaces(Cell(row, kCoordinator));
    if (!coordinator.empty()) {
      input->set_coordinator(coordinator.starts_with("users/")
                                 ? std::string(coordinator)
                                 : "users/" + std::string(coordinator));
    }
  }

  // The decisions the date columns record, checked as a lifecycle from INTAKE.
  void ReadDecisions(const text::TableRow& row, ImportedCaseDraft* draft) {
    struct Step {
      int column;
      v1::CaseState to;
    };
    const auto outcome = EnumCell<v1::CaseOutcome>(row, kOutcome, *v1::CaseOutcome_descriptor());
    const std::string review(TrimSpaces(Cell(row, kReview)));
    v1::CaseState state = v1::INTAKE;
    v1::Date previous = draft->input.intake_date();
    int previous_column = kIntakeDate;
    for (const Step& step :
         {Step{kCoordinatedOn, v1::COORDINATING}, Step{kSupportDecidedOn, v1::IN_SUPPORT},
          Step{kCompletedByAdviceOn, v1::COMPLETED_BY_ADVICE}, Step{kClosedOn, v1::CLOSED}}) {
      const std::optional<v1::Date> date = DateCell(row, step.column);
      if (!date) continue;
      v1::TransitionCaseRequest request;
      request.set_to(step.to);
      if (step.to == v1::CLOSED) {
        if (!outcome) {
          Problem(row.line, kOutcome, "終結日があるときは終結理由が必要です");
          return;
        }
        request.set_outcome(*outcome);
        request.set_reason(review);
      }
      const Status legal = CheckTransition(state, request);
      if (!legal.ok()) {
        Problem(row.line, step.column, LifecycleProblem(state, step.to, legal));
        return;
      }
      if (draft->input.has_intake_date() && Before(*date, previous)) {
        Problem(row.line, step.column,
                DateText(*date) + " は「" + HeaderOf(previous_column) + "」" + DateText(previous) +
                    " より前です");
        return;
      }
      draft->decisions.push_back({step.to, request.outcome(), *date, request.reason()});
      state = step.to;
      previous = *date;
      previous_column = step.column;
    }
    if (outcome && state != v1::CLOSED) {
      Problem(row.line, kClosedOn, "終結理由があるときは終結日が必要です");
    }
  }

  std::string HeaderOf(int column) const {
    const int index = indices_[column];
    return index >= 0 ? table_.header[index] : ImportColumns()[column].header_names[0];
  }

  static std::string LifecycleProblem(v1::CaseState from, v1::CaseState to, const Status& refusal) {
    return LabelJa(*v1::CaseState_descriptor(), from) + "から" +
           LabelJa(*v1::CaseState_descriptor(), to) + "には進めません: " + refusal.message();
  }

  // On a case's later rows the case columns are empty or repeat the first row's cells.
  void CheckSameCaseCells(const text::TableRow& row) {
    for (int column = kSourceId + 1; column < kFirstMemberColumn; ++column) {
      const std::string_view cell = TrimSpaces(Cell(row, column));
      if (cell.empty() || cell == TrimSpaces(Cell(*current_->first_row, column))) continue;
      Problem(row.line, column,
              "同じ管理番号の最初の行（" + std::to_string(current_->draft.line) +
                  "行目）と異なります: " + ShortQuote(cell));
    }
  }

  void AddMember(const text::TableRow& row) {
    ImportedCaseDraft& draft = current_->draft;
    v1::HouseholdMember& member = *draft.input.add_members();
    member.set_member_id("m" + std::to_string(draft.input.members_size()));
    draft.member_lines.push_back(row.line);
    member.set_display_name(std::string(TrimSpaces(Cell(row, kMemberName))));
    if (member.display_name().empty()) {
      Problem(row.line, kMemberName, "氏名がありません / member_name is empty");
    }
    member.set_kana(std::string(TrimSpaces(Cell(row, kKana))));
    if (const auto birth = DateCell(row, kBirthDate)) *member.mutable_birth_date() = *birth;
    member.set_relationship(std::string(TrimSpaces(Cell(row, kRelationship))));
    const std::optional<bool> principal = ParseYes(Cell(row, kPrincipal));
    if (!principal) {
      Problem(row.line, kPrincipal,
              "本人の欄は ○ か空欄です: " + ShortQuote(Cell(row, kPrincipal)));
    } else {
      member.set_principal(*principal);
    }
    for (auto& tag : SplitList(Cell(row, kMemberIssueTags))) member.add_issue_tags(std::move(tag));
  }

  // A case whose rows are not together is rejected as a whole, not imported without some.
  void RejectEarlier(const std::string& source_id) {
    auto& cases = file_.cases;
    const auto it = std::find_if(cases.begin(), cases.end(), [&](const ImportedCaseDraft& draft) {
      return draft.source_id == source_id;
    });
    if (it == cases.end()) return;
    cases.erase(it);
    ++file_.rejected;
  }

  void FinishCase() {
    if (!current_) return;
    if (current_->ok) {
      file_.cases.push_back(std::move(current_->draft));
    } else {
      ++file_.rejected;
    }
    current_.reset();
  }

  const text::Table& table_;
  const std::vector<int> indices_;
  const v1::Date today_;
  CaseImportFile& file_;
  std::optional<OpenCase> current_;
};

Result<std::vector<int>> MapImportHeader(const std::vector<std::string>& header) {
  std::vector<std::vector<std::string>> accepted;
  std::vector<bool> required;
  for (const ImportColumn& column : ImportColumns()) {
    accepted.push_back(column.header_names);
    accepted.back().push_back(column.name);
    required.push_back(column.required);
  }
  return text::MapHeader(header, accepted, required);
}

void ReportUnknownColumns(const std::vector<std::string>& header, const std::vector<int>& indices,
                          CaseImportFile* file) {
  for (size_t index = 0; index < header.size(); ++index) {
    if (std::find(indices.begin(), indices.end(), static_cast<int>(index)) != indices.end()) {
      continue;
    }
    v1::ImportProblem& problem = *file->problems.Add();
    problem.set_line(file->header_line);
    problem.set_column(static_cast<int>(index) + 1);
    problem.set_column_name(header[index]);
    problem.set_problem("不明な列です（読み込みません）: " + ShortQuote(header[index]));
  }
}

}  // namespace

Result<CaseImportFile> ParseCaseImport(std::string_view bytes, std::string_view sheet,
                                       const v1::Date& today) {
  CASECOORD_ASSIGN_OR_RETURN(const text::Table table, text::ReadTable(bytes, sheet));
  if (table.header.empty()) return Status::InvalidArgument("file", "the file has no header row");
  CASECOORD_ASSIGN_OR_RETURN(std::vector<int> indices, MapImportHeader(table.header));

  CaseImportFile file;
  file.format = table.format == text::TableFormat::kXlsx ? "xlsx" : FormatName(table.encoding);
  file.header_line = table.header_line;
  file.header.emplace_back();
  file.header.insert(file.header.end(), table.header.begin(), table.header.end());
  for (size_t column = 0; column < indices.size(); ++column) {
    if (indices[column] >= 0) file.column_of[ImportColumns()[column].name] = indices[column] + 1;
  }
  std::set<int> bad_lines;
  for (const text::TableProblem& bad : table.problems) {
    v1::ImportProblem& problem = *file.problems.Add();
    problem.set_line(bad.line);
    problem.set_column(bad.column);
    if (bad.column > 0 && static_cast<size_t>(bad.column) <= table.header.size()) {
      problem.set_column_name(table.header[bad.column - 1]);
    }
    problem.set_problem(bad.problem);
    if (bad.line != table.header_line) bad_lines.insert(bad.line);
  }
  file.rows_read = static_cast<int>(table.rows.size() + bad_lines.size());
  ReportUnknownColumns(table.header, indices, &file);
  RowConverter(table, std::move(indices), today, &file).Run();
  return file;
}

v1::ImportProblem ProblemAt(const CaseImportFile& file, const ImportedCaseDraft& draft,
                            std::string_view path, std::string message) {
  v1::ImportProblem problem;
  problem.set_line(draft.line);
  problem.set_problem(std::move(message));
  if (path.starts_with("case.")) path.remove_prefix(5);
  bool member = false;
  if (path.starts_with("members[")) {
    const size_t close = path.find(']');
    const std::optional<uint64_t> index = close == std::string_view::npos
                                              ? std::nullopt
                                              : ParseDecimalId(path.substr(8, close - 8),
                                                               /*allow_zero=*/true);
    if (index && *index < draft.member_lines.size()) problem.set_line(draft.member_lines[*index]);
    path.remove_prefix(close == std::string_view::npos ? path.size() : close + 1);
    if (path.starts_with(".")) path.remove_prefix(1);
    member = true;
  }
  const size_t end = path.find_first_of(".[");
  const std::string_view field = path.substr(0, end);
  const auto& columns = ImportColumns();
  for (size_t column = 0; column < columns.size(); ++column) {
    const bool member_column = column >= kFirstMemberColumn;
    if (member_column != member || columns[column].path != field || field.empty()) continue;
    const auto it = file.column_of.find(columns[column].name);
    if (it == file.column_of.end()) break;
    problem.set_column(it->second);
    problem.set_column_name(file.header[it->second]);
    break;
  }
  return problem;
}

}  // namespace casecoord::cases
