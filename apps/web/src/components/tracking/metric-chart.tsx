"use client";
import { Card, Text } from "@mantine/core";
import { formatMetric } from "./format";
import { EChart } from "./echart";
import { xAxisLabel, type XAxisMode } from "./metric-series";

interface ChartLine {
  name: string;
  data: [number, number | null][];
}

/** One metric over step or time; one line per run. Points arrive already downsampled. */
export function MetricChart({ title, lines, mode, logScale = false, height = 260, loading = false }: { title: string; lines: ChartLine[]; mode: XAxisMode; logScale?: boolean; height?: number; loading?: boolean }) {
  const option = {
    animation: false,
    grid: { left: 56, right: 16, top: lines.length > 1 ? 36 : 16, bottom: 56 },
    legend: lines.length > 1 ? { type: "scroll", top: 0 } : undefined,
    tooltip: { trigger: "axis", valueFormatter: (v: number) => formatMetric(v) },
    xAxis: { type: mode === "wall" ? "time" : "value", name: xAxisLabel[mode], nameLocation: "middle", nameGap: 26, scale: true },
    yAxis: { type: logScale ? "log" : "value", scale: true },
    dataZoom: [{ type: "inside", filterMode: "none" }, { type: "slider", height: 14, bottom: 4, filterMode: "none" }],
    series: lines.map((l) => ({ type: "line", name: l.name, data: l.data, showSymbol: l.data.length < 50, symbolSize: 4, connectNulls: false, sampling: "lttb", large: true, lineStyle: { width: 1.5 } })),
  };
  return (
    <Card
      withBorder
      p="xs"
      data-testid={`metric-chart-${title}`}
      data-loading={loading || undefined}
      data-points={lines.reduce((n, l) => n + l.data.length, 0)}
      aria-label={`Chart of ${title}`}
    >
      <Text size="sm" fw={600} px={4} truncate>{title}</Text>
      <EChart option={option} height={height} loading={loading} />
    </Card>
  );
}
