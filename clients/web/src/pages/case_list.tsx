// 事例一覧 (#/cases): the cases the caller may see, filtered by what ListCases' filter supports
// (fiscal year, state, district, tag, agency, overdue), and the household search (SearchCases).
// Filter values are codes and ids and go into the hash query so a filtered list can be
// bookmarked; search terms (names, kana, birth dates, phones) never do. One plain table, no call
// per row: agency names come from one directory list.
import { useEffect, useMemo, useState } from "preact/hooks";
import { cases, explain, type ExplainedError } from "../api";
import type { Case } from "../gen/casecoord/v1/cases_pb";
import { CaseState, CaseStateSchema, UrgencySchema } from "../gen/casecoord/v1/cases_pb";
import { apiDateFromInput, compareJapanese, enumLabel, enumOptions, fiscalYearLabel, fromApiDate, isoDate, todayInJapan } from "../format";
import { tr } from "../i18n";
import { currentPath, navigate, queryOf } from "../router";
import { hasRole } from "../session";
import { Checkbox, DateText, ErrorBanner, Field, Loading, PageTitle, Select } from "../ui/common";
import { idOf, useAgencies, useVocab } from "../lookups";

const PAGE_SIZE = 200;
const FILTER_KEYS = ["fy", "state", "district", "tag", "agency", "overdue"] as const;
type Filters = Record<(typeof FILTER_KEYS)[number], string>;

function filtersFromHash(): Filters {
  const q = queryOf(currentPath());
  return Object.fromEntries(FILTER_KEYS.map((k) => [k, q.get(k) ?? ""])) as Filters;
}

/** The ListCases filter expression (see ListCasesRequest.filter). */
function filterExpression(f: Filters): string {
  const parts: string[] = [];
  if (/^\d{4}$/.test(f.fy)) parts.push(`fiscal_year = ${f.fy}`);
  if (f.state && CaseState[Number(f.state)]) parts.push(`state = ${CaseState[Number(f.state)]}`);
  const quoted = (v: string) => `"${v.replace(/["\\]/g, "")}"`;
  if (f.district) parts.push(`district = ${quoted(f.district)}`);
  if (f.tag) parts.push(`tag = ${quoted(f.tag)}`);
  if (f.agency) parts.push(`agency = ${quoted(f.agency)}`);
  if (f.overdue === "1") parts.push("overdue = true");
  return parts.join(" AND ");
}

type SortKey = "number" | "principal" | "state" | "district" | "intake" | "review";

