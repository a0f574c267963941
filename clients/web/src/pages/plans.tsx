// 支援計画 and モニタリング of a case: the plan in force and its versions, a new version (from a
// meeting's minutes when ?meeting= names one), reviews, and the monitoring schedule and checks.
import { useState } from "preact/hooks";
import { cases, explain, meetings, monitoring } from "../api";
import type { Case } from "../gen/casecoord/v1/cases_pb";
import {
  MonitoringStage, MonitoringStageSchema, MonitoringTrack, MonitoringTrackSchema, CheckKind, CheckKindSchema,
  type MonitoringRecord,
} from "../gen/casecoord/v1/monitoring_pb";
import { ReviewDecision, ReviewDecisionSchema, type Meeting, type SupportPlan } from "../gen/casecoord/v1/meetings_pb";
import { apiDateFromInput, enumLabel, enumOptions, fromApiDate, fromTimestamp, todayInJapan } from "../format";
import { tr } from "../i18n";
import { navigate, queryOf } from "../router";
import { hasRole } from "../session";
import {
  DataTable, DateText, Empty, ErrorBanner, Field, PageTitle, Select, Show, TextArea, useDraftGuard, useLoad, useSubmission,
} from "../ui/common";
import {
  addDaysToInput, agencyChoices, agencyName, idOf, inputFromApiDate, newRequestId, useAgencyNames,
} from "./meeting/shared";

interface PlanData {
  record: Case;
  plans: SupportPlan[];
  monitor?: MonitoringRecord;
  meeting?: Meeting;
}

async function loadPlanData(caseName: string, meetingId: string): Promise<PlanData> {
  const [record, versions, monitor, meeting] = await Promise.all([
    cases.getCase({ name: caseName }),
    meetings.listPlanVersions({ parent: caseName, pageSize: 100 }),
    monitoring.getMonitoring({ name: `${caseName}/monitoring` }).catch((e) => {
      // No schedule yet is a normal state of a case, not an error of the page.
      if (explain(e).code === 5) return undefined;
      throw e;
    }),
    meetingId ? meetings.getMeeting({ name: `meetings/${meetingId}` }).catch(() => undefined) : Promise.resolve(undefined),
  ]);
  return { record, plans: versions.plans, monitor, meeting };
}

function versionOf(plan: SupportPlan): string {
  return idOf(plan.name);
}

export function PlanPage({ params }: { params: Record<string, string> }) {
  const caseName = `cases/${params.id}`;
  const meetingId = queryOf(location.hash).get("meeting") ?? "";
  const { loaded, reload } = useLoad(() => loadPlanData(caseName, meetingId), [caseName, meetingId]);
  const names = useAgencyNames();
  const [shown, setShown] = useState<string>("");
  const coordinator = hasRole("COORDINATOR");
  return (
    <>
      <PageTitle>{tr("支援計画・モニタリング", "Support plan and monitoring")}</PageTitle>
      <Show loaded={loaded}>
        {(data) => {
          const current = data.plans.find((p) => p.current) ?? data.plans[0];
          const viewing = data.plans.find((p) => p.name === shown) ?? current;
          const memberName = (id: string) =>
            id ? data.record.members.find((m) => m.memberId === id)?.displayName ?? id : tr("世帯全体", "Whole household");
          return (
            <>
              <p>
                {tr("事例", "Case")}: <a href={`#/cases/${idOf(data.record.name)}`}>{data.record.caseNumber}</a>
              </p>
              <h2>{viewing && viewing !== current ? tr(`第${versionOf(viewing)}版`, `Version ${versionOf(viewing)}`) : tr("現在の計画", "The plan in force")}</h2>
              {viewing ? (
                <PlanView plan={viewing} names={names} memberName={memberName} />
              ) : (
                <Empty>{tr("支援計画はまだありません。", "There is no support plan yet.")}</Empty>
              )}
              {data.plans.length > 0 && (
                <>
                  <h2>{tr("計画の版", "Versions")}</h2>
                  <DataTable
                    label={tr("計画の版", "Plan versions")}
                    head={
                      <>
                        <th scope="col">{tr("版", "Version")}</th>
                        <th scope="col">{tr("作成日", "Created")}</th>
                        <th scope="col">{tr("次回見直し日", "Next review")}</th>
                        <th scope="col">{tr("見直し", "Reviews")}</th>
                        <th scope="col">{tr("表示", "Show")}</th>
                      </>
                    }
                  >
                    {data.plans.map((p) => (
                      <tr key={p.name}>
                        <td>
                          {tr(`第${versionOf(p)}版`, `v${versionOf(p)}`)}{" "}
                          {p.current && <span class="badge">{tr("現行", "In force")}</span>}
                        </td>
                        <td><DateText value={fromTimestamp(p.createTime)} /></td>
                        <td><DateText value={fromApiDate(p.nextReviewDate)} /></td>
                        <td class="num">{p.reviews.length}</td>
                        <td>
                          <button type="button" class="link" disabled={p === viewing} onClick={() => setShown(p.name)}>
                            {tr(`第${versionOf(p)}版を表示`, `Show v${versionOf(p)}`)}
                          </button>
                        </td>
                      </tr>
                    ))}
                  </DataTable>
                </>
              )}
              {coordinator && current && <ReviewForm plan={current} onSaved={reload} />}
              {coordinator && (
                <PlanForm data={data} names={names} onSaved={() => { setShown(""); reload(); }} />
              )}
              <MonitoringSection caseName={data.record.name} monitor={data.monitor} onSaved={reload} />
            </>
          );
        }}
      </Show>
    </>
  );
}

