"use client";
import { Alert, Anchor, Button, Code, Group, Skeleton, Stack, Table, Text, TextInput } from "@mantine/core";
import { IconPlus, IconSearch } from "@tabler/icons-react";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { modelHref, versionHref } from "@/components/registry/format";
import { EmptyRow } from "@/components/shared/table-parts";
import { PageHeader } from "@/components/shell/page-header";
import { useTRPC } from "@/lib/trpc";
import { CreateEndpointModal } from "./create-endpoint-modal";
import { EnabledSwitch } from "./enabled-switch";
import { EndpointStateBadge } from "./endpoint-state";
import { ENDPOINTS_REFRESH_MS, endpointHref, formatErrorRate, formatLatency, formatRate, type ServingEndpoint } from "./format";

const COLUMNS = 10;

/** Every endpoint the caller may read: what it serves, its state and its last minute of traffic. */
export function EndpointsList() {
  const trpc = useTRPC();
  const [opened, setOpened] = useState(false);
  const [filter, setFilter] = useState("");
  const list = useQuery({ ...trpc.serving.list.queryOptions(), refetchInterval: ENDPOINTS_REFRESH_MS });
  const f = filter.trim().toLowerCase();
  const rows = (list.data ?? []).filter((e) => !f || e.name.toLowerCase().includes(f) || e.target_label.toLowerCase().includes(f));
  return (
    <Stack gap="sm" maw={1400}>
      <PageHeader
        title="Serving"
        description="Real-time endpoints follow their model's alias or stage: an approved promotion changes what is served, with no redeploy."
        actions={
          <Group gap="xs" wrap="nowrap">
            <Button variant="default" component={Link} href="/serving/batch">Batch scoring</Button>
            <Button leftSection={<IconPlus size={16} />} onClick={() => setOpened(true)} data-testid="create-endpoint-button">Create endpoint</Button>
          </Group>
        }
      />
      <TextInput leftSection={<IconSearch size={16} />} placeholder="Filter by endpoint or model" value={filter} onChange={(e) => setFilter(e.currentTarget.value)} maw={360} aria-label="Filter endpoints" />
      {list.error ? (
        <Alert color="red" title="Endpoints unavailable">{list.error.message}</Alert>
      ) : (
        <Table.ScrollContainer minWidth={1000}>
          <Table striped highlightOnHover verticalSpacing="xs" aria-label="Serving endpoints" data-testid="endpoints-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Endpoint</Table.Th>
                <Table.Th>Target</Table.Th>
                <Table.Th>Serving</Table.Th>
                <Table.Th>State</Table.Th>
                <Table.Th>Enabled</Table.Th>
                <Table.Th ta="right">Requests</Table.Th>
                <Table.Th ta="right">p50</Table.Th>
                <Table.Th ta="right">p95</Table.Th>
                <Table.Th ta="right">p99</Table.Th>
                <Table.Th ta="right">Errors</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {!list.data ? (
                <Table.Tr><Table.Td colSpan={COLUMNS}><Skeleton h={24} /></Table.Td></Table.Tr>
              ) : rows.length === 0 ? (
                <EmptyRow colSpan={COLUMNS}>{f ? "No endpoint matches the filter." : "No serving endpoints yet. Create one to score a registered ONNX model over HTTP."}</EmptyRow>
              ) : (
                rows.map((e) => <EndpointRow key={e.name} e={e} />)
              )}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <Text size="xs" c="dimmed">Traffic over the last minute, as measured by this server; refreshed every {ENDPOINTS_REFRESH_MS / 1000} s.</Text>
      <CreateEndpointModal key={String(opened)} opened={opened} onClose={() => setOpened(false)} />
    </Stack>
  );
}

function EndpointRow({ e }: { e: ServingEndpoint }) {
  const served = e.status.served_version ?? e.served_version;
  const s = e.stats;
  return (
    <Table.Tr data-testid={`endpoint-row-${e.name}`}>
      <Table.Td>
        <Anchor component={Link} href={endpointHref(e.name)} fw={500} size="sm">{e.name}</Anchor>
      </Table.Td>
      <Table.Td>
        <Anchor component={Link} href={modelHref(e.model_name)} size="sm"><Code>{e.target_label}</Code></Anchor>
      </Table.Td>
      <Table.Td data-testid={`endpoint-row-version-${e.name}`}>
        {served === null ? <Text size="sm" c="dimmed">—</Text> : <Anchor component={Link} href={versionHref(e.model_name, served)} size="sm">v{served}</Anchor>}
      </Table.Td>
      <Table.Td>
        <Stack gap={2}>
          <EndpointStateBadge endpoint={e} testId={`endpoint-row-state-${e.name}`} />
          {e.enabled && !e.status.ready && e.status.message && <Text size="xs" c="dimmed" lineClamp={2} maw={280}>{e.status.message}</Text>}
        </Stack>
      </Table.Td>
      <Table.Td><EnabledSwitch endpoint={e} /></Table.Td>
      <Table.Td ta="right" ff="monospace" fz="sm">{formatRate(s.request_rate)}</Table.Td>
      <Table.Td ta="right" ff="monospace" fz="sm">{formatLatency(s.p50_ms)}</Table.Td>
      <Table.Td ta="right" ff="monospace" fz="sm">{formatLatency(s.p95_ms)}</Table.Td>
      <Table.Td ta="right" ff="monospace" fz="sm">{formatLatency(s.p99_ms)}</Table.Td>
      <Table.Td ta="right" ff="monospace" fz="sm" c={s.error_rate > 0 ? "red" : undefined}>{formatErrorRate(s.error_rate)}</Table.Td>
    </Table.Tr>
  );
}
