// アドバイザー派遣: a coordinator requests an adviser for a stuck case, approves or declines and
// closes; the assigned adviser (or a coordinator) records the session and the follow-ups within
// their limits; an adviser also sees its adviser meetings.
import { useState } from "preact/hooks";
import { advisers, cases, explain, meetings } from "../api";
import { DispatchState, DispatchStateSchema, type Adviser, type Dispatch } from "../gen/casecoord/v1/advisers_pb";
import type { Case } from "../gen/casecoord/v1/cases_pb";
import { SupportField, SupportFieldSchema } from "../gen/casecoord/v1/directory_pb";
import { MeetingStateSchema } from "../gen/casecoord/v1/meetings_pb";
import { apiDateFromInput, enumLabel, enumOptions, fromApiDate, fromTimestamp, todayInJapan } from "../format";
import { tr } from "../i18n";
import { navigate, queryOf } from "../router";
import { hasRole } from "../session";
import {
  DataTable, DateText, Empty, ErrorBanner, Field, PageTitle, Select, Show, TextArea, useDraftGuard, useLoad, useSubmission,
} from "../ui/common";
import { caseNumbers, idOf, inputFromApiDate, newRequestId } from "./meeting/shared";

/** Follow-ups allowed after a session: the server's default (dispatch-max-follow-ups); the API
 *  does not report the setting, only the deadline. */
const DEFAULT_MAX_FOLLOW_UPS = 2;

