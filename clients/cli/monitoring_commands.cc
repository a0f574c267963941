#include "clients/cli/monitoring_commands.h"

#include <CLI/CLI.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "casecoord/v1/monitoring.grpc.pb.h"
#include "clients/cli/flag_parsing.h"
#include "clients/cli/table.h"
#include "services/common/fiscal_year.h"
#include "services/common/text.h"

namespace casecoord::cli {
namespace {

constexpr std::string_view kCasePrefix = "cases/";
constexpr std::string_view kMonitoringSuffix = "/monitoring";
constexpr std::string_view kUserPrefix = "users/";
constexpr std::string_view kAgencyPrefix = "agencies/";
constexpr size_t kMaxCaseIdDigits = 18;
// A --note-file holds one note; anything bigger is almost surely the wrong file.
constexpr size_t kMaxNoteFileBytes = 1 << 20;
// Items fetched per ListDueItems call.
constexpr int kDefaultPageSize = 500;
// A note in the checks table is cut to this many terminal columns.
constexpr size_t kNoteColumns = 40;
constexpr char kOverdue[] = "期限超過";

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// "12", "cases/12" and "cases/12/monitoring" -> "cases/12/monitoring".
bool ParseMonitoringArgument(const std::string& text, std::string* name, std::string* error) {
  std::string_view rest = TrimSpaces(text);
  if (StartsWith(rest, kCasePrefix)) rest.remove_prefix(kCasePrefix.size());
  if (rest.size() >= kMonitoringSuffix.size() &&
      rest.substr(rest.size() - kMonitoringSuffix.size()) == kMonitoringSuffix) {
    rest.remove_suffix(kMonitoringSuffix.size());
  }
  if (rest.empty() || rest.size() > kMaxCaseIdDigits || rest.front() == '0' ||
      rest.find_first_not_of("0123456789") != std::string_view::npos) {
    *error = "ケースの指定が不正です / CASE: \"" + text +
             "\" is not a case; give cases/12 or 12 (the 名前 column of case list)";
    return false;
  }
  *name = std::string(kCasePrefix) + std::string(rest) + std::string(kMonitoringSuffix);
  return true;
}

// --owner: "users/ID" or "agencies/ID".
bool ParseOwner(const std::string& text, std::string* owner, std::string* error) {
  const std::string trimmed(TrimSpaces(text));
  for (std::string_view prefix : {kUserPrefix, kAgencyPrefix}) {
    if (StartsWith(trimmed, prefix) && IsResourceId(trimmed.substr(prefix.size()))) {
      *owner = trimmed;
      return true;
    }
  }
  *error = "一覧の持ち主の指定が不正です / --owner: \"" + text +
           "\" must be users/ID (a coordinator's list) or agencies/ID (an agency's list)";
  return false;
}

v1::Date DateOf(std::chrono::system_clock::time_point instant) {
  const std::string day = FormatJstDate(instant);  // "YYYY-MM-DD"
  v1::Date date;
  date.set_year(std::stoi(day.substr(0, 4)));
  date.set_month(std::stoi(day.substr(5, 2)));
  date.set_day(std::stoi(day.substr(8, 2)));
  return date;
}

// "2025-04-01" or "2025/4/1" (trimmed), a real day of the years 1900 to 9999. Parsed on the civil
// calendar rather than through ParseDateFlag's system_clock instant, whose nanoseconds end in 2262.
bool ParseDay(const std::string& option, const std::string& text, v1::Date* date,
              std::string* error) {
  const std::string_view trimmed = TrimSpaces(text);
  const char separator = trimmed.size() > 4 ? trimmed[4] : '\0';
  int parts[3] = {0, 0, 0};
  bool valid = separator == '-' || separator == '/';
  size_t start = 0;
  for (int i = 0; i < 3 && valid; ++i) {
    size_t end = i < 2 ? trimmed.find(separator, start) : trimmed.size();
    if (end == std::string_view::npos) end = trimmed.size();
    const std::string_view part = trimmed.substr(start, end - start);
    const size_t max_digits = i == 0 ? 4 : 2;
    valid = (i == 0 ? part.size() == 4 : !part.empty() && part.size() <= max_digits) &&
            ParseInt(part, 0, 9999, &parts[i]);
    start = end + 1;
    if (i < 2 && end == trimmed.size()) valid = false;
  }
  const std::chrono::year_month_day day{std::chrono::year(parts[0]),
                                        std::chrono::month(static_cast<unsigned>(parts[1])),
                                        std::chrono::day(static_cast<unsigned>(parts[2]))};
  if (!valid || parts[0] < 1900 || !day.ok()) {
    *error = "日付の形式が不正です / " + option + ": \"" + text +
             "\" is not a date YYYY-MM-DD (e.g. 2025-04-01)";
    return false;
  }
  date->set_year(parts[0]);
  date->set_month(parts[1]);
  date->set_day(parts[2]);
  return true;
}

int DayNumber(const v1::Date& date) {
  return date.year() * 10000 + date.month() * 100 + date.day();
}

std::string DateText(const v1::Date& date) {
  if (date.year() == 0) return "-";
  char buffer[16];
  std::snprintf(buffer, sizeof(buffer), "%04d-%02d-%02d", date.year(), date.month(), date.day());
  return buffer;
}

// `text` from the server as one table cell: control characters (which could move the cursor or
// recolour the screen) and line breaks become spaces; "-" when empty.
std::string Cell(const std::string& text) {
  std::string out;
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    out += byte < 0x20 || byte == 0x7F ? ' ' : c;
  }
  return OrDash(out);
}

// As Cell, but line breaks are kept (for PrintFields).
std::string FieldText(const std::string& text) {
  std::string out;
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    out += (byte < 0x20 && c != '\n') || byte == 0x7F ? ' ' : c;
  }
  return OrDash(out);
}

