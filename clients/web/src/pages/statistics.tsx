// 事業実績: the yearly table a city publishes (domain.md), by fiscal year or over several, with
// the server's suppression shown as 「x」 and explained, breakdowns, a chart, and downloads laid
// out as clients/report writes them. Planners and coordinators; the server decides what is
// published (anonymised counts only).
import { useState } from "preact/hooks";
import { statistics } from "../api";
import { Chart } from "../charts/chart";
import type { Point } from "../charts/echarts";
import type { FiscalYear } from "../gen/casecoord/v1/common_pb";
import { StatDimension, StatMetric, type StatTable, type YearlyReport } from "../gen/casecoord/v1/statistics_pb";
import { fiscalYearLabel, formatDateTime, fromTimestamp, todayInJapan } from "../format";
import { tr } from "../i18n";
import { Checkbox, PageTitle, Select, Show, useLoad } from "../ui/common";
import { Downloads } from "./stats/downloads";
import { reasonLabel, rowName, StatTableView, tableName, unitOf, yearLabel, cellText } from "./stats/stat_table";

/** The fiscal year (April–March) of today in Japan. */
export function currentFiscalYear(): number {
  const [year, month] = todayInJapan().split("-").map(Number);
  return month >= 4 ? year : year - 1;
}

interface BreakdownChoice {
  id: string;
  metric: StatMetric;
  dimension: StatDimension;
  label: () => string;
}

const BREAKDOWNS: BreakdownChoice[] = [
  { id: "opened-district", metric: StatMetric.CASES_OPENED, dimension: StatDimension.DISTRICT,
    label: () => tr("受付件数（地区別）", "Cases opened by district") },
  { id: "coordinated-field", metric: StatMetric.CASES_COORDINATED, dimension: StatDimension.FIELD,
    label: () => tr("支援調整した件数（分野別）", "Cases coordinated by field") },
  { id: "coordinated-tag", metric: StatMetric.CASES_COORDINATED, dimension: StatDimension.ISSUE_TAG,
    label: () => tr("支援調整した件数（課題別）", "Cases coordinated by issue") },
  { id: "opened-referrer", metric: StatMetric.CASES_OPENED, dimension: StatDimension.REFERRER_KIND,
    label: () => tr("受付件数（紹介元機関種別別）", "Cases opened by referrer kind") },
  { id: "closed-outcome", metric: StatMetric.CASES_CLOSED, dimension: StatDimension.OUTCOME,
    label: () => tr("終結件数（終結理由別）", "Cases closed by outcome") },
];

export function StatisticsPage(_: { params: Record<string, string> }) {
  const thisYear = currentFiscalYear();
  const [fiscalYear, setFiscalYear] = useState(String(thisYear));
  const [span, setSpan] = useState("1");
  const [cumulative, setCumulative] = useState(false);
  const [chosen, setChosen] = useState<string[]>(BREAKDOWNS.map((b) => b.id));

  const to = Number(fiscalYear);
  const from = Math.max(1990, to - Number(span) + 1);
  const { loaded } = useLoad(
    (signal) => statistics.getYearlyReport({
      fiscalYearFrom: from,
      fiscalYearTo: to,
      cumulative: cumulative && from < to,
      breakdowns: BREAKDOWNS.filter((b) => chosen.includes(b.id)).map((b) => ({ metric: b.metric, dimension: b.dimension })),
    }, { signal }),
    [from, to, cumulative, chosen.join(",")],
  );

  const yearOptions = [];
  for (let year = thisYear + 1; year >= Math.max(1990, thisYear - 14); year--) {
    yearOptions.push({ value: String(year), label: fiscalYearLabel(year) });
  }

  return (
    <>
      <PageTitle actions={<button type="button" onClick={() => print()}>{tr("印刷", "Print")}</button>}>
        {tr("事業実績", "Yearly table")}
      </PageTitle>
      <form class="stats-controls no-print" onSubmit={(e) => e.preventDefault()}>
        <div class="grid">
          <Select label={tr("年度", "Fiscal year")} value={fiscalYear} onValue={setFiscalYear} options={yearOptions} />
          <Select label={tr("表示期間", "Period")} value={span} onValue={setSpan} options={[
            { value: "1", label: tr("単年度", "One year") },
            { value: "3", label: tr("3年度分（選んだ年度まで）", "3 years (to the chosen year)") },
            { value: "5", label: tr("5年度分（選んだ年度まで）", "5 years (to the chosen year)") },
            { value: "10", label: tr("10年度分（選んだ年度まで）", "10 years (to the chosen year)") },
          ]} />
        </div>
        {span !== "1" && (
          <Checkbox label={tr("累計で表示（最初の年度からの累計）", "Running totals from the first year")}
            checked={cumulative} onChecked={setCumulative} />
        )}
        <fieldset>
          <legend>{tr("内訳", "Breakdowns")}</legend>
          <div class="check-row">
            {BREAKDOWNS.map((b) => (
              <Checkbox key={b.id} label={b.label()} checked={chosen.includes(b.id)}
                onChecked={(on) => setChosen(on ? [...chosen, b.id] : chosen.filter((id) => id !== b.id))} />
            ))}
          </div>
        </fieldset>
      </form>
      <Show loaded={loaded}>{(report) => <Report report={report} />}</Show>
    </>
  );
}