export function CaseListPage(_: { params: Record<string, string> }) {
  const districts = useVocab("districts");
  const tags = useVocab("issue-tags");
  const agencies = useAgencies();
  const initial = useMemo(filtersFromHash, []);
  const [filters, setFilters] = useState<Filters>(initial);
  const [rows, setRows] = useState<Case[]>();
  const [next, setNext] = useState("");
  const [error, setError] = useState<ExplainedError>();
  const [loadingMore, setLoadingMore] = useState(false);
  const [mode, setMode] = useState<"list" | "search">("list");
  const [sort, setSort] = useState<{ key: SortKey; ascending: boolean }>({ key: "number", ascending: false });
  // Search terms live in memory only.
  const [search, setSearch] = useState({ name: "", kana: "", birthDate: "", phone: "", caseNumber: "" });

  const fetchList = async (token: string, signal?: AbortSignal) => {
    const r = await cases.listCases({ filter: filterExpression(initial), pageSize: PAGE_SIZE, pageToken: token }, { signal });
    return r;
  };

  useEffect(() => {
    const controller = new AbortController();
    fetchList("", controller.signal).then((r) => {
      setRows(r.cases);
      setNext(r.nextPageToken);
    }, (e) => !controller.signal.aborted && setError(explain(e)));
    return () => controller.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  async function more() {
    setLoadingMore(true);
    try {
      if (mode === "list") {
        const r = await fetchList(next);
        setRows((old) => [...(old ?? []), ...r.cases]);
        setNext(r.nextPageToken);
      } else {
        const r = await runSearch(next);
        setRows((old) => [...(old ?? []), ...r.cases]);
        setNext(r.nextPageToken);
      }
    } catch (e) {
      setError(explain(e));
    } finally {
      setLoadingMore(false);
    }
  }

  const runSearch = (token: string) => cases.searchCases({
    name: search.name.trim(),
    kana: search.kana.trim(),
    birthDate: apiDateFromInput(search.birthDate),
    phone: search.phone.trim(),
    caseNumber: search.caseNumber.trim(),
    pageSize: PAGE_SIZE,
    pageToken: token,
  });

  const currentFy = (() => {
    const [y, m] = todayInJapan().split("-").map(Number);
    return m >= 4 ? y : y - 1;
  })();
  const fyOptions = [{ value: "", label: tr("すべて", "All") }];
  for (let y = currentFy; y >= currentFy - 9; y--) fyOptions.push({ value: String(y), label: fiscalYearLabel(y) });
  const all = { value: "", label: tr("すべて", "All") };

  const principalOf = (c: Case) => c.members.find((m) => m.principal) ?? c.members[0];
  const sorted = useMemo(() => {
    if (!rows) return [];
    const keyOf = (c: Case): string => {
      switch (sort.key) {
        case "number": return `${String(c.fiscalYear?.year ?? 0).padStart(4, "0")}-${idOf(c.name).padStart(10, "0")}`;
        case "principal": { const p = principalOf(c); return p ? p.kana || p.displayName : ""; }
        case "state": return String(c.state);
        case "district": return districts.label(c.district);
        case "intake": return isoDate(fromApiDate(c.intakeDate));
        case "review": return isoDate(fromApiDate(c.nextReviewDate));
      }
    };
    const keyed = rows.map((c) => [keyOf(c), c] as const);
    keyed.sort((a, b) => (sort.ascending ? 1 : -1) * compareJapanese(a[0], b[0]));
    return keyed.map(([, c]) => c);
  }, [rows, sort, districts]);

  const header = (key: SortKey, label: string) => {
    const active = sort.key === key;
    return (
      <th scope="col" aria-sort={active ? (sort.ascending ? "ascending" : "descending") : undefined}>
        <button type="button" class="case-sort" onClick={() => setSort({ key, ascending: active ? !sort.ascending : true })}>
          {label}{active ? (sort.ascending ? " ▲" : " ▼") : ""}
        </button>
      </th>
    );
  };

  return (
    <>
      <PageTitle actions={hasRole("COORDINATOR") ? <a class="button primary" href="#/cases/new">{tr("新規受付", "New intake")}</a> : undefined}>
        {tr("事例一覧", "Cases")}
      </PageTitle>
      <form class="card" aria-labelledby="case-filter-title" onSubmit={(e) => {
        e.preventDefault();
        const q = new URLSearchParams();
        FILTER_KEYS.forEach((k) => filters[k] && q.set(k, filters[k]));
        const query = q.toString();
        const target = `/cases${query ? `?${query}` : ""}`;
        // Same filters: the page does not change route, so load it again by hand.
        if (target === currentPath()) location.reload();
        else navigate(target);
      }}>
        <h2 id="case-filter-title">{tr("絞り込み", "Filter")}</h2>
        <div class="grid">
          <Select label={tr("年度", "Fiscal year")} value={filters.fy} options={fyOptions}
            onValue={(v) => setFilters({ ...filters, fy: v })} />
          <Select label={tr("状態", "State")} value={filters.state} options={[all, ...enumOptions(CaseStateSchema)]}
            onValue={(v) => setFilters({ ...filters, state: v })} />
          <Select label={tr("地区", "District")} value={filters.district}
            options={[all, ...districts.terms.map((t) => ({ value: t.termId, label: t.label }))]}
            onValue={(v) => setFilters({ ...filters, district: v })} />
          <Select label={tr("課題", "Issue")} value={filters.tag}
            options={[all, ...tags.terms.map((t) => ({ value: t.termId, label: t.label }))]}
            onValue={(v) => setFilters({ ...filters, tag: v })} />
          <Select label={tr("チームの機関", "Agency on the team")} value={filters.agency}
            options={[all, ...agencies.map((a) => ({ value: a.name, label: a.displayName }))]}
            onValue={(v) => setFilters({ ...filters, agency: v })} />
        </div>
        <Checkbox label={tr("見直し期限を過ぎた事例のみ", "Overdue for review only")} checked={filters.overdue === "1"}
          onChecked={(v) => setFilters({ ...filters, overdue: v ? "1" : "" })} />
        <div class="case-row-actions">
          <button type="submit" class="primary">{tr("絞り込む", "Apply")}</button>
          <a class="button" href="#/cases">{tr("条件を解除", "Clear")}</a>
        </div>
      </form>

      <form class="card" aria-labelledby="case-search-title" onSubmit={async (e) => {
        e.preventDefault();
        setError(undefined);
        setRows(undefined);
        try {
          const r = await runSearch("");
          setMode("search");
          setRows(r.cases);
          setNext(r.nextPageToken);
        } catch (err) {
          setError(explain(err));
          setRows([]);
        }
      }}>
        <h2 id="case-search-title">{tr("世帯検索", "Household search")}</h2>
        <p class="hint">{tr("氏名・フリガナは姓または名の全体で一致します。検索語はURLに残りません。",
          "Names match a whole family or given name. Search terms are never put in the URL.")}</p>
        <div class="grid">
          <Field label={tr("氏名", "Name")} value={search.name} onValue={(v) => setSearch({ ...search, name: v })} autoComplete="off" />
          <Field label={tr("フリガナ", "Kana")} value={search.kana} onValue={(v) => setSearch({ ...search, kana: v })} autoComplete="off" />
          <Field label={tr("生年月日", "Birth date")} type="date" value={search.birthDate} onValue={(v) => setSearch({ ...search, birthDate: v })} />
          <Field label={tr("電話番号", "Phone")} type="tel" value={search.phone} onValue={(v) => setSearch({ ...search, phone: v })} autoComplete="off" />
          <Field label={tr("受付番号", "Case number")} value={search.caseNumber} onValue={(v) => setSearch({ ...search, caseNumber: v })}
            hint={tr("例：R6-0042", "e.g. R6-0042")} autoComplete="off" />
        </div>
        <div class="case-row-actions">
          <button type="submit" class="primary">{tr("検索", "Search")}</button>
          {mode === "search" && (
            <button type="button" onClick={() => location.reload()}>{tr("検索を解除", "Clear search")}</button>
          )}
        </div>
      </form>

      <ErrorBanner error={error} />
      {!rows ? <Loading /> : (
        <>
          <p role="status">
            {mode === "search" ? tr(`検索結果 ${rows.length}件`, `${rows.length} found`) : tr(`${rows.length}件を表示`, `${rows.length} shown`)}
            {next ? tr("（続きがあります）", " (more available)") : ""}
          </p>
          {rows.length > 0 && (
            <div class="table-wrap">
              <table>
                <caption>{mode === "search" ? tr("世帯検索の結果", "Search results") : tr("事例一覧", "Cases")}</caption>
                <thead>
                  <tr>
                    {header("number", tr("受付番号", "Case number"))}
                    {header("principal", tr("本人", "Principal"))}
                    {header("state", tr("状態", "State"))}
                    {header("district", tr("地区", "District"))}
                    <th scope="col">{tr("緊急度", "Urgency")}</th>
                    {header("intake", tr("受付日", "Intake date"))}
                    {header("review", tr("次回見直し日", "Next review"))}
                  </tr>
                </thead>
                <tbody>
                  {sorted.map((c) => {
                    const p = principalOf(c);
                    return (
                      <tr key={c.name}>
                        <th scope="row"><a href={`#/cases/${idOf(c.name)}`}>{c.caseNumber}</a></th>
                        <td>{p ? p.displayName : "—"}{p?.kana && <><br /><small class="muted">{p.kana}</small></>}</td>
                        <td>{enumLabel(CaseStateSchema, c.state)}</td>
                        <td>{districts.label(c.district)}</td>
                        <td>{c.urgency ? enumLabel(UrgencySchema, c.urgency) : ""}</td>
                        <td><DateText value={fromApiDate(c.intakeDate)} /></td>
                        <td><DateText value={fromApiDate(c.nextReviewDate)} /></td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          )}
          {rows.length === 0 && <p class="empty">{tr("該当する事例はありません。", "No cases.")}</p>}
          {next && (
            <button type="button" disabled={loadingMore} onClick={() => void more()}>
              {tr("さらに表示", "Show more")}
            </button>
          )}
        </>
      )}
    </>
  );
}
