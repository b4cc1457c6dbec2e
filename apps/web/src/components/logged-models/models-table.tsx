"use client";
import { Button, Card, Group, Text, UnstyledButton } from "@mantine/core";
import { IconArrowDown, IconArrowUp } from "@tabler/icons-react";
import { flexRender, getCoreRowModel, useReactTable } from "@tanstack/react-table";
import { keepPreviousData, useInfiniteQuery, useQuery } from "@tanstack/react-query";
import type { LoggedModelView } from "@modelgate/core";
import { useEffect, useMemo, useRef, useState } from "react";
import { ColumnChooser, columnId, useVisibleColumns } from "@/components/tracking/column-chooser";
import { RunFilter } from "@/components/tracking/run-filter";
import { useTRPC } from "@/lib/trpc";
import { metricColumnsOf, paramKeysOf, tagKeysOf } from "./format";
import { leadingColumns, metricColumn, paramColumn, sameSort, tagColumn, trailingColumns, type ModelColumnMeta, type ModelSort } from "./models-columns";

const PAGE = 50; // logged-models/search's maximum
const DEFAULT_SORT: ModelSort = { field: "creation_timestamp", ascending: false };

/** The source runs' names, for the loaded models (one runs/search by id). */
function useRunNames(experimentId: string, models: readonly LoggedModelView[]): Map<string, string> {
  const trpc = useTRPC();
  const ids = [...new Set(models.map((m) => m.info.source_run_id).filter(Boolean))].sort();
  const runs = useQuery({
    ...trpc.tracking.runs.search.queryOptions({
      experiment_ids: [experimentId],
      filter: `attributes.run_id IN (${ids.map((id) => `'${id}'`).join(", ")})`,
      run_view_type: "ALL",
      max_results: Math.max(ids.length, 1),
    }),
    enabled: ids.length > 0,
    placeholderData: keepPreviousData,
  });
  return useMemo(() => new Map((runs.data?.runs ?? []).map((r) => [r.info.run_id, r.info.run_name || r.info.run_id.slice(0, 8)])), [runs.data]);
}

