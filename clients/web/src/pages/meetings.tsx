// 会議: the list of meetings the caller may see, a meeting's record (behind the confidentiality
// acknowledgement for participants), scheduling a meeting for a case, the minutes with decisions
// and role assignments, cancelling, and the A4 meeting record for print.
import { useEffect, useState } from "preact/hooks";
import { cases, explain, meetings, type ExplainedError } from "../api";
import type { Case } from "../gen/casecoord/v1/cases_pb";
import { TeamRole } from "../gen/casecoord/v1/cases_pb";
import {
  AssignmentStatus, AssignmentStatusSchema, MeetingState, MeetingStateSchema, MeetingType, MeetingTypeSchema,
  ParticipantRole, ParticipantRoleSchema, type Meeting,
} from "../gen/casecoord/v1/meetings_pb";
import { apiDateFromInput, enumLabel, enumOptions, fromApiDate, fromTimestamp, todayInJapan } from "../format";
import { tr } from "../i18n";
import { navigate, queryOf } from "../router";
import { currentUser, hasRole } from "../session";
import { Dialog } from "../ui/dialog";
import {
  DataTable, DateText, Empty, ErrorBanner, Field, PageTitle, Select, Show, TextArea, useDraftGuard, useLoad, useSubmission,
} from "../ui/common";
import { ConfidentialityNotice } from "./meeting/notice";
import { staffOf, UserName } from "../lookups";
import {
  agencyChoices, agencyName, caseNumbers, idOf, newRequestId, timestampFromLocalInput, useAgencyNames,
} from "./meeting/shared";

function isAckRequired(error: ExplainedError): boolean {
  return error.reason === "CONFIDENTIALITY_NOT_ACKNOWLEDGED";
}

// ---------------------------------------------------------------------------------------------
// #/meetings

export function MeetingsPage(_: { params: Record<string, string> }) {
  const caseFilter = queryOf(location.hash).get("case") ?? "";
  const { loaded } = useLoad(async () => {
    const filter = caseFilter ? `case = "cases/${caseFilter}"` : "";
    const list = await meetings.listMeetings({ pageSize: 200, filter });
    const numbers = await caseNumbers(list.meetings.map((m) => m.case));
    return { list: list.meetings, numbers };
  }, [caseFilter]);
  return (
    <>
      <PageTitle>{tr("会議", "Meetings")}</PageTitle>
      {caseFilter && (
        <p>
          <a href={`#/cases/${caseFilter}`}>{tr("事例に戻る", "Back to the case")}</a>{" · "}
          <a href="#/meetings">{tr("すべての会議", "All meetings")}</a>
        </p>
      )}
      <Show loaded={loaded}>
        {({ list, numbers }) => {
          const upcoming = list
            .filter((m) => m.state === MeetingState.SCHEDULED)
            .sort((a, b) => Number((a.scheduledTime?.seconds ?? 0n) - (b.scheduledTime?.seconds ?? 0n)));
          const past = list.filter((m) => m.state !== MeetingState.SCHEDULED);
          return (
            <>
              <h2>{tr("予定の会議", "Upcoming")}</h2>
              {upcoming.length === 0 ? (
                <Empty>{tr("予定の会議はありません。", "No meeting is scheduled.")}</Empty>
              ) : (
                <MeetingTable label={tr("予定の会議", "Upcoming meetings")} list={upcoming} numbers={numbers} />
              )}
              <h2>{tr("開催済み・中止", "Held and cancelled")}</h2>
              {past.length === 0 ? (
                <Empty>{tr("開催済みの会議はありません。", "No meeting has been held.")}</Empty>
              ) : (
                <MeetingTable label={tr("開催済み・中止の会議", "Held and cancelled meetings")} list={past} numbers={numbers} />
              )}
            </>
          );
        }}
      </Show>
    </>
  );
}

