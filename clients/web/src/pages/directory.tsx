// 相談機関一覧: search the directory by name or reading (hiragana finds katakana), filter by field,
// district, issue tag and kind, find partners for a household's issues, and an agency's details.
import { useState } from "preact/hooks";
import { directory } from "../api";
import {
  AgencyKindSchema, Agency_StateSchema, OperatorTypeSchema, SupportFieldSchema, type Agency, type PartnerMatch,
} from "../gen/casecoord/v1/directory_pb";
import { enumLabel, foldKana, fromTimestamp } from "../format";
import { tr } from "../i18n";
import { Checkbox, DataTable, DateText, Empty, ErrorBanner, Field, PageTitle, Select, Show, useLoad, useSubmission } from "../ui/common";
import { idOf, termLabel, useTerms } from "./meeting/shared";

function filterOf(field: string, district: string, tag: string, kind: string): string {
  const parts: string[] = [];
  if (field) parts.push(`field = ${field}`);
  if (district) parts.push(`district = "${district}"`);
  if (tag) parts.push(`tag = "${tag}"`);
  if (kind) parts.push(`kind = ${kind}`);
  return parts.join(" AND ");
}

function enumNameOptions(schema: typeof SupportFieldSchema | typeof AgencyKindSchema, all: string) {
  return [
    { value: "", label: all },
    ...schema.values.filter((v) => v.number !== 0).map((v) => ({ value: v.name, label: enumLabel(schema, v.number) })),
  ];
}

export function DirectoryPage(_: { params: Record<string, string> }) {
  const districts = useTerms("districts");
  const tags = useTerms("issue-tags");
  const [query, setQuery] = useState("");
  const [field, setField] = useState("");
  const [district, setDistrict] = useState("");
  const [tag, setTag] = useState("");
  const [kind, setKind] = useState("");
  const [submitted, setSubmitted] = useState({ query: "", filter: "" });
  const { loaded } = useLoad(async () => {
    if (submitted.query.trim()) {
      // The server folds hiragana/katakana and widths itself; the query is sent folded as well so
      // that the match does not depend on it.
      const found = await directory.searchAgencies({ query: foldKana(submitted.query.trim()), filter: submitted.filter, pageSize: 200 });
      return found.matches.map((m) => m.agency!).filter(Boolean);
    }
    const listed = await directory.listAgencies({ filter: submitted.filter, orderBy: "kana", pageSize: 1000 });
    return listed.agencies;
  }, [submitted.query, submitted.filter]);

  const districtOptions = [{ value: "", label: tr("すべての地区", "All districts") }, ...districts.map((d) => ({ value: d.termId, label: d.label }))];
  const tagOptions = [{ value: "", label: tr("すべての課題", "All issues") }, ...tags.map((t) => ({ value: t.termId, label: t.label }))];

  return (
    <>
      <PageTitle>{tr("相談機関一覧", "Agency directory")}</PageTitle>
      <form role="search" aria-label={tr("相談機関の検索", "Search agencies")} onSubmit={(e) => {
        e.preventDefault();
        setSubmitted({ query, filter: filterOf(field, district, tag, kind) });
      }}>
        <div class="grid">
          <Field label={tr("機関名・フリガナ", "Name or reading")} type="search" value={query} onValue={setQuery}
            hint={tr("ひらがな・カタカナのどちらでも探せます", "Hiragana or katakana")} />
          <Select label={tr("分野", "Field")} value={field} onValue={setField} options={enumNameOptions(SupportFieldSchema, tr("すべての分野", "All fields"))} />
          <Select label={tr("担当地区", "District")} value={district} onValue={setDistrict} options={districtOptions} />
          <Select label={tr("課題タグ", "Issue tag")} value={tag} onValue={setTag} options={tagOptions} />
          <Select label={tr("種別", "Kind")} value={kind} onValue={setKind} options={enumNameOptions(AgencyKindSchema, tr("すべての種別", "All kinds"))} />
        </div>
        <div class="actions">
          <button type="submit" class="primary">{tr("検索", "Search")}</button>
        </div>
      </form>
      <Show loaded={loaded}>
        {(list) => (
          <>
            <h2>{tr("検索結果", "Results")}（{tr(`${list.length}件`, `${list.length}`)}）</h2>
            {list.length === 0 ? (
              <Empty>{tr("該当する機関はありません。", "No agency matches.")}</Empty>
            ) : (
              <AgencyTable list={list} districts={districts} />
            )}
          </>
        )}
      </Show>
      <PartnerFinder />
    </>
  );
}