function Report({ report }: { report: YearlyReport }) {
  const years = report.fiscalYears;
  const disclosure = report.disclosure;
  const published = new Set(disclosure?.publishedFiscalYears ?? []);
  const range = years.length === 1 ? yearLabel(years[0]) : `${yearLabel(years[0])}～${yearLabel(years[years.length - 1])}`;
  const tables = [report.cases, report.activities, ...report.breakdowns].filter((t): t is StatTable => !!t);
  const suppressedCells = tables.flatMap((table) => table.rows.flatMap((row) =>
    row.cells.map((cell, c) => ({ table, row, cell, column: c < years.length ? yearLabel(years[c]) : tr("合計", "Total") }))
      .filter((x) => x.cell.suppressed)));
  const baseName = `事業実績_${years[0]?.year ?? ""}${years.length > 1 ? `-${years[years.length - 1].year}` : ""}`;

  return (
    <>
      <h2 class="report-title">{tr(`事業実績（${range}）`, `Yearly table (${range})`)}</h2>
      <section aria-labelledby="release-status">
        <h3 id="release-status" class="small-heading">{tr("公表状況", "Publication")}</h3>
        <ul class="release-status">
          {years.map((y) => (
            <li key={y.year}>
              {yearLabel(y)}：
              {published.has(y.year)
                ? <span class="badge published">{tr("公表済み（確定値）", "Published (final)")}</span>
                : <span class="badge provisional">{tr("暫定値（未公表）", "Provisional (not published)")}</span>}
            </li>
          ))}
        </ul>
        {report.generateTime && (
          <p class="hint">{tr("作成日時：", "Generated: ")}{formatDateTime(fromTimestamp(report.generateTime))}</p>
        )}
      </section>
      <Downloads label={tr("事業実績のダウンロード", "Download the yearly table")}
        run={(module, format) => module.downloadYearlyReport(report, format, baseName)} />

      {report.cases && <StatTableView table={report.cases} years={years} headingId="table-cases" />}
      {report.cases && <TableChart table={report.cases} years={years} />}
      {report.activities && <StatTableView table={report.activities} years={years} headingId="table-activities" />}
      {report.activities && <TableChart table={report.activities} years={years} />}
      {report.breakdowns.map((table, i) => (
        <StatTableView key={i} table={table} years={years} headingId={`table-breakdown-${i}`} />
      ))}

      <section class="suppression-note" aria-labelledby="notes-heading">
        <h2 id="notes-heading">{tr("注記", "Notes")}</h2>
        <p><strong>x</strong>{tr("：秘匿（世帯が特定されるおそれがあるため公表していません）",
          ": suppressed for confidentiality (a household could be identified)")}</p>
        {disclosure && (
          <>
            <p>{tr(disclosure.ruleJa, disclosure.rule || disclosure.ruleJa)}</p>
            <ul>
              {disclosure.minCellCount > 1 && (
                <li>{tr(`最小セル度数 k = ${disclosure.minCellCount}（1～${disclosure.minCellCount - 1}世帯のセルを秘匿）`,
                  `Minimum cell count k = ${disclosure.minCellCount}`)}</li>
              )}
              {disclosure.canonicalFrom && disclosure.canonicalFrom.year > 0 && (
                <li>{tr("秘匿を判定した期間：", "Suppression decided over: ")}
                  {yearLabel(disclosure.canonicalFrom)}～{yearLabel(disclosure.canonicalTo)}</li>
              )}
              <li>{disclosure.auditPassed
                ? tr("秘匿の監査：適合（公表した値から秘匿した値を求められないことを確認済み）", "Disclosure audit: passed")
                : tr("秘匿の監査：未確認", "Disclosure audit: not passed")}</li>
              <li>{suppressedCells.length === 0
                ? tr("秘匿箇所：なし", "Suppressed cells: none")
                : tr(`秘匿箇所：${suppressedCells.length}か所`, `Suppressed cells: ${suppressedCells.length}`)}</li>
            </ul>
          </>
        )}
        {suppressedCells.length > 0 && (
          <div class="print-only">
            <p>{tr("秘匿箇所の一覧（表・区分／年度：理由）", "Suppressed cells (table, row / year: reason)")}</p>
            <SuppressedList cells={suppressedCells} years={years} />
          </div>
        )}
        {suppressedCells.length > 0 && (
          <details class="suppressed-list no-print">
            <summary>{tr("秘匿箇所の一覧（表・区分／年度：理由）", "Suppressed cells (table, row / year: reason)")}</summary>
            <SuppressedList cells={suppressedCells} years={years} />
          </details>
        )}
      </section>
    </>
  );
}

