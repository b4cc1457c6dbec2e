"use client";
import { Badge, Button, Card, Group, Modal, Text, UnstyledButton } from "@mantine/core";
import { IconArrowDown, IconArrowUp, IconTrash } from "@tabler/icons-react";
import { flexRender, getCoreRowModel, useReactTable, type RowSelectionState } from "@tanstack/react-table";
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { PortalTrace } from "@modelgate/core";
import { useEffect, useMemo, useRef, useState } from "react";
import { notifyAndRefresh, notifyError } from "@/components/shared/notify";
import { useTRPC } from "@/lib/trpc";
import { assessmentNames } from "./format";
import { RunFilter } from "@/components/tracking/run-filter";
import { TraceRetention } from "./trace-retention";
import { selectColumn, traceColumns, type TraceColumnMeta, type TraceSortKey } from "./traces-columns";

const PAGE = 50;
/** While the tab is open (and the browser tab visible) the first page is polled for new traces. */
const LIVE_INTERVAL = 3_000;
const MAX_DELETE = 100; // DeleteTraces' limit per call

interface Sort {
  key: TraceSortKey;
  ascending: boolean;
}

/**
 * An experiment's GenAI traces: filtered and ordered on the server, paged on demand, with new
 * traces arriving live at the top (highlighted until the user takes them in).
 */
