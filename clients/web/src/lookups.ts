// Look-ups every page shares: vocabulary labels and agency names, each fetched once per page
// load and kept in memory only (labels and agency names are not personal data; a sign-out reloads
// the page, which drops them).
import { useEffect, useState } from "preact/hooks";
import { directory, vocabularies } from "./api";
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

/** "users/coordinator" → its display name when it is the signed-in user, else the user id (the
 *  API offers no user directory to other roles than admin). */
export function userLabel(name: string, me: { userId: string; displayName: string } | undefined): string {
  if (!name) return "";
  const id = idOf(name);
  return me && me.userId === id ? me.displayName : id;
}

/** A request id for idempotent writes (AIP-155). */
export function newRequestId(): string {
  return crypto.randomUUID();
}
