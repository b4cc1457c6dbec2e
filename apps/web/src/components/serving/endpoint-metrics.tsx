"use client";
import { Card, Group, SimpleGrid, Stack, Text } from "@mantine/core";
import { useEffect, useState } from "react";
import { EChart } from "@/components/tracking/echart";
import { formatErrorRate, formatLatency, formatRate, type EndpointStats } from "./format";

interface Sample {
  at: number;
  stats: EndpointStats;
}

const KEEP = 120;

/**
 * The endpoint's last minute of traffic as numbers, and how those figures moved while this page
 * was open (sampled at each refresh; the server keeps no history beyond its window).
 */
export function EndpointMetrics({ stats, sampledAt }: { stats: EndpointStats; sampledAt: number }) {
  const [samples, setSamples] = useState<Sample[]>([]);
  useEffect(() => {
    setSamples((prev) => (prev.at(-1)?.at === sampledAt ? prev : [...prev, { at: sampledAt, stats }].slice(-KEEP)));
  }, [sampledAt, stats]);
  const figures: [string, string, string][] = [
    ["Request rate", formatRate(stats.request_rate), "request_rate"],
    ["p50 latency", formatLatency(stats.p50_ms), "p50"],
    ["p95 latency", formatLatency(stats.p95_ms), "p95"],
    ["p99 latency", formatLatency(stats.p99_ms), "p99"],
    ["Error rate", formatErrorRate(stats.error_rate), "error_rate"],
    ["Requests in window", String(stats.requests), "requests"],
  ];
  return (
    <Card withBorder data-testid="endpoint-metrics">
      <Group justify="space-between" mb="xs">
        <Text fw={600}>Traffic</Text>
        <Text size="xs" c="dimmed">last {Math.round(stats.window_seconds)} s, measured by this server</Text>
      </Group>
      <SimpleGrid cols={3} spacing="xs" mb="sm">
        {figures.map(([label, value, id]) => (
          <Stack key={id} gap={0}>
            <Text size="xs" c="dimmed">{label}</Text>
            <Text fw={600} ff="monospace" data-testid={`endpoint-metric-${id}`} c={id === "error_rate" && stats.error_rate > 0 ? "red" : undefined}>{value}</Text>
          </Stack>
        ))}
      </SimpleGrid>
      {samples.length > 1 && (
        <SimpleGrid cols={{ base: 1, md: 2 }} spacing="sm">
          <EChart height={160} option={lineOption(samples, [["requests/s", (s) => s.request_rate]])} />
          <EChart
            height={160}
            option={lineOption(samples, [
              ["p50 ms", (s) => s.p50_ms],
              ["p95 ms", (s) => s.p95_ms],
              ["p99 ms", (s) => s.p99_ms],
            ])}
          />
        </SimpleGrid>
      )}
    </Card>
  );
}

function lineOption(samples: Sample[], series: [string, (s: EndpointStats) => number | null][]) {
  return {
    animation: false,
    grid: { left: 44, right: 12, top: 28, bottom: 24 },
    legend: { top: 0, textStyle: { fontSize: 11 } },
    tooltip: { trigger: "axis" },
    xAxis: { type: "time", splitNumber: 3, axisLabel: { fontSize: 10, hideOverlap: true } },
    yAxis: { type: "value", min: 0, axisLabel: { fontSize: 10 } },
    series: series.map(([name, pick]) => ({ name, type: "line", showSymbol: samples.length < 20, connectNulls: true, data: samples.map((s) => [s.at, pick(s.stats)]) })),
  };
}
