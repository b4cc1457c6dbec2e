"use client";
import { Alert, Anchor, Breadcrumbs, Card, Group, List, Loader, SimpleGrid, Stack, Table, Text, ThemeIcon, Title } from "@mantine/core";
import { IconCheck, IconX } from "@tabler/icons-react";
import type { RequestView } from "@modelgate/core";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import type { ReactNode } from "react";
import { LoggedModelEvidence } from "@/components/logged-models/logged-model-evidence";
import { SignatureTable } from "@/components/registry/mlmodel-card";
import { modelHref, versionHref } from "@/components/registry/format";
import { KeyValueCard } from "@/components/shared/key-value-card";
import { formatEpoch } from "@/components/tracking/format";
import { useTRPC } from "@/lib/trpc";
import { CommentsThread } from "./comments-thread";
import { DecisionActions } from "./decision-actions";
import { RequestDiff } from "./request-diff";
import { StatusBadge, TargetBadge } from "./target-badge";

/** One approval request: what is asked, how it compares with what holds the target now, and the decision. */
export function RequestPage({ id }: { id: string }) {
  const trpc = useTRPC();
  const request = useQuery(trpc.approvals.requests.get.queryOptions({ id }));
  if (request.error) return <Alert color="red" title="Request unavailable" data-testid="request-error">{request.error.message}</Alert>;
  if (!request.data) return <Loader />;
  const r = request.data;
  return (
    <Stack gap="sm" maw={1400}>
      <Breadcrumbs>
        <Anchor component={Link} href="/approvals" size="sm">Approvals</Anchor>
        <Text size="sm">Request #{r.id}</Text>
      </Breadcrumbs>
      <Group justify="space-between" align="flex-start">
        <Group gap="sm">
          <Title order={2} data-testid="request-title">
            {r.model_name} v{r.version} → {r.target}
          </Title>
          <StatusBadge status={r.status} testId="request-status" />
        </Group>
        <DecisionActions request={r} />
      </Group>
      <SimpleGrid cols={{ base: 1, lg: 2 }}>
        <RequestDetails r={r} />
        <Stack gap="md">
          <GateResults r={r} />
          <Decisions r={r} />
        </Stack>
      </SimpleGrid>
      <RequestDiff request={r} />
      <LoggedModelEvidence name={r.model_name} version={r.version} />
      {r.trace_evidence && <TraceEvidence e={r.trace_evidence} />}
      <SimpleGrid cols={{ base: 1, lg: 2 }}>
        <VersionSignature name={r.model_name} version={r.version} />
        <CommentsThread name={r.model_name} version={r.version} />
      </SimpleGrid>
    </Stack>
  );
}

function RequestDetails({ r }: { r: RequestView }) {
  const rows: [string, ReactNode][] = [
    [
      "Version",
      <Group key="v" gap={4}>
        <Anchor component={Link} href={modelHref(r.model_name)} size="sm">{r.model_name}</Anchor>
        <Text span size="sm" c="dimmed">·</Text>
        <Anchor component={Link} href={versionHref(r.model_name, r.version)} size="sm" data-testid="request-version-link">version {r.version}</Anchor>
        <Text span size="xs" c="dimmed">(now in {r.current_stage})</Text>
      </Group>,
    ],
    ["Target", <span key="t" data-testid="request-target" data-target={r.target}><TargetBadge request={r} /></span>],
    ["Status", <Text key="s" size="sm">{r.status.toLowerCase()}{r.closed_reason ? ` · ${r.closed_reason}` : ""}{r.closed_at ? ` · ${formatEpoch(r.closed_at)}` : ""}</Text>],
    ["Requester", <Text key="q" size="sm" data-testid="request-requester">{r.requester}</Text>],
    ["Created", formatEpoch(r.created_at)],
    ["Comment", <Text key="c" size="sm" style={{ whiteSpace: "pre-wrap" }}>{r.comment || "—"}</Text>],
    ...(r.target_kind === "STAGE" && (r.to_stage === "Staging" || r.to_stage === "Production") ? [["Archive existing", r.archive_existing_versions ? "yes" : "no"] as [string, ReactNode]] : []),
    ["Policy", <Text key="p" size="sm" data-testid="request-policy">{r.policy}</Text>],
    ["Approvers", <Text key="a" size="sm" data-testid="request-approvers">{r.approvers}</Text>],
    ["Approvals", <Text key="n" size="sm" data-testid="request-approvals">{r.approvals} of {r.required_approvals}</Text>],
  ];
  return <KeyValueCard title="Request" testId="request-details" rows={rows} keyWidth="30%" />;
}

