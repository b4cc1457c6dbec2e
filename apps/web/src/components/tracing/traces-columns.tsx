"use client";
import { Anchor, Badge, Checkbox, Group, Text, Tooltip } from "@mantine/core";
import { createColumnHelper, type ColumnDef } from "@tanstack/react-table";
import type { PortalTrace } from "@modelgate/core";
import Link from "next/link";
import { runHref, shortId } from "@/components/tracking/format";
import { assessmentColor, assessmentOf, assessmentText, formatLatency, formatRequestTime, formatShortTime, traceHref, userTraceTags } from "./format";
import { TraceStateBadge } from "./trace-state-badge";

/** What the server orders by when a column's header is clicked (search_traces' order_by keys). */
export type TraceSortKey = "timestamp_ms" | "execution_time_ms";

export interface TraceColumnMeta {
  /** Fixed width; with `flex`, the least width (flexible columns share what the fixed ones leave). */
  width: number;
  flex?: boolean;
  sort?: TraceSortKey;
}

const col = createColumnHelper<PortalTrace>();
const dimmed = <Text size="sm" c="dimmed">—</Text>;

function Preview({ text, testId }: { text: string | null; testId: string }) {
  if (!text) return dimmed;
  return (
    <Tooltip label={text.length > 600 ? `${text.slice(0, 600)}…` : text} multiline w={420} openDelay={500} style={{ whiteSpace: "pre-wrap" }}>
      <Text size="sm" truncate="end" data-testid={testId}>{text}</Text>
    </Tooltip>
  );
}

export function selectColumn(): ColumnDef<PortalTrace, unknown> {
  return col.display({
    id: "select",
    meta: { width: 36 } satisfies TraceColumnMeta,
    header: ({ table }) => (
      <Checkbox
        size="xs"
        aria-label="Select all traces"
        checked={table.getIsAllRowsSelected()}
        indeterminate={table.getIsSomeRowsSelected()}
        onChange={table.getToggleAllRowsSelectedHandler()}
      />
    ),
    cell: ({ row }) => <Checkbox size="xs" aria-label={`Select trace ${row.id}`} checked={row.getIsSelected()} onChange={row.getToggleSelectedHandler()} />,
  }) as ColumnDef<PortalTrace, unknown>;
}

/** The fixed columns of the Traces table, then one per assessment name, then the run. */
export function traceColumns(assessmentNames: readonly string[]): ColumnDef<PortalTrace, unknown>[] {
  return [
    col.accessor("trace_id", {
      header: "Trace ID",
      meta: { width: 95 } satisfies TraceColumnMeta,
      cell: ({ row: { original: t } }) => (
        <Anchor component={Link} href={traceHref(t.experiment_id, t.trace_id)} size="sm" ff="monospace" truncate="end" data-testid={`trace-link-${t.trace_id}`} title={t.trace_id}>
          {t.trace_id.replace(/^tr-/, "").slice(0, 8)}
        </Anchor>
      ),
    }),
    col.accessor("request_preview", { header: "Request", meta: { width: 150, flex: true } satisfies TraceColumnMeta, cell: ({ row: { original: t } }) => <Preview text={t.request_preview} testId="trace-request" /> }),
    col.accessor("response_preview", { header: "Response", meta: { width: 150, flex: true } satisfies TraceColumnMeta, cell: ({ row: { original: t } }) => <Preview text={t.response_preview} testId="trace-response" /> }),
    col.accessor("state", { header: "Status", meta: { width: 95 } satisfies TraceColumnMeta, cell: (c) => <TraceStateBadge state={c.getValue() as string} /> }),
    col.accessor("request_time", {
      header: "Request time",
      meta: { width: 145, sort: "timestamp_ms" } satisfies TraceColumnMeta,
      cell: (c) => <Text size="sm" title={formatRequestTime(c.getValue() as number)}>{formatShortTime(c.getValue() as number)}</Text>,
    }),
    col.accessor("execution_ms", { header: "Latency", meta: { width: 85, sort: "execution_time_ms" } satisfies TraceColumnMeta, cell: (c) => <Text size="sm" data-testid="trace-latency">{formatLatency(c.getValue() as number | null)}</Text> }),
    col.accessor("tags", {
      header: "Tags",
      meta: { width: 135 } satisfies TraceColumnMeta,
      cell: ({ row: { original: t } }) => {
        const tags = userTraceTags(t.tags);
        if (!tags.length) return dimmed;
        return (
          <Group gap={4} wrap="nowrap" style={{ overflow: "hidden" }} data-testid="trace-tags">
            {tags.map(([k, v]) => (
              <Badge key={k} size="sm" variant="outline" color="gray" tt="none" style={{ flexShrink: 0 }}>{k}: {v}</Badge>
            ))}
          </Group>
        );
      },
    }),
    ...assessmentNames.map(
      (name) =>
        col.accessor((t) => assessmentOf(t, name)?.value, {
          id: `assessment.${name}`,
          header: name,
          meta: { width: 115 } satisfies TraceColumnMeta,
          cell: ({ row: { original: t } }) => {
            const a = assessmentOf(t, name);
            if (!a) return dimmed;
            return (
              <Tooltip label={a.rationale ?? `${a.kind} by ${a.source_id}`} multiline w={300} openDelay={400} disabled={!a.rationale && a.kind === "feedback"}>
                <Badge size="sm" variant="light" color={a.kind === "feedback" ? assessmentColor(a.value) : "gray"} tt="none" data-testid={`assessment-cell-${name}`}>
                  {assessmentText(a)}
                </Badge>
              </Tooltip>
            );
          },
        }) as ColumnDef<PortalTrace, unknown>,
    ),
    col.accessor("run_id", {
      header: "Run",
      meta: { width: 90 } satisfies TraceColumnMeta,
      cell: ({ row: { original: t } }) =>
        t.run_id ? (
          <Anchor component={Link} href={runHref({ experiment_id: t.experiment_id, run_id: t.run_id })} size="sm" ff="monospace">{shortId(t.run_id)}</Anchor>
        ) : (
          dimmed
        ),
    }),
  ] as ColumnDef<PortalTrace, unknown>[];
}