function PlanView({ plan, names, memberName }: {
  plan: SupportPlan; names: Map<string, string>; memberName: (id: string) => string;
}) {
  return (
    <>
      <dl class="mt-summary">
        <dt>{tr("版", "Version")}</dt>
        <dd>{tr(`第${versionOf(plan)}版`, `v${versionOf(plan)}`)}</dd>
        <dt>{tr("作成日", "Created")}</dt>
        <dd><DateText value={fromTimestamp(plan.createTime)} /></dd>
        <dt>{tr("次回見直し日", "Next review")}</dt>
        <dd><DateText value={fromApiDate(plan.nextReviewDate)} /></dd>
        <dt>{tr("根拠の会議", "Agreed at")}</dt>
        <dd>{plan.meeting ? <a href={`#/meetings/${idOf(plan.meeting)}`}>{tr("会議の記録", "Meeting record")}</a> : "—"}</dd>
      </dl>
      <h3>{tr("目標", "Goals")}</h3>
      {plan.goals.length ? (
        <ul>
          {plan.goals.map((g, i) => (
            <li key={i}><strong>{memberName(g.memberId)}</strong>: <span class="mt-pre">{g.goal}</span></li>
          ))}
        </ul>
      ) : <Empty>—</Empty>}
      <h3>{tr("評価項目", "Evaluation items")}</h3>
      {plan.evaluationItems.length ? (
        <ul>{plan.evaluationItems.map((e, i) => <li key={i}>{e}</li>)}</ul>
      ) : <Empty>—</Empty>}
      <h3>{tr("取組（役割分担）", "Actions")}</h3>
      {plan.actions.length ? (
        <DataTable
          label={tr("取組", "Actions")}
          head={
            <>
              <th scope="col">{tr("担当機関", "Agency")}</th>
              <th scope="col">{tr("内容", "Action")}</th>
              <th scope="col">{tr("期限", "Due")}</th>
            </>
          }
        >
          {plan.actions.map((a, i) => (
            <tr key={i}>
              <td>{agencyName(names, a.agency) || "—"}</td>
              <td class="mt-pre">{a.action}</td>
              <td><DateText value={fromApiDate(a.dueDate)} /></td>
            </tr>
          ))}
        </DataTable>
      ) : <Empty>—</Empty>}
      <h3>{tr("見直しの記録", "Reviews")}</h3>
      {plan.reviews.length ? (
        <ol class="timeline">
          {plan.reviews.map((r) => (
            <li key={r.number}>
              <DateText value={fromApiDate(r.reviewDate)} />　<span class="badge">{enumLabel(ReviewDecisionSchema, r.decision)}</span>
              <p class="mt-pre">{r.evaluation}</p>
              {r.nextReviewDate && (
                <p class="muted">{tr("次の見直し予定日", "Next review")}: <DateText value={fromApiDate(r.nextReviewDate)} /></p>
              )}
            </li>
          ))}
        </ol>
      ) : <Empty>{tr("見直しはまだありません。", "No review yet.")}</Empty>}
    </>
  );
}

