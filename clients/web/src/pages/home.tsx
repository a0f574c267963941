// ホーム: what each role starts the day with. Coordinators and agency staff get their work list
// (ListDueItems, then live from WatchDueItems, reconnecting with backoff when the stream ends with
// an error); advisers, planners, admins and auditors get the way to their own tools.
import { Code, ConnectError } from "@connectrpc/connect";
import { useEffect, useState } from "preact/hooks";
import { cases, explain, monitoring, type ExplainedError } from "../api";
import type { DueItem } from "../gen/casecoord/v1/monitoring_pb";
import { DueKind, DueKindSchema } from "../gen/casecoord/v1/monitoring_pb";
import { enumLabel, fromApiDate } from "../format";
import { tr } from "../i18n";
import { currentUser, hasRole } from "../session";
import { DateText, ErrorBanner, Loading, PageTitle } from "../ui/common";
import { agencyName, idOf, useAgencyNames } from "../lookups";

const keyOf = (item: DueItem) => `${item.kind}|${item.subject}|${item.case}`;

function sortItems(items: DueItem[]): DueItem[] {
  const day = (i: DueItem) => (i.dueDate ? i.dueDate.year * 10000 + i.dueDate.month * 100 + i.dueDate.day : 0);
  return items.sort((a, b) => day(a) - day(b) || a.caseNumber.localeCompare(b.caseNumber));
}

/** The work list: a first ListDueItems, then pushes from WatchDueItems merged in by item. */
function useWorkList(enabled: boolean) {
  const [items, setItems] = useState<Map<string, DueItem>>();
  const [error, setError] = useState<ExplainedError>();
  const [live, setLive] = useState(false);
  useEffect(() => {
    if (!enabled) return;
    const controller = new AbortController();
    const { signal } = controller;
    let delay = 1000;
    (async () => {
      while (!signal.aborted) {
        try {
          // Re-list on every (re)connection: items that left the list meanwhile go away.
          const fresh = new Map<string, DueItem>();
          let pageToken = "";
          do {
            const r = await monitoring.listDueItems({ pageSize: 1000, pageToken }, { signal });
            r.items.forEach((i) => fresh.set(keyOf(i), i));
            pageToken = r.nextPageToken;
          } while (pageToken);
          setItems(fresh);
          setError(undefined);
          for await (const r of monitoring.watchDueItems({}, { signal })) {
            setLive(true);
            delay = 1000;
            if (r.items.length) {
              setItems((old) => {
                const merged = new Map(old);
                r.items.forEach((i) => merged.set(keyOf(i), i));
                return merged;
              });
            }
          }
          setLive(false);
        } catch (e) {
          setLive(false);
          if (signal.aborted || ConnectError.from(e).code === Code.Canceled) return;
          const explained = explain(e);
          // Not retried: the caller has no work list (e.g. agency staff without an agency).
          if ([Code.PermissionDenied, Code.NotFound, Code.FailedPrecondition, Code.Unauthenticated].includes(explained.code)) {
            setError(explained);
            setItems((old) => old ?? new Map());
            return;
          }
          setError(explained);
        }
        // Backoff before reconnecting (1 s doubling up to a minute).
        await new Promise((resume) => setTimeout(resume, delay));
        delay = Math.min(delay * 2, 60_000);
      }
    })();
    return () => controller.abort();
  }, [enabled]);
  return { items: items ? sortItems([...items.values()]) : undefined, error, live };
}

export function HomePage(_: { params: Record<string, string> }) {
  const user = currentUser();
  const coordinator = hasRole("COORDINATOR");
  const staff = hasRole("AGENCY_STAFF");
  const work = useWorkList(coordinator || staff);
  return (
    <>
      <PageTitle>{tr("ホーム", "Home")}</PageTitle>
      <p>{tr(`${user?.displayName ?? ""}さん、お疲れさまです。`, `Welcome, ${user?.displayName ?? ""}.`)}</p>
      {staff && <PendingReferrals />}
      {(coordinator || staff) && (
        <section aria-labelledby="home-work">
          <h2 id="home-work">{coordinator ? tr("わたしの仕事", "My work list") : tr("自機関の仕事", "My agency's work list")}</h2>
          <p class="hint" role="status">
            {work.live ? tr("期限が来た項目は自動で追加されます。", "Items are added as they fall due.")
              : tr("接続を待っています…", "Connecting…")}
          </p>
          <ErrorBanner error={work.error} />
          {!work.items ? <Loading /> : <WorkList items={work.items} />}
        </section>
      )}
      {hasRole("ADVISER") && (
        <section aria-labelledby="home-adviser">
          <h2 id="home-adviser">{tr("アドバイザー", "Adviser")}</h2>
          <p><a href="#/dispatches">{tr("派遣の一覧を開く", "Open my dispatches")}</a></p>
          <p><a href="#/meetings">{tr("アドバイザー会議を開く", "Open adviser meetings")}</a></p>
        </section>
      )}
      {hasRole("PLANNER") && (
        <section aria-labelledby="home-planner">
          <h2 id="home-planner">{tr("計画担当", "Planning")}</h2>
          <p><a href="#/statistics">{tr("事業実績を開く", "Open the yearly table")}</a></p>
          <p><a href="#/welfare-plans">{tr("推進計画を開く", "Open the welfare plan")}</a></p>
        </section>
      )}
      {(hasRole("ADMIN") || hasRole("AUDITOR")) && !coordinator && !staff && (
        <section aria-labelledby="home-admin">
          <h2 id="home-admin">{tr("管理・監査", "Administration and audit")}</h2>
          <p>{tr("利用者の管理、バックアップ、監査ログの確認は、管理用コマンド casectl で行います（README を参照）。",
            "User administration, backups and the audit trail are in the casectl command (see the README).")}</p>
        </section>
      )}
    </>
  );
}

