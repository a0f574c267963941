// Helpers shared by the referral, meeting, plan, dispatch and directory pages: agency names from
// the directory (agencies hold no personal data, so keeping them in memory is fine), case numbers
// for a list of case names, ids from resource names, and date conversions for the forms.
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { useEffect, useState } from "preact/hooks";
import { cases, directory, vocabularies } from "../../api";
import type { Term } from "../../gen/casecoord/v1/vocabularies_pb";
import type { Date as ApiDate } from "../../gen/casecoord/v1/common_pb";
import type { Agency } from "../../gen/casecoord/v1/directory_pb";
import { compareJapanese } from "../../format";

let agencyList: Promise<Agency[]> | undefined;

/** Every agency of the directory, in kana order, loaded once per page load. */
export function loadAgencies(): Promise<Agency[]> {
  if (!agencyList) {
    agencyList = (async () => {
      const all: Agency[] = [];
      let pageToken = "";
      do {
        const page = await directory.listAgencies({ pageSize: 1000, pageToken, orderBy: "kana" });
        all.push(...page.agencies);
        pageToken = page.nextPageToken;
      } while (pageToken);
      return all;
    })();
    agencyList.catch(() => {
      agencyList = undefined;
    });
  }
  return agencyList;
}

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

/** "cases/12" → "12" (ids only ever go into URLs). */
export function idOf(name: string): string {
  return name.slice(name.lastIndexOf("/") + 1);
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

export function newRequestId(): string {
  return crypto.randomUUID();
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

const termLists = new Map<string, Promise<Term[]>>();

/** The terms of a managed vocabulary ("districts", "issue-tags"), loaded once per page load. */
export function loadTerms(list: string): Promise<Term[]> {
  let loaded = termLists.get(list);
  if (!loaded) {
    loaded = vocabularies.listTerms({ parent: `vocabularies/${list}` }).then((r) => r.terms);
    loaded.catch(() => termLists.delete(list));
    termLists.set(list, loaded);
  }
  return loaded;
}

/** term id → label of a vocabulary; empty until loaded (callers fall back to the id). */
export function useTerms(list: string): Term[] {
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
