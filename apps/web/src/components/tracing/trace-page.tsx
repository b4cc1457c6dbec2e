"use client";
import { ActionIcon, Alert, Anchor, Badge, Breadcrumbs, Card, CopyButton, Grid, Group, Loader, Stack, Text, Title, Tooltip } from "@mantine/core";
import { IconCheck, IconCopy } from "@tabler/icons-react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { PortalSpanSummary, TraceDetail } from "@modelgate/core";
import Link from "next/link";
import { useMemo, useState } from "react";
import { loggedModelHref } from "@/components/logged-models/format";
import { notifyAndRefresh, notifyError } from "@/components/shared/notify";
import { TagsCard } from "@/components/registry/tags-card";
import { runHref, shortId } from "@/components/tracking/format";
import { useTRPC } from "@/lib/trpc";
import { AssessmentsPanel } from "./assessments-panel";
import { formatLatency, formatRequestTime, tracesTabHref, userTraceTags } from "./format";
import { SpanDetails } from "./span-details";
import { SpanTree } from "./span-tree";
import { TraceStateBadge } from "./trace-state-badge";

/** While a trace is still receiving spans its page polls, so they appear without a reload. */
const LIVE_INTERVAL = 3_000;

function Fact({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <Stack gap={0}>
      <Text size="xs" c="dimmed">{label}</Text>
      <div>{children}</div>
    </Stack>
  );
}

/** One trace: its spans as a tree and waterfall, the selected span's details, and its assessments. */
export function TracePage({ traceId }: { traceId: string }) {
  const trpc = useTRPC();
  const detail = useQuery({
    ...trpc.tracing.get.queryOptions({ trace_id: traceId }),
    refetchInterval: (q) => (q.state.data?.trace.state === "IN_PROGRESS" ? LIVE_INTERVAL : false),
  });
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const spans = detail.data?.spans;
  const selected = useMemo(() => (spans ? (spans.find((s) => s.span_id === selectedId) ?? spans[0]) : undefined), [spans, selectedId]);
  if (detail.error) return <Alert color="red" title="Trace unavailable" data-testid="trace-error">{detail.error.message}</Alert>;
  if (!detail.data) return <Loader />;
  const d = detail.data;
  const t = d.trace;
  return (
    <Stack gap="sm">
      <Breadcrumbs>
        <Anchor component={Link} href="/experiments" size="sm">Experiments</Anchor>
        <Anchor component={Link} href={tracesTabHref(t.experiment_id)} size="sm">{t.experiment_name}</Anchor>
        <Text size="sm">Traces</Text>
        <Text size="sm" ff="monospace">{shortId(t.trace_id.replace(/^tr-/, ""))}</Text>
      </Breadcrumbs>
      <TraceHeader detail={d} />
      <Grid gap="sm">
        <Grid.Col span={{ base: 12, lg: 7 }}>
          <Card withBorder p="sm">
            <SpanTree spans={d.spans} totalMs={d.total_ms} selectedId={selected?.span_id ?? null} onSelect={setSelectedId} />
          </Card>
        </Grid.Col>
        <Grid.Col span={{ base: 12, lg: 5 }}>
          <Stack gap="sm">
            {selected ? <SelectedSpan traceId={t.trace_id} summary={selected} live={t.state === "IN_PROGRESS"} /> : <Card withBorder><Text size="sm" c="dimmed">No spans recorded for this trace yet.</Text></Card>}
          </Stack>
        </Grid.Col>
      </Grid>
      <Grid gap="sm">
        <Grid.Col span={{ base: 12, lg: 7 }}>
          <AssessmentsPanel traceId={t.trace_id} assessments={t.assessments} spans={d.spans} selected={selected} canEdit={d.access.canEdit} viewer={d.viewer} />
        </Grid.Col>
        <Grid.Col span={{ base: 12, lg: 5 }}>
          <TraceTags detail={d} />
        </Grid.Col>
      </Grid>
    </Stack>
  );
}

