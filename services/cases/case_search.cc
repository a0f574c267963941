#include "services/cases/case_search.h"

#include <algorithm>
#include <cstdio>
#include <set>
#include <vector>

#include "services/cases/case_layout.h"
#include "services/cases/case_store.h"
#include "services/common/fiscal_year.h"
#include "services/common/log.h"
#include "services/common/text.h"
#include "services/storage/key_encoding.h"
#include "services/text/japanese_text.h"

namespace casecoord::cases {
namespace {

using storage::ColumnFamily;
namespace key_spaces = storage::key_spaces;

constexpr char kNameField = 'n';
constexpr char kKanaField = 'k';
constexpr char kBirthField = 'b';
constexpr char kPhoneField = 'p';
// How many cases a rebuild indexes per batch (about ten entries each).
constexpr int kCasesPerRebuildBatch = 2000;
// How many possible duplicates a warning names.
constexpr size_t kDuplicatesNamed = 10;

bool SameDate(const v1::Date& a, const v1::Date& b) {
  return a.year() == b.year() && a.month() == b.month() && a.day() == b.day();
}

// The parts of `text` between ASCII spaces, tabs and ideographic spaces (U+3000).
std::vector<std::string_view> SpaceSeparatedParts(std::string_view text) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (size_t i = 0; i <= text.size();) {
    size_t separator = 0;
    if (i == text.size() || text[i] == ' ' || text[i] == '\t') {
      separator = 1;
    } else if (text.substr(i, 3) == "\u3000") {
      separator = 3;
    }
    if (separator == 0) {
      ++i;
      continue;
    }
    if (i > start) parts.push_back(text.substr(start, i - start));
    i += separator;
    start = i;
  }
  return parts;
}

std::string SearchKeyPrefix(const std::string& hash) {
  std::string key = key_spaces::kCaseSearch.Prefix();
  storage::AppendString(&key, hash);
  return key;
}

std::string CaseNumberKey(int fiscal_year, uint64_t number) {
  std::string key = key_spaces::kCaseByNumber.Prefix();
  storage::AppendUint64(&key, static_cast<uint64_t>(fiscal_year));
  storage::AppendUint64(&key, number);
  return key;
}

// The entries of `terms` that `others` lacks.
std::vector<std::string> Missing(const std::set<std::string>& terms,
                                 const std::set<std::string>& others) {
  std::vector<std::string> missing;
  std::set_difference(terms.begin(), terms.end(), others.begin(), others.end(),
                      std::back_inserter(missing));
  return missing;
}

// The ids in both sorted vectors.
std::vector<uint64_t> Intersect(const std::vector<uint64_t>& a, const std::vector<uint64_t>& b) {
  std::vector<uint64_t> both;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(both));
  return both;
}

// The terms a query looks up, one per criterion (the case number aside).
std::vector<std::string> QueryTerms(const SearchQuery& query) {
  std::vector<std::string> terms;
  if (!query.name.empty()) terms.push_back(SearchTerm(kNameField, query.name));
  if (!query.kana.empty()) terms.push_back(SearchTerm(kKanaField, query.kana));
  if (query.birth_date) terms.push_back(SearchTerm(kBirthField, BirthDateTerm(*query.birth_date)));
  if (!query.phone.empty()) terms.push_back(SearchTerm(kPhoneField, query.phone));
  return terms;
}

Status PossibleDuplicateStatus(const std::vector<v1::Case>& matches) {
  std::string names, numbers, listed;
  for (size_t i = 0; i < matches.size() && i < kDuplicatesNamed; ++i) {
    const char* separator = i == 0 ? "" : ",";
    names += separator + matches[i].name();
    numbers += separator + matches[i].case_number();
    listed +=
        std::string(i == 0 ? "" : ", ") + matches[i].case_number() + " (" + matches[i].name() + ")";
  }
  std::string message = "the household may already have a case: " + listed;
  if (matches.size() > kDuplicatesNamed) {
    message += " and " + std::to_string(matches.size() - kDuplicatesNamed) + " more";
  }
  message += " (same name and birth date, or same phone); set allow_duplicate to create it anyway";
  Status status(Reason::kPossibleDuplicate, std::move(message));
  status.AddMetadata("case_names", names);
  status.AddMetadata("case_numbers", numbers);
  if (matches.size() > kDuplicatesNamed) {
    status.AddMetadata("more", std::to_string(matches.size() - kDuplicatesNamed));
  }
  return status;
}

