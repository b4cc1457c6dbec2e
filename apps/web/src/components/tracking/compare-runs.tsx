"use client";
import { Alert, Anchor, Breadcrumbs, Card, Loader, Stack, Text, Title } from "@mantine/core";
import { useQueries, useQuery } from "@tanstack/react-query";
import type { RunView } from "@modelgate/core";
import Link from "next/link";
import { useMemo } from "react";
import { DiffTable, type DiffSection } from "@/components/shared/diff-table";
import { useTRPC } from "@/lib/trpc";
import { compareRows, differingKeys, formatDuration, formatEpoch, keyUnion, metricTextOf, paramOf, runDuration, runHref, runName, tagOf, userTags } from "./format";
import { ParallelCoordinates } from "./parallel-coordinates";
import { MetricCharts } from "./run-metrics";
import { RunStatusBadge } from "./status-badge";

const LIVE_INTERVAL = 5_000;

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
  const metricKeys = useMemo(() => keyUnion(runs, (r) => r.data.metrics), [runs]);
  const paramKeys = useMemo(() => keyUnion(runs, (r) => r.data.params), [runs]);
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

function CompareTable({ runs, paramKeys, metricKeys }: { runs: RunView[]; paramKeys: string[]; metricKeys: string[] }) {
  const tagKeys = keyUnion(runs, (r) => userTags(r.data.tags));
  const sections: DiffSection[] = [
    [
      "Run",
      [
        { label: "Status", values: runs.map((r) => <RunStatusBadge key={r.info.run_id} status={r.info.status} />), differs: new Set(runs.map((r) => r.info.status)).size > 1 },
        { label: "Started", values: runs.map((r) => formatEpoch(r.info.start_time)), differs: false },
        { label: "Duration", values: runs.map((r) => formatDuration(runDuration(r))), differs: false },
        { label: "User", values: runs.map((r) => r.info.user_id), differs: new Set(runs.map((r) => r.info.user_id)).size > 1 },
      ],
    ],
    ["Parameters", compareRows(runs, paramKeys, paramOf)],
    ["Metrics", compareRows(runs, metricKeys, metricTextOf)],
    ["Tags", compareRows(runs, tagKeys, tagOf)],
  ];
  const columns = runs.map((r) => <Anchor key={r.info.run_id} component={Link} href={runHref(r)} size="sm" fw={600}>{runName(r)}</Anchor>);
  return <DiffTable label="Run comparison" testId="compare-table" columns={columns} sections={sections} minWidth={300 + runs.length * 160} />;
}
