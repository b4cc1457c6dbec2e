"use client";
import { ActionIcon, Anchor, Box, Button, Card, Checkbox, Group, SegmentedControl, Text, Tooltip, UnstyledButton } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { IconArrowDown, IconArrowUp, IconChevronDown, IconChevronRight, IconRestore, IconTrash } from "@tabler/icons-react";
import { createColumnHelper, flexRender, getCoreRowModel, getExpandedRowModel, useReactTable, type ColumnDef, type ExpandedState, type RowSelectionState } from "@tanstack/react-table";
import { useVirtualizer } from "@tanstack/react-virtual";
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { ViewType } from "@modelgate/core";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useMemo, useRef, useState } from "react";
import { notifyError } from "@/components/shared/notify";
import { formatDateTime } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";
import { ColumnChooser, columnId, useVisibleColumns, type ColumnKind } from "./column-chooser";
import { formatDuration, formatMetric, metricOf, paramOf, quoteKey, runDuration, runHref, runName, tagOf } from "./format";
import { RunFilter } from "./run-filter";
import { groupByParent, type RunNode } from "./runs-tree";
import { RunStatusBadge } from "./status-badge";

const PAGE = 200;
const ROW_HEIGHT = 37;
const DEFAULT_ORDER = { key: "attributes.start_time", desc: true };
const DEFAULT_PER_KIND = 10;

interface Sort {
  key: string;
  desc: boolean;
}
interface ColumnMeta {
  /** The order_by expression, when the server can sort by this column. */
  sortKey?: string;
  width: number;
}

const col = createColumnHelper<RunNode>();

function fixedColumns(): ColumnDef<RunNode, unknown>[] {
  return [
    col.display({
      id: "select",
      meta: { width: 40 } satisfies ColumnMeta,
      header: ({ table }) => (
        <Checkbox
          size="xs"
          aria-label="Select all loaded runs"
          checked={table.getIsAllRowsSelected()}
          indeterminate={table.getIsSomeRowsSelected()}
          onChange={table.getToggleAllRowsSelectedHandler()}
        />
      ),
      cell: ({ row }) => (
        <Checkbox size="xs" aria-label={`Select run ${runName(row.original.run)}`} checked={row.getIsSelected()} onChange={row.getToggleSelectedHandler()} />
      ),
    }),
    col.accessor((n) => runName(n.run), {
      id: "run_name",
      header: "Run",
      meta: { width: 260, sortKey: "attributes.run_name" } satisfies ColumnMeta,
      cell: ({ row }) => (
        <Group gap={4} wrap="nowrap" pl={row.depth * 18}>
          {row.getCanExpand() ? (
            <ActionIcon size="xs" variant="subtle" onClick={row.getToggleExpandedHandler()} aria-label={`${row.getIsExpanded() ? "Collapse" : "Expand"} child runs of ${runName(row.original.run)}`} aria-expanded={row.getIsExpanded()}>
              {row.getIsExpanded() ? <IconChevronDown size={14} /> : <IconChevronRight size={14} />}
            </ActionIcon>
          ) : (
            <Box w={22} />
          )}
          <Anchor component={Link} href={runHref(row.original.run)} size="sm" truncate="end" fw={500}>
            {runName(row.original.run)}
          </Anchor>
          {row.getCanExpand() && <Text size="xs" c="dimmed">({row.original.children.length})</Text>}
        </Group>
      ),
    }),
    col.accessor((n) => n.run.info.status, { id: "status", header: "Status", meta: { width: 100, sortKey: "attributes.status" } satisfies ColumnMeta, cell: (c) => <RunStatusBadge status={c.getValue()} /> }),
    col.accessor((n) => n.run.info.start_time, { id: "start_time", header: "Created", meta: { width: 170, sortKey: "attributes.start_time" } satisfies ColumnMeta, cell: (c) => formatDateTime(new Date(c.getValue())) }),
    col.accessor((n) => runDuration(n.run), { id: "duration", header: "Duration", meta: { width: 100 } satisfies ColumnMeta, cell: (c) => formatDuration(c.getValue()) }),
    col.accessor((n) => n.run.info.user_id, { id: "user", header: "User", meta: { width: 120, sortKey: "attributes.user_id" } satisfies ColumnMeta }),
    col.accessor((n) => tagOf(n.run, "mlflow.source.name")?.split("/").pop() ?? "", { id: "source", header: "Source", meta: { width: 150 } satisfies ColumnMeta }),
  ] as ColumnDef<RunNode, unknown>[];
}

function dataColumn(kind: ColumnKind, key: string): ColumnDef<RunNode, unknown> {
  const value = (n: RunNode) => (kind === "metrics" ? formatMetric(metricOf(n.run, key)) : kind === "params" ? paramOf(n.run, key) : tagOf(n.run, key)) ?? "";
  return col.accessor(value, {
    id: columnId(kind, key),
    header: () => (
      <Tooltip label={`${kind}.${key}`} openDelay={400}>
        <Text span size="xs" c="dimmed" mr={4}>{kind === "metrics" ? "M" : kind === "params" ? "P" : "T"}</Text>
      </Tooltip>
    ),
    meta: { width: 130, sortKey: `${kind}.${quoteKey(key)}` } satisfies ColumnMeta,
  }) as ColumnDef<RunNode, unknown>;
}

