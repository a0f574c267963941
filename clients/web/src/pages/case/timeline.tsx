// One timeline of a case, newest first: consultation log entries (with their corrections),
// state decisions and referral answers from the history, referrals, meetings and plan versions.
import { useState } from "preact/hooks";
import { cases } from "../../api";
import type { CaseEvent, ConsultationEntry, Referral } from "../../gen/casecoord/v1/cases_pb";
import {
  CaseEventKind, CaseEventKindSchema, CaseOutcomeSchema, CaseStateSchema, ConsultationKind,
  ConsultationKindSchema, ContactMethodSchema, Referral_StateSchema, TeamRoleSchema,
} from "../../gen/casecoord/v1/cases_pb";
import type { Date as ApiDate } from "../../gen/casecoord/v1/common_pb";
import type { Meeting, SupportPlan } from "../../gen/casecoord/v1/meetings_pb";
import { MeetingStateSchema, MeetingTypeSchema } from "../../gen/casecoord/v1/meetings_pb";
import { enumLabel, fromApiDate, fromTimestamp, isoDate, todayInJapan, apiDateFromInput } from "../../format";
import { tr } from "../../i18n";
import { DateText, ErrorBanner, Field, TextArea, useDraftGuard, useSubmission } from "../../ui/common";
import { idOf, newRequestId, UserName } from "../../lookups";

export interface TimelineData {
  consultations: ConsultationEntry[];
  history: CaseEvent[];
  referrals: Referral[];
  meetings: Meeting[];
  plans: SupportPlan[];
}

type Item =
  | { kind: "consultation"; day: string; time: number; entry: ConsultationEntry }
  | { kind: "event"; day: string; time: number; event: CaseEvent }
  | { kind: "referral"; day: string; time: number; referral: Referral }
  | { kind: "meeting"; day: string; time: number; meeting: Meeting }
  | { kind: "plan"; day: string; time: number; plan: SupportPlan };

// History kinds shown as their own lines; the others (a consultation logged, a referral made, a
// meeting held) are shown through the record itself, with more detail.
const EVENT_KINDS = new Set([
  CaseEventKind.OPENED, CaseEventKind.STATE_CHANGED, CaseEventKind.REFERRAL_ACCEPTED,
  CaseEventKind.REFERRAL_DECLINED, CaseEventKind.REFERRAL_REVOKED, CaseEventKind.TEAM_MEMBER_REMOVED,
  CaseEventKind.PURGED,
]);

const ms = (d: Date | undefined) => (d ? d.getTime() : 0);
const dayOf = (date: ApiDate | undefined, fallback: Date | undefined) =>
  date?.year ? isoDate(fromApiDate(date)) : isoDate(fallback);

export function buildTimeline(data: TimelineData): Item[] {
  const items: Item[] = [];
  for (const entry of data.consultations) {
    const created = fromTimestamp(entry.createTime);
    items.push({ kind: "consultation", day: dayOf(entry.date, created), time: ms(created), entry });
  }
  for (const event of data.history) {
    if (!EVENT_KINDS.has(event.kind)) continue;
    const time = fromTimestamp(event.time);
    items.push({ kind: "event", day: dayOf(event.decisionDate, time), time: ms(time), event });
  }
  for (const referral of data.referrals) {
    const time = fromTimestamp(referral.createTime);
    items.push({ kind: "referral", day: isoDate(time), time: ms(time), referral });
  }
  for (const meeting of data.meetings) {
    const time = fromTimestamp(meeting.scheduledTime);
    items.push({ kind: "meeting", day: dayOf(meeting.heldDate, time), time: ms(time), meeting });
  }
  for (const plan of data.plans) {
    const time = fromTimestamp(plan.createTime);
    items.push({ kind: "plan", day: isoDate(time), time: ms(time), plan });
  }
  // Newest first: by the day it happened, then by when it was recorded.
  return items.sort((a, b) => (a.day === b.day ? b.time - a.time : a.day < b.day ? 1 : -1));
}

const entryNumber = (name: string) => idOf(name);

