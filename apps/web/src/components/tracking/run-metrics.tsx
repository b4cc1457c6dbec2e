"use client";
import { Group, MultiSelect, SegmentedControl, SimpleGrid, Switch, Text } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import type { RunView } from "@modelgate/core";
import { useState } from "react";
import { useTRPC } from "@/lib/trpc";
import { runName } from "./format";
import { MetricChart } from "./metric-chart";
import { toChartData, type XAxisMode } from "./metric-series";

const MAX_POINTS = 1000;
const DEFAULT_CHARTS = 12;

function XAxisChoice({ value, onChange }: { value: XAxisMode; onChange: (m: XAxisMode) => void }) {
  return (
    <SegmentedControl
      size="xs"
      value={value}
      onChange={(v) => onChange(v as XAxisMode)}
      aria-label="X axis"
      data={[{ value: "step", label: "Step" }, { value: "wall", label: "Wall time" }, { value: "relative", label: "Relative time" }]}
    />
  );
}

/**
 * Charts of metric histories for one or more runs: one chart per key, one line per run. The
 * server downsamples each series, so a million-point history costs the browser MAX_POINTS.
 */
export function MetricCharts({ runs, keys: allKeys, refetchInterval }: { runs: RunView[]; keys: string[]; refetchInterval?: number | false }) {
  const trpc = useTRPC();
  const [mode, setMode] = useState<XAxisMode>("step");
  const [logScale, setLogScale] = useState(false);
  const [chosen, setChosen] = useState<string[] | null>(null);
  const keys = chosen ?? allKeys.slice(0, DEFAULT_CHARTS);
  const samples = useQuery({
    ...trpc.tracking.metrics.sample.queryOptions({ run_ids: runs.map((r) => r.info.run_id), keys: keys.length ? keys : ["-"], max_points: MAX_POINTS }),
    enabled: keys.length > 0 && runs.length > 0,
    refetchInterval: refetchInterval ?? false,
    placeholderData: (prev) => prev,
  });
  const series = samples.data ?? [];
  const byRun = new Map(runs.map((r) => [r.info.run_id, r]));

  if (!allKeys.length) return <Text c="dimmed" size="sm">No metrics logged.</Text>;
  return (
    <>
      <Group mb="sm" align="flex-end" gap="md">
        <MultiSelect label="Metrics to chart" data={allKeys} value={keys} onChange={setChosen} searchable clearable w={420} maxDropdownHeight={300} />
        <XAxisChoice value={mode} onChange={setMode} />
        <Switch label="Log scale" checked={logScale} onChange={(e) => setLogScale(e.currentTarget.checked)} />
      </Group>
      {samples.error && <Text c="red" size="sm">{samples.error.message}</Text>}
      <SimpleGrid cols={{ base: 1, md: 2, xl: 3 }} data-testid="metric-charts">
        {keys.map((key) => (
          <MetricChart
            key={key}
            title={key}
            mode={mode}
            logScale={logScale}
            loading={samples.isPending}
            lines={series
              .filter((s) => s.key === key)
              .map((s) => {
                const run = byRun.get(s.run_id);
                return { name: run ? runName(run) : s.run_id, data: toChartData(s.points, mode, run?.info.start_time ?? 0) };
              })}
          />
        ))}
      </SimpleGrid>
    </>
  );
}
