// The file of a case import (ImportCasesRequest in proto/casecoord/v1/cases.proto documents it for
// users; this is its one implementation): a table of one row per household member, the rows of a
// case sharing its 管理番号, turned into what CreateCase and TransitionCase would take.
//
// Parsing checks the form of each cell (a date, an enum label, a list) and the lifecycle the
// decision dates describe; the domain rules of a case (the directory, the vocabularies, lengths)
// stay in CaseStore, whose violations ProblemAt maps back to the file's line and column.
//
// Thread safety: all functions are reentrant.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "casecoord/v1/cases.pb.h"
#include "services/common/status.h"

namespace casecoord::cases {

// A decision the file records for a case; a case's decisions are in lifecycle order.
struct ImportedDecision {
  v1::CaseState to = v1::CASE_STATE_UNSPECIFIED;
  v1::CaseOutcome outcome = v1::CASE_OUTCOME_UNSPECIFIED;
  v1::Date date;
  std::string reason;  // 終結の検証, for NOT_RESOLVED_REVIEWED
};

struct ImportedCaseDraft {
  std::string source_id;
  int line = 0;                   // 1-based line of its first row
  std::vector<int> member_lines;  // the line of each member's row, in member order
  // As CreateCase takes it: intake_date set, members m1, m2, ... in row order.
  v1::Case input;
  std::vector<ImportedDecision> decisions;
};

struct CaseImportFile {
  std::string format;  // "csv-utf8", "csv-utf8-bom", "csv-cp932", "xlsx"
  int rows_read = 0;   // data rows, well-formed or not
  int cases_read = 0;  // distinct 管理番号
  // The cases whose every row converted, in file order.
  std::vector<ImportedCaseDraft> cases;
  // Cases left out for a problem of their rows.
  int rejected = 0;
  // Every problem of the file: unreadable rows, cells that did not convert, case columns that
  // differ between the rows of one case, an impossible lifecycle, unknown header columns (line 1,
  // reported but not fatal).
  google::protobuf::RepeatedPtrField<v1::ImportProblem> problems;
  // The line (sheet row) of the header: its problems (unknown columns) do not stop an import.
  int header_line = 1;
  // The header cell of each file column, 1-based (element 0 is empty).
  std::vector<std::string> header;
  // The 1-based file column of each column present, by its English name ("district").
  std::map<std::string, int> column_of;
};

// Reads the table (text::ReadTable: CSV in UTF-8/BOM/CP932, or the sheet `sheet` of an XLSX, the
// first if empty), maps the header and converts every case. Dates in the future of `today` are
// problems. INVALID_ARGUMENT only when the file as a whole cannot be used (undecodable, not a
// workbook, no header, required columns missing); row-level problems are in the result.
Result<CaseImportFile> ParseCaseImport(std::string_view bytes, std::string_view sheet,
                                       const v1::Date& today);

// The problem `message` about the case field `path` as CaseStore names it ("case.district",
// "case.members[1].kana", "case.members[0].issue_tags[2]", "decision_date"), located in the file:
// the member's row for a member field, the case's first row otherwise, and the column that fills
// the field (0 if none does).
v1::ImportProblem ProblemAt(const CaseImportFile& file, const ImportedCaseDraft& draft,
                            std::string_view path, std::string message);

}  // namespace casecoord::cases
