"use client";
import { Anchor, Card, Group, Loader, SimpleGrid, Table, Text } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { formatEpoch, formatMetric, runHref, runName } from "@/components/tracking/format";
import { LoggedModelLink } from "@/components/logged-models/logged-model-link";
import { RunStatusBadge } from "@/components/tracking/status-badge";
import { useTRPC } from "@/lib/trpc";

const KEY_ROWS = 12;

/**
 * The version's source run: its key metrics and params, linking to the run page when readable;
 * and the logged model the version was registered from (MLflow 3), when it was.
 */
export function SourceRunCard({ runId, experimentId, modelId }: { runId: string; experimentId: string | null; modelId?: string | undefined }) {
  const trpc = useTRPC();
  const run = useQuery({ ...trpc.tracking.runs.get.queryOptions({ run_id: runId }), enabled: Boolean(runId), retry: false });
  const href = experimentId ? runHref({ experiment_id: experimentId, run_id: runId }) : null;
  return (
    <Card withBorder data-testid="source-run">
      <Group justify="space-between" mb="xs">
        <Text fw={600}>Source run</Text>
        {href ? (
          <Anchor component={Link} href={href} size="sm" data-testid="source-run-link">{run.data ? runName(run.data) : runId}</Anchor>
        ) : (
          <Text size="sm" ff="monospace">{runId || "—"}</Text>
        )}
      </Group>
      {modelId && (
        <Group gap="xs" mb="xs" data-testid="source-logged-model">
          <Text size="sm" c="dimmed">Registered from the logged model</Text>
          <LoggedModelLink modelId={modelId} testId="source-logged-model-link" />
        </Group>
      )}
      {!runId ? (
        <Text size="sm" c="dimmed">This version was not registered from a run.</Text>
      ) : run.isPending ? (
        <Loader size="sm" />
      ) : run.error ? (
        <Text size="sm" c="dimmed" data-testid="source-run-unavailable">The run is not readable: {run.error.message}</Text>
      ) : (
        <>
          <Group gap="md" mb="sm">
            <RunStatusBadge status={run.data.info.status} />
            <Text size="xs" c="dimmed">Started {formatEpoch(run.data.info.start_time)} by {run.data.info.user_id || "—"}</Text>
          </Group>
          <SimpleGrid cols={{ base: 1, md: 2 }}>
            <KeyValues title="Metrics" rows={[...(run.data.data.metrics ?? [])].sort((a, b) => a.key.localeCompare(b.key)).map((m) => [m.key, formatMetric(m.value)])} testId="source-run-metrics" />
            <KeyValues title="Parameters" rows={[...(run.data.data.params ?? [])].sort((a, b) => a.key.localeCompare(b.key)).map((p) => [p.key, p.value])} testId="source-run-params" />
          </SimpleGrid>
        </>
      )}
    </Card>
  );
}

function KeyValues({ title, rows, testId }: { title: string; rows: [string, string][]; testId: string }) {
  return (
    <div data-testid={testId}>
      <Text size="sm" fw={500} mb={4}>{title} ({rows.length})</Text>
      {rows.length === 0 ? (
        <Text size="sm" c="dimmed">None.</Text>
      ) : (
        <Table verticalSpacing={2} fz="sm" aria-label={title}>
          <Table.Tbody>
            {rows.slice(0, KEY_ROWS).map(([k, v]) => (
              <Table.Tr key={k}>
                <Table.Td fw={500} w="50%" style={{ wordBreak: "break-word" }}>{k}</Table.Td>
                <Table.Td style={{ wordBreak: "break-word" }}>{v}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {rows.length > KEY_ROWS && <Text size="xs" c="dimmed">and {rows.length - KEY_ROWS} more on the run page</Text>}
    </div>
  );
}
