"use client";
import { Anchor, Card, Group, Loader, Progress, Table, Text } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useTRPC } from "@/lib/trpc";
import { modelTracesFilter, tracesTabHref } from "./format";

const fmt = (v: number | null) => (v === null ? "—" : String(Number(v.toPrecision(3))));

/**
 * The traces produced with a logged model active and their feedback per name (traces assessed,
 * mean, how many pass): the evidence a reviewer weighs before promoting it.
 */
export function ModelTracesCard({ experimentId, modelId }: { experimentId: string; modelId: string }) {
  const trpc = useTRPC();
  const evidence = useQuery(trpc.tracing.modelEvidence.queryOptions({ model_id: modelId }));
  const e = evidence.data;
  return (
    <Card withBorder data-testid="model-traces">
      <Group justify="space-between" mb="xs">
        <Group gap="xs">
          <Text fw={600}>Traces</Text>
          {e && (
            <Text size="sm" c="dimmed" data-testid="model-traces-count">
              {e.traces} trace{e.traces === 1 ? "" : "s"} with this model active · {e.assessed} assessed
            </Text>
          )}
        </Group>
        {e && e.traces > 0 && (
          <Anchor component={Link} href={tracesTabHref(experimentId, modelTracesFilter(modelId))} size="sm" data-testid="model-traces-link">View traces</Anchor>
        )}
      </Group>
      {evidence.error ? (
        <Text size="sm" c="dimmed">Trace evidence is unavailable: {evidence.error.message}</Text>
      ) : !e ? (
        <Loader size="sm" />
      ) : e.aggregates.length === 0 ? (
        <Text size="sm" c="dimmed">{e.traces ? "No feedback with a yes/no, true/false or numeric value yet." : "No traces were produced with this model active."}</Text>
      ) : (
        <Table verticalSpacing={4} fz="sm" aria-label="Feedback on this model's traces" data-testid="model-traces-aggregates">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Feedback</Table.Th>
              <Table.Th>Traces</Table.Th>
              <Table.Th>Mean</Table.Th>
              <Table.Th>Passing</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {e.aggregates.map((a) => (
              <Table.Tr key={a.name} data-testid={`model-feedback-${a.name}`}>
                <Table.Td fw={500}>{a.name}</Table.Td>
                <Table.Td>{a.traces}</Table.Td>
                <Table.Td>{fmt(a.mean)}</Table.Td>
                <Table.Td>
                  <Group gap="xs" wrap="nowrap">
                    <Text size="sm">{a.passing} / {a.traces}</Text>
                    {a.traces > 0 && <Progress value={(a.passing / a.traces) * 100} color={a.passing / a.traces >= 0.5 ? "green" : "red"} w={80} size="sm" />}
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Card>
  );
}
