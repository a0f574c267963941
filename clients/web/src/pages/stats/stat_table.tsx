// One table of the yearly report as published: the fiscal years (era labels) and 合計 as
// columns, the rows as row headers, "x" for every suppressed cell (never its value field).
import type { FiscalYear } from "../../gen/casecoord/v1/common_pb";
import { SuppressionReason, type StatCell, type StatRow, type StatTable } from "../../gen/casecoord/v1/statistics_pb";
import { fiscalYearLabel } from "../../format";
import { currentLanguage, tr } from "../../i18n";

export function yearLabel(year: FiscalYear | undefined): string {
  if (!year) return "";
  if (currentLanguage() === "en") return fiscalYearLabel(year.year);
  return year.eraLabelJa || fiscalYearLabel(year.year);
}

export function rowName(row: StatRow): string {
  const isTotal = row.isTotal || row.key === "TOTAL";
  const label = currentLanguage() === "en" ? row.label || row.labelJa : row.labelJa || row.label;
  if (label) return label;
  if (isTotal) return tr("合計", "Total");
  return row.key || tr("（未設定）", "(not set)");
}

export function tableName(table: StatTable, firstYear: FiscalYear | undefined): string {
  let title = currentLanguage() === "en" ? table.title || table.titleJa : table.titleJa || table.title;
  if (table.cumulative) title += tr(`（${yearLabel(firstYear)}からの累計）`, ` (running total from ${yearLabel(firstYear)})`);
  return title;
}

export function unitOf(table: StatTable): string {
  return table.countsHouseholds ? tr("件", "households") : tr("回", "times");
}

export function reasonLabel(reason: SuppressionReason): string {
  switch (reason) {
    case SuppressionReason.PRIMARY: return tr("少数秘匿", "small count");
    case SuppressionReason.COMPLEMENTARY: return tr("二次秘匿", "complementary");
    case SuppressionReason.DERIVED: return tr("秘匿値を含む集計", "includes a suppressed cell");
    default: return tr("秘匿", "suppressed");
  }
}

const numberFormat = new Intl.NumberFormat("ja-JP");

export function cellText(cell: StatCell): string {
  return cell.suppressed ? "x" : numberFormat.format(cell.value);
}

function Cell({ cell }: { cell: StatCell }) {
  if (cell.suppressed) {
    return (
      <td class="num suppressed">
        <abbr title={`${tr("秘匿", "suppressed")}（${reasonLabel(cell.reason)}）`}>x</abbr>
      </td>
    );
  }
  return <td class="num">{numberFormat.format(cell.value)}</td>;
}

export function StatTableView({ table, years, headingId }: {
  table: StatTable;
  years: FiscalYear[];
  headingId: string;
}) {
  const title = tableName(table, years[0]);
  return (
    <section class="stat-table" aria-labelledby={headingId}>
      <h2 id={headingId}>{title}</h2>
      {table.withheld && (
        <p class="notice">{tr("この内訳は合計から個別の値が分かってしまうため、合計のみ公表しています。",
          "This breakdown could not be protected around its total; only the total is shown.")}</p>
      )}
      <div class="table-wrap">
        <table>
          <caption>
            <span class="stats-sr-only">{title}</span>
            <span class="unit">{tr(`（単位：${unitOf(table)}）`, ` (${unitOf(table)})`)}</span>
          </caption>
          <thead>
            <tr>
              <th scope="col">{tr("区分", "Category")}</th>
              {years.map((y) => <th scope="col" class="num" key={y.year} title={String(y.year)}>{yearLabel(y)}</th>)}
              <th scope="col" class="num">{tr("合計", "Total")}</th>
            </tr>
          </thead>
          <tbody>
            {table.rows.map((row) => (
              <tr key={row.key} class={row.isTotal || row.key === "TOTAL" ? "total" : undefined}>
                <th scope="row">{rowName(row)}</th>
                {row.cells.map((cell, i) => <Cell cell={cell} key={i} />)}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {!table.rowsAddUp && table.dimension !== 0 && (
        <p class="hint">{tr("※ 一つの世帯が複数の区分に該当することがあるため、各区分の計は合計と一致しません。",
          "A household may count under several categories: the rows need not add up to the total.")}</p>
      )}
    </section>
  );
}
