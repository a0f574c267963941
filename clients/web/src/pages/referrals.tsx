// 紹介: the inbox of an agency (referrals waiting for its answer: accept, or decline with a reason
// and another agency to ask), the answers it gave, its cases and its role assignments. For a
// coordinator: the referrals they sent, with the agencies' answers.
import { useState } from "preact/hooks";
import { cases, explain, monitoring, type ExplainedError } from "../api";
import { CaseStateSchema, Referral_State, Referral_StateSchema, TeamRoleSchema, type Case, type Referral } from "../gen/casecoord/v1/cases_pb";
import { DueKind, type DueItem } from "../gen/casecoord/v1/monitoring_pb";
import { enumLabel, fromApiDate, fromTimestamp } from "../format";
import { tr } from "../i18n";
import { currentUser, hasRole } from "../session";
import { Dialog } from "../ui/dialog";
import { DataTable, DateText, Empty, ErrorBanner, PageTitle, Select, Show, TextArea, useDraftGuard, useLoad, useSubmission } from "../ui/common";
import {
  addDaysToInput, agencyName, agencyOptions, caseOf, idOf, loadAgencies, useAgencyNames,
} from "./meeting/shared";
import { apiDateFromInput, todayInJapan } from "../format";

interface InboxData {
  pending: Referral[];
  answered: Referral[];
  myCases: Case[];
  assignments: DueItem[];
  numbers: Map<string, string>;
}

async function loadAgencyInbox(): Promise<InboxData> {
  const me = currentUser();
  const agency = me?.agency ?? "";
  const [inbox, caseList, due] = await Promise.all([
    cases.listReferrals({ parent: "cases/-", pageSize: 200 }),
    cases.listCases({ pageSize: 100, filter: "my_agency = true" }),
    monitoring.listDueItems({ dueBy: apiDateFromInput(addDaysToInput(todayInJapan(), 366)), pageSize: 500 }),
  ]);
  const numbers = new Map<string, string>();
  for (const item of due.items) if (item.case && item.caseNumber) numbers.set(item.case, item.caseNumber);
  for (const c of caseList.cases) numbers.set(c.name, c.caseNumber);
  // The answers this agency gave live on the cases it joined (or was asked to join and declined,
  // which it can no longer open): read the referrals of its team cases.
  const perCase = await Promise.all(
    caseList.cases.slice(0, 50).map((c) =>
      cases.listReferrals({ parent: c.name, pageSize: 100 }).then((r) => r.referrals, () => [] as Referral[]),
    ),
  );
  const answered = perCase
    .flat()
    .filter((r) => r.agency === agency && r.state !== Referral_State.PENDING)
    .sort((a, b) => Number((b.answerTime?.seconds ?? 0n) - (a.answerTime?.seconds ?? 0n)));
  return {
    pending: inbox.referrals,
    answered,
    myCases: caseList.cases,
    assignments: due.items.filter((i) => i.kind === DueKind.ASSIGNMENT_DUE),
    numbers,
  };
}

async function loadSentReferrals(): Promise<InboxData> {
  const me = currentUser();
  const caseList = await cases.listCases({ pageSize: 50 });
  const perCase = await Promise.all(
    caseList.cases.map((c) =>
      cases.listReferrals({ parent: c.name, pageSize: 100 }).then((r) => r.referrals, () => [] as Referral[]),
    ),
  );
  const mine = perCase
    .flat()
    .filter((r) => !me || !r.referredBy || r.referredBy === `users/${me.userId}`)
    .sort((a, b) => Number((b.createTime?.seconds ?? 0n) - (a.createTime?.seconds ?? 0n)));
  const numbers = new Map(caseList.cases.map((c) => [c.name, c.caseNumber] as [string, string]));
  return {
    pending: mine.filter((r) => r.state === Referral_State.PENDING),
    answered: mine.filter((r) => r.state !== Referral_State.PENDING),
    myCases: [],
    assignments: [],
    numbers,
  };
}

function StateBadge({ state }: { state: Referral_State }) {
  return <span class="badge">{enumLabel(Referral_StateSchema, state)}</span>;
}