interface GoalRow { key: number; member: string; goal: string }
interface ActionRow { key: number; agency: string; action: string; due: string; assignment: string }

function PlanForm({ data, names, onSaved }: { data: PlanData; names: Map<string, string>; onSaved: () => void }) {
  const meeting = data.meeting;
  const current = data.plans.find((p) => p.current);
  // From a meeting: its policy becomes the household goal, its decisions the evaluation items and
  // its role assignments the actions; otherwise start from the plan in force.
  const [goals, setGoals] = useState<GoalRow[]>(() =>
    meeting?.minutes
      ? [{ key: 0, member: "", goal: meeting.minutes.supportPolicy }]
      : current
        ? current.goals.map((g, i) => ({ key: i, member: g.memberId, goal: g.goal }))
        : [{ key: 0, member: "", goal: "" }],
  );
  const [items, setItems] = useState<string[]>(() =>
    meeting?.minutes ? [...meeting.minutes.decisions] : current ? [...current.evaluationItems] : [""],
  );
  const [actions, setActions] = useState<ActionRow[]>(() =>
    meeting?.minutes
      ? meeting.minutes.assignments.map((a, i) => ({
        key: i, agency: a.agency, action: a.action, due: inputFromApiDate(a.dueDate), assignment: `${meeting.name}#${a.assignmentId}`,
      }))
      : current
        ? current.actions.map((a, i) => ({ key: i, agency: a.agency, action: a.action, due: inputFromApiDate(a.dueDate), assignment: a.assignment }))
        : [],
  );
  const [nextReview, setNextReview] = useState(addDaysToInput(todayInJapan(), 90));
  const [nextKey, setNextKey] = useState(100);
  const [requestId] = useState(newRequestId());
  const { busy, error, run } = useSubmission();
  const [saved, setSaved] = useState(false);
  useDraftGuard(!saved && (!!meeting || goals.some((g) => g.goal !== "")));

  const memberChoices = [
    { value: "", label: tr("世帯全体", "Whole household") },
    ...data.record.members.map((m) => ({ value: m.memberId, label: `${m.displayName}${m.relationship ? `（${m.relationship}）` : ""}` })),
  ];
  const agencyOptions = agencyChoices(
    [...data.record.team.map((t) => t.agency), ...actions.map((a) => a.agency).filter(Boolean)],
    names, tr("（選択してください）", "(choose)"),
  );

  const submit = (e: Event) => {
    e.preventDefault();
    void run(async () => {
      await meetings.createPlanVersion({
        parent: data.record.name,
        requestId,
        plan: {
          goals: goals.filter((g) => g.goal.trim()).map((g) => ({ memberId: g.member, goal: g.goal })),
          evaluationItems: items.map((i) => i.trim()).filter(Boolean),
          actions: actions.map((a) => ({ agency: a.agency, action: a.action, dueDate: apiDateFromInput(a.due), assignment: a.assignment })),
          nextReviewDate: apiDateFromInput(nextReview),
          meeting: meeting?.name ?? "",
        },
      });
      setSaved(true);
      // The new version is saved: leave the meeting's prefill behind.
      if (meeting) navigate(`/cases/${idOf(data.record.name)}/plan`);
      else onSaved();
    });
  };

  return (
    <form onSubmit={submit}>
      <h2>{tr("新しい版を作成", "Create a new version")}</h2>
      {meeting && (
        <p class="notice">
          {tr("会議の議事録から作成します", "From the minutes of the meeting")}:{" "}
          <a href={`#/meetings/${idOf(meeting.name)}`}>{meeting.title || tr("会議", "meeting")}</a>
        </p>
      )}
      <ErrorBanner error={error} />
      <fieldset>
        <legend>{tr("目標", "Goals")}</legend>
        {goals.map((g, i) => (
          <div class="mt-row" key={g.key}>
            <Select label={tr(`目標${i + 1}の対象`, `Goal ${i + 1}: for`)} value={g.member} options={memberChoices}
              onValue={(v) => setGoals(goals.map((x) => (x.key === g.key ? { ...x, member: v } : x)))} />
            <Field label={tr(`目標${i + 1}`, `Goal ${i + 1}`)} value={g.goal}
              onValue={(v) => setGoals(goals.map((x) => (x.key === g.key ? { ...x, goal: v } : x)))} />
          </div>
        ))}
        <button type="button" onClick={() => { setGoals([...goals, { key: nextKey, member: "", goal: "" }]); setNextKey(nextKey + 1); }}>
          {tr("目標を追加", "Add a goal")}
        </button>
      </fieldset>
      <fieldset>
        <legend>{tr("評価項目", "Evaluation items")}</legend>
        {items.map((item, i) => (
          <Field key={i} label={tr(`評価項目${i + 1}`, `Evaluation item ${i + 1}`)} value={item}
            onValue={(v) => setItems(items.map((x, j) => (j === i ? v : x)))} />
        ))}
        <button type="button" onClick={() => setItems([...items, ""])}>{tr("評価項目を追加", "Add an item")}</button>
      </fieldset>
      <fieldset>
        <legend>{tr("取組（役割分担）", "Actions")}</legend>
        {actions.map((a, i) => (
          <div class="mt-row" key={a.key}>
            <Select label={tr(`取組${i + 1}の担当機関`, `Action ${i + 1}: agency`)} value={a.agency} options={agencyOptions}
              onValue={(v) => setActions(actions.map((x) => (x.key === a.key ? { ...x, agency: v } : x)))} />
            <Field label={tr(`取組${i + 1}の内容`, `Action ${i + 1}`)} value={a.action}
              onValue={(v) => setActions(actions.map((x) => (x.key === a.key ? { ...x, action: v } : x)))} />
            <Field label={tr(`取組${i + 1}の期限`, `Action ${i + 1}: due`)} type="date" value={a.due}
              onValue={(v) => setActions(actions.map((x) => (x.key === a.key ? { ...x, due: v } : x)))} />
            <div class="field">
              <button type="button" class="link" onClick={() => setActions(actions.filter((x) => x.key !== a.key))}>
                {tr(`取組${i + 1}を削除`, `Remove action ${i + 1}`)}
              </button>
            </div>
          </div>
        ))}
        <button type="button" onClick={() => {
          setActions([...actions, { key: nextKey, agency: "", action: "", due: "", assignment: "" }]);
          setNextKey(nextKey + 1);
        }}>
          {tr("取組を追加", "Add an action")}
        </button>
      </fieldset>
      <Field label={tr("次回見直し日", "Next review date")} type="date" value={nextReview} onValue={setNextReview} required />
      <div class="actions">
        <button type="submit" class="primary" disabled={busy}>{tr("計画を保存", "Save the plan")}</button>
      </div>
    </form>
  );
}

