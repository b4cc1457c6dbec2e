"use client";
import { Anchor, Card, Group, Text } from "@mantine/core";
import { IconTimeline } from "@tabler/icons-react";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useTRPC } from "@/lib/trpc";
import { runTracesFilter, tracesTabHref } from "./format";

/** How many GenAI traces a run produced, linking to them in the experiment's Traces tab. */
export function RunTracesCard({ experimentId, runId }: { experimentId: string; runId: string }) {
  const trpc = useTRPC();
  const filter = runTracesFilter(runId);
  const count = useQuery(trpc.tracing.count.queryOptions({ experiment_ids: [experimentId], filter }));
  const n = count.data;
  return (
    <Card withBorder p="sm" data-testid="run-traces">
      <Group justify="space-between">
        <Group gap="xs">
          <IconTimeline size={18} />
          <Text fw={600}>Traces</Text>
          <Text size="sm" c="dimmed" data-testid="run-traces-count">
            {count.isPending ? "…" : count.isError ? "unavailable" : `${n} trace${n === 1 ? "" : "s"} produced in this run`}
          </Text>
        </Group>
        {Boolean(n) && (
          <Anchor component={Link} href={tracesTabHref(experimentId, filter)} size="sm" data-testid="run-traces-link">View traces</Anchor>
        )}
      </Group>
    </Card>
  );
}
