"use client";
import { Badge, Button, Card, Code, Group, Select, Stack, Table, Text, TextInput } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { IconDownload } from "@tabler/icons-react";
import type { AuditEventView } from "@modelgate/core";
import { useInfiniteQuery, useQuery, useQueryClient } from "@tanstack/react-query";
import Papa from "papaparse";
import { Fragment, useState } from "react";
import { EmptyRow, LoadMoreButton } from "@/components/shared/table-parts";
import { PageHeader } from "@/components/shell/page-header";
import { errorMessage, formatDateTime } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";

export function AuditLogView() {
  const trpc = useTRPC();
  const [actor, setActor] = useState("");
  const [action, setAction] = useState<string | null>(null);
  const [resourceType, setResourceType] = useState<string | null>(null);
  const [resourceId, setResourceId] = useState("");
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [open, setOpen] = useState<string | null>(null);
  const [debounced] = useDebouncedValue({ actor, resourceId }, 300);
  const actions = useQuery(trpc.audit.actions.queryOptions());
  const resourceTypes = useQuery(trpc.audit.resourceTypes.queryOptions());

  const filters = {
    ...(debounced.actor ? { actor: debounced.actor } : {}),
    ...(action ? { action } : {}),
    ...(resourceType ? { resourceType } : {}),
    ...(debounced.resourceId ? { resourceId: debounced.resourceId } : {}),
    ...(from ? { from: new Date(from) } : {}),
    ...(to ? { to: new Date(to) } : {}),
    limit: 50,
  };
  const events = useInfiniteQuery(
    trpc.audit.list.infiniteQueryOptions(filters, { getNextPageParam: (last) => last.nextCursor ?? undefined }),
  );
  const rows = events.data?.pages.flatMap((p) => p.events) ?? [];
  const queryClient = useQueryClient();
  const [exporting, setExporting] = useState<number | null>(null);
  const [exportError, setExportError] = useState<string | null>(null);

  /** Every event matching the filters (not only the loaded pages), fetched page by page, as CSV. */
  async function exportCsv() {
    setExportError(null);
    setExporting(0);
    try {
      const all: AuditEventView[] = [];
      let cursor: string | undefined;
      do {
        const page = await queryClient.fetchQuery({ ...trpc.audit.list.queryOptions({ ...filters, limit: 500, ...(cursor ? { cursor } : {}) }), staleTime: 0 });
        all.push(...page.events);
        setExporting(all.length);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      downloadCsv(all);
    } catch (e) {
      setExportError(errorMessage(e));
    } finally {
      setExporting(null);
    }
  }

  return (
    <Stack maw={1400}>
      <PageHeader title="Audit log" description="Every change, sign-in and failed sign-in, newest first. Append-only." />
      <Card withBorder>
        <Group align="flex-end" gap="sm" role="search" aria-label="Filter audit events">
          <TextInput label="Actor" placeholder="username" value={actor} onChange={(e) => setActor(e.currentTarget.value)} w={180} />
          <Select label="Action" placeholder="any" data={actions.data ? [...actions.data] : []} value={action} onChange={setAction} clearable searchable w={220} />
          <Select label="Resource" placeholder="any" data={resourceTypes.data ? [...resourceTypes.data] : []} value={resourceType} onChange={setResourceType} clearable w={140} />
          <TextInput label="Resource id" value={resourceId} onChange={(e) => setResourceId(e.currentTarget.value)} w={200} />
          <TextInput label="From" type="datetime-local" value={from} onChange={(e) => setFrom(e.currentTarget.value)} w={200} />
          <TextInput label="To" type="datetime-local" value={to} onChange={(e) => setTo(e.currentTarget.value)} w={200} />
          <Button variant="default" leftSection={<IconDownload size={14} />} loading={exporting !== null} onClick={() => void exportCsv()} data-testid="audit-export-csv">
            Export CSV
          </Button>
        </Group>
        {exporting !== null && exporting > 0 && <Text size="xs" c="dimmed" mt={4}>Fetched {exporting} events…</Text>}
        {exportError && <Text size="sm" c="red" mt={4} data-testid="audit-export-error">{exportError}</Text>}
      </Card>
      <Card withBorder p={0}>
        <Table.ScrollContainer minWidth={900}>
          <Table verticalSpacing="xs" highlightOnHover aria-label="Audit events">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Time</Table.Th>
                <Table.Th>Actor</Table.Th>
                <Table.Th>Action</Table.Th>
                <Table.Th>Resource</Table.Th>
                <Table.Th>Client</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((e) => (
                <Fragment key={e.id}>
                  <Table.Tr>
                    <Table.Td style={{ whiteSpace: "nowrap" }}>{formatDateTime(e.at)}</Table.Td>
                    <Table.Td>
                      {e.actorName ?? "—"}
                      {e.tokenId && <Badge ml={6} size="xs" variant="outline">token</Badge>}
                    </Table.Td>
                    <Table.Td>
                      <Badge variant="light" color={e.action.includes("failed") || e.action.includes("throttled") ? "red" : "blue"}>{e.action}</Badge>
                    </Table.Td>
                    <Table.Td>
                      <Text size="sm">{e.resourceType}</Text>
                      {e.resourceId && <Text size="xs" c="dimmed" ff="monospace">{e.resourceId}</Text>}
                    </Table.Td>
                    <Table.Td>
                      <Text size="xs" ff="monospace">{e.ip ?? ""}</Text>
                    </Table.Td>
                    <Table.Td ta="right">
                      {(e.before != null || e.after != null) && (
                        <Button size="xs" variant="subtle" onClick={() => setOpen(open === e.id ? null : e.id)} aria-expanded={open === e.id}>
                          {open === e.id ? "Hide" : "Details"}
                        </Button>
                      )}
                    </Table.Td>
                  </Table.Tr>
                  {open === e.id && (
                    <Table.Tr>
                      <Table.Td colSpan={6}>
                        <Group align="flex-start" grow>
                          <div>
                            <Text size="xs" fw={600}>Before</Text>
                            <Code block>{JSON.stringify(e.before, null, 2) ?? "—"}</Code>
                          </div>
                          <div>
                            <Text size="xs" fw={600}>After</Text>
                            <Code block>{JSON.stringify(e.after, null, 2) ?? "—"}</Code>
                          </div>
                        </Group>
                        {e.requestId && <Text size="xs" c="dimmed" mt={4}>request {e.requestId}</Text>}
                      </Table.Td>
                    </Table.Tr>
                  )}
                </Fragment>
              ))}
              {events.isSuccess && rows.length === 0 && <EmptyRow colSpan={6}>No events match these filters.</EmptyRow>}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      </Card>
      <LoadMoreButton query={events} />
    </Stack>
  );
}

const json = (v: unknown) => (v === null || v === undefined ? "" : JSON.stringify(v));

function downloadCsv(events: AuditEventView[]) {
  const csv = Papa.unparse(
    events.map((e) => ({
      id: e.id,
      at: new Date(e.at).toISOString(),
      actor: e.actorName ?? "",
      actor_id: e.actorId ?? "",
      token_id: e.tokenId ?? "",
      action: e.action,
      resource_type: e.resourceType,
      resource_id: e.resourceId ?? "",
      before: json(e.before),
      after: json(e.after),
      request_id: e.requestId ?? "",
      ip: e.ip ?? "",
    })),
    { escapeFormulae: true, columns: ["id", "at", "actor", "actor_id", "token_id", "action", "resource_type", "resource_id", "before", "after", "request_id", "ip"] },
  );
  const url = URL.createObjectURL(new Blob([csv], { type: "text/csv;charset=utf-8" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = `audit-log-${new Date().toISOString().replaceAll(":", "-").slice(0, 19)}.csv`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