function SuppressedList({ cells, years }: {
  cells: Array<{ table: StatTable; row: StatTable["rows"][number]; cell: StatTable["rows"][number]["cells"][number]; column: string }>;
  years: FiscalYear[];
}) {
  return (
    <ul>
      {cells.map((x, i) => (
        <li key={i}>「{tableName(x.table, years[0])}」{rowName(x.row)}／{x.column}：{reasonLabel(x.cell.reason)}</li>
      ))}
    </ul>
  );
}

/** A grouped bar chart of a table's rows (totals left out) over its fiscal years. */
function TableChart({ table, years }: { table: StatTable; years: FiscalYear[] }) {
  const rows = table.rows.filter((r) => !(r.isTotal || r.key === "TOTAL"));
  const categories = years.map(yearLabel);
  const series = rows.map((row) => ({
    name: rowName(row),
    values: years.map((_, i): Point => (row.cells[i]?.suppressed ? "x" : Number(row.cells[i]?.value ?? 0))),
  }));
  const title = tableName(table, years[0]);
  const description = years.map((y, i) =>
    `${yearLabel(y)}：${rows.map((row) => `${rowName(row)} ${cellText(row.cells[i])}`).join("、")}`).join("。");
  const label = tr(`${title}の年度別棒グラフ（単位：${unitOf(table)}、x は秘匿）。${description}。数値は上の表のとおり。`,
    `Bar chart of ${title} by fiscal year (${unitOf(table)}; x = suppressed). ${description}. The numbers are in the table above.`);
  return (
    <div class="chart-block">
      <Chart label={label} dataKey={JSON.stringify([categories, series])}
        legend={series.map((s) => ({ label: s.name }))}
        draw={(charts, element) => charts.drawBars(element, { categories, series, unit: tr(`（${unitOf(table)}）`, unitOf(table)) })} />
    </div>
  );
}