export function TracesTable({ experimentId, filter, onFilter, canEdit, canManage }: { experimentId: string; filter: string; onFilter: (f: string) => void; canEdit: boolean; canManage: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [sort, setSort] = useState<Sort>({ key: "timestamp_ms", ascending: false });
  const params = { experiment_ids: [experimentId], ...(filter ? { filter } : {}), order_by: [`${sort.key} ${sort.ascending ? "ASC" : "DESC"}`], max_results: PAGE };
  const list = useInfiniteQuery(trpc.tracing.search.infiniteQueryOptions(params, { getNextPageParam: (last) => last.next || undefined }));
  // the first page again, every few seconds: what is new, and fresher copies of what is shown
  const live = useQuery({ ...trpc.tracing.search.queryOptions(params), enabled: list.isSuccess, refetchInterval: LIVE_INTERVAL });
  const count = useQuery({ ...trpc.tracing.count.queryOptions({ experiment_ids: [experimentId], ...(filter ? { filter } : {}) }), enabled: !list.isError, refetchInterval: LIVE_INTERVAL });

  const { traces, arrived } = useMemo(() => {
    const loaded = list.data?.pages.flatMap((p) => p.traces) ?? [];
    const known = new Set(loaded.map((t) => t.trace_id));
    const fresh = new Map((live.data?.traces ?? []).map((t) => [t.trace_id, t]));
    const arrivedList = list.isSuccess ? (live.data?.traces ?? []).filter((t) => !known.has(t.trace_id)) : [];
    const seen = new Set<string>();
    const rows: PortalTrace[] = [];
    // pages are offsets: a trace that arrived may push one already listed onto the next page
    for (const t of [...arrivedList, ...loaded.map((r) => fresh.get(r.trace_id) ?? r)]) {
      if (seen.has(t.trace_id)) continue;
      seen.add(t.trace_id);
      rows.push(t);
    }
    return { traces: rows, arrived: new Set(arrivedList.map((t) => t.trace_id)) };
  }, [list.data, list.isSuccess, live.data]);

  const names = useMemo(() => assessmentNames(traces), [traces]);
  const columns = useMemo(() => [...(canEdit ? [selectColumn()] : []), ...traceColumns(names)], [canEdit, names]);
  const [selection, setSelection] = useState<RowSelectionState>({});
  useEffect(() => setSelection({}), [filter, experimentId]);
  const table = useReactTable({
    data: traces,
    columns,
    getRowId: (t) => t.trace_id,
    getCoreRowModel: getCoreRowModel(),
    manualSorting: true,
    enableRowSelection: canEdit,
    state: { rowSelection: selection },
    onRowSelectionChange: setSelection,
  });
  const selected = Object.keys(selection).filter((id) => selection[id]);

  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.tracing.pathKey() });
  const [confirming, setConfirming] = useState(false);
  const remove = useMutation(
    trpc.tracing.delete.mutationOptions({
      onSuccess: notifyAndRefresh((r) => `${r.traces_deleted} trace${r.traces_deleted === 1 ? "" : "s"} deleted`, refresh),
      onError: notifyError,
    }),
  );
  const onDelete = () =>
    remove.mutate({ experiment_id: experimentId, trace_ids: selected.slice(0, MAX_DELETE) }, { onSuccess: () => { setSelection({}); setConfirming(false); } });

  const scrollRef = useRef<HTMLDivElement>(null);
  const takeIn = () => {
    void list.refetch();
    scrollRef.current?.scrollTo({ top: 0 });
  };
  function onSort(key: TraceSortKey) {
    setSort((s) => (s.key === key ? { key, ascending: !s.ascending } : { key, ascending: false }));
    scrollRef.current?.scrollTo({ top: 0 });
  }

  const total = count.data;
  const minWidth = table.getVisibleLeafColumns().reduce((w, c) => w + (c.columnDef.meta as TraceColumnMeta).width, 0);
  return (
    <Card withBorder p="sm" data-testid="traces">
      <Group align="flex-start" mb="sm" gap="sm">
        <RunFilter target="traces" value={filter} onApply={onFilter} serverError={list.error?.message} />
        <Group mt={25} gap="xs">
          <TraceRetention experimentId={experimentId} canManage={canManage} />
        </Group>
      </Group>
      <Group justify="space-between" mb="xs" mih={28}>
        <Group gap="sm">
          <Text size="sm" c="dimmed" data-testid="traces-count">
            {list.isError ? "No traces: the filter was not applied" : list.isPending ? "…" : `${total ?? traces.length} trace${(total ?? traces.length) === 1 ? "" : "s"}`}
          </Text>
          <Badge variant="dot" color="green" size="sm" title={`Checked for new traces every ${LIVE_INTERVAL / 1000} s`}>live</Badge>
          {arrived.size > 0 && (
            <Button size="compact-xs" variant="light" color="blue" onClick={takeIn} data-testid="traces-new">
              {arrived.size} new trace{arrived.size === 1 ? "" : "s"}
            </Button>
          )}
        </Group>
        {canEdit && selected.length > 0 && (
          <Button size="xs" color="red" variant="light" leftSection={<IconTrash size={14} />} onClick={() => setConfirming(true)} data-testid="traces-delete">
            Delete {selected.length}
          </Button>
        )}
      </Group>
      <div ref={scrollRef} style={{ maxHeight: "calc(100vh - 360px)", minHeight: 120, overflow: "auto", position: "relative" }}>
        <table aria-label="Traces" data-testid="traces-table" style={{ width: "100%", minWidth, tableLayout: "fixed", borderCollapse: "collapse", fontSize: "var(--mantine-font-size-sm)" }}>
          <thead style={{ position: "sticky", top: 0, zIndex: 1, background: "var(--mantine-color-body)" }}>
            <tr>
              {table.getFlatHeaders().map((h) => {
                const meta = h.column.columnDef.meta as TraceColumnMeta;
                const active = meta.sort === sort.key;
                const isAssessment = h.column.id.startsWith("assessment.");
                return (
                  <th
                    key={h.id}
                    data-column={h.column.id}
                    aria-sort={active ? (sort.ascending ? "ascending" : "descending") : undefined}
                    style={{ width: meta.flex ? undefined : meta.width, textAlign: "left", padding: "6px 8px", borderBottom: "1px solid var(--mantine-color-default-border)", whiteSpace: "nowrap", overflow: "hidden", textOverflow: "ellipsis" }}
                  >
                    {meta.sort ? (
                      <UnstyledButton onClick={() => onSort(meta.sort!)} fz="sm" fw={600} style={{ display: "inline-flex", alignItems: "center", gap: 2 }} aria-label={`Sort by ${String(h.column.columnDef.header)}`}>
                        {flexRender(h.column.columnDef.header, h.getContext())}
                        {active && (sort.ascending ? <IconArrowUp size={13} /> : <IconArrowDown size={13} />)}
                      </UnstyledButton>
                    ) : (
                      <Text fz="sm" fw={600} span title={isAssessment ? `Assessment ${String(h.column.columnDef.header)}` : undefined} c={isAssessment ? "violet" : undefined}>
                        {flexRender(h.column.columnDef.header, h.getContext())}
                      </Text>
                    )}
                  </th>
                );
              })}
            </tr>
          </thead>
          <tbody>
            {table.getRowModel().rows.map((row) => {
              const isNew = arrived.has(row.id);
              return (
                <tr
                  key={row.id}
                  data-testid={`trace-row-${row.id}`}
                  data-new={isNew || undefined}
                  style={{
                    height: 37,
                    borderBottom: "1px solid var(--mantine-color-default-border)",
                    background: isNew ? "var(--mantine-color-blue-light)" : row.getIsSelected() ? "var(--mantine-color-default-hover)" : undefined,
                    boxShadow: isNew ? "inset 3px 0 0 var(--mantine-color-blue-filled)" : undefined,
                  }}
                >
                  {row.getVisibleCells().map((cell) => (
                    <td key={cell.id} data-column={cell.column.id} style={{ padding: "4px 8px", whiteSpace: "nowrap", overflow: "hidden", textOverflow: "ellipsis" }}>
                      {flexRender(cell.column.columnDef.cell, cell.getContext())}
                    </td>
                  ))}
                </tr>
              );
            })}
          </tbody>
        </table>
        {list.isSuccess && traces.length === 0 && (
          <Text c="dimmed" ta="center" py="xl" size="sm" data-testid="traces-empty">
            {filter ? "No trace matches this filter." : "No traces yet. Call mlflow.set_experiment(...) and run your app with mlflow.openai.autolog() or @mlflow.trace."}
          </Text>
        )}
      </div>
      {list.hasNextPage && (
        <Group justify="center" mt="xs">
          <Button variant="subtle" size="xs" loading={list.isFetchingNextPage} onClick={() => void list.fetchNextPage()} data-testid="traces-next-page">Next page</Button>
        </Group>
      )}
      <Modal opened={confirming} onClose={() => setConfirming(false)} title="Delete traces" centered>
        <Text size="sm" mb="md">
          Delete {Math.min(selected.length, MAX_DELETE)} trace{selected.length === 1 ? "" : "s"} with their spans and assessments? This cannot be undone.
          {selected.length > MAX_DELETE && ` (At most ${MAX_DELETE} at a time.)`}
        </Text>
        <Group justify="flex-end">
          <Button variant="default" onClick={() => setConfirming(false)}>Cancel</Button>
          <Button color="red" onClick={onDelete} loading={remove.isPending} data-testid="traces-delete-confirm">Delete</Button>
        </Group>
      </Modal>
    </Card>
  );
}