function MeetingTable({ label, list, numbers }: { label: string; list: Meeting[]; numbers: Map<string, string> }) {
  const me = currentUser();
  return (
    <DataTable
      label={label}
      head={
        <>
          <th scope="col">{tr("種類", "Type")}</th>
          <th scope="col">{tr("会議名", "Title")}</th>
          <th scope="col">{tr("日時", "When")}</th>
          <th scope="col">{tr("受付番号", "Case no.")}</th>
          <th scope="col">{tr("状態", "State")}</th>
        </>
      }
    >
      {list.map((m) => {
        const mine = m.participants.find((p) => me && p.user === `users/${me.userId}`);
        return (
          <tr key={m.name}>
            <td>{enumLabel(MeetingTypeSchema, m.type)}</td>
            <td>
              <a href={`#/meetings/${idOf(m.name)}`}>{m.title || tr("（無題の会議）", "(untitled)")}</a>
              {mine && !mine.acknowledgeTime && (
                <>
                  {" "}
                  <span class="badge overdue">{tr("守秘義務の確認が必要", "Acknowledgement needed")}</span>
                </>
              )}
            </td>
            <td>
              {m.state === MeetingState.HELD && m.heldDate ? (
                <DateText value={fromApiDate(m.heldDate)} />
              ) : (
                <DateText value={fromTimestamp(m.scheduledTime)} withTime />
              )}
            </td>
            <td>{m.case ? numbers.get(m.case) ?? idOf(m.case) : <span class="muted">—</span>}</td>
            <td><span class="badge">{enumLabel(MeetingStateSchema, m.state)}</span></td>
          </tr>
        );
      })}
    </DataTable>
  );
}

// ---------------------------------------------------------------------------------------------
// #/meetings/:id

interface MeetingView {
  meeting?: Meeting;
  ackNeeded?: ExplainedError;
  caseRecord?: Case;
}

async function loadMeeting(name: string): Promise<MeetingView> {
  let meeting: Meeting;
  try {
    meeting = await meetings.getMeeting({ name });
  } catch (error) {
    const explained = explain(error);
    if (isAckRequired(explained)) return { ackNeeded: explained };
    throw error;
  }
  let caseRecord: Case | undefined;
  if (meeting.case) caseRecord = await cases.getCase({ name: meeting.case }).catch(() => undefined);
  return { meeting, caseRecord };
}

export function MeetingPage({ params }: { params: Record<string, string> }) {
  const name = `meetings/${params.id}`;
  const { loaded, reload } = useLoad(() => loadMeeting(name), [name]);
  const names = useAgencyNames();
  return (
    <Show loaded={loaded}>
      {(view) =>
        view.ackNeeded ? (
          <AcknowledgeStep name={name} onDone={reload} />
        ) : (
          <MeetingRecord meeting={view.meeting!} caseRecord={view.caseRecord} names={names} onChanged={reload} />
        )
      }
    </Show>
  );
}

function AcknowledgeStep({ name, onDone }: { name: string; onDone: () => void }) {
  const { busy, error, run } = useSubmission();
  const acknowledge = () =>
    run(async () => {
      await meetings.acknowledgeConfidentiality({ name });
      onDone();
    });
  return (
    <>
      <PageTitle>{tr("守秘義務の確認", "Confidentiality acknowledgement")}</PageTitle>
      <p>
        {tr(
          "この会議の資料・参加者・議事録を見る前に、守秘義務について確認してください。確認した日時は記録されます。",
          "Before you read this meeting's materials, participants and minutes, acknowledge the duty of confidentiality. The time is recorded.",
        )}
      </p>
      <ConfidentialityNotice />
      <ErrorBanner error={error} />
      <div class="actions">
        <button type="button" class="primary" disabled={busy} onClick={() => void acknowledge()}>
          {tr("確認しました", "I acknowledge")}
        </button>
        <a class="button" href="#/meetings">{tr("会議一覧に戻る", "Back to meetings")}</a>
      </div>
    </>
  );
}

