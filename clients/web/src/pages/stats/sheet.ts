// The yearly report (事業実績) and the plan's indicator progress (成果指標の進捗状況) as sheets of
// cells, laid out exactly as clients/report (report_export.cc YearlySheet / PlanSheet) lays out
// its CSV and XLSX files, so a file downloaded from the console and one written by casectl read
// the same. A suppressed cell is always "x", whatever its value field holds. Japanese only, as the
// published files are. Part of the lazily loaded export chunk.
import { getOption, hasOption, type DescEnum } from "@bufbuild/protobuf";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { label_ja, type FiscalYear } from "../../gen/casecoord/v1/common_pb";
import {
  IndicatorStatus, IndicatorStatusSchema, IndicatorUnit, IndicatorUnitSchema, StatDimension,
  StatDimensionSchema, StatMetric, StatMetricSchema, SuppressionReason, SuppressionReasonSchema,
  type DisclosureControl, type IndicatorActual, type IndicatorProgress, type PlanProgress,
  type StatRow, type StatTable, type WelfarePlan, type YearlyReport,
} from "../../gen/casecoord/v1/statistics_pb";

export type Role = "title" | "heading" | "header" | "label" | "value" | "longText" | "note";

export interface Cell {
  role: Role;
  /** As written in the CSV: a number without separators, or text. */
  text: string;
  isNumber: boolean;
  number: number;
  /** Digits after the point, for the XLSX number format. */
  decimals: number;
  /** A total row: bold in the XLSX. */
  total: boolean;
}

export type Row = Cell[]; // an empty row is an empty line

export interface Sheet {
  name: string;
  title: string;
  rows: Row[];
  freezeRow: number;
  freezeColumn: number;
}

const text = (role: Role, value: string, total = false): Cell =>
  ({ role, text: value, isNumber: false, number: 0, decimals: 0, total });
const line = (role: Role, value: string): Row => [text(role, value)];
const suppressed = (total = false) => text("value", "x", total);

function count(value: bigint, total: boolean): Cell {
  return { role: "value", text: value.toString(), isNumber: true, number: Number(value), decimals: 0, total };
}

function decimal(value: number): Cell {
  // The shortest form that reads back as the value, never in exponent form.
  let formatted = String(value);
  if (/e/i.test(formatted)) formatted = value.toFixed(20).replace(/\.?0+$/, "");
  if (formatted === "-0") formatted = "0";
  const point = formatted.indexOf(".");
  const decimals = point < 0 ? 0 : Math.min(formatted.length - point - 1, 6);
  return { role: "value", text: formatted, isNumber: true, number: value, decimals, total: false };
}

function labelJa(schema: DescEnum, value: number): string {
  const described = schema.values.find((v) => v.number === value);
  if (!described) return String(value);
  return hasOption(described, label_ja) ? getOption(described, label_ja) : described.name;
}

const eraDate = new Intl.DateTimeFormat("ja-JP-u-ca-japanese", { era: "long", year: "numeric", timeZone: "Asia/Tokyo" });

/** 令和8年度 for 2026, whatever the console's language (the files are Japanese). */
export function japaneseYearLabel(year: number): string {
  if (year < 1926) return `${year}年度`;
  const parts = eraDate.formatToParts(new Date(Date.UTC(year, 3, 1, 3)));
  const era = parts.find((p) => p.type === "era")?.value ?? "";
  const number = parts.find((p) => p.type === "year")?.value ?? String(year);
  return `${era}${number === "1" ? "元" : number}年度`;
}

const yearLabelJa = (year: FiscalYear | undefined) =>
  year?.eraLabelJa || japaneseYearLabel(year?.year ?? 0);

// U+FF5E, the character Windows-31J has.
const rangeLabel = (from: string, to: string) => (from === to ? from : `${from}～${to}`);

const isTotalRow = (row: StatRow) => row.isTotal || row.key === "TOTAL";

export function rowLabel(row: StatRow): string {
  if (row.labelJa) return row.labelJa;
  if (row.label) return row.label;
  if (isTotalRow(row)) return "合計";
  return row.key || "（未設定）";
}

export function reportTitle(report: YearlyReport): string {
  const years = report.fiscalYears;
  return `事業実績（${rangeLabel(yearLabelJa(years[0]), yearLabelJa(years[years.length - 1]))}）`;
}

