#include "services/text/japanese_text.h"

#include <unicode/coll.h>
#include <unicode/locid.h>
#include <unicode/normalizer2.h>
#include <unicode/stringpiece.h>
#include <unicode/translit.h>
#include <unicode/uchar.h>
#include <unicode/uniset.h>
#include <unicode/unistr.h>
#include <unicode/uscript.h>
#include <unicode/utf16.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "services/common/log.h"

namespace casecoord::text {
namespace {

constexpr UChar32 kReplacementCharacter = 0xFFFD;

// ICU objects shared by all threads. Normalizer2 instances and frozen UnicodeSets are immutable
// and documented as thread-safe; the transliterator is only a prototype that each thread clones,
// so no Transliterator object is ever used by two threads at once.
struct IcuTools {
  const icu::Normalizer2* nfkc_casefold = nullptr;
  const icu::Normalizer2* nfc = nullptr;
  // Katakana to convert; also the transliterator's filter, which is how ー (script Common, so not
  // in the set) and the excluded ヵ ヶ escape ICU's rules.
  icu::UnicodeSet katakana;
  std::unique_ptr<icu::Transliterator> katakana_to_hiragana;
};

[[noreturn]] void IcuSetupFailed(std::string_view what, UErrorCode status) {
  log::Error("ICU data needed for directory search is missing",
             {{"what", std::string(what)}, {"icu_status", u_errorName(status)}});
  std::abort();
}

// ICU indexes text with int32_t; anything longer than that is cut (a cut sequence becomes U+FFFD).
int32_t IcuLength(size_t size) {
  return static_cast<int32_t>(std::min<size_t>(size, std::numeric_limits<int32_t>::max()));
}

const IcuTools* CreateIcuTools() {
  auto tools = std::make_unique<IcuTools>();
  UErrorCode status = U_ZERO_ERROR;
  tools->nfkc_casefold = icu::Normalizer2::getNFKCCasefoldInstance(status);
  if (U_FAILURE(status)) IcuSetupFailed("NFKC_Casefold", status);
  tools->nfc = icu::Normalizer2::getNFCInstance(status);
  if (U_FAILURE(status)) IcuSetupFailed("NFC", status);
  tools->katakana.applyPattern(u"[[:sc=Katakana:]-[\\u30F5\\u30F6]]", status);
  if (U_FAILURE(status)) IcuSetupFailed("katakana set", status);
  tools->katakana.freeze();
  tools->katakana_to_hiragana.reset(
      icu::Transliterator::createInstance("Katakana-Hiragana", UTRANS_FORWARD, status));
  if (U_FAILURE(status) || tools->katakana_to_hiragana == nullptr) {
    IcuSetupFailed("Katakana-Hiragana", status);
  }
  tools->katakana_to_hiragana->adoptFilter(tools->katakana.clone());
  return tools.release();
}

const IcuTools& Icu() {
  // Never destroyed: thread_local clones may outlive static destruction at exit.
  static const IcuTools* const tools = CreateIcuTools();
  return *tools;
}

// Cloning is cheap (the rule data stays shared) and gives each thread an object nobody else uses.
const icu::Transliterator& ThreadKatakanaToHiragana() {
  thread_local const std::unique_ptr<const icu::Transliterator> transliterator(
      Icu().katakana_to_hiragana->clone());
  return *transliterator;
}

bool IsRemovedForSearch(UChar32 c) {
  if (u_isUWhiteSpace(c)) return true;
  if ((U_GET_GC_MASK(c) & (U_GC_P_MASK | U_GC_CC_MASK)) != 0) return true;
  // Symbols, not punctuation, to Unicode, but what Shift_JIS converters map 〜 (WAVE DASH) and
  // － (FULLWIDTH HYPHEN-MINUS) to, so that data from old systems matches what users type.
  return c == u'~' || c == 0x2212;
}

// The code points of `utf8`, with each invalid sequence replaced by U+FFFD.
std::vector<UChar32> DecodeUtf8(std::string_view utf8) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(utf8.data());
  const int32_t length = IcuLength(utf8.size());
  std::vector<UChar32> code_points;
  code_points.reserve(static_cast<size_t>(length));
  int32_t i = 0;
  while (i < length) {
    UChar32 c;
    U8_NEXT(bytes, i, length, c);
    code_points.push_back(c < 0 ? kReplacementCharacter : c);
  }
  return code_points;
}

}  // namespace

void AppendUtf8(char32_t c, std::string* out) {
  uint8_t buffer[U8_MAX_LENGTH];
  int32_t length = 0;
  U8_APPEND_UNSAFE(buffer, length, static_cast<UChar32>(c));
  out->append(reinterpret_cast<const char*>(buffer), static_cast<size_t>(length));
}

