// 推進計画: a plan's indicators (成果指標・活動指標) with baseline, target, the actual of each
// fiscal year, 達成率 and 状況, a small chart each and the whole table; downloads as
// clients/report writes them. Values bound to statistics come anonymised from the server ("x"
// when they depend on a suppressed cell).
import { useState } from "preact/hooks";
import { statistics } from "../api";
import { Chart } from "../charts/chart";
import type { Point } from "../charts/echarts";
import {
  IndicatorStatus, IndicatorStatusSchema, IndicatorUnit, IndicatorUnitSchema, TargetDirection,
  TargetDirectionSchema, type IndicatorProgress, type PlanProgress, type WelfarePlan,
} from "../gen/casecoord/v1/statistics_pb";
import { enumLabel, fiscalYearLabel, formatDateTime, fromTimestamp } from "../format";
import { tr } from "../i18n";
import { Empty, PageTitle, Select, Show, useLoad } from "../ui/common";
import { Downloads } from "./stats/downloads";

const numberFormat = new Intl.NumberFormat("ja-JP", { maximumFractionDigits: 6 });

function unitOf(item: IndicatorProgress): string {
  const unit = item.indicator?.unit ?? IndicatorUnit.INDICATOR_UNIT_UNSPECIFIED;
  return unit === IndicatorUnit.INDICATOR_UNIT_UNSPECIFIED ? "" : enumLabel(IndicatorUnitSchema, unit);
}

function withUnit(value: number | undefined, unit: string): string {
  return value === undefined ? "—" : `${numberFormat.format(value)}${unit}`;
}

function areaTitle(plan: WelfarePlan, id: string): string {
  const areas = new Map(plan.policyAreas.map((a) => [a.id, a]));
  const titles: string[] = [];
  const seen = new Set<string>();
  for (let area = areas.get(id); area && !seen.has(area.id); area = areas.get(area.parentId)) {
    seen.add(area.id);
    titles.unshift(area.title);
  }
  return titles.join("／");
}

function planYears(plan: WelfarePlan): number[] {
  const years: number[] = [];
  for (let y = plan.firstFiscalYear; y <= plan.lastFiscalYear; y++) years.push(y);
  return years;
}

function StatusBadge({ status }: { status: IndicatorStatus }) {
  if (status === IndicatorStatus.INDICATOR_STATUS_UNSPECIFIED) return <span class="muted">—</span>;
  return <span class={`badge status-${IndicatorStatus[status]}`}>{enumLabel(IndicatorStatusSchema, status)}</span>;
}

export function WelfarePlansPage(_: { params: Record<string, string> }) {
  const { loaded } = useLoad((signal) => statistics.listWelfarePlans({ pageSize: 100 }, { signal }), []);
  return (
    <>
      <PageTitle>{tr("推進計画", "Welfare plan")}</PageTitle>
      <Show loaded={loaded}>
        {(list) => list.plans.length === 0
          ? <Empty>{tr("登録された計画はありません。", "No plans yet.")}</Empty>
          : <PlanChooser plans={list.plans} />}
      </Show>
    </>
  );
}

function PlanChooser({ plans }: { plans: WelfarePlan[] }) {
  const [name, setName] = useState(plans[0].name);
  return (
    <>
      {plans.length > 1 && (
        <div class="no-print">
          <Select label={tr("計画", "Plan")} value={name} onValue={setName}
            options={plans.map((p) => ({ value: p.name, label: p.displayName || p.name }))} />
        </div>
      )}
      <Progress name={name} key={name} />
    </>
  );
}

function Progress({ name }: { name: string }) {
  const { loaded } = useLoad((signal) => statistics.getPlanProgress({ name }, { signal }), [name]);
  return <Show loaded={loaded}>{(progress) => <ProgressView progress={progress} />}</Show>;
}

