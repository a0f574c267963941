// Helpers of the referral, meeting, plan, dispatch and directory pages on top of ../../lookups:
// agency names as a map, agency choices (the directory's, or given agencies'), case numbers for
// a list of case names, and date conversions for the forms.
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { useEffect, useState } from "preact/hooks";
import { cases } from "../../api";
import { idOf, loadAgencies, loadTerms, newRequestId, type VocabList } from "../../lookups";

export { idOf, loadAgencies, newRequestId };
import type { Term } from "../../gen/casecoord/v1/vocabularies_pb";
import type { Date as ApiDate } from "../../gen/casecoord/v1/common_pb";
import type { Agency } from "../../gen/casecoord/v1/directory_pb";
import { compareJapanese } from "../../format";

/** agency name → display name; empty until loaded (callers fall back to the id). */
export function useAgencyNames(): Map<string, string> {
  const [names, setNames] = useState<Map<string, string>>(new Map());
  useEffect(() => {
    let live = true;
    loadAgencies().then(
      (list) => live && setNames(new Map(list.map((a) => [a.name, a.displayName]))),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, []);
  return names;
}

export function agencyName(names: Map<string, string>, name: string): string {
  if (!name) return "";
  return names.get(name) ?? name.replace(/^agencies\//, "");
}

/** Options for a <Select> of the directory's active agencies, with a leading empty choice. */
export function agencyOptions(list: Agency[], emptyLabel: string): Array<{ value: string; label: string }> {
  return [
    { value: "", label: emptyLabel },
    ...list
      .filter((a) => a.state !== 2 && a.state !== 3)
      .slice()
      .sort((a, b) => compareJapanese(a.kana || a.displayName, b.kana || b.displayName))
      .map((a) => ({ value: a.name, label: a.displayName })),
  ];
}

/** Options for a <Select> of the given agencies ("agencies/…"), each once in the order given and
 *  shown by name, with a leading empty choice. */
export function agencyChoices(agencies: string[], names: Map<string, string>, emptyLabel: string): Array<{ value: string; label: string }> {
  return [
    { value: "", label: emptyLabel },
    ...[...new Set(agencies)].map((a) => ({ value: a, label: agencyName(names, a) })),
  ];
}

/** "cases/12/referrals/3" → "cases/12". */
export function caseOf(name: string): string {
  const match = /^cases\/[^/]+/.exec(name);
  return match ? match[0] : "";
}

/** Case numbers (受付番号) of the given cases the caller may see; others are simply absent. */
export async function caseNumbers(names: string[], known: Map<string, string> = new Map()): Promise<Map<string, string>> {
  const out = new Map(known);
  const wanted = [...new Set(names.filter((n) => n && !out.has(n)))];
  await Promise.all(
    wanted.map(async (name) => {
      try {
        const found = await cases.getCase({ name });
        out.set(name, found.caseNumber);
      } catch {
        // Outside the caller's scope (NOT_FOUND): shown by its id.
      }
    }),
  );
  return out;
}

/** An API date as the value of a date input ("2024-05-24"). */
export function inputFromApiDate(date: ApiDate | undefined): string {
  if (!date || !date.year) return "";
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.year}-${pad(date.month)}-${pad(date.day)}`;
}

/** A datetime-local value ("2024-05-24T14:00") read as Japan time, as a Timestamp. */
export function timestampFromLocalInput(value: string) {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value)) return undefined;
  const date = new Date(`${value.slice(0, 16)}:00+09:00`);
  return Number.isNaN(date.getTime()) ? undefined : timestampFromDate(date);
}

/** Adds days to a "YYYY-MM-DD" value. */
export function addDaysToInput(value: string, days: number): string {
  const date = new Date(`${value}T12:00:00+09:00`);
  date.setUTCDate(date.getUTCDate() + days);
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Tokyo" }).format(date);
}

/** term id → label of a vocabulary; empty until loaded (callers fall back to the id). */
export function useTerms(list: VocabList): Term[] {
  const [terms, setTerms] = useState<Term[]>([]);
  useEffect(() => {
    let live = true;
    loadTerms(list).then((t) => live && setTerms(t), () => undefined);
    return () => {
      live = false;
    };
  }, [list]);
  return terms;
}

export function termLabel(terms: Term[], id: string): string {
  return terms.find((t) => t.termId === id)?.label ?? id;
}
