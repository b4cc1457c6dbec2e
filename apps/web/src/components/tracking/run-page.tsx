"use client";
import { Alert, Anchor, Badge, Breadcrumbs, Button, Card, Group, Loader, Menu, SimpleGrid, Stack, Tabs, Text, Title } from "@mantine/core";
import { IconDots, IconPencil, IconRestore, IconTrash } from "@tabler/icons-react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { RunView } from "@modelgate/core";
import Link from "next/link";
import { useState } from "react";
import { RunModelsCard } from "@/components/logged-models/run-models-card";
import { KeyValueCard } from "@/components/shared/key-value-card";
import { RunTracesCard } from "@/components/tracing/run-traces-card";
import { notifyError } from "@/components/shared/notify";
import { useTRPC } from "@/lib/trpc";
import { ArtifactsBrowser } from "./artifacts-browser";
import { formatDuration, formatEpoch, formatMetric, PARENT_TAG, quoteKey, runDuration, runHref, runName, tagOf, userTags } from "./format";
import { RenameModal } from "./rename-modal";
import { MetricCharts } from "./run-metrics";
import { RunStatusBadge } from "./status-badge";

/** While a run is RUNNING its page polls, so new metrics and status appear without a reload. */
const LIVE_INTERVAL = 3_000;

export function RunPage({ runId }: { runId: string }) {
  const trpc = useTRPC();
  const run = useQuery({
    ...trpc.tracking.runs.get.queryOptions({ run_id: runId }),
    refetchInterval: (q) => (q.state.data?.info.status === "RUNNING" ? LIVE_INTERVAL : false),
  });
  const experimentId = run.data?.info.experiment_id;
  const experiment = useQuery({ ...trpc.tracking.experiments.get.queryOptions({ experiment_id: experimentId ?? "" }), enabled: experimentId !== undefined });
  if (run.error) return <Alert color="red" title="Run unavailable">{run.error.message}</Alert>;
  if (!run.data) return <Loader />;
  const r = run.data;
  const live = r.info.status === "RUNNING";
  const metricKeys = (r.data.metrics ?? []).map((m) => m.key).sort();
  return (
    <Stack gap="sm">
      <Breadcrumbs>
        <Anchor component={Link} href="/experiments" size="sm">Experiments</Anchor>
        <Anchor component={Link} href={`/experiments/${r.info.experiment_id}`} size="sm">{experiment.data?.name ?? r.info.experiment_id}</Anchor>
        <Text size="sm">{runName(r)}</Text>
      </Breadcrumbs>
      <Group justify="space-between" align="flex-start">
        <Group gap="sm">
          <Title order={2} data-testid="run-name">{runName(r)}</Title>
          <RunStatusBadge status={r.info.status} />
          {live && <Badge color="blue" variant="dot" data-testid="run-live">live</Badge>}
          {r.info.lifecycle_stage === "deleted" && <Badge color="gray" variant="light">deleted</Badge>}
        </Group>
        <RunActions run={r} />
      </Group>
      <Tabs defaultValue="overview" keepMounted={false}>
        <Tabs.List mb="md">
          <Tabs.Tab value="overview">Overview</Tabs.Tab>
          <Tabs.Tab value="metrics">Metric charts ({metricKeys.length})</Tabs.Tab>
          <Tabs.Tab value="artifacts">Artifacts</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="overview">
          <RunOverview run={r} />
        </Tabs.Panel>
        <Tabs.Panel value="metrics">
          <MetricCharts runs={[r]} keys={metricKeys} refetchInterval={live ? LIVE_INTERVAL : false} />
        </Tabs.Panel>
        <Tabs.Panel value="artifacts">
          <ArtifactsBrowser root={{ kind: "run", experimentId: r.info.experiment_id, runId: r.info.run_id }} />
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}

function RunOverview({ run }: { run: RunView }) {
  const params = [...(run.data.params ?? [])].sort((a, b) => a.key.localeCompare(b.key));
  const metrics = [...(run.data.metrics ?? [])].sort((a, b) => a.key.localeCompare(b.key));
  const description = tagOf(run, "mlflow.note.content");
  return (
    <Stack>
      {description && (
        <Card withBorder data-testid="run-description">
          <Text fw={600} mb={4}>Description</Text>
          <Text size="sm" style={{ whiteSpace: "pre-wrap" }}>{description}</Text>
        </Card>
      )}
      <SimpleGrid cols={{ base: 1, lg: 2 }}>
        <RunDetails run={run} />
        <KeyValueCard scroll title="Tags" testId="run-tags" rows={userTags(run.data.tags).map((t) => [t.key, t.value])} empty="No tags." />
      </SimpleGrid>
      <RunModelsCard run={run} />
      <RunTracesCard experimentId={run.info.experiment_id} runId={run.info.run_id} />
      <SimpleGrid cols={{ base: 1, lg: 2 }}>
        <KeyValueCard scroll title={`Parameters (${params.length})`} testId="run-params" rows={params.map((p) => [p.key, p.value])} empty="No parameters logged." />
        <KeyValueCard
          scroll
          title={`Metrics (${metrics.length})`}
          testId="run-metrics"
          header={["Metric", "Latest", "Step", "Time"]}
          rows={metrics.map((m) => [m.key, formatMetric(m.value), String(m.step), formatEpoch(m.timestamp)])}
          empty="No metrics logged."
        />
      </SimpleGrid>
      {(run.inputs.dataset_inputs?.length ?? 0) > 0 && (
        <KeyValueCard
          scroll
          title="Datasets"
          testId="run-datasets"
          header={["Name", "Digest", "Source type", "Context"]}
          rows={(run.inputs.dataset_inputs ?? []).map((d) => [d.dataset.name, d.dataset.digest, d.dataset.source_type, d.tags?.find((t) => t.key === "mlflow.data.context")?.value ?? ""])}
        />
      )}
    </Stack>
  );
}

function RunDetails({ run }: { run: RunView }) {
  const trpc = useTRPC();
  const parentId = tagOf(run, PARENT_TAG);
  const parent = useQuery({ ...trpc.tracking.runs.get.queryOptions({ run_id: parentId ?? "" }), enabled: Boolean(parentId), retry: false });
  const children = useQuery(
    trpc.tracking.runs.search.queryOptions({ experiment_ids: [run.info.experiment_id], filter: `tags.${quoteKey(PARENT_TAG)} = '${run.info.run_id}'`, max_results: 50, order_by: ["attributes.start_time ASC"] }),
  );
  const source = tagOf(run, "mlflow.source.name");
  const commit = tagOf(run, "mlflow.source.git.commit");
  const rows: [string, React.ReactNode][] = [
    ["Run ID", <Text key="id" ff="monospace" size="sm" data-testid="run-id">{run.info.run_id}</Text>],
    ["Status", <RunStatusBadge key="s" status={run.info.status} />],
    ["Started", formatEpoch(run.info.start_time)],
    ["Ended", run.info.end_time ? formatEpoch(run.info.end_time) : "—"],
    ["Duration", formatDuration(runDuration(run))],
    ["User", run.info.user_id || "—"],
    ["Source", source ? `${source}${tagOf(run, "mlflow.source.type") ? ` (${tagOf(run, "mlflow.source.type")!.toLowerCase()})` : ""}` : "—"],
    ...(commit ? ([["Git commit", <Text key="c" ff="monospace" size="sm">{commit.slice(0, 12)}</Text>]] as [string, React.ReactNode][]) : []),
    ["Artifact URI", <Text key="a" ff="monospace" size="xs" style={{ wordBreak: "break-all" }}>{run.info.artifact_uri}</Text>],
  ];
  if (parentId) {
    rows.push(["Parent run", parent.data ? <Anchor key="p" component={Link} href={runHref(parent.data)} size="sm" data-testid="parent-run-link">{runName(parent.data)}</Anchor> : <Text key="p" size="sm" ff="monospace">{parentId}</Text>]);
  }
  const kids = children.data?.runs ?? [];
  if (kids.length) {
    rows.push([
      `Child runs (${kids.length}${children.data?.next_page_token ? "+" : ""})`,
      <Group key="k" gap={6} data-testid="child-runs">
        {kids.map((k) => <Anchor key={k.info.run_id} component={Link} href={runHref(k)} size="sm">{runName(k)}</Anchor>)}
      </Group>,
    ]);
  }
  return <KeyValueCard scroll title="Details" testId="run-details" rows={rows} />;
}

function RunActions({ run }: { run: RunView }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [renaming, setRenaming] = useState(false);
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.tracking.runs.pathKey() });
  const rename = useMutation(trpc.tracking.runs.rename.mutationOptions({ onSuccess: invalidate }));
  const remove = useMutation(trpc.tracking.runs.delete.mutationOptions({ onSuccess: invalidate, onError: notifyError }));
  const restore = useMutation(trpc.tracking.runs.restore.mutationOptions({ onSuccess: invalidate, onError: notifyError }));
  const onRename = (run_name: string) => rename.mutate({ run_id: run.info.run_id, run_name }, { onSuccess: () => setRenaming(false) });
  return (
    <>
      <Menu position="bottom-end">
        <Menu.Target>
          <Button variant="default" rightSection={<IconDots size={14} />}>Actions</Button>
        </Menu.Target>
        <Menu.Dropdown>
          <Menu.Item leftSection={<IconPencil size={14} />} onClick={() => setRenaming(true)}>Rename</Menu.Item>
          {run.info.lifecycle_stage === "deleted" ? (
            <Menu.Item leftSection={<IconRestore size={14} />} onClick={() => restore.mutate({ run_id: run.info.run_id })}>Restore</Menu.Item>
          ) : (
            <Menu.Item color="red" leftSection={<IconTrash size={14} />} onClick={() => remove.mutate({ run_id: run.info.run_id })}>Delete</Menu.Item>
          )}
        </Menu.Dropdown>
      </Menu>
      <RenameModal
        opened={renaming}
        onClose={() => setRenaming(false)}
        title="Rename run"
        label="Run name"
        defaultValue={run.info.run_name}
        error={rename.error?.message}
        pending={rename.isPending}
        onRename={onRename}
      />
    </>
  );
}