// The note from --note TEXT or --note-file PATH ("-": standard input), trimmed: UTF-8 without a
// byte order mark, CRLF as LF. Errors name the file but never quote its content.
bool ReadNote(const std::string& given, const std::string& path, std::string* note,
              std::string* error) {
  if (!given.empty() && !path.empty()) {
    *error = "--note と --note-file は同時に指定できません / give --note or --note-file, not both";
    return false;
  }
  if (path.empty()) {
    *note = std::string(TrimSpaces(given));
  } else {
    const bool from_stdin = path == "-";
    const std::string where = from_stdin ? "standard input" : "\"" + path + "\"";
    std::FILE* file = from_stdin ? stdin : std::fopen(path.c_str(), "rb");
    if (file == nullptr) {
      *error =
          "ファイルを読めません / --note-file: cannot open " + where + ": " + std::strerror(errno);
      return false;
    }
    std::string bytes;
    char buffer[64 * 1024];
    size_t count = 0;
    while ((count = std::fread(buffer, 1, sizeof(buffer), file)) > 0 &&
           bytes.size() <= kMaxNoteFileBytes) {
      bytes.append(buffer, count);
    }
    const bool failed = std::ferror(file) != 0;
    if (!from_stdin) std::fclose(file);
    if (failed) {
      *error = "ファイルを読めません / --note-file: cannot read " + where;
      return false;
    }
    if (bytes.size() > kMaxNoteFileBytes) {
      *error = "ファイルが大きすぎます / --note-file: " + where + " is over " +
               std::to_string(kMaxNoteFileBytes / 1024) + " KiB; is it the right file?";
      return false;
    }
    std::string_view view = bytes;
    if (StartsWith(view, "\xEF\xBB\xBF")) view.remove_prefix(3);
    if (!IsUtf8(view)) {
      *error = "文字コードが不正です / --note-file: " + where +
               " is not UTF-8 text; save it as UTF-8 (Shift_JIS is not accepted)";
      return false;
    }
    std::string text;
    for (size_t i = 0; i < view.size(); ++i) {
      if (view[i] == '\r' && i + 1 < view.size() && view[i + 1] == '\n') continue;
      text += view[i];
    }
    *note = std::string(TrimSpaces(text));
  }
  if (note->empty()) {
    *error =
        "記録内容がありません / give the note with --note-file PATH (recommended) or --note "
        "TEXT";
    return false;
  }
  return true;
}

// --- Output --------------------------------------------------------------------------------------