export function Timeline({ data, agency, canLog, onChanged }: {
  data: TimelineData;
  agency: (name: string) => string;
  canLog: boolean;
  onChanged: () => void;
}) {
  const items = buildTimeline(data);
  if (items.length === 0) return <p class="empty">{tr("まだ記録はありません。", "Nothing recorded yet.")}</p>;
  return (
    <ol class="timeline">
      {items.map((item) => {
        switch (item.kind) {
          case "consultation":
            return <ConsultationItem key={item.entry.name} entry={item.entry} agency={agency} canLog={canLog}
              onChanged={onChanged} />;
          case "event": {
            const e = item.event;
            return (
              <li key={`e${e.sequence}`}>
                <div class="case-when">
                  <DateText value={fromApiDate(e.decisionDate) ?? fromTimestamp(e.time)} />
                  {" · "}{enumLabel(CaseEventKindSchema, e.kind)}
                  {e.actor && <> · <UserName name={e.actor} /></>}
                </div>
                {e.kind === CaseEventKind.STATE_CHANGED && (
                  <p>
                    {enumLabel(CaseStateSchema, e.fromState)} → <strong>{enumLabel(CaseStateSchema, e.toState)}</strong>
                    {e.outcome ? <>（{enumLabel(CaseOutcomeSchema, e.outcome)}）</> : null}
                    {e.decider && <> · {tr("決定者", "Decided by")}: {e.decider.startsWith("users/") ? <UserName name={e.decider} /> : e.decider}</>}
                  </p>
                )}
                {e.subject && e.kind !== CaseEventKind.STATE_CHANGED && e.kind !== CaseEventKind.OPENED && (
                  <p>{e.subject.startsWith("agencies/") ? agency(e.subject) : subjectLabel(e.subject)}</p>
                )}
                {e.reason && <p class="case-text">{tr("理由", "Reason")}: {e.reason}</p>}
              </li>
            );
          }
          case "referral": {
            const r = item.referral;
            return (
              <li key={r.name}>
                <div class="case-when">
                  <DateText value={fromTimestamp(r.createTime)} /> · {tr("紹介", "Referral")}
                  {r.referredBy && <> · <UserName name={r.referredBy} /></>}
                </div>
                <p>
                  <strong>{agency(r.agency)}</strong> {tr("へ紹介", "")}（{enumLabel(TeamRoleSchema, r.role)}）
                  {" "}<span class="badge">{enumLabel(Referral_StateSchema, r.state)}</span>
                </p>
                {r.note && <p class="case-text">{r.note}</p>}
                {r.declineReason && <p class="case-text">{tr("辞退の理由", "Decline reason")}: {r.declineReason}</p>}
                {r.proposedAgency && <p>{tr("提案された機関", "Proposed agency")}: {agency(r.proposedAgency)}</p>}
              </li>
            );
          }
          case "meeting": {
            const m = item.meeting;
            return (
              <li key={m.name}>
                <div class="case-when">
                  <DateText value={fromApiDate(m.heldDate) ?? fromTimestamp(m.scheduledTime)} withTime={!m.heldDate} />
                  {" · "}{enumLabel(MeetingTypeSchema, m.type)}{" "}
                  <span class="badge">{enumLabel(MeetingStateSchema, m.state)}</span>
                </div>
                <p><a href={`#/meetings/${idOf(m.name)}`}>{m.title || tr("会議", "Meeting")}</a></p>
              </li>
            );
          }
          case "plan": {
            const p = item.plan;
            return (
              <li key={p.name}>
                <div class="case-when">
                  <DateText value={fromTimestamp(p.createTime)} /> · {tr("支援計画", "Support plan")}
                  {p.author && <> · <UserName name={p.author} /></>}
                </div>
                <p>
                  <a href={`#/cases/${idOf(p.name.split("/plans/")[0])}/plan`}>
                    {tr(`支援計画 第${idOf(p.name)}版`, `Support plan, version ${idOf(p.name)}`)}
                  </a>
                  {p.current && <> <span class="badge">{tr("現行", "Current")}</span></>}
                  {p.nextReviewDate?.year ? <> · {tr("次回見直し", "Next review")}: <DateText value={fromApiDate(p.nextReviewDate)} /></> : null}
                </p>
              </li>
            );
          }
        }
      })}
    </ol>
  );
}

