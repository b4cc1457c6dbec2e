import type { MetricSeriesView } from "@modelgate/core";

export type XAxisMode = "step" | "wall" | "relative";

type SeriesPoint = MetricSeriesView["points"][number];

/** [x, y] pairs for a chart; non-finite values cannot be drawn, so they leave a gap. */
export function toChartData(points: readonly SeriesPoint[], mode: XAxisMode, startTime: number): [number, number | null][] {
  const origin = mode === "relative" ? (points[0]?.timestamp ?? startTime) : 0;
  return points.map((p) => [
    mode === "step" ? p.step : mode === "wall" ? p.timestamp : (p.timestamp - origin) / 1000,
    Number.isFinite(p.value) ? p.value : null,
  ]);
}

export const xAxisLabel: Record<XAxisMode, string> = { step: "Step", wall: "Wall time", relative: "Relative time (s)" };
