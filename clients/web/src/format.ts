// Dates as people in a Japanese city office write them (令和6年5月24日), with the Western date for
// a tooltip, and sorting that orders kana as a Japanese reader expects.
import { getOption, hasOption, type DescEnum } from "@bufbuild/protobuf";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { label_ja } from "./gen/casecoord/v1/common_pb";
import type { Date as ApiDate } from "./gen/casecoord/v1/common_pb";
import { currentLanguage } from "./i18n";

const warekiDate = new Intl.DateTimeFormat("ja-JP-u-ca-japanese", {
  era: "long", year: "numeric", month: "long", day: "numeric", timeZone: "Asia/Tokyo",
});
const warekiDateTime = new Intl.DateTimeFormat("ja-JP-u-ca-japanese", {
  era: "long", year: "numeric", month: "long", day: "numeric", hour: "2-digit", minute: "2-digit",
  timeZone: "Asia/Tokyo",
});
const westernDate = new Intl.DateTimeFormat("en-CA", {
  year: "numeric", month: "2-digit", day: "2-digit", timeZone: "Asia/Tokyo",
});
const westernDateTime = new Intl.DateTimeFormat("sv-SE", {
  year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
  timeZone: "Asia/Tokyo",
});
const collator = new Intl.Collator("ja", { sensitivity: "base", numeric: true });

/** A calendar date of the API as a JS Date at noon JST (so no time zone moves its day). */
export function fromApiDate(date: ApiDate | undefined): Date | undefined {
  if (!date || !date.year) return undefined;
  return new Date(Date.UTC(date.year, date.month - 1, date.day, 3));
}

export function fromTimestamp(ts: Timestamp | undefined): Date | undefined {
  if (!ts) return undefined;
  return new Date(Number(ts.seconds) * 1000 + Math.floor(ts.nanos / 1e6));
}

/** 令和6年5月24日 (Japanese) or 2024-05-24 (English). */
export function formatDate(date: Date | undefined): string {
  if (!date) return "";
  return currentLanguage() === "en" ? westernDate.format(date) : warekiDate.format(date);
}

export function formatDateTime(date: Date | undefined): string {
  if (!date) return "";
  return currentLanguage() === "en" ? westernDateTime.format(date) : warekiDateTime.format(date);
}

/** 2024-05-24: the Western date, for tooltips and form values. */
export function isoDate(date: Date | undefined): string {
  return date ? westernDate.format(date) : "";
}

export function isoDateTime(date: Date | undefined): string {
  return date ? westernDateTime.format(date) : "";
}

/** "2024-05-24" from a date input as an API date; undefined when empty or malformed. */
export function apiDateFromInput(value: string): { year: number; month: number; day: number } | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return undefined;
  return { year: Number(match[1]), month: Number(match[2]), day: Number(match[3]) };
}

/** Today in Japan as "YYYY-MM-DD" (the default of date inputs). */
export function todayInJapan(): string {
  return westernDate.format(new Date());
}

/** 令和8年度 for fiscal year 2026 (April to March). */
export function fiscalYearLabel(fiscalYear: number): string {
  if (currentLanguage() === "en") return `FY${fiscalYear}`;
  const era = warekiDate.formatToParts(new Date(Date.UTC(fiscalYear, 3, 1, 3)));
  const eraName = era.find((p) => p.type === "era")?.value ?? "";
  const year = era.find((p) => p.type === "year")?.value ?? String(fiscalYear);
  return `${eraName}${year === "1" ? "元" : year}年度`;
}

/** Compares as a Japanese reader sorts (kana-aware, numbers by value). */
export function compareJapanese(a: string, b: string): number {
  return collator.compare(a, b);
}

/** Hiragana folded to katakana and width normalised, so ひらがな finds カタカナ. */
export function foldKana(text: string): string {
  return text
    .normalize("NFKC")
    .replace(/[\u3041-\u3096]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0x60))
    .toLowerCase();
}

/** The label of an enum value: its `(label_ja)` option from the proto in Japanese, its name in
 *  words in English ("COORDINATION_CONTACT" → "Coordination contact"). */
export function enumLabel(schema: DescEnum, value: number): string {
  const described = schema.values.find((v) => v.number === value);
  if (!described) return String(value);
  const japanese = hasOption(described, label_ja) ? getOption(described, label_ja) : "";
  if (currentLanguage() === "ja" && japanese) return japanese;
  const words = described.name.toLowerCase().replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Options for a <Select> of an enum, without its UNSPECIFIED zero value. */
export function enumOptions(schema: DescEnum): Array<{ value: string; label: string }> {
  return schema.values
    .filter((v) => v.number !== 0)
    .map((v) => ({ value: String(v.number), label: enumLabel(schema, v.number) }));
}