export function tableTitle(table: StatTable, report: YearlyReport): string {
  let title = table.titleJa;
  if (!title && table.metric !== StatMetric.STAT_METRIC_UNSPECIFIED) {
    title = labelJa(StatMetricSchema, table.metric);
    if (table.dimension !== StatDimension.STAT_DIMENSION_UNSPECIFIED) {
      title += `（${labelJa(StatDimensionSchema, table.dimension)}別）`;
    }
  }
  if (!title) title = table.title || "表";
  if (table.cumulative) title += `（${yearLabelJa(report.fiscalYears[0])}からの累計）`;
  return title;
}

export function reportTables(report: YearlyReport): StatTable[] {
  return [report.cases, report.activities, ...report.breakdowns].filter((t): t is StatTable => !!t);
}

function jstIsoDate(ts: Timestamp): string {
  return new Intl.DateTimeFormat("en-CA", { year: "numeric", month: "2-digit", day: "2-digit", timeZone: "Asia/Tokyo" })
    .format(new Date(Number(ts.seconds) * 1000));
}

function appendDisclosureRule(disclosure: DisclosureControl | undefined, rows: Row[]): void {
  if (!disclosure) return;
  if (disclosure.ruleJa) rows.push(line("note", disclosure.ruleJa));
  if (disclosure.rule) rows.push(line("note", disclosure.rule));
  const k = disclosure.minCellCount;
  if (k > 1) {
    rows.push(line("note", `最小セル度数 k = ${k}（1～${k - 1}世帯のセルを秘匿） / minimum cell count k = ${k}`));
  }
  if (disclosure.canonicalFrom && disclosure.canonicalFrom.year > 0) {
    rows.push(line("note", `秘匿を判定した期間：${rangeLabel(yearLabelJa(disclosure.canonicalFrom), yearLabelJa(disclosure.canonicalTo))}`));
  }
}

export function suppressionReasonJa(reason: SuppressionReason): string {
  return reason === SuppressionReason.SUPPRESSION_REASON_UNSPECIFIED ? "秘匿" : labelJa(SuppressionReasonSchema, reason);
}

export function yearlySheet(report: YearlyReport): Sheet {
  const title = reportTitle(report);
  const rows: Row[] = [line("title", title)];
  if (report.generateTime) rows.push(line("note", `作成日：${jstIsoDate(report.generateTime)}`));
  rows.push([]);
  const columns = [...report.fiscalYears.map(yearLabelJa), "合計"];
  const notes: string[] = [];
  for (const table of reportTables(report)) {
    const heading = tableTitle(table, report);
    rows.push(line("heading", heading));
    rows.push([text("header", "区分"), ...columns.map((c) => text("header", c))]);
    let hasTotalRow = false;
    for (const statRow of table.rows) {
      const total = isTotalRow(statRow);
      hasTotalRow ||= total;
      const row: Row = [text("label", rowLabel(statRow), total)];
      statRow.cells.forEach((cell, c) => {
        if (cell.suppressed) {
          row.push(suppressed(total));
          notes.push(`・「${heading}」${rowLabel(statRow)}／${columns[c]}：${suppressionReasonJa(cell.reason)}`);
        } else {
          row.push(count(cell.value, total));
        }
      });
      rows.push(row);
    }
    if (!table.rowsAddUp && hasTotalRow && table.dimension !== StatDimension.STAT_DIMENSION_UNSPECIFIED) {
      rows.push(line("note", "※ 一つの世帯が複数の区分に該当することがあるため、各区分の計は合計と一致しません。"));
    }
    rows.push([]);
  }
  rows.push(line("heading", "注記"));
  rows.push(line("note", "x：秘匿（世帯が特定されるおそれがあるため公表していません） / x: suppressed for confidentiality"));
  appendDisclosureRule(report.disclosure, rows);
  rows.push(line("note", "秘匿の監査：適合（公表した値から秘匿した値を求められないことを確認済み）"));
  if (notes.length === 0) {
    rows.push(line("note", "秘匿箇所：なし"));
  } else {
    rows.push(line("note", `秘匿箇所（${notes.length}か所）：表・区分／年度：理由`));
    for (const note of notes) rows.push(line("note", note));
  }
  return { name: "事業実績", title, rows, freezeRow: 0, freezeColumn: 0 };
}

