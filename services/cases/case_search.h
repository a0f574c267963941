// Finding a household: the terms of the household search index, and case numbers.
//
// The index (kIndexes "case-search"/hash/id → "") holds, for every case not purged, one entry per
// distinct term of its household, under the term's keyed hash (CaseKeyring::SearchHash), never the
// term: the names and phones in it are as sealed as the records. A term is a field letter and a
// normalised text:
//   n:<folded>   each member's display name, whole and each space-separated part
//   k:<folded>   each member's kana, likewise
//   b:YYYY-MM-DD each member's birth date
//   p:<digits>   the household's and each member's phone, digits only (PhoneDigits)
// where <folded> is text::NormalizeForSearch (NFKC case-folded, katakana as hiragana, spaces and
// punctuation removed), as the directory folds. Hashes only match whole terms, so a search matches
// whole names or whole parts, never a prefix; hash hits are confirmed on the opened record.
// CaseStore maintains the entries in the batch of each create, update and purge;
// CaseStore::RebuildSearchIndexIfStale re-derives them all when the layout version or the KEK
// changed.
//
// Case numbers ("R6-0042") resolve through kIndexes "case-by-number"/fiscal year/number → id,
// written on create and re-derived with the search index.
//
// Thread safety: all functions are reentrant.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "casecoord/v1/cases.pb.h"

namespace casecoord::cases {

// Bump when the terms or the key layout change: start-up then re-derives the index. The stored
// version also names the KEK the hashes were made under (a rotation rebuilds too).
inline constexpr char kSearchIndexLayout[] = "1";

// A name or kana in the index's form (text::NormalizeForSearch); "" if nothing is left.
std::string FoldSearchText(std::string_view text);
// The distinct folded terms of a name or kana: the whole text, then each part between spaces
// (ASCII or ideographic), skipping empty ones. "山田　太郎" → {"山田太郎", "山田", "太郎"}.
std::set<std::string> NameTerms(std::string_view text);
// The digits of a phone number: full-width digits folded, everything but digits dropped, and a
// leading "+81" (Japan's country code, with or without a following "(0)") read as "0":
// "+81 (0)90-1234-5678" and "０９０－１２３４－５６７８" → "09012345678". "" if no digit.
std::string PhoneDigits(std::string_view phone);
// "YYYY-MM-DD".
std::string BirthDateTerm(const v1::Date& date);

// Every index term of `record` (its personal fields opened), as "<field letter>:<text>".
std::set<std::string> SearchTermsOf(const v1::Case& record);
// One term as SearchTermsOf spells it.
std::string SearchTerm(char field, std::string_view text);

// "R6-0042", "h30-1" → (fiscal year, number); nullopt for anything else (an unknown era, a year
// the era does not have, a number of 0).
std::optional<std::pair<int, uint64_t>> ParseCaseNumber(std::string_view text);

// A SearchCasesRequest, normalised: empty members (and a birth_date without a year) are not
// criteria.
struct SearchQuery {
  std::string name;  // folded
  std::string kana;  // folded
  std::optional<v1::Date> birth_date;
  std::string phone;  // digits
  std::optional<std::pair<int, uint64_t>> case_number;

  bool MatchesMember(const v1::HouseholdMember& member) const;
  // Whether `record` (personal fields opened) satisfies every criterion but the case number.
  bool Matches(const v1::Case& record) const;
};

}  // namespace casecoord::cases
