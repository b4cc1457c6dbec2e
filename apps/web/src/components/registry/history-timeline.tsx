"use client";
import { Text, Timeline } from "@mantine/core";
import { IconArrowRight, IconTag } from "@tabler/icons-react";
import type { AliasEventView, ModelHistory, StageEventView } from "@modelgate/core";
import { formatEpoch } from "@/components/tracking/format";

type Entry = { kind: "stage"; e: StageEventView } | { kind: "alias"; e: AliasEventView };

/** Stage transitions and alias moves as one timeline, newest first. */
export function HistoryTimeline({ history, showVersion }: { history: ModelHistory; showVersion: boolean }) {
  const entries: Entry[] = [
    ...history.stages.map((e) => ({ kind: "stage" as const, e })),
    ...history.aliases.map((e) => ({ kind: "alias" as const, e })),
  ].sort((a, b) => b.e.at - a.e.at);
  if (entries.length === 0) return <Text size="sm" c="dimmed" data-testid="history-timeline">No stage or alias changes yet.</Text>;
  return (
    <Timeline bulletSize={22} lineWidth={2} data-testid="history-timeline">
      {entries.map((x, i) => (
        <Timeline.Item
          key={i}
          bullet={x.kind === "stage" ? <IconArrowRight size={12} /> : <IconTag size={12} />}
          title={x.kind === "stage" ? stageTitle(x.e, showVersion) : aliasTitle(x.e)}
          data-testid={`history-${x.kind}`}
        >
          <Text size="xs" c="dimmed">
            {formatEpoch(x.e.at)} · {x.e.actor}{x.kind === "stage" && x.e.system ? " (automatic)" : ""}
          </Text>
          {x.e.reason && <Text size="xs" mt={2}>{x.e.reason}</Text>}
        </Timeline.Item>
      ))}
    </Timeline>
  );
}

function stageTitle(e: StageEventView, showVersion: boolean): string {
  const who = showVersion ? `Version ${e.version}: ` : "";
  return e.from_stage === null ? `${who}registered in ${e.to_stage}` : `${who}${e.from_stage} → ${e.to_stage}`;
}

function aliasTitle(e: AliasEventView): string {
  if (e.to_version === null) return `@${e.alias} deleted (was v${e.from_version ?? "?"})`;
  if (e.from_version === null) return `@${e.alias} set to v${e.to_version}`;
  return `@${e.alias} moved v${e.from_version} → v${e.to_version}`;
}