function MeetingRecord({ meeting, caseRecord, names, onChanged }: {
  meeting: Meeting; caseRecord?: Case; names: Map<string, string>; onChanged: () => void;
}) {
  const coordinator = hasRole("COORDINATOR");
  const [cancelOpen, setCancelOpen] = useState(false);
  const caseId = meeting.case ? idOf(meeting.case) : "";
  return (
    <>
      <PageTitle
        actions={
          <>
            <a class="button" href={`#/meetings/${idOf(meeting.name)}/print`}>{tr("印刷用表示", "Print view")}</a>
            {coordinator && meeting.state === MeetingState.HELD && caseId && (
              <button type="button" class="primary"
                onClick={() => navigate(`/cases/${caseId}/plan?meeting=${idOf(meeting.name)}`)}>
                {tr("支援計画を作成", "Create the support plan")}
              </button>
            )}
            {coordinator && meeting.state === MeetingState.SCHEDULED && (
              <button type="button" class="danger" onClick={() => setCancelOpen(true)}>{tr("中止", "Cancel meeting")}</button>
            )}
          </>
        }
      >
        {meeting.title || tr("会議", "Meeting")}
      </PageTitle>
      <MeetingSummary meeting={meeting} caseRecord={caseRecord} />
      <h2>{tr("参加者", "Participants")}</h2>
      <ParticipantTable meeting={meeting} names={names} />
      <h2>{tr("資料", "Materials")}</h2>
      {meeting.materials ? <p class="mt-pre">{meeting.materials}</p> : <Empty>{tr("資料はありません。", "No materials.")}</Empty>}
      {meeting.state === MeetingState.CANCELLED && (
        <>
          <h2>{tr("中止の理由", "Why it was cancelled")}</h2>
          <p class="mt-pre">{meeting.cancelReason}</p>
        </>
      )}
      {meeting.state === MeetingState.HELD && <MinutesView meeting={meeting} names={names} onChanged={onChanged} />}
      {coordinator && meeting.state === MeetingState.SCHEDULED && (
        <MinutesForm meeting={meeting} caseRecord={caseRecord} names={names} onSaved={onChanged} />
      )}
      <CancelDialog meeting={meeting} open={cancelOpen} onClose={() => setCancelOpen(false)}
        onCancelled={() => { setCancelOpen(false); onChanged(); }} />
    </>
  );
}

function MeetingSummary({ meeting, caseRecord }: { meeting: Meeting; caseRecord?: Case }) {
  return (
    <dl class="mt-summary">
      <dt>{tr("種類", "Type")}</dt>
      <dd>{enumLabel(MeetingTypeSchema, meeting.type)}</dd>
      <dt>{tr("状態", "State")}</dt>
      <dd><span class="badge">{enumLabel(MeetingStateSchema, meeting.state)}</span></dd>
      <dt>{tr("日時", "When")}</dt>
      <dd><DateText value={fromTimestamp(meeting.scheduledTime)} withTime /></dd>
      {meeting.heldDate && (
        <>
          <dt>{tr("開催日", "Held on")}</dt>
          <dd><DateText value={fromApiDate(meeting.heldDate)} /></dd>
        </>
      )}
      <dt>{tr("場所", "Place")}</dt>
      <dd>{meeting.location || "—"}</dd>
      <dt>{tr("受付番号", "Case no.")}</dt>
      <dd>
        {meeting.case ? (
          <a href={`#/cases/${idOf(meeting.case)}`}>{caseRecord?.caseNumber ?? idOf(meeting.case)}</a>
        ) : (
          "—"
        )}
      </dd>
    </dl>
  );
}

function ParticipantTable({ meeting, names, print }: { meeting: Meeting; names: Map<string, string>; print?: boolean }) {
  return (
    <DataTable
      label={tr("参加者", "Participants")}
      head={
        <>
          <th scope="col">{tr("機関", "Agency")}</th>
          <th scope="col">{tr("参加者", "Person")}</th>
          <th scope="col">{tr("役割", "Role")}</th>
          <th scope="col">{tr("守秘義務の確認", "Acknowledged")}</th>
        </>
      }
    >
      {meeting.participants.map((p) => (
        <tr key={p.user}>
          <td>{p.agency ? agencyName(names, p.agency) : tr("（市職員・アドバイザー）", "(city / adviser)")}</td>
          <td><UserName name={p.user} /></td>
          <td>{enumLabel(ParticipantRoleSchema, p.role)}</td>
          <td>
            {p.acknowledgeTime ? (
              <DateText value={fromTimestamp(p.acknowledgeTime)} withTime={!print} />
            ) : (
              <span>{tr("未確認", "Not yet")}</span>
            )}
          </td>
        </tr>
      ))}
    </DataTable>
  );
}