function ReviewForm({ plan, onSaved }: { plan: SupportPlan; onSaved: () => void }) {
  const [reviewDate, setReviewDate] = useState(todayInJapan());
  const [evaluation, setEvaluation] = useState("");
  const [decision, setDecision] = useState(String(ReviewDecision.CONTINUE));
  const [nextReview, setNextReview] = useState(addDaysToInput(todayInJapan(), 90));
  const { busy, error, run } = useSubmission();
  useDraftGuard(evaluation !== "");
  const closing = Number(decision) === ReviewDecision.CLOSE;
  const submit = (e: Event) => {
    e.preventDefault();
    void run(async () => {
      await meetings.reviewPlan({
        name: plan.name,
        review: {
          reviewDate: apiDateFromInput(reviewDate),
          evaluation,
          decision: Number(decision) as ReviewDecision,
          nextReviewDate: closing ? undefined : apiDateFromInput(nextReview),
        },
      });
      setEvaluation("");
      onSaved();
    });
  };
  return (
    <form onSubmit={submit}>
      <h2>{tr("見直し", "Review")}（{tr(`第${versionOf(plan)}版`, `v${versionOf(plan)}`)}）</h2>
      <ErrorBanner error={error} />
      <div class="grid">
        <Field label={tr("見直し日", "Review date")} type="date" value={reviewDate} onValue={setReviewDate} max={todayInJapan()} required />
        <Select label={tr("見直しの判断", "Decision")} value={decision} onValue={setDecision} options={enumOptions(ReviewDecisionSchema)} />
        {!closing && (
          <Field label={tr("次の見直し予定日", "Next review")} type="date" value={nextReview} onValue={setNextReview} required />
        )}
      </div>
      <TextArea label={tr("見直しの評価", "Evaluation")} value={evaluation} onValue={setEvaluation} required />
      <div class="actions">
        <button type="submit" class="primary" disabled={busy}>{tr("見直しを記録", "Record the review")}</button>
      </div>
    </form>
  );
}

