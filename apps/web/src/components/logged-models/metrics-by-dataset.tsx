"use client";
import { Badge, Group, Stack, Table, Text } from "@mantine/core";
import type { LinkedMetricView } from "@modelgate/core";
import { formatEpoch, formatMetric } from "@/components/tracking/format";
import { metricsByDataset } from "./format";

/**
 * A logged model's metrics, one table per dataset they were computed on (name and digest) and
 * one for those logged without a dataset; the latest value of each key. `compact` drops the step
 * and time columns (the approval page shows it beside the source run's).
 */
export function MetricsByDataset({ metrics, compact = false }: { metrics: readonly LinkedMetricView[] | undefined; compact?: boolean }) {
  const groups = metricsByDataset(metrics);
  if (groups.length === 0) return <Text size="sm" c="dimmed">No metrics logged with this model.</Text>;
  return (
    <Stack gap="sm">
      {groups.map((g) => {
        const id = g.dataset ? `${g.dataset.name}${g.dataset.digest ? `-${g.dataset.digest}` : ""}` : "none";
        return (
          <Stack key={id} gap={4} data-testid={`metrics-dataset-${id}`}>
            <Group gap={6}>
              {g.dataset ? (
                <>
                  <Text size="sm" fw={600}>Dataset {g.dataset.name}</Text>
                  {g.dataset.digest && <Badge variant="outline" color="gray" size="sm" tt="none" ff="monospace">{g.dataset.digest}</Badge>}
                </>
              ) : (
                <Text size="sm" fw={600} c="dimmed">No dataset</Text>
              )}
            </Group>
            <Table verticalSpacing={2} fz="sm" withTableBorder aria-label={g.dataset ? `Metrics on ${g.dataset.name}` : "Metrics without a dataset"}>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Metric</Table.Th>
                  <Table.Th>Value</Table.Th>
                  {!compact && <Table.Th>Step</Table.Th>}
                  {!compact && <Table.Th>Time</Table.Th>}
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {g.metrics.map((m) => (
                  <Table.Tr key={m.key} data-testid={`metric-${id}-${m.key}`}>
                    <Table.Td fw={500} style={{ wordBreak: "break-word" }}>{m.key}</Table.Td>
                    <Table.Td ff="monospace">{formatMetric(m.value)}</Table.Td>
                    {!compact && <Table.Td>{m.step}</Table.Td>}
                    {!compact && <Table.Td style={{ whiteSpace: "nowrap" }}>{formatEpoch(m.timestamp)}</Table.Td>}
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Stack>
        );
      })}
    </Stack>
  );
}