function MinutesView({ meeting, names, onChanged, print }: {
  meeting: Meeting; names: Map<string, string>; onChanged?: () => void; print?: boolean;
}) {
  const minutes = meeting.minutes;
  const me = currentUser();
  const [error, setError] = useState<ExplainedError | undefined>();
  const mark = async (assignmentId: string, status: AssignmentStatus) => {
    setError(undefined);
    try {
      await meetings.updateAssignment({ meeting: meeting.name, assignmentId, status });
      onChanged?.();
    } catch (e) {
      setError(explain(e));
    }
  };
  return (
    <>
      <h2>{tr("議事録", "Minutes")}</h2>
      <h3>{tr("世帯全体の支援方針・議事の要旨", "Support policy and summary")}</h3>
      {minutes?.supportPolicy ? <p class="mt-pre">{minutes.supportPolicy}</p> : <Empty>—</Empty>}
      <h3>{tr("決定事項", "Decisions")}</h3>
      {minutes && minutes.decisions.length > 0 ? (
        <ol>
          {minutes.decisions.map((d, i) => <li key={i}>{d}</li>)}
        </ol>
      ) : (
        <Empty>{tr("決定事項はありません。", "No decisions.")}</Empty>
      )}
      <h3>{tr("役割分担", "Role assignments")}</h3>
      <ErrorBanner error={error} />
      {minutes && minutes.assignments.length > 0 ? (
        <DataTable
          label={tr("役割分担", "Role assignments")}
          head={
            <>
              <th scope="col">{tr("担当機関", "Agency")}</th>
              <th scope="col">{tr("内容", "Action")}</th>
              <th scope="col">{tr("期限", "Due")}</th>
              <th scope="col">{tr("状況", "Status")}</th>
              {!print && <th scope="col" class="no-print">{tr("操作", "Actions")}</th>}
            </>
          }
        >
          {minutes.assignments.map((a) => {
            const mayMark = hasRole("COORDINATOR") || (!!me?.agency && me.agency === a.agency);
            return (
              <tr key={a.assignmentId}>
                <td>{agencyName(names, a.agency)}</td>
                <td class="mt-pre">{a.action}</td>
                <td><DateText value={fromApiDate(a.dueDate)} /></td>
                <td>{enumLabel(AssignmentStatusSchema, a.status)}</td>
                {!print && (
                  <td class="no-print">
                    {mayMark && a.status === AssignmentStatus.OPEN && (
                      <button type="button" onClick={() => void mark(a.assignmentId, AssignmentStatus.DONE)}>
                        {tr("完了にする", "Mark done")}
                      </button>
                    )}
                  </td>
                )}
              </tr>
            );
          })}
        </DataTable>
      ) : (
        <Empty>{tr("役割分担はありません。", "No role assignments.")}</Empty>
      )}
    </>
  );
}

interface AssignmentRow {
  key: number;
  agency: string;
  action: string;
  due: string;
}

