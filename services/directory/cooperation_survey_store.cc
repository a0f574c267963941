#include "services/directory/cooperation_survey_store.h"

#include <google/protobuf/util/time_util.h>

#include <cmath>

#include "services/common/fiscal_year.h"
#include "services/common/resource_names.h"
#include "services/common/text.h"
#include "services/common/timestamps.h"
#include "services/storage/key_encoding.h"
#include "services/storage/key_spaces.h"

namespace casecoord::directory {
namespace {

using google::protobuf::util::TimeUtil;
using storage::ColumnFamily;

constexpr char kCollection[] = "/cooperationSurveys/";
constexpr int kFirstFiscalYear = 1990;

std::string YearPrefix(int fiscal_year) {
  std::string key;
  storage::AppendString(&key, storage::key_spaces::kCooperationAnswer.name);
  storage::AppendUint64(&key, static_cast<uint64_t>(fiscal_year));
  return key;
}

std::string AnswerKey(int fiscal_year, const std::string& agency_id) {
  std::string key = YearPrefix(fiscal_year);
  storage::AppendString(&key, agency_id);
  return key;
}

std::string CountsKey(int fiscal_year) {
  std::string key;
  storage::AppendString(&key, storage::key_spaces::kCooperationCounts.name);
  storage::AppendUint64(&key, static_cast<uint64_t>(fiscal_year));
  return key;
}

// "agencies/{agency}/cooperationSurveys/{fiscal_year}" → (agency name, fiscal year).
Result<std::pair<std::string, int>> ParseAnswerName(const std::string& name) {
  const Status invalid = Status::InvalidArgument(
      "name", "must look like \"agencies/{agency}/cooperationSurveys/{fiscal_year}\"");
  const size_t at = name.find(kCollection);
  if (at == std::string::npos) return invalid;
  const std::string_view digits = std::string_view(name).substr(at + sizeof(kCollection) - 1);
  const auto year = digits.size() <= 4 ? ParseDecimalInt(digits, 0, 9999) : std::nullopt;
  if (!year) return invalid;
  return std::make_pair(name.substr(0, at), static_cast<int>(*year));
}

}  // namespace

std::string AnswerAgencyId(const v1::CooperationSurveyAnswer& answer) {
  const std::string& name = answer.name();
  const size_t slash = name.find('/');
  return name.substr(slash + 1, name.find(kCollection) - slash - 1);
}

v1::CooperationSurveySummary MakeCooperationSurveySummary(int fiscal_year, int64_t answered,
                                                          int64_t close) {
  v1::CooperationSurveySummary summary;
  *summary.mutable_fiscal_year() = FiscalYearMessage(fiscal_year);
  summary.set_answered_agencies(static_cast<int32_t>(answered));
  summary.set_close_cooperation_agencies(static_cast<int32_t>(close));
  summary.set_close_cooperation_percent(
      answered == 0
          ? 0.0
          : std::round(static_cast<double>(close) * 1000.0 / static_cast<double>(answered)) / 10.0);
  return summary;
}

Status CooperationSurveyStore::CheckFiscalYear(int fiscal_year) const {
  const int latest = FiscalYearOf(clock_.Now()) + 1;
  if (fiscal_year < kFirstFiscalYear || fiscal_year > latest) {
    return Status::InvalidArgument("fiscal_year", "must be " + std::to_string(kFirstFiscalYear) +
                                                      " to " + std::to_string(latest));
  }
  return Status::Ok();
}

Result<CooperationSurveyStore::Counts> CooperationSurveyStore::ReadCounts(int fiscal_year) const {
  auto stored = storage_.Get(ColumnFamily::kCounters, CountsKey(fiscal_year));
  if (!stored.ok()) return stored.status();
  Counts counts;
  if (!stored->has_value()) return counts;
  storage::KeyReader reader(**stored);
  uint64_t answered = 0, close = 0;
  if (!reader.ReadUint64(&answered) || !reader.ReadUint64(&close) || !reader.done()) {
    return Status(Reason::kCounterCorrupt,
                  "the survey counters of " + std::to_string(fiscal_year) + " are unreadable");
  }
  counts.answered = static_cast<int64_t>(answered);
  counts.close = static_cast<int64_t>(close);
  return counts;
}

void CooperationSurveyStore::WriteCounts(int fiscal_year, const Counts& counts,
                                         storage::WriteBatch* batch) const {
  std::string value;
  storage::AppendUint64(&value, static_cast<uint64_t>(counts.answered));
  storage::AppendUint64(&value, static_cast<uint64_t>(counts.close));
  batch->Put(ColumnFamily::kCounters, CountsKey(fiscal_year), value);
}

Result<v1::CooperationSurveyAnswer> CooperationSurveyStore::PrepareRecord(
    const std::string& parent, int fiscal_year, bool close_cooperation,
    const std::string& recorded_by, storage::WriteBatch* batch) const {
  CASECOORD_RETURN_IF_ERROR(CheckFiscalYear(fiscal_year));
  auto agency = agencies_.Get(parent, "parent");
  if (!agency.ok()) return agency.status();
  const std::string agency_id = parent.substr(parent.find('/') + 1);
  auto counts = ReadCounts(fiscal_year);
  if (!counts.ok()) return counts.status();
  auto previous = storage_.Get(ColumnFamily::kRecords, AnswerKey(fiscal_year, agency_id));
  if (!previous.ok()) return previous.status();
  if (previous->has_value()) {
    v1::CooperationSurveyAnswer old;
    if (!old.ParseFromString(**previous)) {
      return Status(Reason::kAnswerCorrupt, parent + "'s answer is unreadable");
    }
    counts->answered -= 1;
    counts->close -= old.close_cooperation() ? 1 : 0;
  }
  counts->answered += 1;
  counts->close += close_cooperation ? 1 : 0;

  v1::CooperationSurveyAnswer answer;
  answer.set_name(parent + kCollection + std::to_string(fiscal_year));
  *answer.mutable_fiscal_year() = FiscalYearMessage(fiscal_year);
  answer.set_close_cooperation(close_cooperation);
  *answer.mutable_record_time() = NowTimestamp(clock_);
  answer.set_recorded_by(recorded_by);
  batch->Put(ColumnFamily::kRecords, AnswerKey(fiscal_year, agency_id), answer.SerializeAsString());
  WriteCounts(fiscal_year, *counts, batch);
  return answer;
}

Status CooperationSurveyStore::PrepareDelete(const std::string& name,
                                             storage::WriteBatch* batch) const {
  auto parsed = ParseAnswerName(name);
  if (!parsed.ok()) return parsed.status();
  const auto& [parent, fiscal_year] = *parsed;
  if (parent.rfind(kAgencyPrefix, 0) != 0) {
    return Status::InvalidArgument("name", "must start with \"agencies/\"");
  }
  const std::string agency_id = parent.substr(parent.find('/') + 1);
  auto stored = storage_.Get(ColumnFamily::kRecords, AnswerKey(fiscal_year, agency_id));
  if (!stored.ok()) return stored.status();
  v1::CooperationSurveyAnswer old;
  if (!stored->has_value() || !old.ParseFromString(**stored)) {
    return Status(Reason::kAnswerNotFound, name + " not found");
  }
  auto counts = ReadCounts(fiscal_year);
  if (!counts.ok()) return counts.status();
  counts->answered -= 1;
  counts->close -= old.close_cooperation() ? 1 : 0;
  batch->Delete(ColumnFamily::kRecords, AnswerKey(fiscal_year, agency_id));
  WriteCounts(fiscal_year, *counts, batch);
  return Status::Ok();
}

Result<std::vector<v1::CooperationSurveyAnswer>> CooperationSurveyStore::List(
    int fiscal_year, const std::string& after_id, int limit, bool* more) const {
  CASECOORD_RETURN_IF_ERROR(CheckFiscalYear(fiscal_year));
  std::vector<v1::CooperationSurveyAnswer> out;
  *more = false;
  const std::string prefix = YearPrefix(fiscal_year);
  const std::string start = after_id.empty() ? prefix : AnswerKey(fiscal_year, after_id);
  auto it = storage_.NewIterator(ColumnFamily::kRecords);
  for (it->Seek(start); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    if (!after_id.empty() && it->key() == start) continue;
    if (static_cast<int>(out.size()) == limit) {
      *more = true;
      break;
    }
    v1::CooperationSurveyAnswer answer;
    if (!answer.ParseFromString(it->value().ToString())) {
      return Status(Reason::kAnswerCorrupt, "a survey answer is unreadable");
    }
    out.push_back(std::move(answer));
  }
  if (!it->status().ok()) return storage::FromRocksStatus(it->status(), "listing answers");
  return out;
}

Result<v1::CooperationSurveySummary> CooperationSurveyStore::Summary(int fiscal_year) const {
  CASECOORD_RETURN_IF_ERROR(CheckFiscalYear(fiscal_year));
  auto counts = ReadCounts(fiscal_year);
  if (!counts.ok()) return counts.status();
  return MakeCooperationSurveySummary(fiscal_year, counts->answered, counts->close);
}

Result<v1::CooperationSurveySummary> CooperationSurveyStore::RecountFromAnswers(
    int fiscal_year) const {
  int64_t answered = 0, close = 0;
  std::string after_id;
  bool more = true;
  while (more) {
    auto page = List(fiscal_year, after_id, 1000, &more);
    if (!page.ok()) return page.status();
    for (const auto& answer : *page) {
      ++answered;
      close += answer.close_cooperation() ? 1 : 0;
    }
    if (!page->empty()) after_id = AnswerAgencyId(page->back());
  }
  return MakeCooperationSurveySummary(fiscal_year, answered, close);
}

}  // namespace casecoord::directory