/** An experiment's logged models (MLflow 3): filtered and sorted on the server, paged as the list scrolls. */
export function LoggedModelsTable({ experimentId }: { experimentId: string }) {
  const trpc = useTRPC();
  const [filter, setFilter] = useState("");
  const [sort, setSort] = useState<ModelSort>(DEFAULT_SORT);
  const order_by = [{ field_name: sort.field, ascending: sort.ascending, ...(sort.dataset ? { dataset_name: sort.dataset.name, ...(sort.dataset.digest ? { dataset_digest: sort.dataset.digest } : {}) } : {}) }];
  const query = useInfiniteQuery(
    trpc.loggedModels.search.infiniteQueryOptions(
      { experiment_ids: [experimentId], ...(filter ? { filter } : {}), order_by, max_results: PAGE },
      { getNextPageParam: (last) => last.next_page_token || undefined },
    ),
  );
  const models = useMemo(() => query.data?.pages.flatMap((p) => p.models) ?? [], [query.data]);
  const runNames = useRunNames(experimentId, models);

  // the data columns the loaded models offer; metric columns by label (a key, or a key on one dataset)
  const metricRefs = useMemo(() => metricColumnsOf(models), [models]);
  const available = useMemo(() => ({ metrics: metricRefs.map((r) => r.label), params: paramKeysOf(models), tags: tagKeysOf(models) }), [metricRefs, models]);
  const [visible, setVisible] = useVisibleColumns(`modelgate.loggedModels.columns.${experimentId}`, available);
  const columns = useMemo(
    () => [
      ...leadingColumns(runNames),
      ...metricRefs.filter((r) => visible.has(columnId("metrics", r.label))).map(metricColumn),
      ...available.params.filter((k) => visible.has(columnId("params", k))).map(paramColumn),
      ...available.tags.filter((k) => visible.has(columnId("tags", k))).map(tagColumn),
      ...trailingColumns(),
    ],
    [runNames, metricRefs, available, visible],
  );
  const table = useReactTable({ data: models, columns, getRowId: (m) => m.info.model_id, getCoreRowModel: getCoreRowModel(), manualSorting: true });

  // infinite scroll: the next page when the end of the list comes into view
  const scrollRef = useRef<HTMLDivElement>(null);
  const endRef = useRef<HTMLDivElement>(null);
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = query;
  useEffect(() => {
    const end = endRef.current;
    if (!end || !hasNextPage) return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting) && !isFetchingNextPage) void fetchNextPage();
    }, { root: scrollRef.current });
    observer.observe(end);
    return () => observer.disconnect();
  }, [hasNextPage, isFetchingNextPage, fetchNextPage]);

  function onSort(meta: ModelColumnMeta) {
    if (!meta.sort) return;
    const next = meta.sort;
    setSort((s) => (sameSort(next, s) ? { ...s, ascending: !s.ascending } : { ...next, ascending: false }));
    scrollRef.current?.scrollTo({ top: 0 });
  }

  const width = table.getVisibleLeafColumns().reduce((w, c) => w + (c.columnDef.meta as ModelColumnMeta).width, 0);
  return (
    <Card withBorder p="sm" data-testid="logged-models">
      <Group align="flex-start" mb="sm" gap="sm">
        <RunFilter target="models" value={filter} onApply={setFilter} serverError={query.error?.message} />
        <ColumnChooser available={available} visible={visible} onChange={setVisible} />
      </Group>
      <Text size="sm" c="dimmed" mb="xs" data-testid="logged-models-count">
        {query.isError ? "No models: the filter was not applied" : query.isPending ? "…" : `${models.length}${hasNextPage ? "+" : ""} model${models.length === 1 ? "" : "s"}`}
      </Text>
      <div ref={scrollRef} style={{ maxHeight: "calc(100vh - 330px)", minHeight: 120, overflow: "auto", position: "relative" }}>
        <table aria-label="Logged models" data-testid="logged-models-table" style={{ width, tableLayout: "fixed", borderCollapse: "collapse", fontSize: "var(--mantine-font-size-sm)" }}>
          <thead style={{ position: "sticky", top: 0, zIndex: 1, background: "var(--mantine-color-body)" }}>
            <tr>
              {table.getFlatHeaders().map((h) => {
                const meta = h.column.columnDef.meta as ModelColumnMeta;
                const active = sameSort(meta.sort, sort);
                const label = h.column.id.includes(".") ? h.column.id.slice(h.column.id.indexOf(".") + 1) : null;
                return (
                  <th key={h.id} style={{ width: meta.width, textAlign: "left", padding: "6px 8px", borderBottom: "1px solid var(--mantine-color-default-border)", whiteSpace: "nowrap", overflow: "hidden", textOverflow: "ellipsis" }} aria-sort={active ? (sort.ascending ? "ascending" : "descending") : undefined} title={label ?? undefined}>
                    {meta.sort ? (
                      <UnstyledButton onClick={() => onSort(meta)} fz="sm" fw={600} style={{ display: "inline-flex", alignItems: "center", gap: 2, maxWidth: "100%" }} aria-label={`Sort by ${label ?? String(h.column.columnDef.header)}`}>
                        {flexRender(h.column.columnDef.header, h.getContext())}
                        {label && <span style={{ overflow: "hidden", textOverflow: "ellipsis" }}>{label}</span>}
                        {active && (sort.ascending ? <IconArrowUp size={13} /> : <IconArrowDown size={13} />)}
                      </UnstyledButton>
                    ) : (
                      <Text fz="sm" fw={600} span>
                        {flexRender(h.column.columnDef.header, h.getContext())}
                        {label}
                      </Text>
                    )}
                  </th>
                );
              })}
            </tr>
          </thead>
          <tbody>
            {table.getRowModel().rows.map((row) => (
              <tr key={row.id} data-testid={`logged-model-row-${row.id}`} style={{ height: 37, borderBottom: "1px solid var(--mantine-color-default-border)" }}>
                {row.getVisibleCells().map((cell) => (
                  <td key={cell.id} data-column={cell.column.id} style={{ padding: "4px 8px", whiteSpace: "nowrap", overflow: "hidden", textOverflow: "ellipsis" }}>
                    {flexRender(cell.column.columnDef.cell, cell.getContext())}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
        {query.isSuccess && models.length === 0 && (
          <Text c="dimmed" ta="center" py="xl" size="sm" data-testid="logged-models-empty">
            {filter ? "No model matches this filter." : "No models logged yet. Log one with mlflow.<flavor>.log_model(model, name=\"model\")."}
          </Text>
        )}
        <div ref={endRef} style={{ height: 1 }} />
      </div>
      {hasNextPage && (
        <Group justify="center" mt="xs">
          <Button variant="subtle" size="xs" loading={isFetchingNextPage} onClick={() => void fetchNextPage()}>Load more</Button>
        </Group>
      )}
    </Card>
  );
}
