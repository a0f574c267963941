// The case page's dialogs: a state transition (支援決定, 終結, reopen ...) confirmed with its date
// and reason, and a referral through the partner finder.
import { useEffect, useRef, useState } from "preact/hooks";
import { cases, directory, explain, type ExplainedError } from "../../api";
import type { Case } from "../../gen/casecoord/v1/cases_pb";
import { CaseOutcome, CaseOutcomeSchema, CaseState, CaseStateSchema, TeamRole, TeamRoleSchema } from "../../gen/casecoord/v1/cases_pb";
import type { PartnerMatch } from "../../gen/casecoord/v1/directory_pb";
import { AgencyKindSchema } from "../../gen/casecoord/v1/directory_pb";
import { apiDateFromInput, enumLabel, enumOptions, todayInJapan } from "../../format";
import { tr } from "../../i18n";
import { ErrorBanner, Field, Loading, Select, TextArea, useDraftGuard, useSubmission } from "../../ui/common";
import { Dialog } from "../../ui/dialog";
import { newRequestId, useVocab } from "../../lookups";

export interface TransitionChoice {
  to: CaseState;
  /** The button's text. */
  label: () => string;
  /** Outcomes allowed when `to` is CLOSED. */
  outcomes?: CaseOutcome[];
  reasonRequired?: boolean;
}

/** The legal next states of a case (TransitionCaseRequest), as buttons people understand. */
export function transitionsFrom(state: CaseState): TransitionChoice[] {
  const allOutcomes = [CaseOutcome.RESOLVED, CaseOutcome.NOT_RESOLVED_REVIEWED, CaseOutcome.TRANSFERRED,
    CaseOutcome.WITHDRAWN];
  switch (state) {
    case CaseState.INTAKE:
      return [
        { to: CaseState.COORDINATING, label: () => tr("支援調整を開始", "Start coordinating") },
        { to: CaseState.COMPLETED_BY_ADVICE, label: () => tr("相談のみで完了", "Completed by advice") },
        { to: CaseState.CLOSED, label: () => tr("終結", "Close"),
          outcomes: [CaseOutcome.WITHDRAWN, CaseOutcome.TRANSFERRED] },
      ];
    case CaseState.COORDINATING:
      return [
        { to: CaseState.IN_SUPPORT, label: () => tr("支援決定", "Decide support") },
        { to: CaseState.CLOSED, label: () => tr("終結", "Close"), outcomes: allOutcomes },
      ];
    case CaseState.IN_SUPPORT:
      return [
        { to: CaseState.CLOSED, label: () => tr("終結", "Close"), outcomes: allOutcomes },
        { to: CaseState.COORDINATING, label: () => tr("再調整", "Re-adjust") },
      ];
    case CaseState.COMPLETED_BY_ADVICE:
    case CaseState.CLOSED:
      return [{ to: CaseState.COORDINATING, label: () => tr("再開", "Reopen"), reasonRequired: true }];
    default:
      return [];
  }
}

export function TransitionDialog({ kase, choice, onClose }: {
  kase: Case;
  choice: TransitionChoice;
  onClose: (changed: boolean) => void;
}) {
  const [date, setDate] = useState(todayInJapan());
  const [decider, setDecider] = useState("");
  const [reason, setReason] = useState("");
  const [outcome, setOutcome] = useState(String(choice.outcomes?.[0] ?? 0));
  const { busy, error, run } = useSubmission();
  const needsReason = choice.reasonRequired || Number(outcome) === CaseOutcome.NOT_RESOLVED_REVIEWED;
  const title = tr(
    `${choice.label()}（${enumLabel(CaseStateSchema, kase.state)} → ${enumLabel(CaseStateSchema, choice.to)}）`,
    `${choice.label()} (${enumLabel(CaseStateSchema, kase.state)} → ${enumLabel(CaseStateSchema, choice.to)})`,
  );
  return (
    <Dialog title={title} open onClose={() => onClose(false)}>
      <form onSubmit={(e) => {
        e.preventDefault();
        void run(async () => {
          await cases.transitionCase({
            name: kase.name,
            to: choice.to,
            outcome: choice.to === CaseState.CLOSED ? Number(outcome) : 0,
            reason,
            decider,
            decisionDate: apiDateFromInput(date),
            etag: kase.etag,
          });
          onClose(true);
        });
      }}>
        {choice.outcomes && (
          <Select label={tr("終結の理由", "Outcome")} value={outcome} onValue={setOutcome}
            options={choice.outcomes.map((o) => ({ value: String(o), label: enumLabel(CaseOutcomeSchema, o) }))} />
        )}
        <Field label={tr("決定日", "Decision date")} type="date" value={date} onValue={setDate} required max={todayInJapan()} />
        <Field label={tr("決定者", "Decided by")} value={decider} onValue={setDecider}
          hint={tr("例：ケース検討会議。空欄の場合は操作した人。", "e.g. the case meeting; you if empty.")} />
        <TextArea label={Number(outcome) === CaseOutcome.NOT_RESOLVED_REVIEWED
          ? tr("検証の内容", "Review") : tr("理由", "Reason")}
          value={reason} onValue={setReason} rows={3} required={needsReason} />
        <ErrorBanner error={error} />
        <div class="case-row-actions">
          <button type="submit" class="primary" disabled={busy}>{tr("確定する", "Confirm")}</button>
          <button type="button" onClick={() => onClose(false)}>{tr("キャンセル", "Cancel")}</button>
        </div>
      </form>
    </Dialog>
  );
}

