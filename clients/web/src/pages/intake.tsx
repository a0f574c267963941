// 新規受付 (つなぐシート): a coordinator opens a case for a whole household referred by an agency.
// Native controls only, in the order of the paper sheet, so the form can be filled with the
// keyboard alone. Before the case is created the server checks for a household that may already
// have a case (POSSIBLE_DUPLICATE); the matches are shown and the coordinator decides.
import { Code, ConnectError } from "@connectrpc/connect";
import { useId, useRef, useState } from "preact/hooks";
import { cases } from "../api";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { CaseSchema } from "../gen/casecoord/v1/cases_pb";
import { ConsentStatus, ConsentStatusSchema, Urgency, UrgencySchema } from "../gen/casecoord/v1/cases_pb";
import { ErrorInfoSchema } from "../gen/google/rpc/error_details_pb";
import { SupportFieldSchema } from "../gen/casecoord/v1/directory_pb";
import { apiDateFromInput, enumLabel, enumOptions, todayInJapan } from "../format";
import { tr } from "../i18n";
import { navigate } from "../router";
import { Checkbox, ErrorBanner, Field, PageTitle, Select, TextArea, useDraftGuard, useSubmission } from "../ui/common";
import { idOf, newRequestId, supportFieldOfTerm, useAgencies, useVocab } from "../lookups";

interface MemberDraft {
  key: number;
  displayName: string;
  kana: string;
  birthDate: string;
  relationship: string;
  phone: string;
  principal: boolean;
  issueTags: string[];
}

interface InvolvedDraft {
  key: number;
  agency: string;
  note: string;
}

interface Duplicate {
  name: string;
  number: string;
}

let nextKey = 1;
const newMember = (principal: boolean): MemberDraft => ({
  key: nextKey++, displayName: "", kana: "", birthDate: "", relationship: "", phone: "", principal,
  issueTags: [],
});

