"use client";
import { Alert, Anchor, Breadcrumbs, Card, Loader, Stack, Switch, Table, Text, Title } from "@mantine/core";
import { useQueries, useQuery } from "@tanstack/react-query";
import type { RunView } from "@modelgate/core";
import Link from "next/link";
import { useMemo, useState } from "react";
import { useTRPC } from "@/lib/trpc";
import { formatDuration, formatEpoch, formatMetric, metricOf, paramOf, runDuration, runHref, runName, tagOf, userTags } from "./format";
import { ParallelCoordinates } from "./parallel-coordinates";
import { MetricCharts } from "./run-metrics";
import { RunStatusBadge } from "./status-badge";

const LIVE_INTERVAL = 5_000;

const union = (runs: RunView[], pick: (r: RunView) => { key: string }[] | undefined) => [...new Set(runs.flatMap((r) => (pick(r) ?? []).map((x) => x.key)))].sort();

/** Keys whose value is not the same in every run (a key missing from some runs differs). */
function differingKeys(runs: RunView[], keys: string[], value: (r: RunView, k: string) => string | undefined): Set<string> {
  return new Set(keys.filter((k) => new Set(runs.map((r) => value(r, k) ?? "\u0000")).size > 1));
}

export function CompareRuns({ runIds }: { runIds: string[] }) {
  const trpc = useTRPC();
  const queries = useQueries({
    queries: runIds.map((run_id) => ({
      ...trpc.tracking.runs.get.queryOptions({ run_id }),
      refetchInterval: (q: { state: { data?: RunView | undefined } }) => (q.state.data?.info.status === "RUNNING" ? LIVE_INTERVAL : false),
    })),
  });
  const runs = queries.flatMap((q) => (q.data ? [q.data] : []));
  const errors = queries.flatMap((q, i) => (q.error ? [`${runIds[i]}: ${q.error.message}`] : []));
  const pending = queries.some((q) => q.isPending);
  const live = runs.some((r) => r.info.status === "RUNNING");
  const metricKeys = useMemo(() => union(runs, (r) => r.data.metrics), [runs]);
  const paramKeys = useMemo(() => union(runs, (r) => r.data.params), [runs]);
  const differingParams = useMemo(() => differingKeys(runs, paramKeys, paramOf), [runs, paramKeys]);
  const experimentId = runs[0]?.info.experiment_id;
  const experiment = useQuery({ ...trpc.tracking.experiments.get.queryOptions({ experiment_id: experimentId ?? "" }), enabled: experimentId !== undefined });

  if (runIds.length < 2) return <Alert title="Nothing to compare">Select two or more runs in an experiment&apos;s runs table and press Compare.</Alert>;
  return (
    <Stack gap="md">
      <Breadcrumbs>
        <Anchor component={Link} href="/experiments" size="sm">Experiments</Anchor>
        {experimentId && <Anchor component={Link} href={`/experiments/${experimentId}`} size="sm">{experiment.data?.name ?? `Experiment ${experimentId}`}</Anchor>}
        <Text size="sm">Compare</Text>
      </Breadcrumbs>
      <Title order={2}>Comparing {runIds.length} runs</Title>
      {errors.length > 0 && <Alert color="red" title="Some runs could not be loaded">{errors.join("; ")}</Alert>}
      {pending && <Loader size="sm" />}
      {runs.length > 0 && (
        <>
          <Card withBorder>
            <Text fw={600} mb="sm">Metrics</Text>
            <MetricCharts runs={runs} keys={metricKeys} refetchInterval={live ? LIVE_INTERVAL : false} />
          </Card>
          <Card withBorder>
            <Text fw={600} mb="sm">Parallel coordinates</Text>
            {paramKeys.length && metricKeys.length ? (
              <ParallelCoordinates runs={runs} paramKeys={paramKeys} metricKeys={metricKeys} differing={differingParams} />
            ) : (
              <Text size="sm" c="dimmed">Needs parameters and metrics.</Text>
            )}
          </Card>
          <CompareTable runs={runs} paramKeys={paramKeys} metricKeys={metricKeys} />
        </>
      )}
    </Stack>
  );
}

interface Row {
  label: string;
  values: React.ReactNode[];
  differs: boolean;
}

function section(runs: RunView[], keys: string[], value: (r: RunView, k: string) => string | undefined): Row[] {
  const differ = differingKeys(runs, keys, value);
  return keys.map((k) => ({ label: k, values: runs.map((r) => value(r, k) ?? "—"), differs: differ.has(k) }));
}

function CompareTable({ runs, paramKeys, metricKeys }: { runs: RunView[]; paramKeys: string[]; metricKeys: string[] }) {
  const [onlyDiff, setOnlyDiff] = useState(false);
  const tagKeys = union(runs, (r) => userTags(r.data.tags));
  const sections: [string, Row[]][] = [
    [
      "Run",
      [
        { label: "Status", values: runs.map((r) => <RunStatusBadge key={r.info.run_id} status={r.info.status} />), differs: new Set(runs.map((r) => r.info.status)).size > 1 },
        { label: "Started", values: runs.map((r) => formatEpoch(r.info.start_time)), differs: false },
        { label: "Duration", values: runs.map((r) => formatDuration(runDuration(r))), differs: false },
        { label: "User", values: runs.map((r) => r.info.user_id), differs: new Set(runs.map((r) => r.info.user_id)).size > 1 },
      ],
    ],
    ["Parameters", section(runs, paramKeys, paramOf)],
    ["Metrics", section(runs, metricKeys, (r, k) => { const v = metricOf(r, k); return v === undefined ? undefined : formatMetric(v); })],
    ["Tags", section(runs, tagKeys, tagOf)],
  ];
  return (
    <Card withBorder>
      <Switch label="Show only differences" checked={onlyDiff} onChange={(e) => setOnlyDiff(e.currentTarget.checked)} mb="sm" />
      <Table.ScrollContainer minWidth={300 + runs.length * 160}>
        <Table withColumnBorders verticalSpacing={4} fz="sm" stickyHeader aria-label="Run comparison" data-testid="compare-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th w={240} />
              {runs.map((r) => (
                <Table.Th key={r.info.run_id}>
                  <Anchor component={Link} href={runHref(r)} size="sm" fw={600}>{runName(r)}</Anchor>
                </Table.Th>
              ))}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {sections.map(([title, rows]) => {
              const shown = onlyDiff ? rows.filter((r) => r.differs) : rows;
              if (!shown.length) return null;
              return [
                <Table.Tr key={`h-${title}`}>
                  <Table.Td colSpan={runs.length + 1} bg="var(--mantine-color-default-hover)"><Text size="xs" fw={700} tt="uppercase" c="dimmed">{title}</Text></Table.Td>
                </Table.Tr>,
                ...shown.map((row) => (
                  <Table.Tr key={`${title}-${row.label}`} data-differs={row.differs || undefined} data-testid={`compare-row-${title.toLowerCase()}-${row.label}`} bg={row.differs ? "var(--mantine-color-yellow-light)" : undefined}>
                    <Table.Td fw={500} style={{ wordBreak: "break-word" }}>{row.label}</Table.Td>
                    {row.values.map((v, i) => <Table.Td key={i} style={{ wordBreak: "break-word" }}>{v}</Table.Td>)}
                  </Table.Tr>
                )),
              ];
            })}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Card>
  );
}