function MinutesForm({ meeting, caseRecord, names, onSaved }: {
  meeting: Meeting; caseRecord?: Case; names: Map<string, string>; onSaved: () => void;
}) {
  const [heldDate, setHeldDate] = useState(todayInJapan());
  const [summary, setSummary] = useState("");
  const [decisions, setDecisions] = useState<string[]>([""]);
  const [rows, setRows] = useState<AssignmentRow[]>([]);
  const [nextKey, setNextKey] = useState(1);
  const { busy, error, run } = useSubmission();
  useDraftGuard(summary !== "" || decisions.some((d) => d !== "") || rows.length > 0);

  const agencyOptions = agencyChoices(
    [...meeting.participants.map((p) => p.agency).filter(Boolean), ...(caseRecord?.team.map((t) => t.agency) ?? [])],
    names, tr("（選択してください）", "(choose)"),
  );

  const submit = (e: Event) => {
    e.preventDefault();
    void run(async () => {
      await meetings.recordMinutes({
        // No etag: a participant's acknowledgement changes it, and the SCHEDULED check already
        // refuses a second recording.
        name: meeting.name,
        heldDate: apiDateFromInput(heldDate),
        minutes: {
          supportPolicy: summary,
          decisions: decisions.map((d) => d.trim()).filter(Boolean),
          assignments: rows.map((r) => ({ agency: r.agency, action: r.action, dueDate: apiDateFromInput(r.due) })),
        },
      });
      onSaved();
    });
  };
  const updateRow = (key: number, patch: Partial<AssignmentRow>) =>
    setRows(rows.map((r) => (r.key === key ? { ...r, ...patch } : r)));

  return (
    <form onSubmit={submit} class="no-print">
      <h2>{tr("議事録を記録", "Record the minutes")}</h2>
      <ErrorBanner error={error} />
      <Field label={tr("開催日", "Held on")} type="date" value={heldDate} onValue={setHeldDate} max={todayInJapan()} required />
      <TextArea label={tr("議事録", "Minutes")} value={summary} onValue={setSummary} rows={6} />
      <fieldset>
        <legend>{tr("決定事項", "Decisions")}</legend>
        {decisions.map((d, i) => (
          <div class="mt-row" key={i}>
            <Field label={tr(`決定事項${i + 1}`, `Decision ${i + 1}`)} value={d}
              onValue={(v) => setDecisions(decisions.map((x, j) => (j === i ? v : x)))} />
            <button type="button" class="link" onClick={() => setDecisions(decisions.filter((_, j) => j !== i))}>
              {tr(`決定事項${i + 1}を削除`, `Remove decision ${i + 1}`)}
            </button>
          </div>
        ))}
        <button type="button" onClick={() => setDecisions([...decisions, ""])}>{tr("決定事項を追加", "Add a decision")}</button>
      </fieldset>
      <fieldset>
        <legend>{tr("役割分担", "Role assignments")}</legend>
        {rows.map((r, i) => (
          <div class="grid" key={r.key}>
            <Select label={tr(`役割分担${i + 1}の担当機関`, `Assignment ${i + 1}: agency`)} value={r.agency}
              onValue={(v) => updateRow(r.key, { agency: v })} options={agencyOptions} required />
            <Field label={tr(`役割分担${i + 1}の内容`, `Assignment ${i + 1}: action`)} value={r.action}
              onValue={(v) => updateRow(r.key, { action: v })} required />
            <Field label={tr(`役割分担${i + 1}の期限`, `Assignment ${i + 1}: due date`)} type="date" value={r.due}
              onValue={(v) => updateRow(r.key, { due: v })} required />
            <div class="field">
              <button type="button" class="link" onClick={() => setRows(rows.filter((x) => x.key !== r.key))}>
                {tr(`役割分担${i + 1}を削除`, `Remove assignment ${i + 1}`)}
              </button>
            </div>
          </div>
        ))}
        <button type="button" onClick={() => {
          setRows([...rows, { key: nextKey, agency: "", action: "", due: "" }]);
          setNextKey(nextKey + 1);
        }}>
          {tr("役割分担を追加", "Add an assignment")}
        </button>
      </fieldset>
      <div class="actions">
        <button type="submit" class="primary" disabled={busy}>{tr("議事録を保存", "Save the minutes")}</button>
      </div>
    </form>
  );
}

function CancelDialog({ meeting, open, onClose, onCancelled }: {
  meeting: Meeting; open: boolean; onClose: () => void; onCancelled: () => void;
}) {
  const [reason, setReason] = useState("");
  const { busy, error, run } = useSubmission();
  const submit = (e: Event) => {
    e.preventDefault();
    void run(async () => {
      await meetings.cancelMeeting({ name: meeting.name, reason });
      onCancelled();
    });
  };
  return (
    <Dialog title={tr("会議を中止する", "Cancel the meeting")} open={open} onClose={onClose}>
      <form onSubmit={submit}>
        <ErrorBanner error={error} />
        <TextArea label={tr("中止の理由", "Why it is cancelled")} value={reason} onValue={setReason} required />
        <div class="actions">
          <button type="submit" class="danger" disabled={busy}>{tr("中止を確定", "Confirm cancellation")}</button>
          <button type="button" onClick={onClose}>{tr("戻る", "Back")}</button>
        </div>
      </form>
    </Dialog>
  );
}

// ---------------------------------------------------------------------------------------------
// #/meetings/:id/print