const Row& DueHeader() {
  static const Row header = {"期限/DUE",    "状況/STATUS",  "種類/KIND",      "受付番号/CASE_NO",
                             "ケース/CASE", "対象/SUBJECT", "担当機関/AGENCY"};
  return header;
}

Row DueRow(const v1::DueItem& item) {
  return {DateText(item.due_date()),
          item.overdue() ? kOverdue : "-",
          EnumText(*v1::DueKind_descriptor(), item.kind()),
          Cell(item.case_number()),
          Cell(item.case_()),
          Cell(item.subject()),
          Cell(item.agency())};
}

// For --watch, whose rows arrive over time: fixed column widths (the header's or the widest
// usual value), so that lines printed minutes apart still line up.
std::string FixedLine(const Row& row) {
  static const size_t kWidths[] = {10, 11, 14, 16, 12, 22};
  std::string line;
  for (size_t i = 0; i < row.size(); ++i) {
    if (i + 1 == row.size()) {
      line += row[i];
    } else {
      line += PadRight(row[i], std::max(kWidths[i], DisplayWidth(DueHeader()[i]))) + "  ";
    }
  }
  return line + "\n";
}

std::string ScheduleText(const v1::MonitoringSchedule& schedule) {
  if (schedule.interval_days() > 0) {
    return std::to_string(schedule.interval_days()) + "日ごと (" + DateText(schedule.start_date()) +
           " から) / every " + std::to_string(schedule.interval_days()) + " days from " +
           DateText(schedule.start_date());
  }
  std::vector<std::string> dates;
  for (const auto& date : schedule.dates()) dates.push_back(DateText(date));
  return dates.empty() ? "-" : Join(dates, ", ");
}

void PrintRecord(const v1::MonitoringRecord& record) {
  PrintFields({
      {"名前 / name", record.name()},
      {"支援の流れ / track", EnumTextWithName(*v1::MonitoringTrack_descriptor(), record.track())},
      {"予定 / schedule", ScheduleText(record.schedule())},
      {"段階 / stage", EnumTextWithName(*v1::MonitoringStage_descriptor(), record.stage())},
      {"次回確認日 / next check",
       record.has_next_check_date() ? DateText(record.next_check_date()) : "なし / none"},
      {"更新 / updated", LocalTime(record.update_time())},
      {"etag", record.etag()},
  });
  if (record.checks().empty()) {
    std::cout << "\n確認の記録はありません / no checks yet\n";
    return;
  }
  std::vector<Row> rows;
  for (const auto& check : record.checks()) {
    rows.push_back({std::to_string(check.number()), DateText(check.date()),
                    EnumText(*v1::CheckKind_descriptor(), check.kind()),
                    EnumText(*v1::MonitoringStage_descriptor(), check.stage()),
                    Cell(std::string(StartsWith(check.author(), kUserPrefix)
                                         ? check.author().substr(kUserPrefix.size())
                                         : check.author())),
                    Truncate(Cell(check.note()), kNoteColumns)});
  }
  std::cout << "\n";
  PrintTable({"#", "日付/DATE", "種類/KIND", "段階/STAGE", "記録者/AUTHOR", "内容/NOTE"}, rows);
}

}  // namespace

struct MonitoringCommands::State {
  CLI::App* due = nullptr;
  CLI::App* monitoring = nullptr;
  CLI::App* get = nullptr;
  CLI::App* set = nullptr;
  CLI::App* check = nullptr;
  CLI::Option* every_option = nullptr;
  CLI::Option* start_option = nullptr;
  CLI::Option* dates_option = nullptr;

  // Arguments as given.
  std::string owner, by, case_text, track, start, etag, kind, date, stage, note, note_file;
  std::vector<std::string> dates;
  int every = 0;
  int page_size = kDefaultPageSize;
  bool watch = false;

  // Built by Prepare().
  std::string name;
  v1::ListDueItemsRequest list_request;
  v1::SetMonitoringScheduleRequest set_request;
  v1::RecordCheckRequest check_request;

  int PrepareDue();
  int PrepareSet();
  int PrepareCheck();