function PendingReferrals() {
  const [count, setCount] = useState<number>();
  const [more, setMore] = useState(false);
  const [error, setError] = useState<ExplainedError>();
  useEffect(() => {
    const controller = new AbortController();
    cases.listReferrals({ parent: "cases/-", pageSize: 1000 }, { signal: controller.signal }).then((r) => {
      setCount(r.referrals.length);
      setMore(!!r.nextPageToken);
    }, (e) => !controller.signal.aborted && setError(explain(e)));
    return () => controller.abort();
  }, []);
  return (
    <section aria-labelledby="home-referrals">
      <h2 id="home-referrals">{tr("回答待ちの紹介", "Referrals awaiting your answer")}</h2>
      <ErrorBanner error={error} />
      {count === undefined && !error ? <Loading /> : count !== undefined && (
        <p>
          <a href="#/referrals">
            {tr(`紹介の受付：回答待ち ${count}${more ? "件以上" : "件"}`, `Referral inbox: ${count}${more ? "+" : ""} waiting`)}
          </a>
        </p>
      )}
    </section>
  );
}

const GROUPS: Array<{ kinds: DueKind[]; title: () => string }> = [
  { kinds: [DueKind.CHECK_DUE], title: () => tr("モニタリング", "Monitoring checks") },
  { kinds: [DueKind.PLAN_REVIEW_DUE], title: () => tr("計画の見直し", "Plan reviews") },
  { kinds: [DueKind.ASSIGNMENT_DUE], title: () => tr("役割分担の期限", "Role assignments") },
  { kinds: [DueKind.REFERRAL_PENDING, DueKind.REFERRAL_ANSWERED], title: () => tr("紹介", "Referrals") },
];

function WorkList({ items }: { items: DueItem[] }) {
  useAgencyNames(items.map((i) => i.agency).filter(Boolean));
  if (items.length === 0) {
    return <p class="empty">{tr("期限の来ている項目はありません。", "Nothing is due.")}</p>;
  }
  const overdue = items.filter((i) => i.overdue);
  const soon = items.filter((i) => !i.overdue);
  return (
    <>
      <h3>{tr(`期限切れ（${overdue.length}件）`, `Overdue (${overdue.length})`)}</h3>
      {overdue.length === 0 ? <p class="empty">{tr("ありません。", "None.")}</p> : <ItemTable items={overdue} caption={tr("期限切れ", "Overdue")} />}
      <h3>{tr(`まもなく期限（${soon.length}件）`, `Due soon (${soon.length})`)}</h3>
      {soon.length === 0 ? <p class="empty">{tr("ありません。", "None.")}</p> : GROUPS.map((g) => {
        const inGroup = soon.filter((i) => g.kinds.includes(i.kind));
        if (inGroup.length === 0) return null;
        return (
          <div key={g.title()}>
            <h4>{g.title()}（{inGroup.length}）</h4>
            <ItemTable items={inGroup} caption={tr(`まもなく期限：${g.title()}`, `Due soon: ${g.title()}`)} />
          </div>
        );
      })}
    </>
  );
}

function ItemTable({ items, caption }: { items: DueItem[]; caption: string }) {
  return (
    <div class="table-wrap">
      <table>
        <caption class="case-vh">{caption}</caption>
        <thead><tr>
          <th scope="col">{tr("期限", "Due")}</th>
          <th scope="col">{tr("受付番号", "Case number")}</th>
          <th scope="col">{tr("内容", "What")}</th>
          <th scope="col">{tr("機関", "Agency")}</th>
        </tr></thead>
        <tbody>
          {items.map((i) => (
            <tr key={keyOf(i)}>
              <td>
                <DateText value={fromApiDate(i.dueDate)} />
                {i.overdue && <> <span class="badge overdue">{tr("期限切れ", "Overdue")}</span></>}
              </td>
              <th scope="row"><a href={`#/cases/${idOf(i.case)}`}>{i.caseNumber || idOf(i.case)}</a></th>
              <td>{enumLabel(DueKindSchema, i.kind)}{subjectLink(i)}</td>
              <td>{i.agency ? agencyName(i.agency) : ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function subjectLink(i: DueItem) {
  const meeting = /^meetings\/([^#]+)/.exec(i.subject);
  if (meeting) return <> · <a href={`#/meetings/${meeting[1]}`}>{tr("会議", "Meeting")}</a></>;
  if (i.kind === DueKind.PLAN_REVIEW_DUE) return <> · <a href={`#/cases/${idOf(i.case)}/plan`}>{tr("支援計画", "Plan")}</a></>;
  if (i.kind === DueKind.REFERRAL_PENDING && hasRole("AGENCY_STAFF")) return <> · <a href="#/referrals">{tr("紹介の受付", "Inbox")}</a></>;
  return null;
}
