// The only module that imports ECharts. Pages load it with a dynamic import(), so it becomes its
// own chunk that only the statistics pages fetch. Tree-shaken: the core, bar and line charts, the
// cartesian grid and the canvas renderer; legends are HTML beside the chart (charts/chart.tsx),
// and the tables under the charts are the accessible source of every number.
import { BarChart, LineChart } from "echarts/charts";
import { GridComponent } from "echarts/components";
import { init, use, type ECharts } from "echarts/core";
import { CanvasRenderer } from "echarts/renderers";
import { colorOf } from "./palette";

use([BarChart, LineChart, GridComponent, CanvasRenderer]);

const FONT = '"Noto Sans JP", "Hiragino Sans", "Yu Gothic UI", Meiryo, sans-serif';
const INK = "#1a1a1a";

/** A value of a series: a number, or "x" for a suppressed one (never drawn as its size). */
export type Point = number | "x" | null;

function mount(element: HTMLElement, configure: (chart: ECharts) => void): () => void {
  const chart = init(element, undefined, { renderer: "canvas" });
  configure(chart);
  const observer = new ResizeObserver(() => chart.resize());
  observer.observe(element);
  return () => {
    observer.disconnect();
    chart.dispose();
  };
}

function valueAxis(unit: string) {
  return {
    type: "value" as const,
    name: unit,
    minInterval: 1,
    nameTextStyle: { color: INK, fontFamily: FONT },
    axisLabel: { color: INK, fontFamily: FONT },
  };
}

function categoryAxis(categories: string[]) {
  return {
    type: "category" as const,
    data: categories,
    axisLabel: { color: INK, fontFamily: FONT, interval: 0 },
    axisLine: { lineStyle: { color: "#555" } },
  };
}

/** Grouped bars, one group per category (fiscal year), one bar per series. A suppressed value
 *  is a zero-height bar labelled "x": the axis scale comes from published values only, so the
 *  drawing reveals nothing the server withheld. */
export function drawBars(
  element: HTMLElement,
  spec: { categories: string[]; series: Array<{ name: string; values: Point[] }>; unit: string },
): () => void {
  return mount(element, (chart) => {
    chart.setOption({
      animation: false,
      textStyle: { fontFamily: FONT, color: INK },
      grid: { left: 48, right: 16, top: 32, bottom: 32, containLabel: true },
      xAxis: categoryAxis(spec.categories),
      yAxis: valueAxis(spec.unit),
      series: spec.series.map((s, i) => ({
        type: "bar" as const,
        name: s.name,
        color: colorOf(i),
        barMaxWidth: 40,
        data: s.values.map((v) =>
          v === "x"
            ? { value: 0, label: { show: true, position: "top" as const, formatter: "x", color: INK, fontWeight: "bold" as const } }
            : v,
        ),
      })),
    });
  });
}

/** An indicator over the plan's years: the actuals as a solid line with points, the target as
 *  a dashed line and the baseline as a dotted one (line styles, not only colours, tell them
 *  apart). A suppressed actual is a gap labelled "x". */
export function drawIndicator(
  element: HTMLElement,
  spec: { categories: string[]; actuals: Point[]; target?: number; baseline?: number; unit: string;
    names: { actual: string; target: string; baseline: string } },
): () => void {
  const flat = (value: number | undefined) => spec.categories.map(() => value ?? null);
  return mount(element, (chart) => {
    const series: unknown[] = [{
      type: "line",
      name: spec.names.actual,
      color: colorOf(0),
      symbol: "circle",
      symbolSize: 8,
      connectNulls: false,
      label: { show: true, position: "top", color: INK, formatter: (p: { value: unknown }) => (p.value == null ? "" : String(p.value)) },
      data: spec.actuals.map((v) => (v === "x" || v === null ? null : v)),
    }];
    if (spec.target !== undefined) {
      series.push({ type: "line", name: spec.names.target, color: colorOf(1), symbol: "none",
        lineStyle: { type: "dashed", width: 2 }, data: flat(spec.target) });
    }
    if (spec.baseline !== undefined) {
      series.push({ type: "line", name: spec.names.baseline, color: "#555", symbol: "none",
        lineStyle: { type: "dotted", width: 2 }, data: flat(spec.baseline) });
    }
    // Suppressed actuals: an "x" on the axis where the point would be.
    if (spec.actuals.some((v) => v === "x")) {
      series.push({ type: "bar", name: "x", color: INK, barWidth: 1, silent: true,
        data: spec.actuals.map((v) => (v === "x" ? { value: 0, label: { show: true, position: "top", formatter: "x", color: INK, fontWeight: "bold" } } : null)) });
    }
    chart.setOption({
      animation: false,
      textStyle: { fontFamily: FONT, color: INK },
      grid: { left: 40, right: 16, top: 32, bottom: 24, containLabel: true },
      xAxis: categoryAxis(spec.categories),
      yAxis: { ...valueAxis(spec.unit), minInterval: undefined },
      series,
    });
  });
}