  int List(const GlobalOptions& options, v1::Monitoring::Stub* stub);
  int Watch(const GlobalOptions& options, v1::Monitoring::Stub* stub);
  int Get(const GlobalOptions& options, v1::Monitoring::Stub* stub);
  int Set(const GlobalOptions& options, v1::Monitoring::Stub* stub);
  int Check(const GlobalOptions& options, v1::Monitoring::Stub* stub);
};

MonitoringCommands::MonitoringCommands(CLI::App* app) : state_(std::make_unique<State>()) {
  State& s = *state_;
  const std::string owner_help =
      "一覧の持ち主 / whose list: users/ID (a coordinator's) or agencies/ID (an agency's); "
      "default your own";
  s.due = app->add_subcommand(
      "due", "期限一覧 / your work list: checks, role assignments and plan reviews due");
  s.due->add_option("--owner", s.owner, owner_help);
  auto* by_option = s.due->add_option(
      "--by", s.by,
      "この日まで / items due on or before this day, YYYY-MM-DD (default two weeks ahead); "
      "overdue items are always listed");
  s.due->add_option("--page-size", s.page_size, "items fetched per call (default 500)");
  s.due
      ->add_flag("--watch", s.watch,
                 "監視 / show what is due now, then each item as it falls due, until Ctrl-C")
      ->excludes(by_option);

  s.monitoring =
      app->add_subcommand("monitoring", "モニタリング / monitoring of a case in support");
  s.monitoring->require_subcommand(1);
  const std::string case_help = "ケース / case: cases/12 or 12";
  s.get = s.monitoring->add_subcommand("get", "表示 / the schedule, stage and every check");
  s.get->add_option("case", s.case_text, case_help)->required();

  s.set = s.monitoring->add_subcommand(
      "set", "予定の設定 / set the track and the schedule of checks (coordinators)");
  s.set->add_option("case", s.case_text, case_help)->required();
  s.set
      ->add_option("--track", s.track,
                   "支援の流れ / track: " + ValidValues(*v1::MonitoringTrack_descriptor()))
      ->required();
  s.every_option = s.set->add_option(
      "--every", s.every, "間隔 / a check every DAYS days (1 to 366) after the latest check");
  s.start_option =
      s.set->add_option("--start", s.start,
                        "起点 / with --every: count from this day before the first check "
                        "(default today), YYYY-MM-DD");
  s.dates_option =
      s.set->add_option("--date", s.dates, "予定日 / a check on this day, repeatable, ascending")
          ->expected(1)
          ->allow_extra_args(false)
          ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  s.set->add_option("--etag", s.etag, "変更の競合を防ぐ / only if the record is still this etag");
  s.set->footer(
      "--every か --date のどちらかが必要です / give --every DAYS or --date (repeatable).\n"
      "例 / example:\n  casectl monitoring set 12 --track 生活支援 --every 30\n"
      "  casectl monitoring set 12 --track WORK --date 2026-12-01 --date 2027-01-15");

  s.check = s.monitoring->add_subcommand("check",
                                         "確認の記録 / record a check, re-adjustment or re-visit");
  s.check->add_option("case", s.case_text, case_help)->required();
  s.check->add_option("--kind", s.kind, "種類 / kind: " + ValidValues(*v1::CheckKind_descriptor()))
      ->required();
  s.check->add_option("--date", s.date, "実施日 / the day, YYYY-MM-DD (default today)");
  s.check->add_option("--stage", s.stage,
                      "到達段階 / the stage reached (of the record's track; default unchanged): " +
                          ValidValues(*v1::MonitoringStage_descriptor()));
  s.check->add_option("--note", s.note,
                      "記録 / the note as an argument, which other local users can see in the "
                      "process list: prefer --note-file");
  s.check->add_option("--note-file", s.note_file,
                      "記録をファイルから / the note from a UTF-8 text file (推奨 / recommended); "
                      "- reads standard input");
  s.check->add_option("--etag", s.etag, "変更の競合を防ぐ / only if the record is still this etag");
}

MonitoringCommands::~MonitoringCommands() = default;

bool MonitoringCommands::Selected() const {
  return state_->due->parsed() || state_->monitoring->parsed();
}