// Whether some member of `record` has the folded name and the birth date of `member`.
bool HasSamePerson(const v1::Case& record, const std::string& folded_name,
                   const v1::Date& birth_date) {
  return std::any_of(record.members().begin(), record.members().end(), [&](const auto& other) {
    return other.has_birth_date() && SameDate(other.birth_date(), birth_date) &&
           FoldSearchText(other.display_name()) == folded_name;
  });
}

bool HasPhone(const v1::Case& record, const std::string& digits) {
  if (PhoneDigits(record.phone()) == digits) return true;
  return std::any_of(record.members().begin(), record.members().end(),
                     [&](const auto& member) { return PhoneDigits(member.phone()) == digits; });
}

// The phone numbers (digits only) of a household and its members.
std::set<std::string> PhonesOf(const v1::Case& input) {
  std::set<std::string> phones;
  if (!PhoneDigits(input.phone()).empty()) phones.insert(PhoneDigits(input.phone()));
  for (const auto& member : input.members()) {
    if (!PhoneDigits(member.phone()).empty()) phones.insert(PhoneDigits(member.phone()));
  }
  return phones;
}

// Whether `record` shares a member (name and birth date) or a phone number with `input`.
bool IsSameHousehold(const v1::Case& record, const v1::Case& input,
                     const std::set<std::string>& phones) {
  const bool same_person =
      std::any_of(input.members().begin(), input.members().end(), [&](const auto& member) {
        return member.has_birth_date() &&
               HasSamePerson(record, FoldSearchText(member.display_name()), member.birth_date());
      });
  return same_person || std::any_of(phones.begin(), phones.end(),
                                    [&](const auto& phone) { return HasPhone(record, phone); });
}

}  // namespace

std::string FoldSearchText(std::string_view text) { return text::NormalizeForSearch(text); }

std::set<std::string> NameTerms(std::string_view text) {
  std::set<std::string> terms;
  std::string whole = FoldSearchText(text);
  if (whole.empty()) return terms;
  terms.insert(std::move(whole));
  for (std::string_view part : SpaceSeparatedParts(text)) {
    std::string folded = FoldSearchText(part);
    if (!folded.empty()) terms.insert(std::move(folded));
  }
  return terms;
}

std::string PhoneDigits(std::string_view phone) {
  const std::string folded = text::NormalizeForSearch(phone);
  std::string digits;
  for (char c : folded) {
    if (c >= '0' && c <= '9') digits.push_back(c);
  }
  const size_t plus = folded.find('+');
  const size_t first_digit = folded.find_first_of("0123456789");
  if (plus != std::string::npos && plus < first_digit && digits.starts_with("81")) {
    // +81 3-1234-5678 and +81 (0)3-1234-5678 are both 03-1234-5678 dialled at home.
    digits = digits.substr(2);
    if (!digits.starts_with("0")) digits.insert(digits.begin(), '0');
  }
  return digits;
}

std::string BirthDateTerm(const v1::Date& date) {
  char text[16];
  std::snprintf(text, sizeof(text), "%04d-%02d-%02d", date.year(), date.month(), date.day());
  return text;
}

std::string SearchTerm(char field, std::string_view text) {
  std::string term(1, field);
  term.push_back(':');
  term.append(text);
  return term;
}

std::set<std::string> SearchTermsOf(const v1::Case& record) {
  std::set<std::string> terms;
  const auto add_phone = [&terms](const std::string& phone) {
    std::string digits = PhoneDigits(phone);
    if (!digits.empty()) terms.insert(SearchTerm(kPhoneField, digits));
  };
  add_phone(record.phone());
  for (const auto& member : record.members()) {
    for (const auto& name : NameTerms(member.display_name())) {
      terms.insert(SearchTerm(kNameField, name));
    }
    for (const auto& kana : NameTerms(member.kana())) terms.insert(SearchTerm(kKanaField, kana));
    if (member.has_birth_date()) {
      terms.insert(SearchTerm(kBirthField, BirthDateTerm(member.birth_date())));
    }
    add_phone(member.phone());
  }
  return terms;
}