/** 相談機関へ紹介: the partner finder for the household's tags and district, then the referral. */
export function ReferDialog({ kase, onClose }: { kase: Case; onClose: (changed: boolean) => void }) {
  const tagVocab = useVocab("issue-tags");
  const tags = [...new Set([...kase.householdIssueTags, ...kase.members.flatMap((m) => m.issueTags)])];
  const [partners, setPartners] = useState<PartnerMatch[]>();
  const [findError, setFindError] = useState<ExplainedError>();
  const [chosen, setChosen] = useState<PartnerMatch>();
  const [role, setRole] = useState(String(TeamRole.PARTNER_SUPPORT));
  const [note, setNote] = useState("");
  const { busy, error, run } = useSubmission();
  const [requestId] = useState(newRequestId);
  const noteRef = useRef<HTMLDivElement>(null);
  useDraftGuard(note !== "");
  const onTeam = new Set(kase.team.map((t) => t.agency));

  useEffect(() => {
    if (tags.length === 0) {
      setPartners([]);
      return;
    }
    const controller = new AbortController();
    directory.findPartners({ issueTags: tags, district: kase.district, pageSize: 20 }, { signal: controller.signal })
      .then((r) => setPartners(r.partners), (e) => !controller.signal.aborted && setFindError(explain(e)));
    return () => controller.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [kase.name]);

  return (
    <Dialog title={tr("相談機関へ紹介", "Refer to an agency")} open onClose={() => onClose(false)}>
      {!chosen && (
        <>
          <p>
            {tr("世帯の課題", "Issues")}: {tags.map((t) => tagVocab.label(t)).join("、") || "—"}
          </p>
          <ErrorBanner error={findError} />
          {!partners && !findError && <Loading />}
          {partners && partners.length === 0 && (
            <p class="empty">{tags.length === 0
              ? tr("課題が登録されていないため、候補を探せません。", "No issues recorded: no partners to propose.")
              : tr("条件に合う機関は見つかりませんでした。", "No matching agency.")}</p>
          )}
          {partners && partners.length > 0 && (
            <ol class="case-partners">
              {partners.map((p) => (
                <li key={p.agency!.name}>
                  <strong>{p.agency!.displayName}</strong>
                  <span class="muted">（{enumLabel(AgencyKindSchema, p.agency!.kind)}）</span>
                  {onTeam.has(p.agency!.name) && <> <span class="badge">{tr("チーム参加中", "On the team")}</span></>}
                  <div>{tr("対応する課題", "Covers")}: {p.coveredTags.map((t) => tagVocab.label(t)).join("、")}</div>
                  <div class="hint">{p.explanation}</div>
                  <button type="button" aria-label={tr(`この機関に紹介（${p.agency!.displayName}）`, `Refer to this agency (${p.agency!.displayName})`)}
                    onClick={() => {
                      setChosen(p);
                      setTimeout(() => noteRef.current?.querySelector("textarea")?.focus());
                    }}>
                    {tr("この機関に紹介", "Refer to this agency")}
                  </button>
                </li>
              ))}
            </ol>
          )}
          <div class="case-row-actions">
            <button type="button" onClick={() => onClose(false)}>{tr("閉じる", "Close")}</button>
          </div>
        </>
      )}
      {chosen && (
        <form onSubmit={(e) => {
          e.preventDefault();
          void run(async () => {
            await cases.createReferral({
              parent: kase.name,
              requestId,
              referral: { agency: chosen.agency!.name, role: Number(role), note },
            });
            onClose(true);
          });
        }}>
          <p>{tr("紹介先", "Refer to")}: <strong>{chosen.agency!.displayName}</strong></p>
          <p class="hint">{chosen.explanation}</p>
          <Select label={tr("依頼する役割", "Role asked")} value={role} onValue={setRole} options={enumOptions(TeamRoleSchema)} />
          <div ref={noteRef}>
            <TextArea label={tr("紹介の理由", "Why this agency")} value={note} onValue={setNote} rows={4} required />
          </div>
          <ErrorBanner error={error} />
          <div class="case-row-actions">
            <button type="submit" class="primary" disabled={busy}>{tr("紹介する", "Refer")}</button>
            <button type="button" onClick={() => setChosen(undefined)}>{tr("候補に戻る", "Back to the list")}</button>
            <button type="button" onClick={() => onClose(false)}>{tr("キャンセル", "Cancel")}</button>
          </div>
        </form>
      )}
    </Dialog>
  );
}