function subjectLabel(subject: string): string {
  const referral = /\/referrals\/(\d+)$/.exec(subject);
  if (referral) return tr(`紹介 #${referral[1]}`, `Referral #${referral[1]}`);
  const consultation = /\/consultations\/(\d+)$/.exec(subject);
  if (consultation) return tr(`相談記録 #${consultation[1]}`, `Entry #${consultation[1]}`);
  return idOf(subject);
}

function ConsultationItem({ entry, agency, canLog, onChanged }: {
  entry: ConsultationEntry;
  agency: (name: string) => string;
  canLog: boolean;
  onChanged: () => void;
}) {
  const [correcting, setCorrecting] = useState(false);
  const n = entryNumber(entry.name);
  const amended = entry.amendedBy.length > 0;
  return (
    <li class={amended ? "case-amended" : undefined}>
      <div class="case-when">
        <DateText value={fromApiDate(entry.date)} />
        {" · "}{tr(`相談記録 #${n}`, `Entry #${n}`)}
        {" · "}{enumLabel(ConsultationKindSchema, entry.kind)}
        {entry.method ? <> · {enumLabel(ContactMethodSchema, entry.method)}</> : null}
        {entry.agency && <> · {agency(entry.agency)}</>}
        {entry.author && <> · <UserName name={entry.author} /></>}
      </div>
      {entry.kind === ConsultationKind.AMENDMENT && entry.amends && (
        <p>
          <strong>{tr(`相談記録 #${entryNumber(entry.amends)} の訂正`, `Correction of entry #${entryNumber(entry.amends)}`)}</strong>
          {entry.amendmentReason && <> · {tr("訂正の理由", "Reason")}: {entry.amendmentReason}</>}
        </p>
      )}
      <p class="case-text">{entry.summary}</p>
      {amended && (
        <p class="notice">
          {tr("この記録は訂正されています：", "This entry was corrected by: ")}
          {entry.amendedBy.map((a) => tr(`相談記録 #${entryNumber(a)}`, `entry #${entryNumber(a)}`)).join("、")}
        </p>
      )}
      {canLog && !correcting && (
        <button type="button" onClick={() => setCorrecting(true)}>{tr("訂正", "Correct")}</button>
      )}
      {correcting && (
        <CorrectionForm entry={entry} onDone={(changed) => {
          setCorrecting(false);
          if (changed) onChanged();
        }} />
      )}
    </li>
  );
}

function CorrectionForm({ entry, onDone }: { entry: ConsultationEntry; onDone: (changed: boolean) => void }) {
  const [summary, setSummary] = useState(entry.summary);
  const [reason, setReason] = useState("");
  const { busy, error, run } = useSubmission();
  const [requestId] = useState(newRequestId);
  useDraftGuard(summary !== entry.summary || reason !== "");
  const parent = entry.name.split("/consultations/")[0];
  return (
    <form class="card" onSubmit={(e) => {
      e.preventDefault();
      void run(async () => {
        await cases.appendConsultation({
          parent,
          requestId,
          entry: {
            kind: ConsultationKind.AMENDMENT,
            date: apiDateFromInput(todayInJapan()),
            method: entry.method,
            agency: entry.agency,
            summary,
            amends: entry.name,
            amendmentReason: reason,
          },
        });
        onDone(true);
      });
    }}>
      <TextArea label={tr("訂正内容", "Corrected text")} value={summary} onValue={setSummary} required />
      <Field label={tr("訂正の理由", "Reason for the correction")} value={reason} onValue={setReason} required />
      <ErrorBanner error={error} />
      <div class="case-row-actions">
        <button type="submit" class="primary" disabled={busy}>{tr("訂正を記録", "Record correction")}</button>
        <button type="button" onClick={() => onDone(false)}>{tr("キャンセル", "Cancel")}</button>
      </div>
    </form>
  );
}
