// casectl due / casectl monitoring ...: the work list and monitoring (モニタリング) from the
// command line.
//
//   due [--owner OWNER] [--by YYYY-MM-DD] [--page-size N]
//             the work list, soonest first (every page); overdue lines say 期限超過
//   due --watch [--owner OWNER]
//             everything due now, then each item as it falls due, until Ctrl-C
//   monitoring get CASE
//   monitoring set CASE --track TRACK (--every DAYS [--start YYYY-MM-DD] | --date YYYY-MM-DD ...)
//             [--etag E]
//   monitoring check CASE --kind KIND [--date YYYY-MM-DD] [--stage STAGE]
//             (--note-file PATH | --note TEXT) [--etag E]
//
// OWNER is your own list by default: "users/ID" (a coordinator's) or "agencies/ID" (your agency's);
// nobody else's list can be read. --by defaults to two weeks ahead; overdue items are always
// listed. CASE is "cases/12", "12" or "cases/12/monitoring". --date of a check defaults to today
// and may not be in the future. Enum flags (--track, --kind, --stage) take the Japanese label or
// the value name ("生活支援" or LIFE, "確認" or ROUTINE_CHECK, "訪問" or STAGE_VISIT).
//
// A note about a household is better given as a file (--note-file; "-" reads standard input): a
// command-line argument can be read by every local user in the process list and stays in the shell
// history. Files must be UTF-8.
//
// Every flag is checked before any call: a bad value is exit status 2 and nothing is sent.

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
#include "clients/cli/case_support.h"
#include "clients/cli/command.h"
#include "clients/cli/flag_parsing.h"
#include "clients/cli/render.h"
#include "clients/cli/table.h"
#include "services/common/fiscal_year.h"
#include "services/common/text.h"