function adviserName(list: Adviser[], name: string): string {
  if (!name) return "—";
  return list.find((a) => a.name === name)?.displayName ?? name.replace(/^advisers\//, "");
}

async function loadAdvisers(): Promise<Adviser[]> {
  return (await advisers.listAdvisers({ pageSize: 500 })).advisers;
}

export function DispatchesPage(_: { params: Record<string, string> }) {
  const coordinator = hasRole("COORDINATOR");
  const adviser = hasRole("ADVISER");
  const { loaded, reload } = useLoad(async () => {
    const [list, registry, adviserMeetings] = await Promise.all([
      advisers.listDispatches({ pageSize: 200 }),
      loadAdvisers(),
      adviser ? meetings.listMeetings({ pageSize: 100, filter: "type = ADVISER_MEETING" }).then((r) => r.meetings) : Promise.resolve([]),
    ]);
    const numbers = await caseNumbers(list.dispatches.map((d) => d.case));
    return { list: list.dispatches, registry, numbers, adviserMeetings };
  }, []);
  return (
    <>
      <PageTitle>{tr("アドバイザー派遣", "Adviser dispatch")}</PageTitle>
      {coordinator && <RequestForm onCreated={(d) => navigate(`/dispatches/${idOf(d.name)}`)} />}
      <Show loaded={loaded}>
        {({ list, registry, numbers, adviserMeetings }) => (
          <>
            <h2>{adviser && !coordinator ? tr("担当する派遣", "My dispatches") : tr("派遣の一覧", "Dispatches")}</h2>
            {list.length === 0 ? (
              <Empty>{tr("派遣はありません。", "No dispatches.")}</Empty>
            ) : (
              <DataTable
                label={tr("派遣の一覧", "Dispatches")}
                head={
                  <>
                    <th scope="col">{tr("依頼日", "Requested")}</th>
                    <th scope="col">{tr("受付番号・団体", "Case / group")}</th>
                    <th scope="col">{tr("分野", "Field")}</th>
                    <th scope="col">{tr("アドバイザー", "Adviser")}</th>
                    <th scope="col">{tr("状態", "State")}</th>
                  </>
                }
              >
                {list.map((d) => (
                  <tr key={d.name}>
                    <td><a href={`#/dispatches/${idOf(d.name)}`}><DateText value={fromTimestamp(d.createTime)} /></a></td>
                    <td>{d.case ? numbers.get(d.case) ?? idOf(d.case) : d.communityGroup}</td>
                    <td>{enumLabel(SupportFieldSchema, d.field)}</td>
                    <td>{adviserName(registry, d.assignedAdviser || d.requestedAdviser)}</td>
                    <td><span class="badge">{enumLabel(DispatchStateSchema, d.state)}</span></td>
                  </tr>
                ))}
              </DataTable>
            )}
            {adviser && (
              <>
                <h2>{tr("アドバイザー会議", "Adviser meetings")}</h2>
                {adviserMeetings.length === 0 ? (
                  <Empty>{tr("アドバイザー会議はありません。", "No adviser meetings.")}</Empty>
                ) : (
                  <ul>
                    {adviserMeetings.map((m) => (
                      <li key={m.name}>
                        <a href={`#/meetings/${idOf(m.name)}`}>{m.title || tr("アドバイザー会議", "Adviser meeting")}</a>{" "}
                        <DateText value={fromTimestamp(m.scheduledTime)} withTime />{" "}
                        <span class="badge">{enumLabel(MeetingStateSchema, m.state)}</span>
                      </li>
                    ))}
                  </ul>
                )}
              </>
            )}
            <button type="button" class="link no-print" onClick={reload}>{tr("一覧を更新", "Refresh")}</button>
          </>
        )}
      </Show>
    </>
  );
}

function RequestForm({ onCreated }: { onCreated: (d: Dispatch) => void }) {
  const preset = queryOf(location.hash).get("case") ?? "";
  const [number, setNumber] = useState("");
  const [found, setFound] = useState<Case | undefined>();
  const [field, setField] = useState(String(SupportField.ELDERLY_CARE));
  const [note, setNote] = useState("");
  const [wished, setWished] = useState("");
  const [requestId] = useState(newRequestId());
  const { busy, error, setError, run } = useSubmission();
  const registry = useLoad(() => advisers.listAdvisers({ pageSize: 500, filter: "active = true" }).then((r) => r.advisers), []);
  useLoad(async () => {
    if (preset) setFound(await cases.getCase({ name: `cases/${preset}` }));
  }, [preset]);
  useDraftGuard(note !== "");

  const lookUp = async () => {
    setError(undefined);
    setFound(undefined);
    try {
      const result = await cases.searchCases({ caseNumber: number.trim(), pageSize: 1 });
      if (result.cases[0]) setFound(result.cases[0]);
      else setError({ message: tr("その受付番号の事例は見つかりません。", "No case has that number."), reason: "", code: 5, fields: [] });
    } catch (e) {
      setError(explain(e));
    }
  };
  const submit = (e: Event) => {
    e.preventDefault();
    if (!found) {
      setError({ message: tr("先に受付番号で事例を選んでください。", "Choose the case by its number first."), reason: "", code: 3, fields: [] });
      return;
    }
    void run(async () => {
      const created = await advisers.createDispatch({
        requestId,
        dispatch: { case: found.name, field: Number(field) as SupportField, requestNote: note, requestedAdviser: wished },
      });
      onCreated(created);
    });
  };
  return (
    <form onSubmit={submit}>
      <h2>{tr("派遣を依頼", "Request an adviser")}</h2>
      <ErrorBanner error={error} />
      <div class="mt-row">
        <Field label={tr("受付番号", "Case number")} value={number} onValue={setNumber} hint={tr("例：R6-0042", "e.g. R6-0042")} />
        <div class="field">
          <button type="button" onClick={() => void lookUp()}>{tr("事例を探す", "Find the case")}</button>
        </div>
      </div>
      {found && (
        <p class="ok" role="status">
          {tr("対象の事例", "Case")}: <a href={`#/cases/${idOf(found.name)}`}>{found.caseNumber}</a>
        </p>
      )}
      <div class="grid">
        <Select label={tr("分野", "Field")} value={field} onValue={setField} options={enumOptions(SupportFieldSchema)} />
        <Show loaded={registry.loaded}>
          {(list) => (
            <Select label={tr("希望するアドバイザー", "Adviser wished for")} value={wished} onValue={setWished}
              options={[{ value: "", label: tr("（指定しない）", "(any)") }, ...list.map((a) => ({ value: a.name, label: a.displayName }))]} />
          )}
        </Show>
      </div>
      <TextArea label={tr("相談したいこと", "What advice is needed")} value={note} onValue={setNote} required />
      <div class="actions">
        <button type="submit" class="primary" disabled={busy}>{tr("派遣を依頼", "Request")}</button>
      </div>
    </form>
  );
}

export function DispatchPage({ params }: { params: Record<string, string> }) {
  const name = `dispatches/${params.id}`;
  const { loaded, reload } = useLoad(async () => {
    const [dispatch, registry] = await Promise.all([advisers.getDispatch({ name }), loadAdvisers()]);
    const numbers = await caseNumbers([dispatch.case]);
    return { dispatch, registry, numbers };
  }, [name]);
  return (
    <Show loaded={loaded}>
      {({ dispatch: d, registry, numbers }) => (
        <>
          <PageTitle actions={<a class="button" href="#/dispatches">{tr("一覧に戻る", "Back to the list")}</a>}>
            {tr("アドバイザー派遣", "Adviser dispatch")}
          </PageTitle>
          <dl class="mt-summary">
            <dt>{tr("状態", "State")}</dt>
            <dd><span class="badge">{enumLabel(DispatchStateSchema, d.state)}</span></dd>
            <dt>{tr("受付番号・団体", "Case / group")}</dt>
            <dd>
              {/* An adviser may not open the case: without its number, the id is shown unlinked. */}
              {d.case ? (numbers.has(d.case) ? <a href={`#/cases/${idOf(d.case)}`}>{numbers.get(d.case)}</a> : d.case) : d.communityGroup}
            </dd>
            <dt>{tr("分野", "Field")}</dt>
            <dd>{enumLabel(SupportFieldSchema, d.field)}</dd>
            <dt>{tr("依頼日", "Requested")}</dt>
            <dd><DateText value={fromTimestamp(d.createTime)} /></dd>
            <dt>{tr("希望したアドバイザー", "Wished for")}</dt>
            <dd>{adviserName(registry, d.requestedAdviser)}</dd>
            <dt>{tr("派遣するアドバイザー", "Assigned")}</dt>
            <dd>{adviserName(registry, d.assignedAdviser)}</dd>
          </dl>
          <h2>{tr("相談したいこと", "What advice is needed")}</h2>
          <p class="mt-pre">{d.requestNote}</p>
          {d.state === DispatchState.DECLINED_DISPATCH && (
            <>
              <h2>{tr("不承認の理由", "Why it was declined")}</h2>
              <p class="mt-pre">{d.declineReason}</p>
            </>
          )}
          {d.sessionDate && (
            <>
              <h2>{tr("実施の記録", "Session")}</h2>
              <p>
                <DateText value={fromApiDate(d.sessionDate)} />　{tr(`${d.sessionMinutes}分`, `${d.sessionMinutes} min`)}
              </p>
              <p class="mt-pre">{d.sessionReport}</p>
              <h2>{tr("フォローアップ", "Follow-ups")}</h2>
              <p class="notice">
                {tr(
                  `フォローアップは実施日から期限（`,
                  "Follow-ups may be recorded from the session date until ",
                )}
                <DateText value={fromApiDate(d.followUpDeadline)} />
                {tr(
                  `）までに、既定で最大${DEFAULT_MAX_FOLLOW_UPS}回まで記録できます。記録済み: ${d.followUps.length}回。`,
                  `, at most ${DEFAULT_MAX_FOLLOW_UPS} by default. Recorded: ${d.followUps.length}.`,
                )}
              </p>
              {d.followUps.length > 0 ? (
                <ol>
                  {d.followUps.map((f) => (
                    <li key={f.number}><DateText value={fromApiDate(f.date)} />: <span class="mt-pre">{f.note}</span></li>
                  ))}
                </ol>
              ) : <Empty>{tr("フォローアップはまだありません。", "No follow-up yet.")}</Empty>}
            </>
          )}
          <DispatchActions dispatch={d} registry={registry} onChanged={reload} />
        </>
      )}
    </Show>
  );
}

function DispatchActions({ dispatch: d, registry, onChanged }: { dispatch: Dispatch; registry: Adviser[]; onChanged: () => void }) {
  const coordinator = hasRole("COORDINATOR");
  const [assign, setAssign] = useState(d.requestedAdviser);
  const [declineReason, setDeclineReason] = useState("");
  const [sessionDate, setSessionDate] = useState(todayInJapan());
  const [minutes, setMinutes] = useState("120");
  const [report, setReport] = useState("");
  const [followDate, setFollowDate] = useState(todayInJapan());
  const [followNote, setFollowNote] = useState("");
  const [requestId, setRequestId] = useState(newRequestId());
  const submission = useSubmission();
  const { busy, error } = submission;
  useDraftGuard(report !== "" || followNote !== "" || declineReason !== "");

  const run = (call: () => Promise<unknown>) =>
    submission.run(async () => {
      await call();
      setRequestId(newRequestId());
      onChanged();
    });
  const active = registry.filter((a) => a.active !== false);
  return (
    <>
      <ErrorBanner error={error} />
      {coordinator && d.state === DispatchState.REQUESTED && (
        <form onSubmit={(e) => { e.preventDefault(); void run(() => advisers.approveDispatch({ name: d.name, adviser: assign, etag: d.etag })); }}>
          <h2>{tr("承認", "Approve")}</h2>
          <Select label={tr("派遣するアドバイザー", "Adviser to send")} value={assign} onValue={setAssign} required
            options={[{ value: "", label: tr("（選択してください）", "(choose)") }, ...active.map((a) => ({ value: a.name, label: a.displayName }))]} />
          <div class="actions">
            <button type="submit" class="primary" disabled={busy || !assign}>{tr("承認する", "Approve")}</button>
          </div>
        </form>
      )}
      {coordinator && (d.state === DispatchState.REQUESTED || d.state === DispatchState.APPROVED) && (
        <form onSubmit={(e) => { e.preventDefault(); void run(() => advisers.declineDispatch({ name: d.name, reason: declineReason, etag: d.etag })); }}>
          <h2>{tr("不承認", "Decline")}</h2>
          <TextArea label={tr("不承認の理由", "Why it is declined")} value={declineReason} onValue={setDeclineReason} required />
          <div class="actions">
            <button type="submit" class="danger" disabled={busy}>{tr("不承認とする", "Decline")}</button>
          </div>
        </form>
      )}
      {d.state === DispatchState.APPROVED && (
        <form onSubmit={(e) => {
          e.preventDefault();
          void run(() => advisers.recordSession({
            name: d.name, sessionDate: apiDateFromInput(sessionDate), sessionMinutes: Number(minutes), report, requestId,
          }));
        }}>
          <h2>{tr("実施を記録", "Record the session")}</h2>
          <div class="grid">
            <Field label={tr("実施日", "Session date")} type="date" value={sessionDate} onValue={setSessionDate} max={todayInJapan()} required />
            <Field label={tr("時間（分）", "Minutes")} type="number" min="1" max="1440" value={minutes} onValue={setMinutes}
              hint={tr("1〜1440分。標準は約2時間（120分）", "1 to 1440; about 2 hours is usual")} />
          </div>
          <TextArea label={tr("報告", "Report")} value={report} onValue={setReport} required rows={6} />
          <div class="actions">
            <button type="submit" class="primary" disabled={busy}>{tr("実施を記録", "Record the session")}</button>
          </div>
        </form>
      )}
      {d.state === DispatchState.SESSION_HELD && d.followUps.length < DEFAULT_MAX_FOLLOW_UPS && (
        <form onSubmit={(e) => {
          e.preventDefault();
          void run(async () => {
            await advisers.recordFollowUp({ name: d.name, followUp: { date: apiDateFromInput(followDate), note: followNote }, requestId });
            setFollowNote("");
          });
        }}>
          <h2>{tr("フォローアップを記録", "Record a follow-up")}</h2>
          <Field label={tr("フォローアップ日", "Follow-up date")} type="date" value={followDate} onValue={setFollowDate}
            min={inputFromApiDate(d.sessionDate)} max={minDate(todayInJapan(), inputFromApiDate(d.followUpDeadline))} required />
          <TextArea label={tr("フォローアップの内容", "Follow-up note")} value={followNote} onValue={setFollowNote} required />
          <div class="actions">
            <button type="submit" class="primary" disabled={busy}>{tr("フォローアップを記録", "Record the follow-up")}</button>
          </div>
        </form>
      )}
      {coordinator && d.state === DispatchState.SESSION_HELD && (
        <div class="actions">
          <button type="button" disabled={busy} onClick={() => void run(() => advisers.closeDispatch({ name: d.name, etag: d.etag }))}>
            {tr("派遣を終了", "Close the dispatch")}
          </button>
        </div>
      )}
    </>
  );
}

function minDate(a: string, b: string): string {
  if (!b) return a;
  return a < b ? a : b;
}
