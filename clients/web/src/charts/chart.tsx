// A chart drawn by ECharts, which is loaded on first use as its own chunk (charts/echarts.ts), so
// pages without charts never fetch it. The drawing is an image with a description
// (role="img" + aria-label); the numbers are in the table beside it, and the legend is HTML text.
import { useEffect, useRef, useState } from "preact/hooks";
import { tr } from "../i18n";
import { colorOf } from "./palette";

type ChartModule = typeof import("./echarts");

export function Chart({ label, draw, dataKey, legend, size = "normal" }: {
  /** What the chart shows, in words (its accessible name). */
  label: string;
  /** Draws into the element and returns the cleanup. */
  draw: (charts: ChartModule, element: HTMLElement) => () => void;
  /** Changes when the data changes, so the chart is redrawn. */
  dataKey: string;
  legend?: Array<{ label: string; mark?: "solid" | "dashed" | "dotted"; color?: string }>;
  size?: "normal" | "small";
}) {
  const ref = useRef<HTMLDivElement>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    let cleanup: (() => void) | undefined;
    let cancelled = false;
    import("./echarts").then(
      (charts) => {
        if (!cancelled && ref.current) cleanup = draw(charts, ref.current);
      },
      () => !cancelled && setFailed(true),
    );
    return () => {
      cancelled = true;
      cleanup?.();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [dataKey]);
  return (
    <figure class="stats-chart">
      <div ref={ref} class={size === "small" ? "chart chart-small" : "chart"} role="img" aria-label={label} />
      {failed && <p class="error">{tr("グラフを表示できませんでした。数値は表をご覧ください。", "The chart could not be drawn; see the table.")}</p>}
      {legend && legend.length > 0 && (
        <figcaption>
          <ul class="chart-legend">
            {legend.map((item, i) => (
              <li key={item.label}>
                <span aria-hidden="true" class={`swatch swatch-${item.mark ?? "box"}`}
                  style={{ borderColor: item.color ?? colorOf(i), backgroundColor: item.mark ? "transparent" : item.color ?? colorOf(i) }} />
                {item.label}
              </li>
            ))}
          </ul>
        </figcaption>
      )}
    </figure>
  );
}