function GateResults({ r }: { r: RequestView }) {
  return (
    <Card withBorder data-testid="gate-results">
      <Text fw={600} mb="xs">Gates</Text>
      {r.gate_results.length === 0 ? (
        <Text size="sm" c="dimmed">The policy sets no automated gates for this target.</Text>
      ) : (
        <List spacing={6} size="sm" center>
          {r.gate_results.map((g, i) => (
            <List.Item
              key={i}
              data-testid={`gate-${i}`}
              data-passed={g.passed}
              icon={<ThemeIcon color={g.passed ? "green" : "red"} size={20} radius="xl">{g.passed ? <IconCheck size={12} /> : <IconX size={12} />}</ThemeIcon>}
            >
              <Text span size="sm" fw={500} c={g.passed ? undefined : "red"}>{g.gate}</Text>
              <Text span size="sm" c="dimmed"> — {g.reason}</Text>
            </List.Item>
          ))}
        </List>
      )}
      {r.status === "OPEN" && r.gate_results.length > 0 && <Text size="xs" c="dimmed" mt="xs">Gates are checked again when the last approval comes in.</Text>}
    </Card>
  );
}

const fmt = (x: number | null) => (x === null ? "—" : String(Math.round(x * 1000) / 1000));

/** The version's GenAI evidence: its logged model's traces and the reviewers' feedback on them. */
function TraceEvidence({ e }: { e: NonNullable<RequestView["trace_evidence"]> }) {
  const filter = `metadata.\`mlflow.modelId\` = '${e.logged_model_id}'`;
  const href = `/experiments/${encodeURIComponent(e.experiment_id)}?tab=traces&filter=${encodeURIComponent(filter)}`;
  return (
    <Card withBorder data-testid="trace-evidence">
      <Group justify="space-between" mb="xs">
        <Text fw={600}>Trace evidence</Text>
        <Anchor component={Link} href={href} size="sm" data-testid="trace-evidence-link">
          {e.traces} {e.traces === 1 ? "trace" : "traces"} of logged model {e.logged_model_id}
        </Anchor>
      </Group>
      <Text size="sm" c="dimmed" mb="xs">{e.assessed} of {e.traces} traces carry assessments. Feedback per name, each trace counted once (yes/true = 1, no/false = 0):</Text>
      {e.aggregates.length === 0 ? (
        <Text size="sm" c="dimmed">No numeric feedback has been recorded on these traces.</Text>
      ) : (
        <Table aria-label="Trace evidence" verticalSpacing={4}>
          <Table.Thead>
            <Table.Tr><Table.Th>Feedback</Table.Th><Table.Th>Traces</Table.Th><Table.Th>Mean</Table.Th><Table.Th>Passing (≥ 0.5)</Table.Th><Table.Th>Min</Table.Th><Table.Th>Max</Table.Th></Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {e.aggregates.map((a) => (
              <Table.Tr key={a.name} data-testid={`trace-evidence-${a.name}`}>
                <Table.Td>{a.name}</Table.Td>
                <Table.Td>{a.traces}</Table.Td>
                <Table.Td>{fmt(a.mean)}</Table.Td>
                <Table.Td>{a.passing} of {a.traces}</Table.Td>
                <Table.Td>{fmt(a.min)}</Table.Td>
                <Table.Td>{fmt(a.max)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Card>
  );
}

function Decisions({ r }: { r: RequestView }) {
  return (
    <Card withBorder data-testid="request-decisions">
      <Text fw={600} mb="xs">Decisions</Text>
      {r.decisions.length === 0 ? (
        <Text size="sm" c="dimmed">No decisions yet.</Text>
      ) : (
        <Stack gap={6}>
          {r.decisions.map((d, i) => (
            <Group key={i} gap="xs" align="flex-start" wrap="nowrap" data-testid={`decision-${i}`}>
              <ThemeIcon color={d.decision === "APPROVE" ? "green" : "red"} size={20} radius="xl">{d.decision === "APPROVE" ? <IconCheck size={12} /> : <IconX size={12} />}</ThemeIcon>
              <div>
                <Text size="sm"><b>{d.user}</b> {d.decision === "APPROVE" ? "approved" : "rejected"} <Text span size="xs" c="dimmed">{formatEpoch(d.at)}</Text></Text>
                {d.comment && <Text size="sm" c="dimmed" style={{ whiteSpace: "pre-wrap" }}>{d.comment}</Text>}
              </div>
            </Group>
          ))}
        </Stack>
      )}
    </Card>
  );
}

function VersionSignature({ name, version }: { name: string; version: string }) {
  const trpc = useTRPC();
  const detail = useQuery(trpc.registry.versions.get.queryOptions({ name, version }));
  return (
    <Card withBorder data-testid="request-signature">
      <Text fw={600} mb="xs">Signature of version {version}</Text>
      {detail.error ? <Text c="red" size="sm">{detail.error.message}</Text>
      : !detail.data ? <Loader size="sm" />
      : !detail.data.mlmodel ? <Text size="sm" c="dimmed">No MLmodel file was found at the version&apos;s source.</Text>
      : <SignatureTable signature={detail.data.mlmodel.signature} />}
    </Card>
  );
}