export function MeetingPrintPage({ params }: { params: Record<string, string> }) {
  const name = `meetings/${params.id}`;
  const { loaded } = useLoad(() => loadMeeting(name), [name]);
  const names = useAgencyNames();
  return (
    <Show loaded={loaded}>
      {(view) => {
        if (view.ackNeeded || !view.meeting) {
          return (
            <>
              <PageTitle>{tr("会議記録", "Meeting record")}</PageTitle>
              <p class="notice">
                {tr("守秘義務の確認が済んでいないため表示できません。", "Acknowledge the duty of confidentiality first.")}{" "}
                <a href={`#/meetings/${params.id}`}>{tr("会議のページへ", "Go to the meeting")}</a>
              </p>
            </>
          );
        }
        const meeting = view.meeting;
        return (
          <article class="mt-sheet">
            <div class="actions no-print">
              <button type="button" class="primary" onClick={() => window.print()}>{tr("印刷", "Print")}</button>
              <a class="button" href={`#/meetings/${params.id}`}>{tr("会議のページに戻る", "Back to the meeting")}</a>
            </div>
            <PageTitle>
              {tr("会議記録", "Meeting record")}：{meeting.title || enumLabel(MeetingTypeSchema, meeting.type)}
            </PageTitle>
            <ConfidentialityNotice />
            <MeetingSummary meeting={meeting} caseRecord={view.caseRecord} />
            <h2>{tr("参加者", "Participants")}</h2>
            <ParticipantTable meeting={meeting} names={names} print />
            <h2>{tr("資料", "Materials")}</h2>
            {meeting.materials ? <p class="mt-pre">{meeting.materials}</p> : <Empty>—</Empty>}
            {meeting.state === MeetingState.CANCELLED && (
              <>
                <h2>{tr("中止の理由", "Why it was cancelled")}</h2>
                <p class="mt-pre">{meeting.cancelReason}</p>
              </>
            )}
            {meeting.state === MeetingState.HELD && <MinutesView meeting={meeting} names={names} print />}
            <p class="muted print-footer">
              {tr("出力日", "Printed")}: <DateText value={new Date()} />　{tr("出力者", "By")}: {currentUser()?.displayName}
            </p>
          </article>
        );
      }}
    </Show>
  );
}

// ---------------------------------------------------------------------------------------------
// #/cases/:id/meetings/new

interface ParticipantRow {
  key: number;
  agency: string;
  user: string;
  role: string;
}

const ROLE_FOR_TEAM: Partial<Record<TeamRole, ParticipantRole>> = {
  [TeamRole.LEAD]: ParticipantRole.OVERALL_COORDINATION,
  [TeamRole.PRINCIPAL_SUPPORT]: ParticipantRole.PRINCIPAL_SUPPORT_ROLE,
  [TeamRole.PARTNER_SUPPORT]: ParticipantRole.PARTNER_SUPPORT_ROLE,
  [TeamRole.SCHEME_OWNER]: ParticipantRole.SCHEME_OWNER_ROLE,
};

export function NewMeetingPage({ params }: { params: Record<string, string> }) {
  const caseName = `cases/${params.id}`;
  const { loaded } = useLoad(() => cases.getCase({ name: caseName }), [caseName]);
  return (
    <Show loaded={loaded}>
      {(record) => <NewMeetingForm record={record} />}
    </Show>
  );
}

