"use client";
import { Alert, Card, Group, Loader, SimpleGrid, Stack, Text, TextInput } from "@mantine/core";
import type { Stage } from "@modelgate/core";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "@/lib/trpc";
import { AliasBadge, StageBadge } from "./badges";
import { STAGE_ORDER } from "./format";
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
      <StateAtCard name={name} now={history.dataUpdatedAt || undefined} />
    </SimpleGrid>
  );
}

/**
 * Empty means "now": the instant the history was last loaded, so it follows every change made on
 * the page. A minute picked without seconds means its end: "at 16:12" includes 16:12:40.
 */
function StateAtCard({ name, now }: { name: string; now: number | undefined }) {
  const trpc = useTRPC();
  const [value, setValue] = useState("");
  const picked = value ? new Date(value).getTime() : NaN;
  const at = !value ? (now ?? NaN) : value.length === 16 ? picked + 59_999 : value.length === 19 ? picked + 999 : picked;
  const state = useQuery({ ...trpc.registry.models.stateAt.queryOptions({ name, at: Number.isFinite(at) ? at : 0 }), enabled: Number.isFinite(at) });
  return (
    <Card withBorder data-testid="state-at">
      <Text fw={600} mb={4}>State at a date</Text>
      <Text size="sm" c="dimmed" mb="sm">Which versions were in each stage, and where the aliases pointed, at that instant.</Text>
      <TextInput type="datetime-local" label="Instant (local time)" description={value ? undefined : "Showing now; pick an instant to look back"} step={1} value={value} onChange={(e) => setValue(e.currentTarget.value)} w={260} mb="md" data-testid="state-at-input" />
      {state.error && <Alert color="red">{state.error.message}</Alert>}
      {state.isFetching && !state.data && <Loader size="sm" />}
      {state.data && (
        <Stack gap="xs" data-testid="state-at-result">
          {STAGE_ORDER.map((s: Stage) => (
            <Group key={s} gap="xs" data-testid={`state-at-stage-${s}`}>
              <Text size="sm" w={90} fw={500}>{s}</Text>
              {state.data.stages[s].length ? state.data.stages[s].map((v) => <StageBadge key={v} stage={s} version={String(v)} />) : <Text size="sm" c="dimmed">—</Text>}
            </Group>
          ))}
          <Group gap="xs" data-testid="state-at-aliases">
            <Text size="sm" w={90} fw={500}>Aliases</Text>
            {state.data.aliases.length ? state.data.aliases.map((a) => <AliasBadge key={a.alias} alias={a.alias} version={String(a.version)} testId={`state-at-alias-${a.alias}`} />) : <Text size="sm" c="dimmed">—</Text>}
          </Group>
        </Stack>
      )}
    </Card>
  );
}