function ProgressView({ progress }: { progress: PlanProgress }) {
  const plan = progress.plan!;
  const years = planYears(plan);
  const period = `${fiscalYearLabel(plan.firstFiscalYear)}～${fiscalYearLabel(plan.lastFiscalYear)}`;
  const anySuppressed = progress.indicators.some((i) => i.actuals.some((a) => a.suppressed));
  return (
    <>
      <h2>{plan.displayName}<span class="muted">（{period}）</span></h2>
      {progress.generateTime && (
        <p class="hint">{tr("作成日時：", "Generated: ")}{formatDateTime(fromTimestamp(progress.generateTime))}</p>
      )}
      <Downloads label={tr("成果指標の進捗のダウンロード", "Download the indicators' progress")}
        run={(module, format) => module.downloadPlanProgress(progress, format, `成果指標_${plan.name.replace(/^plans\//, "")}`)} />

      <section aria-labelledby="indicator-table-heading">
        <h2 id="indicator-table-heading">{tr("成果指標の進捗状況", "Indicators")}</h2>
        <div class="table-wrap">
          <table>
            <caption class="stats-sr-only">{tr(`${plan.displayName} 成果指標の進捗状況（${period}）`, `${plan.displayName}: indicators (${period})`)}</caption>
            <thead>
              <tr>
                <th scope="col">{tr("基本目標・施策", "Policy area")}</th>
                <th scope="col">{tr("指標名", "Indicator")}</th>
                <th scope="col" class="num">{tr("基準値", "Baseline")}</th>
                <th scope="col" class="num">{tr("目標値", "Target")}</th>
                {years.map((y) => <th scope="col" class="num" key={y}>{fiscalYearLabel(y)}{tr("実績", " actual")}</th>)}
                <th scope="col" class="num">{tr("達成率", "Achieved")}</th>
                <th scope="col">{tr("状況", "Status")}</th>
              </tr>
            </thead>
            <tbody>
              {progress.indicators.map((item) => {
                const indicator = item.indicator!;
                const unit = unitOf(item);
                const byYear = new Map(item.actuals.map((a) => [a.fiscalYear, a]));
                return (
                  <tr key={indicator.id}>
                    <td>{areaTitle(plan, indicator.policyAreaId)}</td>
                    <th scope="row">{indicator.displayName}</th>
                    <td class="num">{withUnit(indicator.baselineValue, unit)}
                      {indicator.baselineFiscalYear > 0 && <small class="muted">（{fiscalYearLabel(indicator.baselineFiscalYear)}）</small>}</td>
                    <td class="num">{withUnit(indicator.targetValue, unit)}
                      {indicator.targetFiscalYear > 0 && <small class="muted">（{fiscalYearLabel(indicator.targetFiscalYear)}）</small>}</td>
                    {years.map((y) => {
                      const actual = byYear.get(y);
                      if (actual?.suppressed) return <td class="num suppressed" key={y}><abbr title={tr("秘匿", "suppressed")}>x</abbr></td>;
                      return <td class="num" key={y}>{actual?.value !== undefined ? withUnit(actual.value, unit) : "—"}</td>;
                    })}
                    <td class="num">{item.achievementRate !== undefined ? `${item.achievementRate.toFixed(1)}%` : "—"}</td>
                    <td><StatusBadge status={item.status} /></td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
        <ul class="hint">
          {anySuppressed && <li>{tr("x：統計の秘匿値に基づくため公表していません。", "x: depends on a suppressed statistic.")}</li>}
          <li>{tr("達成率（%）＝（最新の実績値 − 基準値）÷（目標値 − 基準値）× 100。減少を目指す指標では減少が正の達成率になります。",
            "Achievement = (latest − baseline) ÷ (target − baseline) × 100; for a decrease target a decrease counts as positive.")}</li>
          <li>{tr("状況：達成＝目標値に到達、順調＝達成率が計画期間の経過割合以上、遅れ＝それ未満、未把握＝実績値がないか秘匿。",
            "Status: achieved = target reached; on track = rate at least the share of the period passed; behind = less; no data = none or suppressed.")}</li>
        </ul>
      </section>

      <section aria-labelledby="indicator-cards-heading">
        <h2 id="indicator-cards-heading">{tr("指標ごとの推移", "Each indicator")}</h2>
        <div class="cards">
          {progress.indicators.map((item) => <IndicatorCard key={item.indicator!.id} item={item} plan={plan} years={years} />)}
        </div>
      </section>
    </>
  );
}

function IndicatorCard({ item, plan, years }: { item: IndicatorProgress; plan: WelfarePlan; years: number[] }) {
  const indicator = item.indicator!;
  const unit = unitOf(item);
  const byYear = new Map(item.actuals.map((a) => [a.fiscalYear, a]));
  const actuals: Point[] = years.map((y) => {
    const actual = byYear.get(y);
    return actual?.suppressed ? "x" : actual?.value ?? null;
  });
  const categories = years.map(fiscalYearLabel);
  const texts = [...item.actuals].reverse().find((a) => a.achievements || a.nextSteps);
  const described = years.map((y, i) => `${fiscalYearLabel(y)} ${actuals[i] === null ? tr("実績なし", "no value") : `${actuals[i]}${unit}`}`).join("、");
  const label = tr(
    `${indicator.displayName}の推移の折れ線グラフ。実績：${described}。目標値 ${withUnit(indicator.targetValue, unit)}、基準値 ${withUnit(indicator.baselineValue, unit)}。`,
    `Line chart of ${indicator.displayName}. Actuals: ${described}. Target ${withUnit(indicator.targetValue, unit)}, baseline ${withUnit(indicator.baselineValue, unit)}.`);
  const headingId = `indicator-${indicator.id}`;
  return (
    <article class="card indicator-card" aria-labelledby={headingId}>
      <h3 id={headingId}>{indicator.displayName}</h3>
      {indicator.policyAreaId && <p class="hint">{areaTitle(plan, indicator.policyAreaId)}</p>}
      <dl>
        <dt>{tr("状況", "Status")}</dt><dd><StatusBadge status={item.status} /></dd>
        <dt>{tr("達成率", "Achieved")}</dt><dd>{item.achievementRate !== undefined ? `${item.achievementRate.toFixed(1)}%` : "—"}</dd>
        <dt>{tr("目標", "Target")}</dt>
        <dd>{withUnit(indicator.targetValue, unit)}
          {indicator.targetFiscalYear > 0 && `（${fiscalYearLabel(indicator.targetFiscalYear)}）`}
          {indicator.direction !== TargetDirection.TARGET_DIRECTION_UNSPECIFIED && ` ${enumLabel(TargetDirectionSchema, indicator.direction)}`}
          {indicator.cumulative && tr("・累計", ", cumulative")}</dd>
        <dt>{tr("基準値", "Baseline")}</dt>
        <dd>{withUnit(indicator.baselineValue, unit)}
          {indicator.baselineFiscalYear > 0 && `（${fiscalYearLabel(indicator.baselineFiscalYear)}）`}</dd>
        {indicator.department && <><dt>{tr("担当課", "Department")}</dt><dd>{indicator.department}</dd></>}
      </dl>
      <Chart size="small" label={label} dataKey={JSON.stringify([categories, actuals, indicator.targetValue, indicator.baselineValue])}
        legend={[
          { label: tr("実績（実線）", "Actual (solid)"), mark: "solid" },
          { label: tr("目標値（破線）", "Target (dashed)"), mark: "dashed" },
          ...(indicator.baselineValue !== undefined ? [{ label: tr("基準値（点線）", "Baseline (dotted)"), mark: "dotted" as const, color: "#555" }] : []),
        ]}
        draw={(charts, element) => charts.drawIndicator(element, {
          categories, actuals, target: indicator.targetValue, baseline: indicator.baselineValue, unit,
          names: { actual: tr("実績", "Actual"), target: tr("目標値", "Target"), baseline: tr("基準値", "Baseline") },
        })} />
      {texts && (
        <>
          <h4 class="small-heading">{tr(`取組実績（${fiscalYearLabel(texts.fiscalYear)}）`, `Achievements (${fiscalYearLabel(texts.fiscalYear)})`)}</h4>
          <p>{texts.achievements || "—"}</p>
          <h4 class="small-heading">{tr("今後の方針", "Next steps")}</h4>
          <p>{texts.nextSteps || "—"}</p>
        </>
      )}
    </article>
  );
}
