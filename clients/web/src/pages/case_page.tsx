// 事例 page (#/cases/:id): the household, its team, one timeline of everything recorded, the
// consultation log form, transitions and referrals. Agency staff and advisers see the cases the
// server lets them see, without the coordinator's actions; a case outside their scope is the
// server's NOT_FOUND, shown as the error banner.
import { useEffect, useState } from "preact/hooks";
import { cases, explain, meetings, type ExplainedError } from "../api";
import type { Case, CaseEvent, ConsultationEntry, Referral } from "../gen/casecoord/v1/cases_pb";
import {
  CaseOutcomeSchema, CaseStateSchema, ConsentStatusSchema, ConsultationKind, ConsultationKindSchema,
  ContactMethod, ContactMethodSchema, Referral_StateSchema, TeamRoleSchema, UrgencySchema,
} from "../gen/casecoord/v1/cases_pb";
import { SupportFieldSchema } from "../gen/casecoord/v1/directory_pb";
import type { Meeting, SupportPlan } from "../gen/casecoord/v1/meetings_pb";
import { apiDateFromInput, enumLabel, enumOptions, fromApiDate, fromTimestamp, todayInJapan } from "../format";
import { tr } from "../i18n";
import { currentUser, hasRole } from "../session";
import { DateText, ErrorBanner, Field, Loading, PageTitle, Select, TextArea, useDraftGuard, useSubmission } from "../ui/common";
import { ReferDialog, TransitionDialog, transitionsFrom, type TransitionChoice } from "./case/dialogs";
import { idOf, loadAgencies, loadTerms, newRequestId, useAgencies, useAgencyNames, UserName, useVocab } from "../lookups";
import { Timeline, type TimelineData } from "./case/timeline";

interface CaseData extends TimelineData {
  kase: Case;
  /** Parts the caller may not read (e.g. meetings for some roles): shown as a note, not a failure. */
  missing: string[];
  /** Only the case itself has arrived; the lists are still loading. */
  pending?: boolean;
}

/** The page as soon as the case has arrived: its summary, with the lists still to come. */
function pendingData(kase: Case): CaseData {
  return { kase, consultations: [], history: [], referrals: [], meetings: [], plans: [], missing: [], pending: true };
}

async function all<T>(fetchPage: (token: string) => Promise<{ items: T[]; next: string }>): Promise<T[]> {
  const out: T[] = [];
  let token = "";
  do {
    const page = await fetchPage(token);
    out.push(...page.items);
    token = page.next;
  } while (token);
  return out;
}

// Every call at once: the page waits for one round trip, not two; `onCase` gets the case as soon
// as it arrives, so the summary shows before the lists.
async function loadCase(name: string, signal: AbortSignal, onCase: (kase: Case) => void): Promise<CaseData> {
  const caseCall = cases.getCase({ name }, { signal });
  // What the page will look up once it renders, asked for now (each is kept for the page load).
  for (const list of ["districts", "issue-tags"] as const) void loadTerms(list).catch(() => undefined);
  void loadAgencies().catch(() => undefined);
  caseCall.then((kase) => !signal.aborted && onCase(kase), () => undefined);
  const missing: string[] = [];
  const optional = <T,>(what: string, p: Promise<T[]>) => p.catch(() => {
    if (signal.aborted) throw new DOMException("aborted", "AbortError");
    missing.push(what);
    return [] as T[];
  });
  const [kase, consultations, history, referrals, meetingList, plans] = await Promise.all([
    caseCall,
    all<ConsultationEntry>((pageToken) => cases.listConsultations({ parent: name, pageSize: 1000, pageToken }, { signal })
      .then((r) => ({ items: r.entries, next: r.nextPageToken }))),
    all<CaseEvent>((pageToken) => cases.getCaseHistory({ name, pageSize: 1000, pageToken }, { signal })
      .then((r) => ({ items: r.events, next: r.nextPageToken }))),
    optional(tr("紹介", "referrals"), all<Referral>((pageToken) => cases.listReferrals({ parent: name, pageSize: 1000, pageToken }, { signal })
      .then((r) => ({ items: r.referrals, next: r.nextPageToken })))),
    optional(tr("会議", "meetings"), all<Meeting>((pageToken) =>
      meetings.listMeetings({ filter: `case = "${name}"`, pageSize: 1000, pageToken }, { signal })
        .then((r) => ({ items: r.meetings, next: r.nextPageToken })))),
    optional(tr("支援計画", "plans"), all<SupportPlan>((pageToken) =>
      meetings.listPlanVersions({ parent: name, pageSize: 1000, pageToken }, { signal })
        .then((r) => ({ items: r.plans, next: r.nextPageToken })))),
  ]);
  return { kase, consultations, history, referrals, meetings: meetingList, plans, missing };
}

