// Normalization and n-grams for free-text search over Japanese text (agency names and kana readings
// of the 相談機関一覧), and display width for terminal tables.
//
// Japanese has no spaces between words, so the directory is searched by character n-grams rather
// than by words: a text is indexed under its 1-grams and 2-grams (IndexTerms), a query looks up
// its 2-grams (QueryTerms), and the candidates whose terms all match are confirmed by a substring
// check (ContainsNormalized), which removes n-gram false positives (the bigrams of "区役所", 区役
// and 役所, are also those of "区役場と市役所"). Both sides are first brought to one form
// (NormalizeForSearch) so that script and width variants a user may type match each other.
//
// Thread safety: every function here may be called concurrently from any number of threads.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace casecoord::text {

// The form in which indexed texts and queries are compared, as UTF-8:
//  1. Invalid UTF-8 sequences become U+FFFD (never an error, never a crash).
//  2. NFKC with case folding: full-width ＡＢＣ and half-width ｶﾀｶﾅ become ABC and カタカナ, Latin
//     (and Greek, Cyrillic) case is folded (ＮＰＯ → npo, Straße → strasse), ① → 1, ㈱ → (株),
//     and default-ignorable characters (soft hyphen, zero-width space) vanish.
//  3. Katakana become hiragana (サポート → さぽーと), so a hiragana query finds a katakana
//     reading. The long vowel mark ー is kept as is (ICU's transform would spell it out as the
//     preceding vowel, センター → せんたあ, which no hiragana query would type), and so are ヵ and
//     ヶ, which in names abbreviate 箇/個 (霞ヶ関 is read "ga"), not small か/け.
//  4. Removed: whitespace (including U+3000), control characters, all Unicode punctuation
//     (・ - ( ) 「」 、。 〜 …), and ~ and − (U+2212), which Shift_JIS converters put in place of
//     〜 and －. Letters, digits, symbols (〒 + = ¥) and ー 々 ゝ stay.
//  5. NFC, so a voiced mark that removed whitespace separated from its kana recomposes
//     ("か゛" → "が").
// The result is idempotent: NormalizeForSearch(NormalizeForSearch(x)) == NormalizeForSearch(x).
//
// Uses ICU's shared normalizers and, per thread, a clone of one Katakana-Hiragana transliterator
// made on first use. ICU serializes all rule-based transliteration in the process on one internal
// mutex, so concurrent callers wait for each other in step 3; texts without katakana skip it.
// Aborts the process if the ICU data lacks NFKC_Casefold or the Katakana-Hiragana transform: that
// is a broken installation, and an index built without them would silently stop matching.
std::string NormalizeForSearch(std::string_view utf8);

// The distinct n-grams of code points (not bytes) of `normalized`, in order of first appearance.
// A non-empty text shorter than n code points yields itself as its only gram; an empty text or
// n < 1 yields none. Invalid UTF-8 sequences count as one code point each and appear as U+FFFD.
std::vector<std::string> CharacterNGrams(std::string_view normalized, int n);

// The terms under which to index `text`: the distinct 1-grams, then the distinct 2-grams not
// already listed, of NormalizeForSearch(text). Empty if the normalized text is empty.
std::vector<std::string> IndexTerms(std::string_view text);
// IndexTerms of a text already in NormalizeForSearch form.
std::vector<std::string> IndexTermsOfNormalized(std::string_view normalized);

// The terms an indexed text must all have for `query` to match it: the distinct 2-grams of
// NormalizeForSearch(query), or its only character if it has one. Empty for a query that
// normalizes to nothing (empty, whitespace or punctuation only), which callers should reject
// rather than treat as "match everything". A text containing the normalized query has all these
// terms in its IndexTerms; the converse is not guaranteed, so confirm with ContainsNormalized.
std::vector<std::string> QueryTerms(std::string_view query);
// QueryTerms of a query already in NormalizeForSearch form.
std::vector<std::string> QueryTermsOfNormalized(std::string_view normalized);

// Whether `normalized_query` occurs in `normalized_text`; both must be NormalizeForSearch output
// (the byte-wise check is exact on code points because UTF-8 is self-synchronizing). An empty
// query occurs in every text.
bool ContainsNormalized(std::string_view normalized_text, std::string_view normalized_query);

// A byte string whose byte-wise order is the Japanese dictionary order (五十音順, ICU's "ja"
// collation) of the reading `kana`, after NormalizeForSearch, so that hiragana and katakana
// spellings of one reading sort together. For index keys: compare with memcmp, never decode.
// Uses a per-thread ICU collator; falls back to the normalized text if ICU has no Japanese
// collation data (the order is then by code point, which for kana is nearly the same).
std::string KanaSortKey(std::string_view kana);

// The number of terminal columns `utf8` occupies: 2 per East Asian Wide or Fullwidth code point
// (kanji, kana, ＡＢＣ), 0 per combining mark (general category Mn or Me), 1 per other code point,
// including half-width katakana, East Asian Ambiguous characters and each invalid UTF-8 sequence.
size_t DisplayWidth(std::string_view utf8);

// Appends the UTF-8 encoding of the code point `c` (at most U+10FFFF) to `out`.
void AppendUtf8(char32_t c, std::string* out);

}  // namespace casecoord::text