function AgencyTable({ list, districts }: { list: Agency[]; districts: ReturnType<typeof useTerms> }) {
  return (
    <DataTable
      label={tr("相談機関", "Agencies")}
      head={
        <>
          <th scope="col">{tr("機関名", "Name")}</th>
          <th scope="col">{tr("種別", "Kind")}</th>
          <th scope="col">{tr("担当地区", "Districts")}</th>
          <th scope="col">{tr("電話番号", "Phone")}</th>
          <th scope="col">{tr("紹介の受付", "Referrals")}</th>
        </>
      }
    >
      {list.map((a) => (
        <tr key={a.name}>
          <td>
            <a href={`#/directory/${idOf(a.name)}`}>{a.displayName}</a>
            <br />
            <small class="muted">{a.kana}</small>
            {a.state > 1 && <> <span class="badge">{enumLabel(Agency_StateSchema, a.state)}</span></>}
          </td>
          <td>{a.kind ? enumLabel(AgencyKindSchema, a.kind) : "—"}</td>
          <td>{a.districts.map((d) => termLabel(districts, d)).join("、") || "—"}</td>
          <td>{a.phone || "—"}</td>
          <td>{a.acceptsReferrals ? tr("受付可", "Accepts") : tr("受付不可", "Does not accept")}</td>
        </tr>
      ))}
    </DataTable>
  );
}

function PartnerFinder() {
  const districts = useTerms("districts");
  const tags = useTerms("issue-tags");
  const [chosen, setChosen] = useState<string[]>([]);
  const [district, setDistrict] = useState("");
  const [result, setResult] = useState<PartnerMatch[] | undefined>();
  const { busy, error, run } = useSubmission();
  const find = async (e: Event) => {
    e.preventDefault();
    const ok = await run(async () => {
      const found = await directory.findPartners({ issueTags: chosen, district, pageSize: 30 });
      setResult(found.partners);
    });
    if (!ok) setResult(undefined);
  };
  return (
    <section aria-labelledby="partner-heading">
      <h2 id="partner-heading">{tr("連携先を探す", "Find partners")}</h2>
      <form onSubmit={find}>
        <fieldset>
          <legend>{tr("世帯の課題", "The household's issues")}</legend>
          <div class="grid">
            {tags.map((t) => (
              <Checkbox key={t.termId} label={t.label} checked={chosen.includes(t.termId)}
                onChecked={(on) => setChosen(on ? [...chosen, t.termId] : chosen.filter((x) => x !== t.termId))} />
            ))}
          </div>
        </fieldset>
        <Select label={tr("世帯の地区", "Household's district")} value={district} onValue={setDistrict}
          options={[{ value: "", label: tr("（指定しない）", "(any)") }, ...districts.map((d) => ({ value: d.termId, label: d.label }))]} />
        <div class="actions">
          <button type="submit" class="primary" disabled={busy || chosen.length === 0}>{tr("連携先を探す", "Find partners")}</button>
        </div>
      </form>
      <ErrorBanner error={error} />
      {result && (result.length === 0 ? (
        <Empty>{tr("条件に合う機関はありません。", "No agency fits.")}</Empty>
      ) : (
        <ol class="mt-partners" aria-label={tr("連携先の候補", "Partner candidates")}>
          {result.map((p) => (
            <li key={p.agency?.name}>
              <a href={`#/directory/${idOf(p.agency?.name ?? "")}`}>{p.agency?.displayName}</a>
              {p.agency?.kind ? <> <span class="badge">{enumLabel(AgencyKindSchema, p.agency.kind)}</span></> : null}
              <p class="muted">{p.explanation}</p>
              <p>{tr("対応する課題", "Covers")}: {p.coveredTags.map((t) => termLabel(tags, t)).join("、")}</p>
            </li>
          ))}
        </ol>
      ))}
    </section>
  );
}

