"use client";
import { Anchor, Card, Group, Table, Text } from "@mantine/core";
import { useQueries } from "@tanstack/react-query";
import type { RunView } from "@modelgate/core";
import Link from "next/link";
import { versionHref } from "@/components/registry/format";
import { formatEpoch } from "@/components/tracking/format";
import { useTRPC } from "@/lib/trpc";
import { loggedModelHref } from "./format";
import { LoggedModelStatusBadge } from "./status-badge";

/**
 * The logged models a run produced (its outputs) and used (its model inputs), each read for its
 * name and status; one the caller may not read, or deleted, shows as its id.
 */
export function RunModelsCard({ run }: { run: RunView }) {
  const trpc = useTRPC();
  const outputs = run.outputs?.model_outputs ?? [];
  const inputs = (run.inputs.model_inputs ?? []).filter((i) => !outputs.some((o) => o.model_id === i.model_id));
  const rows = [...outputs.map((o) => ({ id: o.model_id, relation: `logged at step ${o.step}` })), ...inputs.map((i) => ({ id: i.model_id, relation: "used as input" }))];
  const models = useQueries({ queries: rows.map((r) => ({ ...trpc.loggedModels.get.queryOptions({ model_id: r.id }), retry: false })) });
  if (rows.length === 0) return null;
  return (
    <Card withBorder data-testid="run-logged-models">
      <Text fw={600} mb="xs">Logged models ({rows.length})</Text>
      <Table verticalSpacing={4} fz="sm" aria-label="Logged models">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Model</Table.Th>
            <Table.Th>Status</Table.Th>
            <Table.Th>Type</Table.Th>
            <Table.Th>Created</Table.Th>
            <Table.Th>Registered as</Table.Th>
            <Table.Th>Relation</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((r, i) => {
            const m = models[i]?.data;
            return (
              <Table.Tr key={r.id} data-testid={`run-logged-model-${r.id}`}>
                <Table.Td>
                  {m ? (
                    <Anchor component={Link} href={loggedModelHref(m.info.experiment_id, m.info.model_id)} size="sm" fw={500}>{m.info.name}</Anchor>
                  ) : (
                    <Text size="sm" ff="monospace" c="dimmed" title={models[i]?.error?.message}>{r.id}</Text>
                  )}
                </Table.Td>
                <Table.Td>{m && <LoggedModelStatusBadge status={m.info.status} message={m.info.status_message} />}</Table.Td>
                <Table.Td>{m?.info.model_type || "—"}</Table.Td>
                <Table.Td>{m ? formatEpoch(m.info.creation_timestamp_ms) : ""}</Table.Td>
                <Table.Td>
                  <Group gap={6}>
                    {(m?.info.registrations ?? []).map((v) => (
                      <Anchor key={`${v.name}/${v.version}`} component={Link} href={versionHref(v.name, v.version)} size="sm">{v.name} v{v.version}</Anchor>
                    ))}
                  </Group>
                </Table.Td>
                <Table.Td><Text size="xs" c="dimmed">{r.relation}</Text></Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
    </Card>
  );
}