std::optional<std::pair<int, uint64_t>> ParseCaseNumber(std::string_view text) {
  const size_t dash = text.find('-');
  if (text.size() < 4 || dash == std::string_view::npos || dash < 2) return std::nullopt;
  const char era = static_cast<char>(text[0] >= 'a' && text[0] <= 'z' ? text[0] - 32 : text[0]);
  const auto era_year = ParseDecimalId(text.substr(1, dash - 1));
  // Numbers are printed with leading zeros ("0042"), which ParseDecimalId refuses.
  std::string_view digits = text.substr(dash + 1);
  while (digits.size() > 1 && digits.front() == '0') digits.remove_prefix(1);
  const auto number = ParseDecimalId(digits);
  if (!era_year || !number || *era_year > 99) return std::nullopt;
  int first_year = 0;  // the fiscal year that is the era's year 1
  switch (era) {
    case 'S':
      first_year = 1926;
      break;
    case 'H':
      first_year = 1989;
      break;
    case 'R':
      first_year = 2019;
      break;
    default:
      return std::nullopt;
  }
  const int fiscal_year = first_year + static_cast<int>(*era_year) - 1;
  // FiscalYearLabels knows where each era ends (S63 is followed by H1, not S64).
  if (FiscalYearLabels(fiscal_year).short_label !=
      std::string(1, era) + std::to_string(*era_year)) {
    return std::nullopt;
  }
  return std::make_pair(fiscal_year, *number);
}

bool SearchQuery::MatchesMember(const v1::HouseholdMember& member) const {
  if (!name.empty() && NameTerms(member.display_name()).count(name) == 0) return false;
  if (!kana.empty() && NameTerms(member.kana()).count(kana) == 0) return false;
  if (birth_date && (!member.has_birth_date() || !SameDate(member.birth_date(), *birth_date))) {
    return false;
  }
  return true;
}

bool SearchQuery::Matches(const v1::Case& record) const {
  if (!phone.empty() && !HasPhone(record, phone)) return false;
  if (name.empty() && kana.empty() && !birth_date) return true;
  return std::any_of(record.members().begin(), record.members().end(),
                     [this](const auto& member) { return MatchesMember(member); });
}

// ---------------------------------------------------------------------------------------------
// CaseStore's part of the search.

void CaseStore::PutSearchTerms(uint64_t id, const v1::Case* before, const v1::Case* after,
                               storage::WriteBatch* batch) const {
  const std::set<std::string> old_terms = before ? SearchTermsOf(*before) : std::set<std::string>();
  const std::set<std::string> new_terms = after ? SearchTermsOf(*after) : std::set<std::string>();
  for (const auto& term : Missing(old_terms, new_terms)) {
    std::string key = SearchKeyPrefix(keys_.SearchHash(term));
    storage::AppendUint64(&key, id);
    batch->Delete(ColumnFamily::kIndexes, key);
  }
  for (const auto& term : Missing(new_terms, old_terms)) {
    std::string key = SearchKeyPrefix(keys_.SearchHash(term));
    storage::AppendUint64(&key, id);
    batch->Put(ColumnFamily::kIndexes, key, "");
  }
}

void CaseStore::PutCaseNumber(uint64_t id, const v1::Case& record,
                              storage::WriteBatch* batch) const {
  const auto number = ParseCaseNumber(record.case_number());
  if (!number) return;  // every number the server assigns parses; nothing to index otherwise
  std::string value;
  storage::AppendUint64(&value, id);
  batch->Put(ColumnFamily::kIndexes, CaseNumberKey(number->first, number->second), value);
}