/** The selected span's inputs, outputs, attributes and events, fetched when it is selected. */
function SelectedSpan({ traceId, summary, live }: { traceId: string; summary: PortalSpanSummary; live: boolean }) {
  const trpc = useTRPC();
  const span = useQuery({ ...trpc.tracing.span.queryOptions({ trace_id: traceId, span_id: summary.span_id }), refetchInterval: live ? LIVE_INTERVAL : false });
  if (span.error) return <Alert color="red" title="Span unavailable">{span.error.message}</Alert>;
  if (!span.data) {
    return (
      <Card withBorder data-testid="span-details-loading">
        <Group gap="xs"><Loader size="xs" /><Text size="sm">{summary.name}</Text></Group>
      </Card>
    );
  }
  return <SpanDetails span={{ ...span.data, depth: summary.depth }} />;
}

function TraceHeader({ detail: d }: { detail: TraceDetail }) {
  const t = d.trace;
  const tags = userTraceTags(t.tags);
  return (
    <Card withBorder p="sm" data-testid="trace-header">
      <Group justify="space-between" align="flex-start" mb="xs">
        <Group gap="xs">
          <Title order={3}>{t.name ?? "Trace"}</Title>
          <TraceStateBadge state={t.state} />
          {t.state === "IN_PROGRESS" && <Badge color="blue" variant="dot">live</Badge>}
        </Group>
        <Group gap={4}>
          <Text ff="monospace" size="sm" data-testid="trace-id">{t.trace_id}</Text>
          <CopyButton value={t.trace_id}>
            {({ copied, copy }) => (
              <Tooltip label={copied ? "Copied" : "Copy trace id"}>
                <ActionIcon variant="subtle" color={copied ? "teal" : "gray"} onClick={copy} aria-label="Copy trace id">
                  {copied ? <IconCheck size={14} /> : <IconCopy size={14} />}
                </ActionIcon>
              </Tooltip>
            )}
          </CopyButton>
        </Group>
      </Group>
      <Group gap="xl" align="flex-start">
        <Fact label="Request time"><Text size="sm">{formatRequestTime(t.request_time)}</Text></Fact>
        <Fact label="Latency"><Text size="sm" data-testid="trace-latency">{formatLatency(t.execution_ms)}</Text></Fact>
        <Fact label="Spans"><Text size="sm" data-testid="trace-span-count">{d.spans.length}</Text></Fact>
        {t.run_id && (
          <Fact label="Run">
            <Anchor component={Link} href={runHref({ experiment_id: t.experiment_id, run_id: t.run_id })} size="sm" ff="monospace" data-testid="trace-run-link">{shortId(t.run_id)}</Anchor>
          </Fact>
        )}
        {t.model_id && (
          <Fact label="Logged model">
            <Anchor component={Link} href={loggedModelHref(t.experiment_id, t.model_id)} size="sm" ff="monospace" data-testid="trace-model-link">{t.model_id}</Anchor>
          </Fact>
        )}
        {tags.length > 0 && (
          <Fact label="Tags">
            <Group gap={4} data-testid="trace-header-tags">
              {tags.map(([k, v]) => <Badge key={k} size="sm" variant="outline" color="gray" tt="none">{k}: {v}</Badge>)}
            </Group>
          </Fact>
        )}
      </Group>
    </Card>
  );
}

function TraceTags({ detail: d }: { detail: TraceDetail }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.tracing.pathKey() });
  const trace_id = d.trace.trace_id;
  const setTag = useMutation(trpc.tracing.setTag.mutationOptions({ onSuccess: notifyAndRefresh((_r, v) => `Tag ${v.key} set`, refresh) }));
  const deleteTag = useMutation(trpc.tracing.deleteTag.mutationOptions({ onSuccess: notifyAndRefresh((_r, v) => `Tag ${v.key} removed`, refresh), onError: notifyError }));
  return (
    <TagsCard
      tags={userTraceTags(d.trace.tags).map(([key, value]) => ({ key, value }))}
      canEdit={d.access.canEdit}
      pending={setTag.isPending}
      error={setTag.error?.message}
      onSet={(key, value, done) => setTag.mutate({ trace_id, key, value }, { onSuccess: done })}
      onDelete={(key) => deleteTag.mutate({ trace_id, key })}
    />
  );
}
