// Look-ups every page shares: vocabulary labels and agency names, each fetched once per page
// load and kept in memory only (labels and agency names are not personal data; a sign-out reloads
// the page, which drops them).
import { useEffect, useState } from "preact/hooks";
import { admin, directory, vocabularies } from "./api";
import type { Agency } from "./gen/casecoord/v1/directory_pb";
import { SupportField } from "./gen/casecoord/v1/directory_pb";
import type { Term } from "./gen/casecoord/v1/vocabularies_pb";
import { Term_State } from "./gen/casecoord/v1/vocabularies_pb";

export type VocabList = "districts" | "issue-tags" | "fields";

const vocabCache = new Map<VocabList, Promise<Term[]>>();

export function loadTerms(list: VocabList): Promise<Term[]> {
  let found = vocabCache.get(list);
  if (!found) {
    found = vocabularies.listTerms({ parent: `vocabularies/${list}` }).then((r) => r.terms);
    // A failed load must not stick: the next page tries again.
    found.catch(() => vocabCache.delete(list));
    vocabCache.set(list, found);
  }
  return found;
}

export interface Vocab {
  /** Every term, in display order. */
  terms: Term[];
  /** Only the ACTIVE ones (what a new record may use). */
  active: Term[];
  label: (id: string) => string;
}

function vocabOf(terms: Term[]): Vocab {
  const labels = new Map(terms.map((t) => [t.termId, t.label]));
  return {
    terms,
    active: terms.filter((t) => t.state !== Term_State.RETIRED),
    label: (id) => labels.get(id) ?? id,
  };
}

const EMPTY_VOCAB = vocabOf([]);

/** A vocabulary list; an empty one (labels fall back to ids) until it has loaded. */
export function useVocab(list: VocabList): Vocab {
  const [vocab, setVocab] = useState<Vocab>(EMPTY_VOCAB);
  useEffect(() => {
    let live = true;
    loadTerms(list).then((terms) => live && setVocab(vocabOf(terms)), () => undefined);
    return () => {
      live = false;
    };
  }, [list]);
  return vocab;
}

/** "elderly-care" (a term of the fields list) → SupportField.ELDERLY_CARE. */
export function supportFieldOfTerm(termId: string): SupportField | undefined {
  const key = termId.toUpperCase().replace(/-/g, "_") as keyof typeof SupportField;
  const value = SupportField[key];
  return typeof value === "number" ? value : undefined;
}

export function termOfSupportField(field: SupportField): string {
  return (SupportField[field] ?? "").toLowerCase().replace(/_/g, "-");
}

// Agency display names, by resource name.
const agencyNames = new Map<string, string>();
const agencyLoads = new Map<string, Promise<void>>();
let agencyListLoad: Promise<Agency[]> | undefined;

/** Every agency of the directory, in kana order (one call for the whole page). */
export function loadAgencies(): Promise<Agency[]> {
  if (!agencyListLoad) {
    agencyListLoad = (async () => {
      const all: Agency[] = [];
      let pageToken = "";
      do {
        const r = await directory.listAgencies({ pageSize: 1000, pageToken, orderBy: "kana" });
        all.push(...r.agencies);
        pageToken = r.nextPageToken;
      } while (pageToken);
      all.forEach((a) => agencyNames.set(a.name, a.displayName));
      return all;
    })();
    agencyListLoad.catch(() => {
      agencyListLoad = undefined;
    });
  }
  return agencyListLoad;
}

export function useAgencies(): Agency[] {
  const [list, setList] = useState<Agency[]>([]);
  useEffect(() => {
    let live = true;
    loadAgencies().then((a) => live && setList(a), () => undefined);
    return () => {
      live = false;
    };
  }, []);
  return list;
}

/** Resolves the names of these agencies (GetAgency for each one not yet known, in parallel). */
export async function resolveAgencyNames(names: string[]): Promise<void> {
  // The whole directory is on its way: it names them all in one call.
  if (agencyListLoad) await agencyListLoad.catch(() => undefined);
  const wanted = [...new Set(names.filter((n) => n && !agencyNames.has(n)))];
  await Promise.all(
    wanted.map((name) => {
      let load = agencyLoads.get(name);
      if (!load) {
        load = directory.getAgency({ name }).then(
          (a) => void agencyNames.set(name, a.displayName),
          // An agency the caller may not read (or that was deleted) keeps its id.
          () => undefined,
        );
        agencyLoads.set(name, load);
      }
      return load;
    }),
  );
}

/** The display name of an agency, or its id while unknown. */
export function agencyName(name: string): string {
  if (!name) return "";
  return agencyNames.get(name) ?? idOf(name);
}

/** Re-renders when the given agencies' names have been resolved. */
export function useAgencyNames(names: string[]): (name: string) => string {
  const [, setRound] = useState(0);
  const key = [...new Set(names)].sort().join(",");
  useEffect(() => {
    let live = true;
    resolveAgencyNames(key ? key.split(",") : []).then(() => live && setRound((r) => r + 1));
    return () => {
      live = false;
    };
  }, [key]);
  return agencyName;
}

/** "cases/17" → "17"; the last segment of a resource name. */
export function idOf(name: string): string {
  const parts = name.split("/");
  return parts[parts.length - 1] ?? name;
}

// Users' display names, by resource name ("users/coordinator"). Names asked for in the same tick
// are looked up in one LookupUsers call; a user the server does not know keeps its id.
const userNames = new Map<string, string>();
const userWaiters = new Set<() => void>();
let userQueue = new Set<string>();
const userAsked = new Set<string>();

function flushUserQueue(): void {
  const batch = [...userQueue].slice(0, 200);
  userQueue = new Set([...userQueue].slice(200));
  if (userQueue.size > 0) setTimeout(flushUserQueue, 0);
  admin.lookupUsers({ names: batch }).then(
    (answer) => {
      answer.users.forEach((u) => userNames.set(u.name, u.displayName || idOf(u.name)));
      userWaiters.forEach((wake) => wake());
    },
    // Planners may not look users up (they never see a case); others see the ids.
    () => undefined,
  );
}

function askForUser(name: string): void {
  if (!name.startsWith("users/") || userNames.has(name) || userAsked.has(name)) return;
  userAsked.add(name);
  if (userQueue.size === 0) setTimeout(flushUserQueue, 0);
  userQueue.add(name);
}

/** The display name of "users/…" once known, its id until then. */
export function userName(name: string): string {
  if (!name) return "";
  return userNames.get(name) ?? idOf(name);
}

/** A user's display name, looked up on first use (the id is shown until it arrives). */
export function UserName({ name }: { name: string }) {
  const [, setRound] = useState(0);
  useEffect(() => {
    if (userNames.has(name)) return undefined;
    const wake = () => setRound((r) => r + 1);
    userWaiters.add(wake);
    askForUser(name);
    return () => void userWaiters.delete(wake);
  }, [name]);
  return <>{userName(name)}</>;
}

/** The active staff of an agency (to choose meeting participants). */
export async function staffOf(agency: string): Promise<Array<{ name: string; displayName: string }>> {
  if (!agency) return [];
  const answer = await admin.lookupUsers({ agency });
  answer.users.forEach((u) => userNames.set(u.name, u.displayName || idOf(u.name)));
  return answer.users.map((u) => ({ name: u.name, displayName: u.displayName || idOf(u.name) }));
}

/** A request id for idempotent writes (AIP-155). */
export function newRequestId(): string {
  return crypto.randomUUID();
}