Result<std::vector<uint64_t>> CaseStore::CasesWithTerm(const std::string& term) const {
  const std::string prefix = SearchKeyPrefix(keys_.SearchHash(term));
  std::vector<uint64_t> ids;
  auto it = storage_.NewIterator(ColumnFamily::kIndexes);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    uint64_t id = 0;
    if (!ReadIdAfter(it->key().ToStringView(), prefix.size(), &id)) {
      return Status(Reason::kCaseIndexCorrupt, "a search index key is malformed");
    }
    ids.push_back(id);  // ascending: the id is the key's last component
  }
  if (!it->status().ok()) return storage::FromRocksStatus(it->status(), "reading the search index");
  return ids;
}

Result<std::vector<uint64_t>> CaseStore::SearchCandidates(const SearchQuery& query) const {
  std::optional<std::vector<uint64_t>> ids;
  if (query.case_number) {
    auto stored = storage_.Get(ColumnFamily::kIndexes,
                               CaseNumberKey(query.case_number->first, query.case_number->second));
    if (!stored.ok()) return stored.status();
    ids.emplace();
    uint64_t id = 0;
    if (stored->has_value()) {
      storage::KeyReader reader(**stored);
      if (!reader.ReadUint64(&id)) {
        return Status(Reason::kCaseIndexCorrupt, "a case number index entry is malformed");
      }
      ids->push_back(id);
    }
  }
  CASECOORD_RETURN_IF_ERROR(IntersectCasesWithTerms(QueryTerms(query), &ids));
  return ids.value_or(std::vector<uint64_t>());
}

Status CaseStore::IntersectCasesWithTerms(const std::vector<std::string>& terms,
                                          std::optional<std::vector<uint64_t>>* ids) const {
  for (const auto& term : terms) {
    if (*ids && (*ids)->empty()) break;
    auto with_term = CasesWithTerm(term);
    if (!with_term.ok()) return with_term.status();
    *ids = *ids ? Intersect(**ids, *with_term) : std::move(with_term).value();
  }
  return Status::Ok();
}

Result<CasePage> CaseStore::Search(const Viewer& viewer, const SearchQuery& query,
                                   const std::string& before_id, int limit) const {
  if (!viewer.every_case && viewer.agency.empty()) return CasePage{};
  const std::optional<uint64_t> before =
      before_id.empty() ? std::optional<uint64_t>(0) : ParseDecimalId(before_id);
  if (!before) return Status::InvalidArgument("page_token", "not a position of this list");
  auto ids = SearchCandidates(query);
  if (!ids.ok()) return ids.status();
  if (!viewer.every_case) {
    // Agency staff: only their team's cases are candidates (the index, not a read of each).
    auto team = TeamCaseIds(viewer.agency);
    if (!team.ok()) return team.status();
    std::sort(team->begin(), team->end());
    *ids = Intersect(*ids, *team);
  }
  CasePage page;
  for (auto id = ids->rbegin(); id != ids->rend(); ++id) {
    if (*before != 0 && *id >= *before) continue;
    auto stored = Load(*id);
    if (!stored.ok() && stored.status().Is(Reason::kNotFound)) continue;
    if (!stored.ok()) return stored.status();
    // A hash names a term only up to a collision; the opened record decides (a purged case,
    // whose personal fields are empty, matches a case number only), and the record's team, not
    // the index, decides who sees it.
    if (!CanSee(stored->record, viewer) || !query.Matches(stored->record)) continue;
    if (static_cast<int>(page.cases.size()) == limit) {
      page.next_after_id = page.cases.back().name().substr(sizeof(kCasePrefix) - 1);
      break;
    }
    page.cases.push_back(std::move(stored->record));
  }
  return page;
}

Result<std::set<uint64_t>> CaseStore::DuplicateCandidates(
    const v1::Case& input, const std::set<std::string>& phones) const {
  std::set<uint64_t> candidates;
  const auto add = [&](const std::vector<std::string>& terms) -> Status {
    std::optional<std::vector<uint64_t>> ids;
    CASECOORD_RETURN_IF_ERROR(IntersectCasesWithTerms(terms, &ids));
    if (ids) candidates.insert(ids->begin(), ids->end());
    return Status::Ok();
  };
  for (const auto& member : input.members()) {
    const std::string folded = FoldSearchText(member.display_name());
    if (!member.has_birth_date() || folded.empty()) continue;
    CASECOORD_RETURN_IF_ERROR(add({SearchTerm(kNameField, folded),
                                   SearchTerm(kBirthField, BirthDateTerm(member.birth_date()))}));
  }
  for (const auto& phone : phones) CASECOORD_RETURN_IF_ERROR(add({SearchTerm(kPhoneField, phone)}));
  return candidates;
}