export function IntakePage(_: { params: Record<string, string> }) {
  const districts = useVocab("districts");
  const tags = useVocab("issue-tags");
  const fieldTerms = useVocab("fields");
  const agencies = useAgencies();

  const [intakeDate, setIntakeDate] = useState(todayInJapan());
  const [urgency, setUrgency] = useState(String(Urgency.ROUTINE));
  const [consent, setConsent] = useState(String(ConsentStatus.CONSENTED));
  const [referringAgency, setReferringAgency] = useState("");
  const [referralNote, setReferralNote] = useState("");
  const [problem, setProblem] = useState("");
  const [district, setDistrict] = useState("");
  const [address, setAddress] = useState("");
  const [phone, setPhone] = useState("");
  const [householdTags, setHouseholdTags] = useState<string[]>([]);
  const [fields, setFields] = useState<string[]>([]);
  const [members, setMembers] = useState<MemberDraft[]>([newMember(true)]);
  const [involved, setInvolved] = useState<InvolvedDraft[]>([]);
  const [dirty, setDirty] = useState(false);
  const { busy, error, run } = useSubmission();
  const [duplicates, setDuplicates] = useState<{ list: Duplicate[]; more: string }>();
  const lastRequest = useRef<{ body: string; id: string }>();
  useDraftGuard(dirty);

  const touch = <T,>(set: (v: T) => void) => (v: T) => {
    set(v);
    setDirty(true);
  };
  const updateMember = (key: number, patch: Partial<MemberDraft>) => {
    setDirty(true);
    setMembers((list) =>
      list.map((m) => {
        if (m.key === key) return { ...m, ...patch };
        // At most one member is the person the case is about.
        return patch.principal ? { ...m, principal: false } : m;
      }));
  };
  const updateInvolved = (key: number, patch: Partial<InvolvedDraft>) => {
    setDirty(true);
    setInvolved((list) => list.map((a) => (a.key === key ? { ...a, ...patch } : a)));
  };

  const today = todayInJapan();
  const agencyOptions = [
    { value: "", label: tr("選択してください", "Choose") },
    ...agencies.map((a) => ({ value: a.name, label: a.displayName })),
  ];
  const fieldOptions = fieldTerms.active.length
    ? fieldTerms.active.flatMap((t) => {
      const value = supportFieldOfTerm(t.termId);
      return value === undefined ? [] : [{ value: t.termId, label: t.label }];
    })
    : enumOptions(SupportFieldSchema).map((o) => ({
      value: o.value, label: enumLabel(SupportFieldSchema, Number(o.value)),
    }));

  function buildCase(): MessageInitShape<typeof CaseSchema> {
    return {
      intakeDate: apiDateFromInput(intakeDate),
      urgency: Number(urgency),
      consent: Number(consent),
      referringAgency,
      referralNote,
      presentingProblem: problem,
      district,
      address,
      phone,
      householdIssueTags: householdTags,
      fields: fields
        .map((f) => supportFieldOfTerm(f) ?? (Number(f) || undefined))
        .filter((f): f is number => f !== undefined),
      members: members.map((m, i) => ({
        memberId: `m${i + 1}`,
        displayName: m.displayName.trim(),
        kana: m.kana.trim(),
        birthDate: apiDateFromInput(m.birthDate),
        relationship: m.relationship.trim(),
        phone: m.phone.trim(),
        principal: m.principal,
        issueTags: m.issueTags,
      })),
      involvedAgencies: involved.filter((a) => a.agency).map((a) => ({ agency: a.agency, note: a.note })),
    };
  }

  async function submit(allowDuplicate: boolean) {
    const body = buildCase();
    const serialized = JSON.stringify(body);
    // The same request id only for the very same sheet: a retry then returns the case once made.
    if (!lastRequest.current || lastRequest.current.body !== serialized) {
      lastRequest.current = { body: serialized, id: newRequestId() };
    }
    const requestId = lastRequest.current.id;
    const ok = await run(async () => {
      try {
        const created = await cases.createCase({ case: body, requestId, allowDuplicate });
        setDirty(false);
        navigate(`/cases/${idOf(created.name)}`);
      } catch (e) {
        // A possible duplicate is no failure: the matches are shown for the coordinator to decide.
        const connectError = ConnectError.from(e);
        const info = connectError.findDetails(ErrorInfoSchema)[0];
        if (connectError.code !== Code.FailedPrecondition || info?.reason !== "POSSIBLE_DUPLICATE") throw e;
        const names = (info.metadata.case_names ?? "").split(",").filter(Boolean);
        const numbers = (info.metadata.case_numbers ?? "").split(",");
        setDuplicates({
          list: names.map((name, i) => ({ name, number: numbers[i] ?? idOf(name) })),
          more: info.metadata.more ?? "",
        });
        setTimeout(() => document.getElementById("intake-duplicates")?.focus());
      }
    });
    if (!ok) setTimeout(() => document.getElementById("intake-error")?.focus());
  }

  return (
    <>
      <PageTitle>{tr("新規受付（つなぐシート）", "New intake (linking sheet)")}</PageTitle>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setDuplicates(undefined);
          void submit(false);
        }}
      >
        <fieldset>
          <legend>{tr("受付", "Intake")}</legend>
          <div class="grid">
            <Field label={tr("受付日", "Intake date")} type="date" value={intakeDate} onValue={touch(setIntakeDate)}
              required max={today} hint={tr("未来の日付は指定できません。", "Not in the future.")} />
            <Select label={tr("緊急度", "Urgency")} value={urgency} onValue={touch(setUrgency)}
              options={enumOptions(UrgencySchema)} />
            <Select label={tr("本人同意", "Consent")} value={consent} onValue={touch(setConsent)}
              options={enumOptions(ConsentStatusSchema)} />
          </div>
        </fieldset>

        <fieldset>
          <legend>{tr("つなぎ元", "Referred by")}</legend>
          <Select label={tr("つなぎ元の機関", "Referring agency")} value={referringAgency}
            onValue={touch(setReferringAgency)} options={agencyOptions} required />
          <TextArea label={tr("つなぎ元の対応", "What the referring agency did")} value={referralNote}
            onValue={touch(setReferralNote)} rows={3} />
          <TextArea label={tr("相談内容", "Presenting problem")} value={problem} onValue={touch(setProblem)}
            rows={4} required />
        </fieldset>

        <fieldset>
          <legend>{tr("世帯", "Household")}</legend>
          <div class="grid">
            <Select label={tr("地区", "District")} value={district} onValue={touch(setDistrict)} required
              options={[{ value: "", label: tr("選択してください", "Choose") },
                ...districts.active.map((t) => ({ value: t.termId, label: t.label }))]} />
            <Field label={tr("世帯の電話番号", "Household phone")} type="tel" value={phone} onValue={touch(setPhone)}
              autoComplete="off" />
          </div>
          <Field label={tr("住所", "Address")} value={address} onValue={touch(setAddress)} autoComplete="off" />
          <TagChecks legend={tr("世帯の課題", "Household issues")} prefix="" options={tags.active.map((t) => ({ value: t.termId, label: t.label }))}
            selected={householdTags} onChange={touch(setHouseholdTags)} />
          <TagChecks legend={tr("分野", "Fields")} prefix={tr("分野", "Field") + " "} options={fieldOptions}
            selected={fields} onChange={touch(setFields)} />
        </fieldset>

        <fieldset>
          <legend>{tr("世帯員", "Household members")}</legend>
          {members.map((m, i) => {
            const n = i + 1;
            const p = tr(`世帯員${n} `, `Member ${n} `);
            return (
              <fieldset class="case-member" key={m.key}>
                <legend>{tr(`世帯員${n}`, `Member ${n}`)}{m.principal ? tr("（本人）", " (principal)") : ""}</legend>
                <div class="grid">
                  <Field label={`${p}${tr("氏名", "name")}`} value={m.displayName} required autoComplete="off"
                    onValue={(v) => updateMember(m.key, { displayName: v })} />
                  <Field label={`${p}${tr("フリガナ", "kana")}`} value={m.kana} autoComplete="off"
                    onValue={(v) => updateMember(m.key, { kana: v })} />
                  <Field label={`${p}${tr("生年月日", "birth date")}`} type="date" value={m.birthDate} max={today}
                    onValue={(v) => updateMember(m.key, { birthDate: v })} />
                  <Field label={`${p}${tr("続柄", "relationship")}`} value={m.relationship}
                    hint={tr("本人、母、長男など", "e.g. self, mother, eldest son")}
                    onValue={(v) => updateMember(m.key, { relationship: v })} />
                  <Field label={`${p}${tr("電話番号", "phone")}`} type="tel" value={m.phone} autoComplete="off"
                    onValue={(v) => updateMember(m.key, { phone: v })} />
                </div>
                <Checkbox label={`${p}${tr("本人（相談の対象者）", "is the principal")}`} checked={m.principal}
                  onChecked={(v) => updateMember(m.key, { principal: v })} />
                <TagChecks legend={tr(`世帯員${n}の課題`, `Member ${n}'s issues`)} prefix={p}
                  options={tags.active.map((t) => ({ value: t.termId, label: t.label }))}
                  selected={m.issueTags} onChange={(v) => updateMember(m.key, { issueTags: v })} />
                {members.length > 1 && (
                  <div class="case-row-actions">
                    <button type="button" class="danger" onClick={() => {
                      setDirty(true);
                      setMembers((list) => list.filter((x) => x.key !== m.key));
                      // Focus would be lost with the removed button: move it to the add button.
                      setTimeout(() => document.getElementById("intake-add-member")?.focus());
                    }}>
                      {tr(`世帯員${n}を削除`, `Remove member ${n}`)}
                    </button>
                  </div>
                )}
              </fieldset>
            );
          })}
          <button type="button" id="intake-add-member" onClick={() => {
            setDirty(true);
            const added = newMember(false);
            setMembers((list) => [...list, added]);
            // The new member's name field is where the keyboard user continues.
            setTimeout(() => {
              const fieldsets = document.querySelectorAll<HTMLFieldSetElement>("fieldset.case-member");
              fieldsets[fieldsets.length - 1]?.querySelector("input")?.focus();
            });
          }}>
            {tr("世帯員を追加", "Add member")}
          </button>
        </fieldset>

        <fieldset>
          <legend>{tr("関係機関（既に関わっている機関）", "Agencies already involved")}</legend>
          {involved.length === 0 && <p class="muted">{tr("登録されていません。", "None.")}</p>}
          {involved.map((a, i) => {
            const n = i + 1;
            return (
              <div key={a.key} class="case-involved">
                <div class="grid">
                  <Select label={tr(`関係機関${n} 機関`, `Involved agency ${n}`)} value={a.agency} options={agencyOptions}
                    onValue={(v) => updateInvolved(a.key, { agency: v })} />
                  <Field label={tr(`関係機関${n} 関わりの内容`, `Involved agency ${n}: what it does`)} value={a.note}
                    onValue={(v) => updateInvolved(a.key, { note: v })} />
                </div>
                <div class="case-row-actions">
                  <button type="button" class="danger" onClick={() => {
                    setDirty(true);
                    setInvolved((list) => list.filter((x) => x.key !== a.key));
                    setTimeout(() => document.getElementById("intake-add-involved")?.focus());
                  }}>
                    {tr(`関係機関${n}を削除`, `Remove involved agency ${n}`)}
                  </button>
                </div>
              </div>
            );
          })}
          <button type="button" id="intake-add-involved" onClick={() => {
            setDirty(true);
            setInvolved((list) => [...list, { key: nextKey++, agency: "", note: "" }]);
            setTimeout(() => {
              const selects = document.querySelectorAll<HTMLSelectElement>(".case-involved select");
              selects[selects.length - 1]?.focus();
            });
          }}>
            {tr("関係機関を追加", "Add involved agency")}
          </button>
        </fieldset>

        <div id="intake-error" tabIndex={-1}><ErrorBanner error={error} /></div>
        {duplicates && (
          <div class="notice" role="alert" id="intake-duplicates" tabIndex={-1}>
            <p><strong>{tr("同じ世帯の事例が既にある可能性があります。", "This household may already have a case.")}</strong></p>
            <p>{tr("氏名と生年月日、または電話番号が一致する事例：", "Cases with the same name and birth date, or phone:")}</p>
            <ul>
              {duplicates.list.map((d) => (
                <li key={d.name}>
                  <a href={`#/cases/${idOf(d.name)}`} target="_blank" rel="noopener noreferrer">
                    {tr("受付番号", "Case number")} {d.number}
                  </a>
                </li>
              ))}
            </ul>
            {duplicates.more && <p>{tr(`ほか${duplicates.more}件`, `and ${duplicates.more} more`)}</p>}
            <p>{tr("内容を確認し、別の世帯であれば登録を続けてください。",
              "Check them; if this is another household, continue.")}</p>
            <div class="case-row-actions">
              <button type="button" class="primary" disabled={busy} onClick={() => void submit(true)}>
                {tr("重複を確認のうえ登録", "Register anyway")}
              </button>
              <button type="button" onClick={() => setDuplicates(undefined)}>{tr("登録を中止", "Do not register")}</button>
            </div>
          </div>
        )}
        <div class="case-row-actions">
          <button type="submit" class="primary" disabled={busy}>{tr("受付を登録", "Register intake")}</button>
        </div>
      </form>
    </>
  );
}

/** A group of checkboxes for tags; `prefix` makes each label unique on the page for assistive
 *  technology (「世帯員1 認知症」) without repeating it on screen. */
function TagChecks({ legend, prefix, options, selected, onChange }: {
  legend: string;
  prefix: string;
  options: Array<{ value: string; label: string }>;
  selected: string[];
  onChange: (v: string[]) => void;
}) {
  const base = useId();
  return (
    <fieldset>
      <legend>{legend}</legend>
      <div class="case-tags">
        {options.map((o, i) => (
          <div class="check" key={o.value}>
            <input id={`${base}-${i}`} type="checkbox" checked={selected.includes(o.value)}
              onChange={(e) => {
                const on = (e.target as HTMLInputElement).checked;
                onChange(on ? [...selected, o.value] : selected.filter((v) => v !== o.value));
              }} />
            <label for={`${base}-${i}`}>{prefix && <span class="case-vh">{prefix}</span>}{o.label}</label>
          </div>
        ))}
      </div>
    </fieldset>
  );
}
