// A4 print views of a case: the つなぐシート (the household as it was referred) and the case
// summary (team, referrals, recent log). Print CSS hides the console's frame; names, not resource
// ids, on every page.
import { cases, meetings } from "../api";
import type { Case, ConsultationEntry, Referral } from "../gen/casecoord/v1/cases_pb";
import {
  CaseOutcomeSchema, CaseStateSchema, ConsentStatusSchema, ConsultationKindSchema, ContactMethodSchema,
  Referral_StateSchema, TeamRoleSchema, UrgencySchema,
} from "../gen/casecoord/v1/cases_pb";
import { SupportFieldSchema } from "../gen/casecoord/v1/directory_pb";
import type { SupportPlan } from "../gen/casecoord/v1/meetings_pb";
import { enumLabel, formatDate, fromApiDate, fromTimestamp } from "../format";
import { tr } from "../i18n";
import { currentUser } from "../session";
import { DateText, PageTitle, Show, useLoad } from "../ui/common";
import { idOf, useAgencyNames, UserName, useVocab } from "../lookups";

interface PrintData {
  kase: Case;
  consultations: ConsultationEntry[];
  referrals: Referral[];
  plan?: SupportPlan;
}

async function load(name: string, signal: AbortSignal): Promise<PrintData> {
  const [kase, consultations, referrals, plans] = await Promise.all([
    cases.getCase({ name }, { signal }),
    cases.listConsultations({ parent: name, pageSize: 1000 }, { signal }).then((r) => r.entries),
    cases.listReferrals({ parent: name, pageSize: 1000 }, { signal }).then((r) => r.referrals, () => [] as Referral[]),
    meetings.listPlanVersions({ parent: name, pageSize: 1 }, { signal }).then((r) => r.plans, () => [] as SupportPlan[]),
  ]);
  return { kase, consultations, referrals, plan: plans.find((p) => p.current) };
}

export function CasePrintPage({ params }: { params: Record<string, string> }) {
  const name = `cases/${params.id}`;
  const { loaded } = useLoad((signal) => load(name, signal), [name]);
  return <Show loaded={loaded}>{(data) => <PrintView data={data} />}</Show>;
}

