// The series colours, shared by the ECharts chunk and the HTML legends beside the charts (the
// legend is HTML so that it is real text, and so the chart chunk needs no legend component).
// Each has at least 3:1 contrast on white (WCAG 1.4.11 for graphics).
export const PALETTE = ["#1f5fa8", "#c0392b", "#2e7d32", "#8e44ad", "#a0522d", "#00695c", "#6d4c41", "#c2185b"];

export function colorOf(index: number): string {
  return PALETTE[index % PALETTE.length];
}
