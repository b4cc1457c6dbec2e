"use client";
import { Group, MultiSelect, Select, Text } from "@mantine/core";
import type { RunView } from "@modelgate/core";
import { useState } from "react";
import { EChart } from "./echart";
import { formatMetric, metricOf, paramOf, runName } from "./format";

const MAX_DEFAULT_PARAMS = 8;

interface Axis {
  name: string;
  values: (string | number | null)[];
}

/** A numeric axis when every present value is a number; otherwise the distinct values, sorted. */
function axisOption(dim: number, axis: Axis) {
  const present = axis.values.filter((v) => v !== null);
  const numeric = present.every((v) => typeof v === "number" || (v !== "" && Number.isFinite(Number(v))));
  if (numeric) return { dim, name: axis.name, type: "value", scale: true };
  return { dim, name: axis.name, type: "category", data: [...new Set(present.map(String))].sort() };
}

/** Parameters → a metric: one line per run across the chosen axes. */
export function ParallelCoordinates({ runs, paramKeys, metricKeys, differing }: { runs: RunView[]; paramKeys: string[]; metricKeys: string[]; differing: Set<string> }) {
  const [params, setParams] = useState<string[] | null>(null);
  const [metric, setMetric] = useState<string | null>(metricKeys[0] ?? null);
  const differingKeys = paramKeys.filter((k) => differing.has(k));
  // by default the parameters that vary, since a constant axis says nothing
  const chosen = params ?? (differingKeys.length ? differingKeys : paramKeys).slice(0, MAX_DEFAULT_PARAMS);
  const axes: Axis[] = [
    ...chosen.map((k) => ({ name: k, values: runs.map((r) => paramOf(r, k) ?? null) })),
    ...(metric ? [{ name: metric, values: runs.map((r) => { const v = metricOf(r, metric); return v === undefined || !Number.isFinite(v) ? null : v; }) }] : []),
  ];
  const option = {
    animation: false,
    legend: { type: "scroll", top: 0 },
    tooltip: { trigger: "item", formatter: (p: { seriesName: string }) => p.seriesName },
    parallel: { left: 60, right: 80, top: 60, bottom: 30 },
    parallelAxis: axes.map((a, i) => ({ ...axisOption(i, a), nameTextStyle: { fontSize: 11 }, axisLabel: { formatter: (v: number | string) => (typeof v === "number" ? formatMetric(v) : String(v).slice(0, 18)) } })),
    series: runs.map((r, ri) => ({
      type: "parallel",
      name: runName(r),
      lineStyle: { width: 2, opacity: 0.8 },
      data: [axes.map((a) => {
        const v = a.values[ri];
        return v === null || v === undefined ? "-" : v;
      })],
    })),
  };
  return (
    <>
      <Group mb="xs" align="flex-end">
        <MultiSelect label="Parameters" data={paramKeys} value={chosen} onChange={setParams} searchable clearable w={460} aria-label="Parallel coordinates parameters" />
        <Select label="Metric" data={metricKeys} value={metric} onChange={setMetric} searchable w={240} aria-label="Parallel coordinates metric" />
      </Group>
      {axes.length < 2 ? <Text size="sm" c="dimmed">Choose at least one parameter and a metric.</Text> : <EChart option={option} height={380} testId="parallel-coordinates" />}
    </>
  );
}