const STAGES_OF: Record<number, MonitoringStage[]> = {
  [MonitoringTrack.LIFE]: [MonitoringStage.STAGE_VISIT, MonitoringStage.STAGE_PROGRESS_CHECK, MonitoringStage.STAGE_STABLE_LIFE, MonitoringStage.STAGE_CLOSURE],
  [MonitoringTrack.WORK]: [MonitoringStage.STAGE_MATCHING, MonitoringStage.STAGE_TRIAL, MonitoringStage.STAGE_SETTLING_IN, MonitoringStage.STAGE_CLOSURE],
};

function MonitoringSection({ caseName, monitor, onSaved }: {
  caseName: string; monitor?: MonitoringRecord; onSaved: () => void;
}) {
  const coordinator = hasRole("COORDINATOR");
  return (
    <section aria-labelledby="monitoring-heading">
      <h2 id="monitoring-heading">{tr("モニタリング", "Monitoring")}</h2>
      {monitor ? (
        <>
          <dl class="mt-summary">
            <dt>{tr("支援の種類", "Track")}</dt>
            <dd>{enumLabel(MonitoringTrackSchema, monitor.track)}</dd>
            <dt>{tr("予定", "Schedule")}</dt>
            <dd>
              {monitor.schedule?.intervalDays
                ? tr(`${monitor.schedule.intervalDays}日ごと`, `Every ${monitor.schedule.intervalDays} days`)
                : monitor.schedule?.dates.map((d, i) => <span key={i}><DateText value={fromApiDate(d)} />{" "}</span>)}
            </dd>
            <dt>{tr("到達段階", "Stage")}</dt>
            <dd>{monitor.stage ? enumLabel(MonitoringStageSchema, monitor.stage) : "—"}</dd>
            <dt>{tr("次回確認日", "Next check")}</dt>
            <dd><DateText value={fromApiDate(monitor.nextCheckDate)} /></dd>
          </dl>
          <h3>{tr("確認の記録", "Checks")}</h3>
          {monitor.checks.length ? (
            <DataTable
              label={tr("確認の記録", "Checks")}
              head={
                <>
                  <th scope="col">{tr("番号", "No.")}</th>
                  <th scope="col">{tr("確認日", "Date")}</th>
                  <th scope="col">{tr("種類", "Kind")}</th>
                  <th scope="col">{tr("段階", "Stage")}</th>
                  <th scope="col">{tr("内容", "Note")}</th>
                </>
              }
            >
              {[...monitor.checks].reverse().map((c) => (
                <tr key={c.number}>
                  <td class="num">{c.number}</td>
                  <td><DateText value={fromApiDate(c.date)} /></td>
                  <td>{enumLabel(CheckKindSchema, c.kind)}</td>
                  <td>{c.stage ? enumLabel(MonitoringStageSchema, c.stage) : "—"}</td>
                  <td class="mt-pre">{c.note}</td>
                </tr>
              ))}
            </DataTable>
          ) : <Empty>{tr("確認の記録はまだありません。", "No check yet.")}</Empty>}
        </>
      ) : (
        <Empty>{tr("モニタリングの予定はまだ設定されていません。", "No monitoring schedule is set.")}</Empty>
      )}
      {coordinator && <ScheduleForm caseName={caseName} monitor={monitor} onSaved={onSaved} />}
      {monitor && <CheckForm caseName={caseName} monitor={monitor} onSaved={onSaved} />}
    </section>
  );
}