int MonitoringCommands::Prepare() {
  State& s = *state_;
  if (s.due->parsed()) return s.PrepareDue();
  std::string error;
  if (!ParseMonitoringArgument(s.case_text, &s.name, &error)) return UsageError(error);
  if (s.set->parsed()) return s.PrepareSet();
  if (s.check->parsed()) return s.PrepareCheck();
  return kExitOk;
}

int MonitoringCommands::State::PrepareDue() {
  std::string error;
  if (!owner.empty()) {
    std::string parsed;
    if (!ParseOwner(owner, &parsed, &error)) return UsageError(error);
    list_request.set_owner(parsed);
  }
  if (!by.empty() && !ParseDay("--by", by, list_request.mutable_due_by(), &error)) {
    return UsageError(error);
  }
  if (page_size < 0) {
    return UsageError("--page-size: must be 0 (server default) or more, not " +
                      std::to_string(page_size));
  }
  list_request.set_page_size(page_size);
  return kExitOk;
}

int MonitoringCommands::State::PrepareSet() {
  std::string error;
  set_request.set_name(name);
  int number = 0;
  if (!ParseEnumFlag("--track", "支援の流れ", *v1::MonitoringTrack_descriptor(), track, &number,
                     &error)) {
    return UsageError(error);
  }
  set_request.set_track(static_cast<v1::MonitoringTrack>(number));
  const bool interval = every_option->count() > 0;
  const bool dated = dates_option->count() > 0;
  if (interval == dated) {
    return UsageError(
        "予定の指定が不正です / give --every DAYS or --date YYYY-MM-DD (repeatable), not both");
  }
  v1::MonitoringSchedule* schedule = set_request.mutable_schedule();
  if (interval) {
    if (every < 1 || every > 366) {
      return UsageError("間隔が不正です / --every: must be 1 to 366 days, not " +
                        std::to_string(every));
    }
    schedule->set_interval_days(every);
    if (!start.empty() && !ParseDay("--start", start, schedule->mutable_start_date(), &error)) {
      return UsageError(error);
    }
  } else {
    if (start_option->count() > 0) {
      return UsageError("--start は --every と一緒に指定します / --start goes with --every");
    }
    for (const auto& text : dates) {
      if (!ParseDay("--date", text, schedule->add_dates(), &error)) return UsageError(error);
    }
  }
  set_request.set_etag(etag);
  return kExitOk;
}

int MonitoringCommands::State::PrepareCheck() {
  std::string error;
  check_request.set_name(name);
  v1::MonitoringCheck* check = check_request.mutable_check();
  int number = 0;
  if (!ParseEnumFlag("--kind", "種類", *v1::CheckKind_descriptor(), kind, &number, &error)) {
    return UsageError(error);
  }
  check->set_kind(static_cast<v1::CheckKind>(number));
  if (!stage.empty()) {
    if (!ParseEnumFlag("--stage", "段階", *v1::MonitoringStage_descriptor(), stage, &number,
                       &error)) {
      return UsageError(error);
    }
    check->set_stage(static_cast<v1::MonitoringStage>(number));
  }
  const v1::Date today = DateOf(std::chrono::system_clock::now());
  if (date.empty()) {
    *check->mutable_date() = today;
  } else {
    if (!ParseDay("--date", date, check->mutable_date(), &error)) return UsageError(error);
    if (DayNumber(check->date()) > DayNumber(today)) {
      return UsageError("未来の日付は指定できません / --date: " + date + " is in the future");
    }
  }
  std::string text;
  if (!ReadNote(note, note_file, &text, &error)) return UsageError(error);
  check->set_note(text);
  check_request.set_etag(etag);
  return kExitOk;
}

int MonitoringCommands::Run(const GlobalOptions& options,
                            const std::shared_ptr<grpc::Channel>& channel) {
  State& s = *state_;
  auto stub = v1::Monitoring::NewStub(channel);
  if (s.due->parsed()) return s.watch ? s.Watch(options, stub.get()) : s.List(options, stub.get());
  if (s.get->parsed()) return s.Get(options, stub.get());
  if (s.set->parsed()) return s.Set(options, stub.get());
  if (s.check->parsed()) return s.Check(options, stub.get());
  return UsageError("monitoring: give a subcommand (see casectl monitoring --help)");
}