export function RunsTable({ experimentId, canEdit }: { experimentId: string; canEdit: boolean }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const [filter, setFilter] = useState("");
  const [sort, setSort] = useState<Sort>(DEFAULT_ORDER);
  const [viewType, setViewType] = useState<ViewType>("ACTIVE_ONLY");
  const [expanded, setExpanded] = useState<ExpandedState>({});
  const [selection, setSelection] = useState<RowSelectionState>({});

  const scope = { experiment_ids: [experimentId], ...(filter ? { filter } : {}), run_view_type: viewType };
  const order_by = [`${sort.key} ${sort.desc ? "DESC" : "ASC"}`];
  const runs = useInfiniteQuery(trpc.tracking.runs.search.infiniteQueryOptions({ ...scope, order_by, max_results: PAGE }, { getNextPageParam: (last) => last.next_page_token || undefined }));
  const count = useQuery(trpc.tracking.runs.count.queryOptions(scope));
  const columnsQuery = useQuery(trpc.tracking.runs.columns.queryOptions({ experiment_ids: [experimentId] }));
  const available = columnsQuery.data;
  const [visible, setVisible] = useVisibleColumns(`modelgate.runs.columns.${experimentId}`, available, DEFAULT_PER_KIND);

  const loaded = useMemo(() => runs.data?.pages.flatMap((p) => p.runs ?? []) ?? [], [runs.data]);
  const tree = useMemo(() => groupByParent(loaded), [loaded]);
  const columns = useMemo(() => {
    const kinds: ColumnKind[] = ["metrics", "params", "tags"];
    const data = kinds.flatMap((kind) => (available?.[kind] ?? []).filter((k) => visible.has(columnId(kind, k))).map((k) => dataColumn(kind, k)));
    return [...fixedColumns(), ...data];
  }, [available, visible]);

  const table = useReactTable({
    data: tree,
    columns,
    state: { expanded, rowSelection: selection },
    getRowId: (n) => n.run.info.run_id,
    getSubRows: (n) => n.children,
    getCoreRowModel: getCoreRowModel(),
    getExpandedRowModel: getExpandedRowModel(),
    onExpandedChange: setExpanded,
    onRowSelectionChange: setSelection,
    enableSubRowSelection: false,
    manualSorting: true,
  });
  const rows = table.getRowModel().rows;

  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({ count: rows.length, getScrollElement: () => scrollRef.current, estimateSize: () => ROW_HEIGHT, overscan: 20 });
  const items = virtualizer.getVirtualItems();
  const lastIndex = items.at(-1)?.index ?? 0;
  // infinite scroll: fetch the next page when the last rendered row nears the end of what is loaded
  useEffect(() => {
    if (lastIndex >= rows.length - 30 && runs.hasNextPage && !runs.isFetchingNextPage) void runs.fetchNextPage();
  }, [lastIndex, rows.length, runs]);

  // a new filter, sort or view is a new list: start it from the top
  const listKey = JSON.stringify([scope, order_by]);
  useEffect(() => {
    scrollRef.current?.scrollTo({ top: 0 });
  }, [listKey]);

  const selectedIds = Object.keys(selection).filter((id) => selection[id]);
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.tracking.runs.pathKey() });
  const remove = useMutation(trpc.tracking.runs.delete.mutationOptions({ onError: notifyError }));
  const restore = useMutation(trpc.tracking.runs.restore.mutationOptions({ onError: notifyError }));
  async function applyToSelected(m: typeof remove | typeof restore, verb: string) {
    await Promise.all(selectedIds.map((run_id) => m.mutateAsync({ run_id })));
    notifications.show({ message: `${selectedIds.length} run(s) ${verb}` });
    setSelection({});
    await invalidate();
  }
  function onSort(meta: ColumnMeta) {
    if (!meta.sortKey) return;
    setSort((s) => (s.key === meta.sortKey ? { key: s.key, desc: !s.desc } : { key: meta.sortKey!, desc: true }));
  }

  const width = table.getVisibleLeafColumns().reduce((w, c) => w + (c.columnDef.meta as ColumnMeta).width, 0);
  const padTop = items[0]?.start ?? 0;
  const padBottom = virtualizer.getTotalSize() - (items.at(-1)?.end ?? 0);
  const total = count.data?.count;

  return (
    <Card withBorder p="sm">
      <Group align="flex-start" mb="sm" gap="sm">
        <RunFilter value={filter} onApply={setFilter} serverError={runs.error?.message} />
        <SegmentedControl mt={25} value={viewType} onChange={(v) => setViewType(v as ViewType)} data={[{ value: "ACTIVE_ONLY", label: "Active" }, { value: "DELETED_ONLY", label: "Deleted" }, { value: "ALL", label: "All" }]} aria-label="Run lifecycle" />
        {available && <ColumnChooser available={available} visible={visible} onChange={setVisible} />}
      </Group>
      <Group justify="space-between" mb="xs">
        <Text size="sm" c="dimmed" data-testid="runs-count">
          {count.isError ? "No runs: the filter was not applied" : total === undefined ? "…" : `${total.toLocaleString()} run${total === 1 ? "" : "s"}`}
          {total !== undefined && loaded.length < total ? ` · ${loaded.length.toLocaleString()} loaded` : ""}
          {selectedIds.length > 0 ? ` · ${selectedIds.length} selected` : ""}
        </Text>
        <Group gap="xs">
          {canEdit && selectedIds.length > 0 && viewType !== "ACTIVE_ONLY" && (
            <Button size="xs" variant="default" leftSection={<IconRestore size={14} />} onClick={() => void applyToSelected(restore, "restored")}>Restore</Button>
          )}
          {canEdit && selectedIds.length > 0 && viewType !== "DELETED_ONLY" && (
            <Button size="xs" variant="default" color="red" leftSection={<IconTrash size={14} />} onClick={() => void applyToSelected(remove, "deleted")}>Delete</Button>
          )}
          <Button size="xs" disabled={selectedIds.length < 2} onClick={() => router.push(`/runs/compare?runs=${selectedIds.join(",")}`)} data-testid="compare-runs">
            Compare{selectedIds.length >= 2 ? ` (${selectedIds.length})` : ""}
          </Button>
        </Group>
      </Group>
      <div ref={scrollRef} style={{ height: "calc(100vh - 330px)", minHeight: 360, overflow: "auto", position: "relative" }} data-testid="runs-table-scroll">
        <table role="grid" aria-label="Runs" aria-rowcount={total ?? rows.length} data-testid="runs-table" style={{ width, tableLayout: "fixed", borderCollapse: "collapse", fontSize: "var(--mantine-font-size-sm)" }}>
          <thead style={{ position: "sticky", top: 0, zIndex: 1, background: "var(--mantine-color-body)" }}>
            <tr>
              {table.getFlatHeaders().map((h) => {
                const meta = h.column.columnDef.meta as ColumnMeta;
                const active = meta.sortKey !== undefined && meta.sortKey === sort.key;
                const label = h.column.id.includes(".") ? h.column.id.slice(h.column.id.indexOf(".") + 1) : null;
                return (
                  <th key={h.id} style={{ width: meta.width, textAlign: "left", padding: "6px 8px", borderBottom: "1px solid var(--mantine-color-default-border)", whiteSpace: "nowrap", overflow: "hidden", textOverflow: "ellipsis" }} aria-sort={active ? (sort.desc ? "descending" : "ascending") : undefined} title={h.column.id.includes(".") ? h.column.id : undefined}>
                    {meta.sortKey ? (
                      <UnstyledButton onClick={() => onSort(meta)} fz="sm" fw={600} style={{ display: "inline-flex", alignItems: "center", gap: 2, maxWidth: "100%" }} aria-label={`Sort by ${label ?? String(h.column.columnDef.header)}`}>
                        {flexRender(h.column.columnDef.header, h.getContext())}
                        {label && <span style={{ overflow: "hidden", textOverflow: "ellipsis" }}>{label}</span>}
                        {active && (sort.desc ? <IconArrowDown size={13} /> : <IconArrowUp size={13} />)}
                      </UnstyledButton>
                    ) : (
                      <Text fz="sm" fw={600} span>{flexRender(h.column.columnDef.header, h.getContext())}</Text>
                    )}
                  </th>
                );
              })}
            </tr>
          </thead>
          <tbody>
            {padTop > 0 && <tr style={{ height: padTop }} aria-hidden />}
            {items.map((vi) => {
              const row = rows[vi.index]!;
              return (
                <tr key={row.id} data-testid={`run-row-${row.id}`} data-index={vi.index} aria-selected={row.getIsSelected()} style={{ height: ROW_HEIGHT, borderBottom: "1px solid var(--mantine-color-default-border)", background: row.getIsSelected() ? "var(--mantine-primary-color-light)" : undefined }}>
                  {row.getVisibleCells().map((cell) => (
                    <td key={cell.id} style={{ padding: "4px 8px", whiteSpace: "nowrap", overflow: "hidden", textOverflow: "ellipsis" }}>
                      {flexRender(cell.column.columnDef.cell, cell.getContext())}
                    </td>
                  ))}
                </tr>
              );
            })}
            {padBottom > 0 && <tr style={{ height: padBottom }} aria-hidden />}
          </tbody>
        </table>
        {runs.isSuccess && loaded.length === 0 && (
          <Text c="dimmed" ta="center" py="xl" size="sm">{filter ? "No run matches this filter." : "No runs yet. Log one with mlflow.start_run()."}</Text>
        )}
      </div>
      {runs.hasNextPage && (
        <Group justify="center" mt="xs">
          <Button variant="subtle" size="xs" loading={runs.isFetchingNextPage} onClick={() => void runs.fetchNextPage()}>Load more</Button>
        </Group>
      )}
    </Card>
  );
}
