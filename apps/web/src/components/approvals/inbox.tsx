"use client";
import { Alert, Anchor, Badge, Card, Loader, Table, Tabs, Text, Tooltip } from "@mantine/core";
import { IconCircleCheck, IconCircleX, IconMinus } from "@tabler/icons-react";
import type { RequestListKind, RequestView } from "@modelgate/core";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { EmptyRow } from "@/components/shared/table-parts";
import { PageHeader } from "@/components/shell/page-header";
import { modelHref, versionHref } from "@/components/registry/format";
import { formatEpoch } from "@/components/tracking/format";
import { useTRPC } from "@/lib/trpc";
import { requestHref } from "./format";
import { StatusBadge, TargetBadge } from "./target-badge";

const TABS: { kind: Extract<RequestListKind, "actionable" | "mine" | "recent">; label: string; empty: string }[] = [
  { kind: "actionable", label: "To review", empty: "Nothing waits for your approval." },
  { kind: "mine", label: "My requests", empty: "You have not requested any transition." },
  { kind: "recent", label: "Recently decided", empty: "No request was decided in the last 30 days." },
];

/** The approvals inbox: what I can act on, what I asked for, what was decided lately. */
export function ApprovalsInbox() {
  const trpc = useTRPC();
  const [tab, setTab] = useState<string | null>("actionable");
  const counts = useQuery(trpc.approvals.requests.counts.queryOptions());
  return (
    <>
      <PageHeader title="Approvals" description="Requests to move model versions into protected stages and aliases." />
      <Tabs value={tab} onChange={setTab} keepMounted={false}>
        <Tabs.List mb="sm">
          {TABS.map((t) => (
            <Tabs.Tab
              key={t.kind}
              value={t.kind}
              data-testid={`inbox-tab-${t.kind}`}
              rightSection={
                t.kind === "actionable" && counts.data?.actionable ? <Badge size="xs" circle>{counts.data.actionable}</Badge>
                : t.kind === "mine" && counts.data?.mine_open ? <Badge size="xs" circle variant="light">{counts.data.mine_open}</Badge>
                : undefined
              }
            >
              {t.label}
            </Tabs.Tab>
          ))}
        </Tabs.List>
        {TABS.map((t) => (
          <Tabs.Panel key={t.kind} value={t.kind}>
            <RequestsTable kind={t.kind} empty={t.empty} />
          </Tabs.Panel>
        ))}
      </Tabs>
    </>
  );
}

function RequestsTable({ kind, empty }: { kind: RequestListKind; empty: string }) {
  const trpc = useTRPC();
  const list = useQuery(trpc.approvals.requests.list.queryOptions({ kind }, { refetchInterval: 30_000 }));
  if (list.error) return <Alert color="red" title="Requests unavailable">{list.error.message}</Alert>;
  return (
    <Card withBorder p={0}>
      <Table.ScrollContainer minWidth={900}>
        <Table verticalSpacing="xs" highlightOnHover aria-label="Approval requests" data-testid={`inbox-table-${kind}`}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Request</Table.Th>
              <Table.Th>Model version</Table.Th>
              <Table.Th>Target</Table.Th>
              <Table.Th>Requester</Table.Th>
              <Table.Th>Created</Table.Th>
              <Table.Th>Approvals</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>Gates</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {list.data?.map((r) => <RequestRow key={r.id} r={r} />)}
            {list.isPending && (
              <Table.Tr>
                <Table.Td colSpan={8}><Loader size="sm" /></Table.Td>
              </Table.Tr>
            )}
            {list.data?.length === 0 && <EmptyRow colSpan={8}>{empty}</EmptyRow>}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Card>
  );
}

function RequestRow({ r }: { r: RequestView }) {
  return (
    <Table.Tr data-testid={`request-row-${r.id}`}>
      <Table.Td>
        <Anchor component={Link} href={requestHref(r.id)} size="sm" fw={500} data-testid={`request-link-${r.id}`}>#{r.id}</Anchor>
      </Table.Td>
      <Table.Td>
        <Anchor component={Link} href={modelHref(r.model_name)} size="sm">{r.model_name}</Anchor>
        <Text span size="sm" c="dimmed"> · </Text>
        <Anchor component={Link} href={versionHref(r.model_name, r.version)} size="sm">v{r.version}</Anchor>
      </Table.Td>
      <Table.Td><TargetBadge request={r} /></Table.Td>
      <Table.Td><Text size="sm">{r.requester}</Text></Table.Td>
      <Table.Td style={{ whiteSpace: "nowrap" }}><Text size="sm">{formatEpoch(r.created_at)}</Text></Table.Td>
      <Table.Td><Text size="sm" data-testid={`request-approvals-${r.id}`}>{r.approvals}/{r.required_approvals}</Text></Table.Td>
      <Table.Td><StatusBadge status={r.status} /></Table.Td>
      <Table.Td><GatesIcon r={r} /></Table.Td>
    </Table.Tr>
  );
}

function GatesIcon({ r }: { r: Pick<RequestView, "gate_results"> }) {
  if (r.gate_results.length === 0) {
    return (
      <Tooltip label="No gates">
        <IconMinus size={18} color="var(--mantine-color-dimmed)" aria-label="No gates" />
      </Tooltip>
    );
  }
  const failed = r.gate_results.filter((g) => !g.passed);
  return (
    <Tooltip label={failed.length ? failed.map((g) => `${g.gate}: ${g.reason}`).join("; ") : "All gates passed"} multiline maw={360}>
      {failed.length ? (
        <IconCircleX size={18} color="var(--mantine-color-red-6)" aria-label="Gates failed" data-gates="failed" />
      ) : (
        <IconCircleCheck size={18} color="var(--mantine-color-green-6)" aria-label="Gates passed" data-gates="passed" />
      )}
    </Tooltip>
  );
}