int MonitoringCommands::State::List(const GlobalOptions& options, v1::Monitoring::Stub* stub) {
  v1::ListDueItemsResponse all;
  grpc::Status status =
      FetchPages(options, std::bind_front(&v1::Monitoring::Stub::ListDueItems, stub), list_request,
                 &all, /*all_pages=*/true);
  if (!status.ok()) return ReportError(status);
  if (options.json) {
    PrintJson(all);
    return kExitOk;
  }
  if (all.items().empty()) {
    std::cout << "期限の来る項目はありません / nothing due\n";
    return kExitOk;
  }
  std::vector<Row> rows;
  int overdue = 0;
  for (const auto& item : all.items()) {
    rows.push_back(DueRow(item));
    overdue += item.overdue() ? 1 : 0;
  }
  PrintTable(DueHeader(), rows);
  std::cout << all.items_size() << "件 (" << kOverdue << " " << overdue << "件) / "
            << all.items_size() << " items, " << overdue << " overdue\n";
  return kExitOk;
}

int MonitoringCommands::State::Watch(const GlobalOptions& options, v1::Monitoring::Stub* stub) {
  // No deadline: the stream lasts until Ctrl-C (which ends the process; the server sees the
  // cancellation).
  grpc::ClientContext context;
  v1::WatchDueItemsRequest request;
  request.set_owner(list_request.owner());
  auto reader = stub->WatchDueItems(&context, request);
  v1::WatchDueItemsResponse message;
  bool first = true;
  while (reader->Read(&message)) {
    if (options.json) {
      PrintJson(message);
      std::cout << std::endl;
      continue;
    }
    if (first) {
      std::cout << FixedLine(DueHeader());
      if (message.items().empty()) std::cout << "期限の来た項目はありません / nothing due now\n";
      std::cout << "監視中 (Ctrl-C で終了) / watching (Ctrl-C to stop)" << std::endl;
      first = false;
    }
    for (const auto& item : message.items()) std::cout << FixedLine(DueRow(item));
    std::cout.flush();
  }
  grpc::Status status = reader->Finish();
  if (!status.ok()) return ReportError(status);
  return kExitOk;
}

int MonitoringCommands::State::Get(const GlobalOptions& options, v1::Monitoring::Stub* stub) {
  v1::GetMonitoringRequest request;
  request.set_name(name);
  v1::MonitoringRecord record;
  auto context = NewContext(options);
  grpc::Status status = stub->GetMonitoring(context.get(), request, &record);
  if (!status.ok()) return ReportError(status);
  if (options.json) {
    PrintJson(record);
  } else {
    PrintRecord(record);
  }
  return kExitOk;
}

int MonitoringCommands::State::Set(const GlobalOptions& options, v1::Monitoring::Stub* stub) {
  v1::MonitoringRecord record;
  auto context = NewContext(options);
  grpc::Status status = stub->SetMonitoringSchedule(context.get(), set_request, &record);
  if (!status.ok()) return ReportError(status);
  if (options.json) {
    PrintJson(record);
    return kExitOk;
  }
  std::cout << "モニタリングの予定を設定しました / schedule set: " << record.name() << "\n";
  PrintRecord(record);
  return kExitOk;
}

int MonitoringCommands::State::Check(const GlobalOptions& options, v1::Monitoring::Stub* stub) {
  v1::MonitoringRecord record;
  auto context = NewContext(options);
  // The server lands a write once per request id (a retry by gRPC or a proxy is then safe).
  check_request.set_request_id(NewRequestId().value_or(""));
  grpc::Status status = stub->RecordCheck(context.get(), check_request, &record);
  if (!status.ok()) return ReportError(status);
  if (options.json) {
    PrintJson(record);
    return kExitOk;
  }
  const int number = record.checks().empty() ? 0 : record.checks().rbegin()->number();
  std::cout << "確認を記録しました / check recorded: #" << number << " ("
            << FieldText(record.name()) << ")\n";
  PrintFields({
      {"段階 / stage", EnumTextWithName(*v1::MonitoringStage_descriptor(), record.stage())},
      {"次回確認日 / next check",
       record.has_next_check_date() ? DateText(record.next_check_date()) : "なし / none"},
      {"etag", record.etag()},
  });
  return kExitOk;
}

}  // namespace casecoord::cli