namespace casecoord::cli {
namespace {

constexpr std::string_view kMonitoringSuffix = "/monitoring";
// Items fetched per ListDueItems call.
constexpr int kDefaultPageSize = 500;
// A note in the checks table is cut to this many terminal columns.
constexpr size_t kNoteColumns = 40;
constexpr char kOverdue[] = "期限超過";

// "12", "cases/12", "cases/12/monitoring" and a case number (R6-0042) -> "cases/12/monitoring".
bool ParseMonitoringArgument(const std::string& text, std::string* name, std::string* error) {
  std::string_view rest = TrimSpaces(text);
  if (rest.size() >= kMonitoringSuffix.size() &&
      rest.substr(rest.size() - kMonitoringSuffix.size()) == kMonitoringSuffix) {
    rest.remove_suffix(kMonitoringSuffix.size());
  }
  if (!cases::ResolveCaseArgument("CASE", std::string(rest), name, error)) return false;
  *name += kMonitoringSuffix;
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

// --- Commands ------------------------------------------------------------------------------------

constexpr char kCaseHelp[] = "ケース / case: cases/12 or 12";
constexpr char kEtagHelp[] = "変更の競合を防ぐ / only if the record is still this etag";

class DueCommand : public Command {
 public:
  void Configure(CLI::App& app) override {
    app.add_option("--owner", owner_,
                   "一覧の持ち主 / whose list: users/ID (a coordinator's) or agencies/ID (an "
                   "agency's); default your own");
    auto* by_option = app.add_option(
        "--by", by_,
        "この日まで / items due on or before this day, YYYY-MM-DD (default two weeks ahead); "
        "overdue items are always listed");
    app.add_option("--page-size", page_size_, "items fetched per call (default 500)");
    app.add_flag("--watch", watch_,
                 "監視 / show what is due now, then each item as it falls due, until Ctrl-C")
        ->excludes(by_option);
  }

  int Prepare() override {
    std::string error;
    if (!owner_.empty()) {
      std::string parsed;
      if (!ParseOwner(owner_, &parsed, &error)) return UsageError(error);
      request_.set_owner(parsed);
    }
    if (!by_.empty() &&
        !ParseDay("--by", by_, /*not_future=*/false, request_.mutable_due_by(), &error)) {
      return UsageError(error);
    }
    if (const int code = CheckPageSize(page_size_); code != kExitOk) return code;
    request_.set_page_size(page_size_);
    return kExitOk;
  }

  int Run(const Context& context) override {
    auto stub = v1::Monitoring::NewStub(context.channel);
    return watch_ ? Watch(context, stub.get()) : List(context, stub.get());
  }

 private:
  int List(const Context& context, v1::Monitoring::Stub* stub) const {
    return ListAndPrint(context, stub, &v1::Monitoring::Stub::ListDueItems, request_,
                        /*all_pages=*/true, std::function(PrintDueItems));
  }

  static void PrintDueItems(const v1::ListDueItemsResponse& all) {
    if (all.items().empty()) {
      std::cout << "期限の来る項目はありません / nothing due\n";
      return;
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
  }

  int Watch(const Context& context, v1::Monitoring::Stub* stub) const {
    // No deadline: the stream lasts until Ctrl-C (which ends the process; the server sees the
    // cancellation).
    grpc::ClientContext call;
    v1::WatchDueItemsRequest request;
    request.set_owner(request_.owner());
    auto reader = stub->WatchDueItems(&call, request);
    v1::WatchDueItemsResponse message;
    bool first = true;
    while (reader->Read(&message)) {
      if (context.json()) {
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

  std::string owner_, by_;
  int page_size_ = kDefaultPageSize;
  bool watch_ = false;
  v1::ListDueItemsRequest request_;
};

// A command on the monitoring record of one case (the CASE argument).
class MonitoringCommand : public Command {
 public:
  void Configure(CLI::App& app) override {
    app.add_option("case", case_text_, kCaseHelp)->required();
    ConfigureFlags(app);
  }

  int Prepare() override {
    std::string error;
    if (!ParseMonitoringArgument(case_text_, &name_, &error)) return UsageError(error);
    return PrepareFlags();
  }

 protected:
  virtual void ConfigureFlags(CLI::App& /*app*/) {}
  virtual int PrepareFlags() { return kExitOk; }

  std::string name_;

 private:
  std::string case_text_;
};

class MonitoringGetCommand : public MonitoringCommand {
 public:
  int Run(const Context& context) override {
    auto stub = v1::Monitoring::NewStub(context.channel);
    v1::GetMonitoringRequest request;
    request.set_name(name_);
    v1::MonitoringRecord record;
    grpc::Status status = CallWithRetry(context.options, [&](grpc::ClientContext* call) {
      return stub->GetMonitoring(call, request, &record);
    });
    if (!status.ok()) return ReportError(status);
    return PrintResult(context, record, [&record] { PrintRecord(record); });
  }
};

class MonitoringSetCommand : public MonitoringCommand {
 protected:
  void ConfigureFlags(CLI::App& app) override {
    app.add_option("--track", track_,
                   "支援の流れ / track: " + ValidValues(*v1::MonitoringTrack_descriptor()))
        ->required();
    every_option_ = app.add_option(
        "--every", every_, "間隔 / a check every DAYS days (1 to 366) after the latest check");
    start_option_ = app.add_option("--start", start_,
                                   "起点 / with --every: count from this day before the first "
                                   "check (default today), YYYY-MM-DD");
    dates_option_ =
        app.add_option("--date", dates_, "予定日 / a check on this day, repeatable, ascending")
            ->expected(1)
            ->allow_extra_args(false)
            ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    app.add_option("--etag", etag_, kEtagHelp);
    app.footer(
        "--every か --date のどちらかが必要です / give --every DAYS or --date (repeatable).\n"
        "例 / example:\n  casectl monitoring set 12 --track 生活支援 --every 30\n"
        "  casectl monitoring set 12 --track WORK --date 2026-12-01 --date 2027-01-15");
  }

  int PrepareFlags() override {
    std::string error;
    request_.set_name(name_);
    int number = 0;
    if (!ParseEnumFlag("--track", "支援の流れ", *v1::MonitoringTrack_descriptor(), track_, &number,
                       &error)) {
      return UsageError(error);
    }
    request_.set_track(static_cast<v1::MonitoringTrack>(number));
    const bool interval = every_option_->count() > 0;
    if (interval == (dates_option_->count() > 0)) {
      return UsageError(
          "予定の指定が不正です / give --every DAYS or --date YYYY-MM-DD (repeatable), not both");
    }
    request_.set_etag(etag_);
    return interval ? PrepareInterval() : PrepareDates();
  }

 public:
  int Run(const Context& context) override {
    auto stub = v1::Monitoring::NewStub(context.channel);
    v1::MonitoringRecord record;
    grpc::Status status = CallWithRetry(context.options, [&](grpc::ClientContext* call) {
      return stub->SetMonitoringSchedule(call, request_, &record);
    });
    if (!status.ok()) return ReportError(status);
    return PrintResult(context, record, [&record] {
      std::cout << "モニタリングの予定を設定しました / schedule set: " << record.name() << "\n";
      PrintRecord(record);
    });
  }

 private:
  int PrepareInterval() {
    if (every_ < 1 || every_ > 366) {
      return UsageError("間隔が不正です / --every: must be 1 to 366 days, not " +
                        std::to_string(every_));
    }
    v1::MonitoringSchedule* schedule = request_.mutable_schedule();
    schedule->set_interval_days(every_);
    std::string error;
    if (!start_.empty() && !ParseDay("--start", start_, /*not_future=*/false,
                                     schedule->mutable_start_date(), &error)) {
      return UsageError(error);
    }
    return kExitOk;
  }

  int PrepareDates() {
    if (start_option_->count() > 0) {
      return UsageError("--start は --every と一緒に指定します / --start goes with --every");
    }
    v1::MonitoringSchedule* schedule = request_.mutable_schedule();
    std::string error;
    for (const auto& text : dates_) {
      if (!ParseDay("--date", text, /*not_future=*/false, schedule->add_dates(), &error)) {
        return UsageError(error);
      }
    }
    return kExitOk;
  }

  CLI::Option* every_option_ = nullptr;
  CLI::Option* start_option_ = nullptr;
  CLI::Option* dates_option_ = nullptr;
  std::string track_, start_, etag_;
  std::vector<std::string> dates_;
  int every_ = 0;
  v1::SetMonitoringScheduleRequest request_;
};

class MonitoringCheckCommand : public MonitoringCommand {
 protected:
  void ConfigureFlags(CLI::App& app) override {
    app.add_option("--kind", kind_, "種類 / kind: " + ValidValues(*v1::CheckKind_descriptor()))
        ->required();
    app.add_option("--date", date_, "実施日 / the day, YYYY-MM-DD (default today)");
    app.add_option("--stage", stage_,
                   "到達段階 / the stage reached (of the record's track; default unchanged): " +
                       ValidValues(*v1::MonitoringStage_descriptor()));
    app.add_option("--note", note_,
                   "記録 / the note as an argument, which other local users can see in the "
                   "process list: prefer --note-file");
    app.add_option("--note-file", note_file_,
                   "記録をファイルから / the note from a UTF-8 text file (推奨 / recommended); "
                   "- reads standard input");
    app.add_option("--etag", etag_, kEtagHelp);
  }

  int PrepareFlags() override {
    std::string error;
    request_.set_name(name_);
    request_.set_etag(etag_);
    v1::MonitoringCheck* check = request_.mutable_check();
    int number = 0;
    if (!ParseEnumFlag("--kind", "種類", *v1::CheckKind_descriptor(), kind_, &number, &error)) {
      return UsageError(error);
    }
    check->set_kind(static_cast<v1::CheckKind>(number));
    if (!stage_.empty()) {
      if (!ParseEnumFlag("--stage", "段階", *v1::MonitoringStage_descriptor(), stage_, &number,
                         &error)) {
        return UsageError(error);
      }
      check->set_stage(static_cast<v1::MonitoringStage>(number));
    }
    if (date_.empty()) {
      *check->mutable_date() = DateOf(std::chrono::system_clock::now());
    } else if (!ParseDay("--date", date_, /*not_future=*/true, check->mutable_date(), &error)) {
      return UsageError(error);
    }
    std::optional<std::string> note;
    bool stdin_taken = false;
    if (!TextFromFlags("--note", "--note-file", NonEmptyText(note_), note_file_, &stdin_taken,
                       &note, &error)) {
      return UsageError(error);
    }
    if (note.value_or("").empty()) {
      return UsageError(
          "記録内容がありません / give the note with --note-file PATH (recommended) or --note "
          "TEXT");
    }
    check->set_note(*note);
    return kExitOk;
  }

 public:
  int Run(const Context& context) override {
    auto stub = v1::Monitoring::NewStub(context.channel);
    v1::MonitoringRecord record;
    // The server lands a write once per request id (a retry by gRPC or a proxy is then safe).
    request_.set_request_id(NewRequestId().value_or(""));
    grpc::Status status = CallWithRetry(context.options, [&](grpc::ClientContext* call) {
      return stub->RecordCheck(call, request_, &record);
    });
    if (!status.ok()) return ReportError(status);
    return PrintResult(context, record, [&record] { PrintChecked(record); });
  }

 private:
  static void PrintChecked(const v1::MonitoringRecord& record) {
    const int number = record.checks().empty() ? 0 : record.checks().rbegin()->number();
    std::cout << "確認を記録しました / check recorded: #" << number << " ("
              << FieldText(record.name()) << ")\n";
    PrintFields({
        {"段階 / stage", EnumTextWithName(*v1::MonitoringStage_descriptor(), record.stage())},
        {"次回確認日 / next check",
         record.has_next_check_date() ? DateText(record.next_check_date()) : "なし / none"},
        {"etag", record.etag()},
    });
  }

  std::string kind_, date_, stage_, note_, note_file_, etag_;
  v1::RecordCheckRequest request_;
};

constexpr CommandSpec kMonitoringCommands[] = {
    {"due", "期限一覧 / your work list: checks, role assignments and plan reviews due",
     Make<DueCommand>},
    {"monitoring", "モニタリング / monitoring of a case in support"},
    {"monitoring get", "表示 / the schedule, stage and every check", Make<MonitoringGetCommand>},
    {"monitoring set", "予定の設定 / set the track and the schedule of checks (coordinators)",
     Make<MonitoringSetCommand>},
    {"monitoring check", "確認の記録 / record a check, re-adjustment or re-visit",
     Make<MonitoringCheckCommand>},
};

}  // namespace

std::span<const CommandSpec> MonitoringCommandTable() { return kMonitoringCommands; }

}  // namespace casecoord::cli