export function AgencyPage({ params }: { params: Record<string, string> }) {
  const name = `agencies/${params.id}`;
  const { loaded } = useLoad(() => directory.getAgency({ name }), [name]);
  const districts = useTerms("districts");
  const tags = useTerms("issue-tags");
  return (
    <Show loaded={loaded}>
      {(a) => (
        <>
          <PageTitle actions={<a class="button" href="#/directory">{tr("一覧に戻る", "Back to the list")}</a>}>
            {a.displayName}
          </PageTitle>
          <p class="muted">{a.kana}</p>
          <dl class="mt-summary">
            <dt>{tr("種別", "Kind")}</dt>
            <dd>{a.kind ? enumLabel(AgencyKindSchema, a.kind) : "—"}</dd>
            <dt>{tr("運営形態", "Operator")}</dt>
            <dd>{a.operatorType ? enumLabel(OperatorTypeSchema, a.operatorType) : "—"}</dd>
            <dt>{tr("状態", "State")}</dt>
            <dd>{a.state ? enumLabel(Agency_StateSchema, a.state) : "—"}</dd>
            <dt>{tr("紹介の受付", "Referrals")}</dt>
            <dd>{a.acceptsReferrals ? tr("受付可", "Accepts referrals") : tr("受付不可", "Does not accept referrals")}</dd>
            <dt>{tr("紹介窓口", "Referral contact")}</dt>
            <dd>{a.referralContact || "—"}</dd>
          </dl>
          <h2>{tr("連絡先", "Contact")}</h2>
          <dl class="mt-summary">
            <dt>{tr("住所", "Address")}</dt>
            <dd>{a.address || "—"}</dd>
            <dt>{tr("電話番号", "Phone")}</dt>
            <dd>{a.phone ? <a href={`tel:${a.phone.replace(/[^0-9+]/g, "")}`}>{a.phone}</a> : "—"}</dd>
            <dt>FAX</dt>
            <dd>{a.fax || "—"}</dd>
            <dt>{tr("メール", "Email")}</dt>
            <dd>{a.email || "—"}</dd>
            <dt>{tr("受付時間", "Hours")}</dt>
            <dd>{a.hours || "—"}</dd>
          </dl>
          <h2>{tr("分野・課題・担当地区", "Fields, issues and districts")}</h2>
          <dl class="mt-summary">
            <dt>{tr("分野", "Fields")}</dt>
            <dd>{a.fields.map((f) => enumLabel(SupportFieldSchema, f)).join("、") || "—"}</dd>
            <dt>{tr("課題タグ", "Issue tags")}</dt>
            <dd>{a.issueTags.map((t) => termLabel(tags, t)).join("、") || "—"}</dd>
            <dt>{tr("担当地区", "Districts")}</dt>
            <dd>{a.districts.map((d) => termLabel(districts, d)).join("、") || "—"}</dd>
          </dl>
          <h2>{tr("サービス", "Services")}</h2>
          {a.services.length === 0 ? (
            <Empty>{tr("登録されたサービスはありません。", "No services listed.")}</Empty>
          ) : (
            <DataTable
              label={tr("サービス", "Services")}
              head={
                <>
                  <th scope="col">{tr("名称", "Name")}</th>
                  <th scope="col">{tr("対象", "Eligibility")}</th>
                  <th scope="col">{tr("年齢", "Ages")}</th>
                </>
              }
            >
              {a.services.map((s, i) => (
                <tr key={i}>
                  <td>{s.name}</td>
                  <td>{s.eligibility || "—"}</td>
                  <td>{ageRange(s.minAge, s.maxAge)}</td>
                </tr>
              ))}
            </DataTable>
          )}
          <p class="muted">
            {tr("最終確認日", "Last verified")}: <DateText value={fromTimestamp(a.lastVerifiedTime)} />
          </p>
        </>
      )}
    </Show>
  );
}

function ageRange(min: number, max: number): string {
  if (!min && !max) return "—";
  if (min && max) return tr(`${min}〜${max}歳`, `${min}–${max}`);
  if (min) return tr(`${min}歳以上`, `${min}+`);
  return tr(`${max}歳以下`, `up to ${max}`);
}