function ScheduleForm({ caseName, monitor, onSaved }: { caseName: string; monitor?: MonitoringRecord; onSaved: () => void }) {
  const [track, setTrack] = useState(String(monitor?.track || MonitoringTrack.LIFE));
  const [mode, setMode] = useState(monitor?.schedule?.dates.length ? "dates" : "interval");
  const [interval, setInterval] = useState(String(monitor?.schedule?.intervalDays || 30));
  const [start, setStart] = useState(inputFromApiDate(monitor?.schedule?.startDate) || todayInJapan());
  const [dates, setDates] = useState((monitor?.schedule?.dates ?? []).map(inputFromApiDate).join(", "));
  const { busy, error, run } = useSubmission();
  const [done, setDone] = useState(false);
  const submit = (e: Event) => {
    e.preventDefault();
    setDone(false);
    void run(async () => {
      await monitoring.setMonitoringSchedule({
        name: `${caseName}/monitoring`,
        track: Number(track) as MonitoringTrack,
        schedule: mode === "interval"
          ? { intervalDays: Number(interval), startDate: apiDateFromInput(start) }
          : { dates: dates.split(/[,、\s]+/).map((d) => apiDateFromInput(d.trim())).filter((d) => !!d) as Array<{ year: number; month: number; day: number }> },
      });
      setDone(true);
      onSaved();
    });
  };
  return (
    <form onSubmit={submit}>
      <h3>{tr("モニタリングの予定", "Monitoring schedule")}</h3>
      <ErrorBanner error={error} />
      {done && <p class="ok" role="status">{tr("予定を保存しました。", "Saved.")}</p>}
      <div class="grid">
        <Select label={tr("支援の種類", "Track")} value={track} onValue={setTrack} options={enumOptions(MonitoringTrackSchema)} />
        <Select label={tr("予定の決め方", "Schedule by")} value={mode} onValue={setMode} options={[
          { value: "interval", label: tr("一定の間隔", "Every N days") },
          { value: "dates", label: tr("日付を指定", "Given dates") },
        ]} />
        {mode === "interval" ? (
          <>
            <Field label={tr("確認の間隔（日）", "Interval (days)")} type="number" min="1" max="366" value={interval} onValue={setInterval} required />
            <Field label={tr("起算日", "Counting from")} type="date" value={start} onValue={setStart} />
          </>
        ) : (
          <Field label={tr("確認予定日", "Check dates")} value={dates} onValue={setDates} required
            hint={tr("2026-01-15, 2026-02-15 のように、古い順に区切って入力", "e.g. 2026-01-15, 2026-02-15, ascending")} />
        )}
      </div>
      <div class="actions">
        <button type="submit" class="primary" disabled={busy}>{tr("予定を保存", "Save the schedule")}</button>
      </div>
    </form>
  );
}

function CheckForm({ caseName, monitor, onSaved }: { caseName: string; monitor: MonitoringRecord; onSaved: () => void }) {
  const [kind, setKind] = useState(String(CheckKind.ROUTINE_CHECK));
  const [date, setDate] = useState(todayInJapan());
  const [stage, setStage] = useState("0");
  const [note, setNote] = useState("");
  const [requestId, setRequestId] = useState(newRequestId());
  const { busy, error, run } = useSubmission();
  useDraftGuard(note !== "");
  const stageChoices = [
    { value: "0", label: tr("（変更なし）", "(unchanged)") },
    ...(STAGES_OF[monitor.track] ?? []).map((s) => ({ value: String(s), label: enumLabel(MonitoringStageSchema, s) })),
  ];
  const submit = (e: Event) => {
    e.preventDefault();
    void run(async () => {
      await monitoring.recordCheck({
        name: `${caseName}/monitoring`,
        requestId,
        check: { kind: Number(kind) as CheckKind, date: apiDateFromInput(date), stage: Number(stage) as MonitoringStage, note },
      });
      setNote("");
      setRequestId(newRequestId());
      onSaved();
    });
  };
  return (
    <form onSubmit={submit}>
      <h3>{tr("確認を記録", "Record a check")}</h3>
      <ErrorBanner error={error} />
      <div class="grid">
        <Select label={tr("確認の種類", "Kind")} value={kind} onValue={setKind} options={enumOptions(CheckKindSchema)} />
        <Field label={tr("確認日", "Date")} type="date" value={date} onValue={setDate} max={todayInJapan()} required />
        <Select label={tr("到達段階", "Stage reached")} value={stage} onValue={setStage} options={stageChoices} />
      </div>
      <TextArea label={tr("確認の内容", "What was found")} value={note} onValue={setNote} required />
      <div class="actions">
        <button type="submit" class="primary" disabled={busy}>{tr("確認を記録", "Record the check")}</button>
      </div>
    </form>
  );
}