export function ReferralsPage(_: { params: Record<string, string> }) {
  const isAgency = hasRole("AGENCY_STAFF") && !!currentUser()?.agency;
  const { loaded, reload } = useLoad(() => (isAgency ? loadAgencyInbox() : loadSentReferrals()), []);
  const names = useAgencyNames();
  const [declining, setDeclining] = useState<Referral | undefined>();
  const [busy, setBusy] = useState("");
  const [error, setError] = useState<ExplainedError | undefined>();
  const [done, setDone] = useState<{ text: string; caseId?: string } | undefined>();

  const accept = async (referral: Referral) => {
    setBusy(referral.name);
    setError(undefined);
    setDone(undefined);
    try {
      await cases.acceptReferral({ name: referral.name });
      setDone({ text: tr("紹介を受け入れました。事例チームに加わりました。", "Accepted: your agency joined the case team."), caseId: idOf(caseOf(referral.name)) });
      reload();
    } catch (e) {
      setError(explain(e));
    } finally {
      setBusy("");
    }
  };

  return (
    <>
      <PageTitle>{isAgency ? tr("紹介", "Referrals") : tr("送った紹介", "Referrals sent")}</PageTitle>
      {done && (
        <div class="ok" role="status">
          <p>
            {done.text}{" "}
            {done.caseId && <a href={`#/cases/${done.caseId}`}>{tr("事例を開く", "Open the case")}</a>}
          </p>
        </div>
      )}
      <ErrorBanner error={error} />
      <Show loaded={loaded}>
        {(data) => (
          <>
            <h2>{isAgency ? tr("回答待ちの紹介", "Waiting for your answer") : tr("回答待ち", "Waiting for an answer")}</h2>
            {data.pending.length === 0 ? (
              <Empty>{tr("回答待ちの紹介はありません。", "No referral is waiting.")}</Empty>
            ) : (
              <ReferralTable
                caption={tr("回答待ちの紹介", "Pending referrals")}
                referrals={data.pending}
                numbers={data.numbers}
                names={names}
                showAgency={!isAgency}
                actions={(r) =>
                  isAgency ? (
                    <div class="actions">
                      <button type="button" class="primary" disabled={busy === r.name} onClick={() => void accept(r)}>
                        {tr("受け入れる", "Accept")}
                      </button>
                      <button type="button" disabled={busy === r.name} onClick={() => { setDone(undefined); setDeclining(r); }}>
                        {tr("辞退する", "Decline")}
                      </button>
                    </div>
                  ) : (
                    <a href={`#/cases/${idOf(caseOf(r.name))}`}>{tr("事例を開く", "Open the case")}</a>
                  )
                }
              />
            )}
            <h2>{tr("回答済みの紹介", "Answered referrals")}</h2>
            {data.answered.length === 0 ? (
              <Empty>{tr("回答済みの紹介はありません。", "No answered referral.")}</Empty>
            ) : (
              <ReferralTable
                caption={tr("回答済みの紹介", "Answered referrals")}
                referrals={data.answered}
                numbers={data.numbers}
                names={names}
                showAgency={!isAgency}
                actions={(r) =>
                  r.state === Referral_State.ACCEPTED || !isAgency ? (
                    <a href={`#/cases/${idOf(caseOf(r.name))}`}>{tr("事例を開く", "Open the case")}</a>
                  ) : null
                }
              />
            )}
            {isAgency && <MyCases list={data.myCases} />}
            {isAgency && <MyAssignments items={data.assignments} names={names} />}
          </>
        )}
      </Show>
      <DeclineDialog
        referral={declining}
        onClose={() => setDeclining(undefined)}
        onDeclined={() => {
          setDeclining(undefined);
          setDone({ text: tr("紹介を辞退しました。", "Declined.") });
          reload();
        }}
      />
    </>
  );
}

function ReferralTable({ caption, referrals, numbers, names, showAgency, actions }: {
  caption: string;
  referrals: Referral[];
  numbers: Map<string, string>;
  names: Map<string, string>;
  showAgency: boolean;
  actions: (r: Referral) => preact.ComponentChildren;
}) {
  return (
    <DataTable
      label={caption}
      head={
        <>
          <th scope="col">{tr("受付番号", "Case no.")}</th>
          <th scope="col">{tr("紹介日", "Referred")}</th>
          {showAgency && <th scope="col">{tr("紹介先", "Agency")}</th>}
          <th scope="col">{tr("依頼する役割", "Role")}</th>
          <th scope="col">{tr("紹介の理由", "Reason")}</th>
          <th scope="col">{tr("状態", "State")}</th>
          <th scope="col">{tr("操作", "Actions")}</th>
        </>
      }
    >
      {referrals.map((r) => (
        <tr key={r.name}>
          <td>{numbers.get(caseOf(r.name)) ?? caseOf(r.name)}</td>
          <td><DateText value={fromTimestamp(r.createTime)} /></td>
          {showAgency && <td>{agencyName(names, r.agency)}</td>}
          <td>{r.role ? enumLabel(TeamRoleSchema, r.role) : "—"}</td>
          <td>
            {r.note || <span class="muted">—</span>}
            {r.state === Referral_State.DECLINED && (
              <p class="muted">
                {tr("辞退の理由", "Reason for declining")}: {r.declineReason}
                {r.proposedAgency && (
                  <>
                    <br />
                    {tr("提案された機関", "Proposed agency")}: {agencyName(names, r.proposedAgency)}
                  </>
                )}
              </p>
            )}
          </td>
          <td><StateBadge state={r.state} /></td>
          <td>{actions(r)}</td>
        </tr>
      ))}
    </DataTable>
  );
}

