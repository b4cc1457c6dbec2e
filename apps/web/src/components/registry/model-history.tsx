"use client";
import { Alert, Anchor, Card, Group, Loader, SimpleGrid, Stack, Text, TextInput } from "@mantine/core";
import type { ModelHistory, RequestView, Stage } from "@modelgate/core";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState, type ReactNode } from "react";
import { requestHref } from "@/components/approvals/format";
import { formatEpoch } from "@/components/tracking/format";
import { useTRPC } from "@/lib/trpc";
import { AliasBadge, StageBadge } from "./badges";
import { STAGE_ORDER, versionHref } from "./format";
import { HistoryTimeline } from "./history-timeline";

/** The model's stage and alias timeline, and its state at a chosen instant. */
export function ModelHistoryPanel({ name }: { name: string }) {
  const trpc = useTRPC();
  const history = useQuery(trpc.registry.models.history.queryOptions({ name }));
  return (
    <SimpleGrid cols={{ base: 1, lg: 2 }}>
      <Card withBorder>
        <Text fw={600} mb="sm">Timeline</Text>
        {history.error ? <Alert color="red">{history.error.message}</Alert> : history.data ? <HistoryTimeline history={history.data} showVersion /> : <Loader size="sm" />}
      </Card>
      <StateAtCard name={name} now={history.dataUpdatedAt || undefined} history={history.data} />
    </SimpleGrid>
  );
}

/**
 * Empty means "now": the instant the history was last loaded, so it follows every change made on
 * the page. A minute picked without seconds means its end: "at 16:12" includes 16:12:40.
 */
function StateAtCard({ name, now, history }: { name: string; now: number | undefined; history: ModelHistory | undefined }) {
  const trpc = useTRPC();
  const [value, setValue] = useState("");
  const picked = value ? new Date(value).getTime() : NaN;
  const at = !value ? (now ?? NaN) : value.length === 16 ? picked + 59_999 : value.length === 19 ? picked + 999 : picked;
  const state = useQuery({ ...trpc.registry.models.stateAt.queryOptions({ name, at: Number.isFinite(at) ? at : 0 }), enabled: Number.isFinite(at) });
  return (
    <Card withBorder data-testid="state-at">
      <Text fw={600} mb={4}>State at a date</Text>
      <Text size="sm" c="dimmed" mb="sm">Which versions were in each stage, and where the aliases pointed, at that instant; for Staging, Production and aliases, who requested and who approved the move.</Text>
      <TextInput type="datetime-local" label="Instant (local time)" description={value ? undefined : "Showing now; pick an instant to look back"} step={1} value={value} onChange={(e) => setValue(e.currentTarget.value)} w={260} mb="md" data-testid="state-at-input" />
      {state.error && <Alert color="red">{state.error.message}</Alert>}
      {state.isFetching && !state.data && <Loader size="sm" />}
      {state.data && (
        <Stack gap="xs" data-testid="state-at-result">
          {STAGE_ORDER.map((s: Stage) => (
            <Group key={s} gap="xs" align="flex-start" data-testid={`state-at-stage-${s}`}>
              <Text size="sm" w={90} fw={500}>{s}</Text>
              {state.data.stages[s].length ? (
                s === "Staging" || s === "Production" ? (
                  <Stack gap={4} style={{ flex: 1, minWidth: 0 }}>
                    {state.data.stages[s].map((v) => (
                      <HeldBy key={v} name={name} version={v} at={at} history={history} target={{ kind: "stage", stage: s }}>
                        <StageBadge stage={s} version={String(v)} />
                      </HeldBy>
                    ))}
                  </Stack>
                ) : (
                  <Group gap={4}>
                    {state.data.stages[s].map((v) => (
                      <Anchor key={v} component={Link} href={versionHref(name, v)} underline="never"><StageBadge stage={s} version={String(v)} /></Anchor>
                    ))}
                  </Group>
                )
              ) : (
                <Text size="sm" c="dimmed">—</Text>
              )}
            </Group>
          ))}
          <Group gap="xs" align="flex-start" data-testid="state-at-aliases">
            <Text size="sm" w={90} fw={500}>Aliases</Text>
            {state.data.aliases.length ? (
              <Stack gap={4} style={{ flex: 1, minWidth: 0 }}>
                {state.data.aliases.map((a) => (
                  <HeldBy key={a.alias} name={name} version={a.version} at={at} history={history} target={{ kind: "alias", alias: a.alias }}>
                    <AliasBadge alias={a.alias} version={String(a.version)} testId={`state-at-alias-${a.alias}`} />
                  </HeldBy>
                ))}
              </Stack>
            ) : (
              <Text size="sm" c="dimmed">—</Text>
            )}
          </Group>
        </Stack>
      )}
    </Card>
  );
}

type HeldTarget = { kind: "stage"; stage: Stage } | { kind: "alias"; alias: string };

/**
 * A version holding a stage or alias at `at`, linked, with how it got there: the approved request
 * that moved it (requester and approvers), or the actor who moved it directly.
 */
function HeldBy({ name, version, at, history, target, children }: { name: string; version: number; at: number; history: ModelHistory | undefined; target: HeldTarget; children: ReactNode }) {
  const trpc = useTRPC();
  const requests = useQuery(trpc.approvals.requests.list.queryOptions({ kind: "version", name, version: String(version) }));
  const event =
    target.kind === "stage"
      ? history?.stages.find((e) => e.version === version && e.to_stage === target.stage && e.at <= at)
      : history?.aliases.find((e) => e.alias === target.alias && e.to_version === version && e.at <= at);
  const request = event && requests.data ? movingRequest(requests.data, target, event) : undefined;
  const key = target.kind === "stage" ? target.stage : `@${target.alias}`;
  let how: ReactNode = null;
  if (request) {
    const approvers = request.decisions.filter((d) => d.decision === "APPROVE").map((d) => d.user);
    how = (
      <>
        requested by <b>{request.requester}</b>, approved by <b>{approvers.join(", ") || "—"}</b> ·{" "}
        <Anchor component={Link} href={requestHref(request.id)} size="xs">request #{request.id}</Anchor>
        {event ? ` · ${formatEpoch(event.at)}` : ""}
      </>
    );
  } else if (event) {
    how = <>moved directly by <b>{event.actor}</b> · {formatEpoch(event.at)}{event.reason ? ` (${event.reason})` : ""}</>;
  }
  return (
    <Group gap="xs" wrap="nowrap" align="flex-start" data-testid={`state-at-held-${key}-${version}`}>
      <Anchor component={Link} href={versionHref(name, version)} underline="never" style={{ flexShrink: 0 }}>{children}</Anchor>
      {how && <Text size="xs" c="dimmed" data-testid={`state-at-provenance-${key}-${version}`}>{how}</Text>}
    </Group>
  );
}

/** The approved request behind a move: named in the move's reason ("approved request 12"), else the one closed at that moment. */
function movingRequest(requests: RequestView[], target: HeldTarget, event: { at: number; reason: string | null }): RequestView | undefined {
  const id = /approved request (\d+)/.exec(event.reason ?? "")?.[1];
  if (id) return requests.find((r) => r.id === id);
  return requests.find(
    (r) =>
      r.status === "APPROVED" &&
      (target.kind === "stage" ? r.to_stage === target.stage : r.alias === target.alias) &&
      r.closed_at !== undefined &&
      Math.abs(r.closed_at - event.at) < 2_000,
  );
}