function PrintView({ data }: { data: PrintData }) {
  const { kase } = data;
  const me = currentUser();
  const districts = useVocab("districts");
  const tags = useVocab("issue-tags");
  const agency = useAgencyNames([
    kase.referringAgency, ...kase.team.map((t) => t.agency), ...kase.involvedAgencies.map((a) => a.agency),
    ...data.referrals.map((r) => r.agency), ...data.consultations.map((c) => c.agency),
    ...(data.plan?.actions.map((a) => a.agency) ?? []),
  ].filter(Boolean));
  const tagList = (list: string[]) => list.map((t) => tags.label(t)).join("、") || "—";
  const printed = new Date();
  // Newest entries last, as on a paper record; the summary keeps the last twenty.
  const recent = data.consultations.slice(-20);
  const footer = (
    <p class="print-only hint">
      {tr("受付番号", "Case number")} {kase.caseNumber} · {tr("印刷", "Printed")} {formatDate(printed)} · {me?.displayName}
      {tr(" · 取扱注意（個人情報）", " · Confidential (personal data)")}
    </p>
  );
  return (
    <div class="case-print-sheet">
      <PageTitle actions={
        <>
          <button type="button" class="primary" onClick={() => window.print()}>{tr("印刷", "Print")}</button>
          <a class="button" href={`#/cases/${idOf(kase.name)}`}>{tr("事例に戻る", "Back to the case")}</a>
        </>
      }>
        {tr("つなぐシート", "Linking sheet")} {kase.caseNumber}
      </PageTitle>
      <p class="no-print hint">{tr("A4縦で印刷します。ヘッダーやボタンは印刷されません。", "Prints on A4 portrait without the console's frame.")}</p>

      <table>
        <caption class="case-vh">{tr("受付の概要", "Intake")}</caption>
        <tbody>
          <tr><th scope="row">{tr("受付番号", "Case number")}</th><td>{kase.caseNumber}</td>
            <th scope="row">{tr("受付日", "Intake date")}</th><td><DateText value={fromApiDate(kase.intakeDate)} /></td></tr>
          <tr><th scope="row">{tr("つなぎ元", "Referred by")}</th><td>{agency(kase.referringAgency)}</td>
            <th scope="row">{tr("担当推進員", "Coordinator")}</th><td><UserName name={kase.coordinator} /></td></tr>
          <tr><th scope="row">{tr("地区", "District")}</th><td>{districts.label(kase.district)}</td>
            <th scope="row">{tr("緊急度", "Urgency")}</th><td>{kase.urgency ? enumLabel(UrgencySchema, kase.urgency) : "—"}</td></tr>
          <tr><th scope="row">{tr("本人同意", "Consent")}</th><td>{kase.consent ? enumLabel(ConsentStatusSchema, kase.consent) : "—"}</td>
            <th scope="row">{tr("電話番号", "Phone")}</th><td>{kase.phone || "—"}</td></tr>
          <tr><th scope="row">{tr("住所", "Address")}</th><td colSpan={3}>{kase.address || "—"}</td></tr>
          <tr><th scope="row">{tr("相談内容", "Presenting problem")}</th><td colSpan={3} class="case-text">{kase.presentingProblem}</td></tr>
          <tr><th scope="row">{tr("つなぎ元の対応", "What the referrer did")}</th><td colSpan={3} class="case-text">{kase.referralNote || "—"}</td></tr>
          <tr><th scope="row">{tr("世帯の課題", "Household issues")}</th><td colSpan={3}>{tagList(kase.householdIssueTags)}</td></tr>
          <tr><th scope="row">{tr("分野", "Fields")}</th><td colSpan={3}>{kase.fields.map((f) => enumLabel(SupportFieldSchema, f)).join("、") || "—"}</td></tr>
        </tbody>
      </table>

      <h2>{tr("世帯員", "Household members")}</h2>
      <table>
        <caption class="case-vh">{tr("世帯員", "Household members")}</caption>
        <thead><tr>
          <th scope="col">{tr("氏名", "Name")}</th><th scope="col">{tr("フリガナ", "Kana")}</th>
          <th scope="col">{tr("生年月日", "Birth date")}</th><th scope="col">{tr("続柄", "Relationship")}</th>
          <th scope="col">{tr("課題", "Issues")}</th>
        </tr></thead>
        <tbody>
          {kase.members.map((m) => (
            <tr key={m.memberId}>
              <td>{m.displayName}{m.principal ? tr("（本人）", " (principal)") : ""}</td><td>{m.kana}</td>
              <td><DateText value={fromApiDate(m.birthDate)} /></td><td>{m.relationship}</td>
              <td>{tagList(m.issueTags)}</td>
            </tr>
          ))}
        </tbody>
      </table>

      <h2>{tr("関係機関", "Agencies involved")}</h2>
      {kase.involvedAgencies.length === 0 ? <p>—</p> : (
        <ul>{kase.involvedAgencies.map((a) => <li key={a.agency}>{agency(a.agency)}{a.note && <>：{a.note}</>}</li>)}</ul>
      )}
      {footer}

      <div class="case-print-break">
        <h2>{tr("事例の概要", "Case summary")}</h2>
        <p>
          {tr("状態", "State")}: {enumLabel(CaseStateSchema, kase.state)}
          {kase.outcome ? `（${enumLabel(CaseOutcomeSchema, kase.outcome)}）` : ""}
          {kase.nextReviewDate?.year ? <> · {tr("次回見直し日", "Next review")}: <DateText value={fromApiDate(kase.nextReviewDate)} /></> : null}
        </p>
        <h3>{tr("支援チーム", "Case team")}</h3>
        {kase.team.length === 0 ? <p>—</p> : (
          <table>
            <caption class="case-vh">{tr("支援チーム", "Case team")}</caption>
            <thead><tr><th scope="col">{tr("機関", "Agency")}</th><th scope="col">{tr("役割", "Role")}</th><th scope="col">{tr("参加日", "Joined")}</th></tr></thead>
            <tbody>{kase.team.map((t) => (
              <tr key={t.agency}><td>{agency(t.agency)}</td><td>{enumLabel(TeamRoleSchema, t.role)}</td><td><DateText value={fromTimestamp(t.joinTime)} /></td></tr>
            ))}</tbody>
          </table>
        )}
        <h3>{tr("紹介", "Referrals")}</h3>
        {data.referrals.length === 0 ? <p>—</p> : (
          <table>
            <caption class="case-vh">{tr("紹介", "Referrals")}</caption>
            <thead><tr><th scope="col">{tr("紹介先", "Agency")}</th><th scope="col">{tr("状態", "State")}</th><th scope="col">{tr("紹介日", "Referred")}</th></tr></thead>
            <tbody>{data.referrals.map((r) => (
              <tr key={r.name}><td>{agency(r.agency)}</td><td>{enumLabel(Referral_StateSchema, r.state)}</td><td><DateText value={fromTimestamp(r.createTime)} /></td></tr>
            ))}</tbody>
          </table>
        )}
        {data.plan && (
          <>
            <h3>{tr(`支援計画（第${idOf(data.plan.name)}版）`, `Support plan (version ${idOf(data.plan.name)})`)}</h3>
            <ul>
              {data.plan.goals.map((g, i) => <li key={i}>{g.goal}</li>)}
            </ul>
            {data.plan.actions.length > 0 && (
              <table>
                <caption class="case-vh">{tr("役割分担", "Actions")}</caption>
                <thead><tr><th scope="col">{tr("機関", "Agency")}</th><th scope="col">{tr("内容", "Action")}</th><th scope="col">{tr("期限", "Due")}</th></tr></thead>
                <tbody>{data.plan.actions.map((a, i) => (
                  <tr key={i}><td>{agency(a.agency)}</td><td>{a.action}</td><td><DateText value={fromApiDate(a.dueDate)} /></td></tr>
                ))}</tbody>
              </table>
            )}
          </>
        )}
        <h3>{tr("相談記録（直近20件）", "Consultation log (last 20)")}</h3>
        {recent.length === 0 ? <p>—</p> : (
          <table>
            <caption class="case-vh">{tr("相談記録", "Consultation log")}</caption>
            <thead><tr><th scope="col">{tr("日付", "Date")}</th><th scope="col">{tr("種類", "Kind")}</th><th scope="col">{tr("内容", "Summary")}</th></tr></thead>
            <tbody>{recent.map((c) => (
              <tr key={c.name}>
                <td><DateText value={fromApiDate(c.date)} /></td>
                <td>
                  {enumLabel(ConsultationKindSchema, c.kind)}
                  {c.method ? `・${enumLabel(ContactMethodSchema, c.method)}` : ""}
                  {c.agency && <><br />{agency(c.agency)}</>}
                </td>
                <td class="case-text">
                  {c.amends && tr(`（記録#${idOf(c.amends)}の訂正：${c.amendmentReason}）`, `(correction of #${idOf(c.amends)}: ${c.amendmentReason}) `)}
                  {c.summary}
                  {c.amendedBy.length > 0 && tr("（訂正あり）", " (corrected)")}
                </td>
              </tr>
            ))}</tbody>
          </table>
        )}
        {footer}
      </div>
    </div>
  );
}
