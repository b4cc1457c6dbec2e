"use client";
import { Anchor, Button, Card, Code, Group, Table, Text } from "@mantine/core";
import { IconServer } from "@tabler/icons-react";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { useTRPC } from "@/lib/trpc";
import { CreateEndpointModal } from "./create-endpoint-modal";
import { EndpointStateBadge } from "./endpoint-state";
import { ENDPOINTS_REFRESH_MS, endpointHref, formatRate, type TargetValue } from "./format";

/**
 * On a model page, the endpoints serving the model; on a version page (`version` set), those
 * serving that version now. "Serve" opens the create form on this model (or version).
 */
export function ModelEndpointsCard({ name, version, canServe }: { name: string; version?: string; canServe: boolean }) {
  const trpc = useTRPC();
  const [opened, setOpened] = useState(false);
  const list = useQuery({ ...trpc.serving.list.queryOptions({ model_name: name }), refetchInterval: ENDPOINTS_REFRESH_MS, retry: false });
  if (list.error?.data?.code === "NOT_IMPLEMENTED") return null;
  const servedOf = (e: NonNullable<typeof list.data>[number]) => e.status.served_version ?? e.served_version;
  const endpoints = (list.data ?? []).filter((e) => version === undefined || String(servedOf(e)) === version);
  const target: TargetValue | undefined = version ? { kind: "version", value: version } : undefined;
  return (
    <Card withBorder data-testid={version ? "version-endpoints" : "model-endpoints"}>
      <Group justify="space-between" mb="xs">
        <Text fw={600}>{version ? "Endpoints serving this version" : "Endpoints serving this model"}</Text>
        {canServe && (
          <Button size="compact-sm" variant="light" leftSection={<IconServer size={14} />} onClick={() => setOpened(true)} data-testid="serve-model-button">
            Serve
          </Button>
        )}
      </Group>
      {list.error ? (
        <Text size="sm" c="red">{list.error.message}</Text>
      ) : !list.data ? (
        <Text size="sm" c="dimmed">Loading…</Text>
      ) : endpoints.length === 0 ? (
        <Text size="sm" c="dimmed">{version ? "No endpoint serves this version now." : "No serving endpoint uses this model."}</Text>
      ) : (
        <Table verticalSpacing={4} fz="sm" aria-label="Serving endpoints">
          <Table.Tbody>
            {endpoints.map((e) => (
              <Table.Tr key={e.name} data-testid={`model-endpoint-${e.name}`}>
                <Table.Td><Anchor component={Link} href={endpointHref(e.name)} size="sm" fw={500}>{e.name}</Anchor></Table.Td>
                <Table.Td><Code>{e.target_label}</Code></Table.Td>
                <Table.Td>{servedOf(e) === null ? "—" : `v${servedOf(e)}`}</Table.Td>
                <Table.Td><EndpointStateBadge endpoint={e} /></Table.Td>
                <Table.Td ta="right" ff="monospace">{formatRate(e.stats.request_rate)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {opened && <CreateEndpointModal opened onClose={() => setOpened(false)} model={name} {...(target ? { target } : {})} />}
    </Card>
  );
}