Result<std::vector<v1::Case>> CaseStore::PossibleDuplicates(const v1::Case& input) const {
  const std::set<std::string> phones = PhonesOf(input);
  auto candidates = DuplicateCandidates(input, phones);
  if (!candidates.ok()) return candidates.status();
  std::vector<v1::Case> matches;
  for (auto id = candidates->rbegin(); id != candidates->rend(); ++id) {
    auto stored = Load(*id);
    if (!stored.ok() && stored.status().Is(Reason::kCasePurged)) continue;
    if (!stored.ok()) return stored.status();
    if (!IsSameHousehold(stored->record, input, phones)) continue;
    v1::Case match;  // the public identification only: the caller needs no more
    match.set_name(stored->record.name());
    match.set_case_number(stored->record.case_number());
    matches.push_back(std::move(match));
  }
  return matches;
}

Status CaseStore::CheckNotDuplicate(const v1::Case& input) const {
  auto matches = PossibleDuplicates(input);
  if (!matches.ok()) return matches.status();
  if (matches->empty()) return Status::Ok();
  return PossibleDuplicateStatus(*matches);
}

Result<int> CaseStore::IndexCasesForSearch() const {
  const std::string prefix = KindPrefix(kCase);
  int cases = 0;
  auto it = storage_.NewIterator(ColumnFamily::kRecords);
  it->Seek(prefix);
  while (it->Valid() && it->key().starts_with(prefix)) {
    storage::WriteBatch batch(storage_);
    int in_batch = 0;
    for (; it->Valid() && it->key().starts_with(prefix) && in_batch < kCasesPerRebuildBatch;
         it->Next()) {
      if (!IsCaseRecordKey(it->key().ToStringView(), prefix.size())) continue;
      uint64_t id = 0;
      if (!ReadIdAfter(it->key().ToStringView(), prefix.size(), &id)) {
        return Status(Reason::kCaseRecordCorrupt, "a case key is malformed");
      }
      auto stored = Load(id);
      if (!stored.ok()) return stored.status();
      PutCaseNumber(id, stored->record, &batch);
      if (!stored->record.has_purge_time()) PutSearchTerms(id, nullptr, &stored->record, &batch);
      ++in_batch;
    }
    CASECOORD_RETURN_IF_ERROR(storage_.Commit(batch));
    cases += in_batch;
  }
  if (!it->status().ok()) return storage::FromRocksStatus(it->status(), "reading cases");
  return cases;
}

Result<int> CaseStore::RebuildSearchIndexIfStale() const {
  const std::string version = std::string(kSearchIndexLayout) + "/" + keys_.current_kek_id();
  const std::string version_key = key_spaces::kCaseSearchVersion.Prefix();
  auto stored = storage_.Get(ColumnFamily::kMeta, version_key);
  if (!stored.ok()) return stored.status();
  if (stored->has_value() && **stored == version) return 0;
  {
    storage::WriteBatch clear(storage_);
    for (const auto* space : {&key_spaces::kCaseSearch, &key_spaces::kCaseByNumber}) {
      const std::string prefix = space->Prefix();
      clear.DeleteRange(ColumnFamily::kIndexes, prefix, storage::PrefixSuccessor(prefix));
    }
    CASECOORD_RETURN_IF_ERROR(storage_.Commit(clear));
  }
  auto cases = IndexCasesForSearch();
  if (!cases.ok()) return cases.status();
  storage::WriteBatch done(storage_);
  done.Put(ColumnFamily::kMeta, version_key, version);
  CASECOORD_RETURN_IF_ERROR(storage_.Commit(done));
  log::Info("case search index rebuilt",
            {{"cases", std::to_string(*cases)}, {"version", kSearchIndexLayout}});
  return *cases;
}

}  // namespace casecoord::cases