export function CasePage({ params }: { params: Record<string, string> }) {
  const name = `cases/${params.id}`;
  const [round, setRound] = useState(0);
  const [state, setState] = useState<{ data?: CaseData; error?: ExplainedError }>({});
  useEffect(() => {
    const controller = new AbortController();
    // A reload keeps the page on screen (and the forms' input) until the new data is in.
    loadCase(name, controller.signal, (kase) => setState((s) => (s.data ? s : { data: pendingData(kase) }))).then(
      (data) => !controller.signal.aborted && setState({ data }),
      (error) => !controller.signal.aborted && setState((s) => ({ ...s, error: explain(error) })),
    );
    return () => controller.abort();
  }, [name, round]);
  if (!state.data) {
    return (
      <>
        <PageTitle>{tr("事例", "Case")}</PageTitle>
        {state.error ? <ErrorBanner error={state.error} /> : <Loading />}
      </>
    );
  }
  return (
    <>
      {state.error && <ErrorBanner error={state.error} />}
      <CaseView data={state.data} reload={() => setRound((r) => r + 1)} />
    </>
  );
}

function CaseView({ data, reload }: { data: CaseData; reload: () => void }) {
  const { kase } = data;
  const coordinator = hasRole("COORDINATOR");
  const canLog = coordinator || hasRole("AGENCY_STAFF");
  const districts = useVocab("districts");
  const tags = useVocab("issue-tags");
  const agency = useAgencyNames([
    kase.referringAgency,
    ...kase.team.map((t) => t.agency),
    ...kase.involvedAgencies.map((a) => a.agency),
    ...data.referrals.flatMap((r) => [r.agency, r.proposedAgency]),
    ...data.consultations.map((c) => c.agency),
    ...data.history.filter((e) => e.subject.startsWith("agencies/")).map((e) => e.subject),
  ].filter(Boolean));
  const [transition, setTransition] = useState<TransitionChoice>();
  const [referring, setReferring] = useState(false);
  const [notice, setNotice] = useState("");
  const id = idOf(kase.name);
  const purged = !!kase.purgeTime;

  const closeDialog = (changed: boolean, done: string, trigger: string) => {
    setTransition(undefined);
    setReferring(false);
    if (changed) {
      setNotice(done);
      reload();
    } else {
      // Back to the button that opened the dialog, for keyboard users.
      setTimeout(() => document.getElementById(trigger)?.focus());
    }
  };

  return (
    <>
      <PageTitle actions={
        <>
          {coordinator && !purged && <a class="button" href={`#/cases/${id}/meetings/new`}>{tr("会議を設定", "Schedule a meeting")}</a>}
          <a class="button" href={`#/cases/${id}/plan`}>{tr("支援計画", "Support plan")}</a>
          <a class="button" href={`#/cases/${id}/print`}>{tr("印刷", "Print")}</a>
        </>
      }>
        {tr("事例", "Case")} {kase.caseNumber}
      </PageTitle>
      {notice && <p class="ok" role="status">{notice}</p>}
      {data.missing.length > 0 && (
        <p class="notice">{tr(`次の情報は表示できません：${data.missing.join("、")}`, `Not shown: ${data.missing.join(", ")}`)}</p>
      )}
      {purged && (
        <p class="notice">{tr("この事例の個人情報は消去されています。", "This case's personal data has been destroyed.")}</p>
      )}

      <section aria-labelledby="case-summary">
        <h2 id="case-summary">{tr("概要", "Summary")}</h2>
        <dl class="case-summary">
          <div><dt>{tr("受付番号", "Case number")}</dt><dd>{kase.caseNumber}</dd></div>
          <div><dt>{tr("状態", "State")}</dt><dd>
            <span class="badge">{enumLabel(CaseStateSchema, kase.state)}</span>
            {kase.outcome ? <>（{enumLabel(CaseOutcomeSchema, kase.outcome)}）</> : null}
          </dd></div>
          <div><dt>{tr("受付日", "Intake date")}</dt><dd><DateText value={fromApiDate(kase.intakeDate)} /></dd></div>
          <div><dt>{tr("年度", "Fiscal year")}</dt><dd>{kase.fiscalYear?.eraLabelJa || "—"}</dd></div>
          <div><dt>{tr("地区", "District")}</dt><dd>{districts.label(kase.district)}</dd></div>
          <div><dt>{tr("緊急度", "Urgency")}</dt><dd>{kase.urgency ? enumLabel(UrgencySchema, kase.urgency) : "—"}</dd></div>
          <div><dt>{tr("本人同意", "Consent")}</dt><dd>{kase.consent ? enumLabel(ConsentStatusSchema, kase.consent) : "—"}</dd></div>
          <div><dt>{tr("担当推進員", "Coordinator")}</dt><dd>{kase.coordinator ? <UserName name={kase.coordinator} /> : "—"}</dd></div>
          <div><dt>{tr("次回見直し日", "Next review")}</dt><dd><DateText value={fromApiDate(kase.nextReviewDate)} /></dd></div>
          <div><dt>{tr("つなぎ元", "Referred by")}</dt><dd>{agency(kase.referringAgency) || "—"}</dd></div>
          <div><dt>{tr("電話番号", "Phone")}</dt><dd>{kase.phone || "—"}</dd></div>
          <div><dt>{tr("住所", "Address")}</dt><dd>{kase.address || "—"}</dd></div>
          <div class="wide"><dt>{tr("世帯の課題", "Household issues")}</dt><dd>
            {kase.householdIssueTags.map((t) => tags.label(t)).join("、") || "—"}
          </dd></div>
          <div class="wide"><dt>{tr("分野", "Fields")}</dt><dd>
            {kase.fields.map((f) => enumLabel(SupportFieldSchema, f)).join("、") || "—"}
          </dd></div>
          <div class="wide"><dt>{tr("相談内容", "Presenting problem")}</dt><dd class="case-text">{kase.presentingProblem || "—"}</dd></div>
          <div class="wide"><dt>{tr("つなぎ元の対応", "What the referrer did")}</dt><dd class="case-text">{kase.referralNote || "—"}</dd></div>
          {kase.involvedAgencies.length > 0 && (
            <div class="wide"><dt>{tr("関係機関", "Agencies involved")}</dt><dd>
              <ul>
                {kase.involvedAgencies.map((a) => <li key={a.agency}>{agency(a.agency)}{a.note && <>：{a.note}</>}</li>)}
              </ul>
            </dd></div>
          )}
        </dl>
      </section>

      {coordinator && !purged && transitionsFrom(kase.state).length > 0 && (
        <section aria-labelledby="case-transitions">
          <h2 id="case-transitions">{tr("状態の変更", "Change state")}</h2>
          <div class="actions">
            {transitionsFrom(kase.state).map((choice) => (
              <button type="button" key={choice.to} id={`case-to-${choice.to}`} onClick={() => {
                setNotice("");
                setTransition(choice);
              }}>
                {choice.label()}
              </button>
            ))}
          </div>
        </section>
      )}

      <section aria-labelledby="case-members">
        <h2 id="case-members">{tr("世帯員", "Household members")}</h2>
        <div class="table-wrap">
          <table>
            <caption class="case-vh">{tr("世帯員", "Household members")}</caption>
            <thead>
              <tr>
                <th scope="col">{tr("氏名", "Name")}</th>
                <th scope="col">{tr("フリガナ", "Kana")}</th>
                <th scope="col">{tr("生年月日", "Birth date")}</th>
                <th scope="col">{tr("続柄", "Relationship")}</th>
                <th scope="col">{tr("課題", "Issues")}</th>
              </tr>
            </thead>
            <tbody>
              {kase.members.map((m) => (
                <tr key={m.memberId}>
                  <th scope="row">{m.displayName || "—"}{m.principal && <> <span class="badge">{tr("本人", "Principal")}</span></>}</th>
                  <td>{m.kana}</td>
                  <td><DateText value={fromApiDate(m.birthDate)} /></td>
                  <td>{m.relationship}</td>
                  <td>{m.issueTags.map((t) => tags.label(t)).join("、")}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>

      <section aria-labelledby="case-team">
        <h2 id="case-team">{tr("支援チーム", "Case team")}</h2>
        {kase.team.length === 0 ? <p class="empty">{tr("まだ参加している機関はありません。", "No agency on the team yet.")}</p> : (
          <div class="table-wrap">
            <table>
              <caption class="case-vh">{tr("支援チーム", "Case team")}</caption>
              <thead><tr>
                <th scope="col">{tr("機関", "Agency")}</th>
                <th scope="col">{tr("役割", "Role")}</th>
                <th scope="col">{tr("参加日", "Joined")}</th>
              </tr></thead>
              <tbody>
                {kase.team.map((t) => (
                  <tr key={t.agency}>
                    <th scope="row"><a href={`#/directory/${idOf(t.agency)}`}>{agency(t.agency)}</a></th>
                    <td>{enumLabel(TeamRoleSchema, t.role)}</td>
                    <td><DateText value={fromTimestamp(t.joinTime)} /></td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <h3>{tr("紹介", "Referrals")}</h3>
        {data.pending ? <Loading /> : data.referrals.length === 0 ? <p class="empty">{tr("紹介はまだありません。", "No referrals yet.")}</p> : (
          <div class="table-wrap">
            <table>
              <caption class="case-vh">{tr("紹介", "Referrals")}</caption>
              <thead><tr>
                <th scope="col">{tr("紹介先", "Agency")}</th>
                <th scope="col">{tr("役割", "Role")}</th>
                <th scope="col">{tr("状態", "State")}</th>
                <th scope="col">{tr("紹介日", "Referred")}</th>
              </tr></thead>
              <tbody>
                {data.referrals.map((r) => (
                  <tr key={r.name}>
                    <th scope="row">{agency(r.agency)}</th>
                    <td>{enumLabel(TeamRoleSchema, r.role)}</td>
                    <td><span class="badge">{enumLabel(Referral_StateSchema, r.state)}</span></td>
                    <td><DateText value={fromTimestamp(r.createTime)} /></td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {coordinator && !purged && (
          <div class="case-row-actions">
            <button type="button" id="case-refer" onClick={() => {
              setNotice("");
              setReferring(true);
            }}>{tr("相談機関へ紹介", "Refer to an agency")}</button>
          </div>
        )}
      </section>

      {canLog && !purged && (
        <section aria-labelledby="case-log">
          <h2 id="case-log">{tr("相談記録", "Consultation log")}</h2>
          <ConsultationForm kase={kase} onDone={() => {
            setNotice(tr("相談を記録しました。", "Recorded."));
            reload();
          }} />
        </section>
      )}

      <section aria-labelledby="case-timeline">
        <h2 id="case-timeline">{tr("経過", "Timeline")}</h2>
        {data.pending ? <Loading /> : <Timeline data={data} agency={agency} canLog={canLog && !purged} onChanged={() => {
          setNotice(tr("訂正を記録しました。", "Correction recorded."));
          reload();
        }} />}
      </section>

      {transition && (
        <TransitionDialog kase={kase} choice={transition}
          onClose={(changed) => closeDialog(changed, tr("状態を変更しました。", "State changed."), `case-to-${transition.to}`)} />
      )}
      {referring && (
        <ReferDialog kase={kase}
          onClose={(changed) => closeDialog(changed, tr("紹介しました。回答を待っています。", "Referred; awaiting the answer."), "case-refer")} />
      )}
    </>
  );
}

const LOG_KINDS = [ConsultationKind.CONSULTATION, ConsultationKind.INQUIRY, ConsultationKind.COORDINATION_CONTACT,
  ConsultationKind.HOME_VISIT, ConsultationKind.PHONE_CALL];

function ConsultationForm({ kase, onDone }: { kase: Case; onDone: () => void }) {
  const me = currentUser();
  const agencies = useAgencies();
  const [kind, setKind] = useState(String(ConsultationKind.CONSULTATION));
  const [method, setMethod] = useState(String(ContactMethod.IN_PERSON));
  const [date, setDate] = useState(todayInJapan());
  const [summary, setSummary] = useState("");
  const [agency, setAgency] = useState(me?.agency || kase.team[0]?.agency || "");
  const { busy, error, run } = useSubmission();
  const [requestId, setRequestId] = useState(newRequestId);
  useDraftGuard(summary !== "");
  const coordination = Number(kind) === ConsultationKind.COORDINATION_CONTACT;
  // The team first (whom a 個別調整 is usually with), then the rest of the directory.
  const teamSet = new Set(kase.team.map((t) => t.agency));
  const agencyOptions = [
    { value: "", label: tr("選択してください", "Choose") },
    ...agencies.filter((a) => teamSet.has(a.name)).map((a) => ({ value: a.name, label: `${a.displayName}${tr("（チーム）", " (team)")}` })),
    ...agencies.filter((a) => !teamSet.has(a.name)).map((a) => ({ value: a.name, label: a.displayName })),
  ];
  return (
    <form class="card" onSubmit={(e) => {
      e.preventDefault();
      void run(async () => {
        await cases.appendConsultation({
          parent: kase.name,
          requestId,
          entry: {
            kind: Number(kind),
            method: Number(method),
            date: apiDateFromInput(date),
            summary,
            agency: coordination ? agency : "",
          },
        });
        setSummary("");
        setRequestId(newRequestId());
        onDone();
      });
    }}>
      <div class="grid">
        <Select label={tr("記録の種類", "Kind")} value={kind} onValue={setKind}
          options={LOG_KINDS.map((k) => ({ value: String(k), label: enumLabel(ConsultationKindSchema, k) }))} />
        <Select label={tr("方法", "Method")} value={method} onValue={setMethod} options={enumOptions(ContactMethodSchema)} />
        <Field label={tr("日付", "Date")} type="date" value={date} onValue={setDate} required max={todayInJapan()} />
      </div>
      {coordination && (
        <Select label={tr("調整先の機関", "Agency contacted")} value={agency} onValue={setAgency} options={agencyOptions} required />
      )}
      <TextArea label={tr("相談内容", "What happened")} value={summary} onValue={setSummary} rows={4} required />
      <ErrorBanner error={error} />
      <button type="submit" class="primary" disabled={busy}>{tr("記録する", "Record")}</button>
    </form>
  );
}