function DeclineDialog({ referral, onClose, onDeclined }: {
  referral: Referral | undefined; onClose: () => void; onDeclined: () => void;
}) {
  const [reason, setReason] = useState("");
  const [proposed, setProposed] = useState("");
  const { busy, error, run } = useSubmission();
  const agencies = useLoad(() => loadAgencies(), []);
  useDraftGuard(reason !== "");

  const submit = (e: Event) => {
    e.preventDefault();
    if (!referral) return;
    void run(async () => {
      await cases.declineReferral({ name: referral.name, reason, proposedAgency: proposed });
      setReason("");
      setProposed("");
      onDeclined();
    });
  };
  const me = currentUser()?.agency ?? "";
  return (
    <Dialog title={tr("紹介を辞退する", "Decline the referral")} open={!!referral} onClose={onClose}>
      <form onSubmit={submit}>
        <ErrorBanner error={error} />
        <TextArea label={tr("辞退の理由", "Reason for declining")} value={reason} onValue={setReason} required />
        <Show loaded={agencies.loaded}>
          {(list) => (
            <Select
              label={tr("代わりに提案する機関", "Agency to ask instead")}
              value={proposed}
              onValue={setProposed}
              options={agencyOptions(list.filter((a) => a.name !== me), tr("（提案しない）", "(none)"))}
            />
          )}
        </Show>
        <div class="actions">
          <button type="submit" class="primary" disabled={busy}>{tr("辞退を送信", "Send the decline")}</button>
          <button type="button" onClick={onClose}>{tr("キャンセル", "Cancel")}</button>
        </div>
      </form>
    </Dialog>
  );
}

function MyCases({ list }: { list: Case[] }) {
  return (
    <>
      <h2>{tr("自機関の事例", "My agency's cases")}</h2>
      {list.length === 0 ? (
        <Empty>{tr("チームに加わっている事例はありません。", "Your agency is on no case team.")}</Empty>
      ) : (
        <DataTable
          label={tr("自機関の事例", "My agency's cases")}
          head={
            <>
              <th scope="col">{tr("受付番号", "Case no.")}</th>
              <th scope="col">{tr("受付日", "Intake")}</th>
              <th scope="col">{tr("状態", "State")}</th>
              <th scope="col">{tr("地区", "District")}</th>
            </>
          }
        >
          {list.map((c) => (
            <tr key={c.name}>
              <td><a href={`#/cases/${idOf(c.name)}`}>{c.caseNumber}</a></td>
              <td><DateText value={fromApiDate(c.intakeDate)} /></td>
              <td>{enumLabel(CaseStateSchema, c.state)}</td>
              <td>{c.district}</td>
            </tr>
          ))}
        </DataTable>
      )}
    </>
  );
}

function MyAssignments({ items, names }: { items: DueItem[]; names: Map<string, string> }) {
  return (
    <>
      <h2>{tr("自機関の役割分担", "My agency's assignments")}</h2>
      {items.length === 0 ? (
        <Empty>{tr("未了の役割分担はありません。", "No open assignment.")}</Empty>
      ) : (
        <DataTable
          label={tr("自機関の役割分担", "My agency's assignments")}
          head={
            <>
              <th scope="col">{tr("受付番号", "Case no.")}</th>
              <th scope="col">{tr("期限", "Due")}</th>
              <th scope="col">{tr("担当機関", "Agency")}</th>
              <th scope="col">{tr("会議", "Meeting")}</th>
            </>
          }
        >
          {items.map((item) => {
            const meetingId = idOf(item.subject.split("#")[0]);
            return (
              <tr key={item.subject}>
                <td>{item.case ? <a href={`#/cases/${idOf(item.case)}`}>{item.caseNumber}</a> : item.caseNumber}</td>
                <td>
                  <DateText value={fromApiDate(item.dueDate)} />{" "}
                  {item.overdue && <span class="badge overdue">{tr("期限超過", "Overdue")}</span>}
                </td>
                <td>{agencyName(names, item.agency)}</td>
                <td><a href={`#/meetings/${meetingId}`}>{tr("会議の記録", "Meeting record")}（{item.subject.split("#")[1]}）</a></td>
              </tr>
            );
          })}
        </DataTable>
      )}
    </>
  );
}