function NewMeetingForm({ record }: { record: Case }) {
  const names = useAgencyNames();
  const me = currentUser();
  const [type, setType] = useState(String(MeetingType.SUPPORT_MEETING));
  const [title, setTitle] = useState("");
  const [when, setWhen] = useState("");
  const [place, setPlace] = useState("");
  const [materials, setMaterials] = useState("");
  const [rows, setRows] = useState<ParticipantRow[]>(() => [
    { key: 0, agency: "", user: me?.userId ?? "", role: String(ParticipantRole.FACILITATOR) },
    ...record.team.map((t, i) => ({
      key: i + 1,
      agency: t.agency,
      user: "",
      role: String(ROLE_FOR_TEAM[t.role] ?? ParticipantRole.PARTNER_SUPPORT_ROLE),
    })),
  ]);
  const [nextKey, setNextKey] = useState(record.team.length + 1);
  const [requestId] = useState(newRequestId());
  const { busy, error, run } = useSubmission();
  useDraftGuard(title !== "" || materials !== "" || when !== "");

  const agencyOptions = agencyChoices(
    record.team.map((t) => t.agency), names, tr("（機関なし：市職員・アドバイザー）", "(no agency: city staff / adviser)"),
  );
  const roleChoices = enumOptions(ParticipantRoleSchema);
  // The staff of each agency on the rows, to choose people by name rather than by id.
  const [staff, setStaff] = useState(new Map<string, Array<{ name: string; displayName: string }>>());
  const rowAgencies = [...new Set(rows.map((r) => r.agency).filter(Boolean))].sort().join(",");
  useEffect(() => {
    let live = true;
    const wanted = rowAgencies ? rowAgencies.split(",") : [];
    Promise.all(wanted.map(async (a) => [a, await staffOf(a).catch(() => [])] as const)).then(
      (pairs) => live && setStaff(new Map(pairs)),
    );
    return () => {
      live = false;
    };
  }, [rowAgencies]);
  const updateRow = (key: number, patch: Partial<ParticipantRow>) =>
    setRows(rows.map((r) => (r.key === key ? { ...r, ...patch } : r)));

  const submit = (e: Event) => {
    e.preventDefault();
    void run(async () => {
      const created = await meetings.createMeeting({
        requestId,
        meeting: {
          type: Number(type) as MeetingType,
          case: record.name,
          title,
          scheduledTime: timestampFromLocalInput(when),
          location: place,
          materials,
          participants: rows
            .filter((r) => r.user.trim() !== "")
            .map((r) => ({
              user: r.user.trim().startsWith("users/") ? r.user.trim() : `users/${r.user.trim()}`,
              agency: r.agency,
              role: Number(r.role) as ParticipantRole,
            })),
        },
      });
      navigate(`/meetings/${idOf(created.name)}`);
    });
  };

  return (
    <>
      <PageTitle>{tr("会議を設定", "Schedule a meeting")}</PageTitle>
      <p>
        {tr("事例", "Case")}: <a href={`#/cases/${idOf(record.name)}`}>{record.caseNumber}</a>
      </p>
      <form onSubmit={submit}>
        <ErrorBanner error={error} />
        <div class="grid">
          <Select label={tr("会議の種類", "Meeting type")} value={type} onValue={setType} options={enumOptions(MeetingTypeSchema)} required />
          <Field label={tr("会議名", "Title")} value={title} onValue={setTitle} required maxLength={200}
            hint={tr("個人名を含めないでください（例：第2回ケース検討会議）", "No personal names (e.g. 2nd case meeting)")} />
          <Field label={tr("日時", "Date and time")} type="datetime-local" value={when} onValue={setWhen} required />
          <Field label={tr("場所", "Place")} value={place} onValue={setPlace} />
        </div>
        <fieldset>
          <legend>{tr("参加者", "Participants")}</legend>
          <p class="hint">
            {tr(
              "参加する人の所属機関と担当者、会議での役割を選びます。担当者が空の行は送信されません。",
              "Choose each participant's agency, person and role. Rows without a person are not sent.",
            )}
          </p>
          {rows.map((r, i) => (
            <div class="grid participant-row" key={r.key}>
              <Select label={tr(`参加者${i + 1}の機関`, `Participant ${i + 1}: agency`)} value={r.agency}
                onValue={(v) => updateRow(r.key, { agency: v })} options={agencyOptions} />
              {r.agency ? (
                <Select label={tr(`参加者${i + 1}の担当者`, `Participant ${i + 1}: person`)} value={r.user}
                  onValue={(v) => updateRow(r.key, { user: v })}
                  options={[
                    { value: "", label: tr("（選択してください）", "(choose)") },
                    ...(staff.get(r.agency) ?? []).map((u) => ({ value: idOf(u.name), label: u.displayName })),
                  ]} />
              ) : (
                <Field label={tr(`参加者${i + 1}のユーザーID`, `Participant ${i + 1}: user ID`)} value={r.user}
                  onValue={(v) => updateRow(r.key, { user: v })} autoComplete="off"
                  hint={r.user ? undefined : tr("市職員・アドバイザーはユーザーIDで指定します。", "City staff and advisers by user ID.")} />
              )}
              <Select label={tr(`参加者${i + 1}の役割`, `Participant ${i + 1}: role`)} value={r.role}
                onValue={(v) => updateRow(r.key, { role: v })} options={roleChoices} />
              <div class="field">
                <button type="button" class="link" onClick={() => setRows(rows.filter((x) => x.key !== r.key))}>
                  {tr(`参加者${i + 1}を削除`, `Remove participant ${i + 1}`)}
                </button>
              </div>
            </div>
          ))}
          <button type="button" onClick={() => {
            setRows([...rows, { key: nextKey, agency: "", user: "", role: String(ParticipantRole.OBSERVER) }]);
            setNextKey(nextKey + 1);
          }}>
            {tr("参加者を追加", "Add a participant")}
          </button>
        </fieldset>
        <TextArea label={tr("資料", "Materials")} value={materials} onValue={setMaterials} rows={6} />
        <div class="actions">
          <button type="submit" class="primary" disabled={busy}>{tr("会議を設定", "Schedule the meeting")}</button>
        </div>
      </form>
    </>
  );
}