/** The titles of the area and its enclosing areas, outermost first ("地域で支え合う／見守り"). */
export function areaPath(plan: WelfarePlan, areaId: string): string {
  const areas = new Map(plan.policyAreas.map((a) => [a.id, a]));
  const titles: string[] = [];
  const seen = new Set<string>();
  let id = areaId;
  while (id && !seen.has(id)) {
    seen.add(id);
    const area = areas.get(id);
    if (!area) break;
    titles.unshift(area.title);
    id = area.parentId;
  }
  return titles.join("／");
}

/** The latest year of the indicator with either text (取組実績 or 今後の方針). */
export function latestTexts(item: IndicatorProgress): IndicatorActual | undefined {
  let found: IndicatorActual | undefined;
  for (const actual of item.actuals) {
    if ((actual.achievements || actual.nextSteps) && (!found || actual.fiscalYear >= found.fiscalYear)) found = actual;
  }
  return found;
}

export function planSheet(progress: PlanProgress): Sheet {
  const plan = progress.plan!;
  const period = rangeLabel(japaneseYearLabel(plan.firstFiscalYear), japaneseYearLabel(plan.lastFiscalYear));
  const title = `${plan.displayName || "計画"} 成果指標の進捗状況（${period}）`;
  const rows: Row[] = [line("title", title)];
  if (progress.generateTime) rows.push(line("note", `作成日：${jstIsoDate(progress.generateTime)}`));
  rows.push([]);
  const header: Row = ["基本目標・施策", "指標名", "単位", "担当課", "基準値", "基準年度", "目標値", "目標年度"]
    .map((h) => text("header", h));
  for (let year = plan.firstFiscalYear; year <= plan.lastFiscalYear; year++) {
    header.push(text("header", `${japaneseYearLabel(year)}実績`));
  }
  for (const h of ["達成率（%）", "状況", "記載年度", "取組実績", "今後の方針"]) header.push(text("header", h));
  const freezeRow = rows.length + 1;
  rows.push(header);
  let anySuppressed = false;
  for (const item of progress.indicators) {
    const indicator = item.indicator!;
    const row: Row = [
      text("label", areaPath(plan, indicator.policyAreaId)),
      text("label", indicator.displayName),
      text("label", indicator.unit === IndicatorUnit.INDICATOR_UNIT_UNSPECIFIED ? "" : labelJa(IndicatorUnitSchema, indicator.unit)),
      text("label", indicator.department),
      indicator.baselineValue !== undefined ? decimal(indicator.baselineValue) : text("value", ""),
      text("label", indicator.baselineFiscalYear > 0 ? japaneseYearLabel(indicator.baselineFiscalYear) : ""),
      decimal(indicator.targetValue),
      text("label", indicator.targetFiscalYear > 0 ? japaneseYearLabel(indicator.targetFiscalYear) : ""),
    ];
    const byYear = new Map(item.actuals.map((a) => [a.fiscalYear, a]));
    for (let year = plan.firstFiscalYear; year <= plan.lastFiscalYear; year++) {
      const actual = byYear.get(year);
      if (actual?.suppressed) {
        anySuppressed = true;
        row.push(suppressed());
      } else if (actual?.value !== undefined) {
        row.push(decimal(actual.value));
      } else {
        row.push(text("value", ""));
      }
    }
    const texts = latestTexts(item);
    row.push(item.achievementRate !== undefined ? decimal(item.achievementRate) : text("value", ""));
    row.push(text("label", item.status === IndicatorStatus.INDICATOR_STATUS_UNSPECIFIED ? "" : labelJa(IndicatorStatusSchema, item.status)));
    row.push(text("label", texts ? japaneseYearLabel(texts.fiscalYear) : ""));
    row.push(text("longText", texts?.achievements ?? ""));
    row.push(text("longText", texts?.nextSteps ?? ""));
    rows.push(row);
  }
  rows.push([]);
  rows.push(line("heading", "注記"));
  if (anySuppressed) rows.push(line("note", "x：統計の秘匿値に基づくため公表していません / x: depends on a suppressed statistic"));
  rows.push(line("note", "達成率（%）＝（最新の実績値 - 基準値）÷（目標値 - 基準値）× 100。減少を目指す指標では減少が正の達成率になります。"));
  rows.push(line("note", "状況：達成＝目標値に到達、順調＝達成率が計画期間の経過割合以上、遅れ＝それ未満、未把握＝実績値がないか秘匿。"));
  rows.push(line("note", "取組実績・今後の方針は記載年度のものです。"));
  appendDisclosureRule(progress.disclosure, rows);
  return { name: "成果指標", title, rows, freezeRow, freezeColumn: 2 };
}