// Converts, in place, the katakana of everyday text (ァ–ヴ, ヽ ヾ, ヷ–ヺ) to hiragana the way ICU's
// Katakana-Hiragana transform does (ヴ → ゔ, ヷ → わ゙), keeping ヵ ヶ and ー. Returns false, leaving
// `text` unchanged, if it has other katakana (ヿ, small ㇰ–ㇿ, archaic forms), which the caller
// then gives to ICU. The point is speed: ICU runs every rule-based transform in the process under
// one mutex, which made searches and partner queries wait for each other.
bool MapCommonKatakanaToHiragana(icu::UnicodeString& text) {
  constexpr UChar32 kSmallA = 0x30A1, kVu = 0x30F4, kSmallKa = 0x30F5, kSmallKe = 0x30F6;
  constexpr UChar32 kVa = 0x30F7, kVo = 0x30FA, kIterationMark = 0x30FD, kVoicedIteration = 0x30FE;
  constexpr UChar32 kCombiningVoicedMark = 0x3099;
  constexpr UChar32 kToHiragana = 0x60;
  // ヷ ヸ ヹ ヺ have no precomposed hiragana: わ ゐ ゑ を with the combining voiced mark.
  constexpr UChar32 kVaBases[] = {0x308F, 0x3090, 0x3091, 0x3092};
  icu::UnicodeString mapped;
  for (int32_t i = 0; i < text.length();) {
    const UChar32 c = text.char32At(i);
    i += U16_LENGTH(c);
    if ((c >= kSmallA && c <= kVu) || c == kIterationMark || c == kVoicedIteration) {
      mapped.append(c - kToHiragana);
    } else if (c >= kVa && c <= kVo) {
      mapped.append(kVaBases[c - kVa]).append(kCombiningVoicedMark);
    } else if (c == kSmallKa || c == kSmallKe ||
               u_getIntPropertyValue(c, UCHAR_SCRIPT) != USCRIPT_KATAKANA) {
      mapped.append(c);
    } else {
      return false;
    }
  }
  text = std::move(mapped);
  return true;
}

std::string NormalizeForSearch(std::string_view utf8) {
  const IcuTools& icu = Icu();
  UErrorCode status = U_ZERO_ERROR;
  icu::UnicodeString folded = icu.nfkc_casefold->normalize(
      icu::UnicodeString::fromUTF8(icu::StringPiece(utf8.data(), IcuLength(utf8.size()))), status);
  if (icu.katakana.span(folded, 0, USET_SPAN_NOT_CONTAINED) < folded.length() &&
      !MapCommonKatakanaToHiragana(folded)) {
    ThreadKatakanaToHiragana().transliterate(folded);
  }

  icu::UnicodeString kept;
  for (int32_t i = 0; i < folded.length();) {
    const UChar32 c = folded.char32At(i);
    i += U16_LENGTH(c);
    if (!IsRemovedForSearch(c)) kept.append(c);
  }
  icu::UnicodeString composed = icu.nfc->normalize(kept, status);

  // Normalizing valid UTF-16 fails only on allocation failure; an empty result then only makes
  // this text unfindable.
  std::string out;
  if (U_SUCCESS(status)) composed.toUTF8String(out);
  return out;
}

std::vector<std::string> CharacterNGrams(std::string_view normalized, int n) {
  std::vector<std::string> grams;
  if (n < 1 || normalized.empty()) return grams;
  const std::vector<UChar32> code_points = DecodeUtf8(normalized);
  const size_t gram_length = std::min(static_cast<size_t>(n), code_points.size());
  std::unordered_set<std::string> seen;
  for (size_t start = 0; start + gram_length <= code_points.size(); ++start) {
    std::string gram;
    for (size_t i = start; i < start + gram_length; ++i)
      AppendUtf8(static_cast<char32_t>(code_points[i]), &gram);
    if (seen.insert(gram).second) grams.push_back(std::move(gram));
  }
  return grams;
}

std::vector<std::string> IndexTerms(std::string_view text) {
  return IndexTermsOfNormalized(NormalizeForSearch(text));
}

std::vector<std::string> IndexTermsOfNormalized(std::string_view normalized) {
  std::vector<std::string> terms = CharacterNGrams(normalized, 1);
  // A one-character text's only "2-gram" is that character again.
  std::unordered_set<std::string> seen(terms.begin(), terms.end());
  for (std::string& bigram : CharacterNGrams(normalized, 2)) {
    if (seen.insert(bigram).second) terms.push_back(std::move(bigram));
  }
  return terms;
}

std::vector<std::string> QueryTerms(std::string_view query) {
  return QueryTermsOfNormalized(NormalizeForSearch(query));
}

std::vector<std::string> QueryTermsOfNormalized(std::string_view normalized) {
  return CharacterNGrams(normalized, 2);
}

bool ContainsNormalized(std::string_view normalized_text, std::string_view normalized_query) {
  return normalized_text.find(normalized_query) != std::string_view::npos;
}

size_t DisplayWidth(std::string_view utf8) {
  size_t width = 0;
  for (const UChar32 c : DecodeUtf8(utf8)) {
    if ((U_GET_GC_MASK(c) & (U_GC_MN_MASK | U_GC_ME_MASK)) != 0) continue;
    const int east_asian_width = u_getIntPropertyValue(c, UCHAR_EAST_ASIAN_WIDTH);
    width += (east_asian_width == U_EA_WIDE || east_asian_width == U_EA_FULLWIDTH) ? 2 : 1;
  }
  return width;
}

std::string KanaSortKey(std::string_view kana) {
  std::string normalized = NormalizeForSearch(kana);  // not const: returned by move
  // Collator::getSortKey is not documented as safe to call concurrently on one instance.
  thread_local const std::unique_ptr<icu::Collator> collator = [] {
    UErrorCode status = U_ZERO_ERROR;
    std::unique_ptr<icu::Collator> made(
        icu::Collator::createInstance(icu::Locale::getJapanese(), status));
    if (U_FAILURE(status)) made.reset();
    return made;
  }();
  if (!collator) return normalized;
  const icu::UnicodeString text = icu::UnicodeString::fromUTF8(
      icu::StringPiece(normalized.data(), static_cast<int32_t>(normalized.size())));
  const int32_t length = collator->getSortKey(text, nullptr, 0);
  std::string key(static_cast<size_t>(length), '\0');
  collator->getSortKey(text, reinterpret_cast<uint8_t*>(key.data()), length);
  while (!key.empty() && key.back() == '\0') key.pop_back();  // the terminator
  return key;
}

}  // namespace casecoord::text
