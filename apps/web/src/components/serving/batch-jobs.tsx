"use client";
import { Alert, Anchor, Badge, Button, Code, Group, Progress, Select, Skeleton, Stack, Table, Text, Tooltip } from "@mantine/core";
import { IconPlus } from "@tabler/icons-react";
import type { BatchJobStatus, BatchJobView } from "@modelgate/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { versionHref } from "@/components/registry/format";
import { notifyAndRefresh, notifyError } from "@/components/shared/notify";
import { EmptyRow } from "@/components/shared/table-parts";
import { PageHeader } from "@/components/shell/page-header";
import { formatEpoch, runHref, shortId } from "@/components/tracking/format";
import { useTRPC } from "@/lib/trpc";
import { NewBatchJobModal } from "./new-batch-job-modal";

const STATUSES: readonly BatchJobStatus[] = ["QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"];
const statusColor: Record<BatchJobStatus, string> = { QUEUED: "gray", RUNNING: "blue", SUCCEEDED: "green", FAILED: "red", CANCELLED: "dark" };
const isActive = (j: Pick<BatchJobView, "status">) => j.status === "QUEUED" || j.status === "RUNNING";
const COLUMNS = 8;

/** Batch scoring jobs of the models the caller may read, with live progress while any runs. */
export function BatchJobs() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [creating, setCreating] = useState(false);
  const [status, setStatus] = useState<BatchJobStatus | null>(null);
  const list = useQuery({
    ...trpc.batch.list.queryOptions(status ? { status } : {}),
    // every second while a job is queued or running; otherwise now and then, for jobs others start
    refetchInterval: (q) => (q.state.data?.jobs.some(isActive) ? 1000 : 10_000),
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.batch.pathKey() });
  const jobs = list.data?.jobs;
  return (
    <Stack gap="sm" maw={1400}>
      <PageHeader
        title="Batch scoring"
        description="Score a CSV or JSON-lines file with a registered version in the background; predictions are written as predictions.csv to a new run."
        actions={
          <Group gap="xs" wrap="nowrap">
            <Button variant="default" component={Link} href="/serving">Endpoints</Button>
            <Button leftSection={<IconPlus size={16} />} onClick={() => setCreating(true)} data-testid="new-batch-job">New batch job</Button>
          </Group>
        }
      />
      <Select placeholder="All statuses" data={[...STATUSES]} value={status} onChange={(v) => setStatus(v as BatchJobStatus | null)} clearable maw={220} aria-label="Filter by status" data-testid="batch-status-filter" />
      {list.error ? (
        <Alert color="red" title="Batch jobs unavailable">{list.error.message}</Alert>
      ) : (
        <Table.ScrollContainer minWidth={1000}>
          <Table striped verticalSpacing="xs" aria-label="Batch scoring jobs" data-testid="batch-jobs-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Model</Table.Th>
                <Table.Th>Input</Table.Th>
                <Table.Th w={130}>Status</Table.Th>
                <Table.Th w={220}>Progress</Table.Th>
                <Table.Th>Started</Table.Th>
                <Table.Th>Finished</Table.Th>
                <Table.Th>Output</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {!jobs ? (
                <Table.Tr><Table.Td colSpan={COLUMNS}><Skeleton h={24} /></Table.Td></Table.Tr>
              ) : jobs.length === 0 ? (
                <EmptyRow colSpan={COLUMNS}>{status ? `No ${status.toLowerCase()} jobs.` : "No batch jobs yet."}</EmptyRow>
              ) : (
                jobs.map((j) => <JobRow key={j.id} j={j} onChanged={refresh} />)
              )}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {creating && (
        <NewBatchJobModal
          onClose={() => setCreating(false)}
          onCreated={() => {
            setCreating(false);
            void refresh();
          }}
        />
      )}
    </Stack>
  );
}

function JobRow({ j, onChanged }: { j: BatchJobView; onChanged: () => Promise<unknown> }) {
  const trpc = useTRPC();
  const cancel = useMutation(trpc.batch.cancel.mutationOptions({ onSuccess: notifyAndRefresh("Cancellation requested", onChanged), onError: notifyError }));
  const fileName = j.input_path.split("/").pop() ?? j.input_path;
  return (
    <Table.Tr data-testid={`batch-job-row-${j.id}`} data-status={j.status}>
      <Table.Td>
        <Anchor component={Link} href={versionHref(j.model_name, j.version)} size="sm" fw={500}>{j.model_name} v{j.version}</Anchor>
        <Text size="xs" c="dimmed">by {j.creator || "—"}</Text>
      </Table.Td>
      <Table.Td>
        <Tooltip label={j.input_path} multiline maw={480}><Code>{fileName}</Code></Tooltip>
        <Text size="xs" c="dimmed">{j.input_format}</Text>
      </Table.Td>
      <Table.Td>
        <Badge color={statusColor[j.status]} variant="light" size="sm" data-testid={`batch-status-${j.id}`}>{j.status.toLowerCase()}</Badge>
        {j.cancel_requested && isActive(j) && <Text size="xs" c="dimmed">cancelling…</Text>}
        {j.error && <Text size="xs" c="red" lineClamp={3} maw={260} title={j.error} data-testid={`batch-error-${j.id}`}>{j.error}</Text>}
      </Table.Td>
      <Table.Td><JobProgress j={j} /></Table.Td>
      <Table.Td fz="sm">{j.started_at ? formatEpoch(j.started_at) : "—"}</Table.Td>
      <Table.Td fz="sm">{j.finished_at ? formatEpoch(j.finished_at) : "—"}</Table.Td>
      <Table.Td>
        {j.run_id ? (
          <Anchor component={Link} href={runHref({ experiment_id: j.experiment_id, run_id: j.run_id })} size="sm" ff="monospace" data-testid={`batch-output-${j.id}`}>{shortId(j.run_id)}</Anchor>
        ) : (
          "—"
        )}
        {j.status === "SUCCEEDED" && j.output_path && <Text size="xs" c="dimmed">predictions.csv</Text>}
      </Table.Td>
      <Table.Td>
        {j.can_cancel && (
          <Button size="compact-xs" variant="light" color="red" loading={cancel.isPending} disabled={j.cancel_requested} onClick={() => cancel.mutate({ id: j.id })} data-testid={`batch-cancel-${j.id}`}>
            Cancel
          </Button>
        )}
      </Table.Td>
    </Table.Tr>
  );
}

function JobProgress({ j }: { j: BatchJobView }) {
  const total = j.rows_total;
  const pct = j.status === "SUCCEEDED" ? 100 : total ? Math.min(100, (j.rows_done / total) * 100) : 0;
  const label = `${j.rows_done.toLocaleString("en-US")}${total !== null ? ` / ${j.rows_total_estimated ? "~" : ""}${total.toLocaleString("en-US")}` : ""} rows`;
  return (
    <Stack gap={2} data-testid={`batch-progress-${j.id}`} data-rows-done={j.rows_done} data-rows-total={total ?? ""}>
      <Progress
        value={j.status === "RUNNING" && total === null ? 100 : pct}
        striped={j.status === "RUNNING"}
        animated={j.status === "RUNNING"}
        color={j.status === "FAILED" ? "red" : j.status === "CANCELLED" ? "gray" : j.status === "SUCCEEDED" ? "green" : "blue"}
        aria-label={`Progress of job ${j.id}`}
      />
      <Text size="xs" c="dimmed">{label}</Text>
    </Stack>
  );
}
