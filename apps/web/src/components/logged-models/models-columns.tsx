"use client";
import { Anchor, Group, Text, Tooltip } from "@mantine/core";
import { createColumnHelper, type ColumnDef } from "@tanstack/react-table";
import type { LoggedModelView } from "@modelgate/core";
import Link from "next/link";
import { versionHref } from "@/components/registry/format";
import { columnId } from "@/components/tracking/column-chooser";
import { formatMetric, runHref, shortId } from "@/components/tracking/format";
import { formatDateTime } from "@/lib/format";
import { loggedModelHref, metricValueOf, type DatasetRef, type MetricColumnRef } from "./format";
import { LoggedModelStatusBadge } from "./status-badge";

/** A server-side order of the models table (logged-models/search's order_by). */
export interface ModelSort {
  field: string;
  ascending: boolean;
  dataset?: DatasetRef | undefined;
}

export interface ModelColumnMeta {
  /** The order the server sorts by when this column's header is clicked. */
  sort?: Omit<ModelSort, "ascending">;
  width: number;
}

export const sameSort = (a: Omit<ModelSort, "ascending"> | undefined, b: ModelSort) =>
  a !== undefined && a.field === b.field && a.dataset?.name === b.dataset?.name && a.dataset?.digest === b.dataset?.digest;

const col = createColumnHelper<LoggedModelView>();

/** Name, status, source run and creation time: always shown, before the data columns. */
export function leadingColumns(runNames: Map<string, string>): ColumnDef<LoggedModelView, unknown>[] {
  return [
    col.accessor((m) => m.info.name, {
      id: "name",
      header: "Model",
      meta: { width: 200, sort: { field: "name" } } satisfies ModelColumnMeta,
      cell: ({ row: { original: m } }) => (
        <Anchor component={Link} href={loggedModelHref(m.info.experiment_id, m.info.model_id)} size="sm" fw={500} truncate="end" data-testid={`logged-model-link-${m.info.model_id}`}>
          {m.info.name}
        </Anchor>
      ),
    }),
    col.accessor((m) => m.info.status, {
      id: "status",
      header: "Status",
      meta: { width: 100, sort: { field: "status" } } satisfies ModelColumnMeta,
      cell: ({ row: { original: m } }) => <LoggedModelStatusBadge status={m.info.status} message={m.info.status_message} />,
    }),
    col.accessor((m) => m.info.source_run_id, {
      id: "source_run",
      header: "Source run",
      meta: { width: 120 } satisfies ModelColumnMeta,
      cell: ({ row: { original: m } }) =>
        m.info.source_run_id ? (
          <Anchor component={Link} href={runHref({ experiment_id: m.info.experiment_id, run_id: m.info.source_run_id })} size="sm" truncate="end">
            {runNames.get(m.info.source_run_id) ?? shortId(m.info.source_run_id)}
          </Anchor>
        ) : (
          <Text size="sm" c="dimmed">—</Text>
        ),
    }),
    col.accessor((m) => m.info.creation_timestamp_ms, {
      id: "created",
      header: "Created",
      meta: { width: 150, sort: { field: "creation_timestamp" } } satisfies ModelColumnMeta,
      cell: (c) => formatDateTime(c.getValue() as number),
    }),
  ] as ColumnDef<LoggedModelView, unknown>[];
}

/** The model's type and the versions registered from it: after the data columns. */
export function trailingColumns(): ColumnDef<LoggedModelView, unknown>[] {
  return [
    col.accessor((m) => m.info.model_type, { id: "model_type", header: "Type", meta: { width: 100, sort: { field: "model_type" } } satisfies ModelColumnMeta, cell: (c) => (c.getValue() as string) || "—" }),
    col.accessor((m) => m.info.registrations?.length ?? 0, {
      id: "registrations",
      header: "Registered as",
      meta: { width: 150 } satisfies ModelColumnMeta,
      cell: ({ row: { original: m } }) =>
        m.info.registrations?.length ? (
          <Group gap={6} wrap="nowrap">
            {m.info.registrations.map((r) => (
              <Anchor key={`${r.name}/${r.version}`} component={Link} href={versionHref(r.name, r.version)} size="sm">
                {r.name} v{r.version}
              </Anchor>
            ))}
          </Group>
        ) : (
          <Text size="sm" c="dimmed">—</Text>
        ),
    }),
  ] as ColumnDef<LoggedModelView, unknown>[];
}

/** The kind letter and key of a data column's header (the key itself is written by the table). */
const kindHeader = (kind: "M" | "P" | "T", title: string) => () => (
  <Tooltip label={title} openDelay={400}>
    <Text span size="xs" c="dimmed" mr={4}>{kind}</Text>
  </Tooltip>
);

export function metricColumn(ref: MetricColumnRef): ColumnDef<LoggedModelView, unknown> {
  return col.accessor((m) => formatMetric(metricValueOf(m, ref)), {
    id: columnId("metrics", ref.label),
    header: kindHeader("M", ref.dataset ? `metrics.${ref.key} on ${ref.dataset.name}${ref.dataset.digest ? ` (${ref.dataset.digest})` : ""}` : `metrics.${ref.key}: the latest value on any dataset`),
    meta: { width: ref.dataset ? 215 : 130, sort: { field: `metrics.${ref.key}`, dataset: ref.dataset } } satisfies ModelColumnMeta,
  }) as ColumnDef<LoggedModelView, unknown>;
}

export function paramColumn(key: string): ColumnDef<LoggedModelView, unknown> {
  return col.accessor((m) => m.data.params?.find((p) => p.key === key)?.value ?? "", {
    id: columnId("params", key),
    header: kindHeader("P", `params.${key}`),
    meta: { width: 130 } satisfies ModelColumnMeta,
  }) as ColumnDef<LoggedModelView, unknown>;
}

export function tagColumn(key: string): ColumnDef<LoggedModelView, unknown> {
  return col.accessor((m) => m.info.tags?.find((t) => t.key === key)?.value ?? "", {
    id: columnId("tags", key),
    header: kindHeader("T", `tags.${key}`),
    meta: { width: 130 } satisfies ModelColumnMeta,
  }) as ColumnDef<LoggedModelView, unknown>;
}
