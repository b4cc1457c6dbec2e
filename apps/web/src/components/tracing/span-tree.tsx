"use client";
import { ActionIcon, Badge, Group, Text, TextInput, Tooltip } from "@mantine/core";
import { IconAlertTriangle, IconChevronDown, IconChevronRight, IconSearch } from "@tabler/icons-react";
import { useVirtualizer } from "@tanstack/react-virtual";
import type { PortalSpanSummary } from "@modelgate/core";
import { useEffect, useMemo, useRef, useState, type KeyboardEvent } from "react";
import { formatLatency, spanTypeColor } from "./format";

const ROW = 30;
const INDENT = 12;
/** Past this depth rows stop moving right, so deep chains keep their names readable. */
const MAX_INDENT_DEPTH = 16;
const TICKS = [0, 0.5, 1];

/** The rows shown: the tree with collapsed branches left out, or (when searching) the matches. */
function visibleSpans(spans: readonly PortalSpanSummary[], collapsed: ReadonlySet<string>, q: string): PortalSpanSummary[] {
  if (q) return spans.filter((s) => s.name.toLowerCase().includes(q) || (s.span_type ?? "").toLowerCase().includes(q) || s.span_id === q);
  const out: PortalSpanSummary[] = [];
  let hideBelow = Infinity;
  for (const s of spans) {
    if (s.depth > hideBelow) continue; // spans come depth-first: a descendant of a collapsed span
    hideBelow = collapsed.has(s.span_id) ? s.depth : Infinity;
    out.push(s);
  }
  return out;
}

/**
 * The spans as a collapsible tree beside a waterfall of their timing. Rows are virtualized, so a
 * trace of thousands of spans renders only what is on screen. Arrow keys move, fold and unfold.
 */
export function SpanTree({ spans, totalMs, selectedId, onSelect }: { spans: readonly PortalSpanSummary[]; totalMs: number; selectedId: string | null; onSelect: (id: string) => void }) {
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(new Set());
  const [search, setSearch] = useState("");
  const q = search.trim().toLowerCase();
  const rows = useMemo(() => visibleSpans(spans, collapsed, q), [spans, collapsed, q]);
  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({ count: rows.length, getScrollElement: () => scrollRef.current, estimateSize: () => ROW, overscan: 12 });
  const total = totalMs > 0 ? totalMs : 1;
  const selectedIndex = rows.findIndex((s) => s.span_id === selectedId);

  // bring the selection into view when it moves (keys, a link), not on every scroll
  const lastSelected = useRef(selectedId);
  useEffect(() => {
    if (lastSelected.current === selectedId) return;
    lastSelected.current = selectedId;
    if (selectedIndex >= 0) virtualizer.scrollToIndex(selectedIndex, { align: "auto" });
  }, [selectedId, selectedIndex, virtualizer]);

  const toggle = (id: string) =>
    setCollapsed((c) => {
      const next = new Set(c);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  function onKeyDown(e: KeyboardEvent<HTMLDivElement>) {
    const cur = rows[selectedIndex];
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      const next = rows[Math.min(rows.length - 1, Math.max(0, selectedIndex + (e.key === "ArrowDown" ? 1 : -1)))];
      if (next) onSelect(next.span_id);
    } else if (cur && e.key === "ArrowLeft" && cur.child_count > 0 && !collapsed.has(cur.span_id)) toggle(cur.span_id);
    else if (cur && e.key === "ArrowRight" && collapsed.has(cur.span_id)) toggle(cur.span_id);
    else return;
    e.preventDefault();
  }

  const errors = useMemo(() => spans.filter((s) => s.status === "ERROR").length, [spans]);
  return (
    <div data-testid="span-tree">
      <Group gap="xs" mb="xs" wrap="nowrap">
        <TextInput size="xs" placeholder="Find a span by name or type" leftSection={<IconSearch size={14} />} value={search} onChange={(e) => setSearch(e.currentTarget.value)} style={{ flex: 1 }} aria-label="Find span" data-testid="span-search" />
        <Text size="xs" c="dimmed" data-testid="span-count">
          {q ? `${rows.length} of ${spans.length}` : `${spans.length}`} span{spans.length === 1 ? "" : "s"}
        </Text>
        {errors > 0 && <Badge color="red" variant="light" size="sm" leftSection={<IconAlertTriangle size={12} />}>{errors} error{errors === 1 ? "" : "s"}</Badge>}
      </Group>
      <div style={{ display: "grid", gridTemplateColumns: "minmax(0, 1fr) 40%", borderBottom: "1px solid var(--mantine-color-default-border)", paddingBottom: 2 }}>
        <Text size="xs" fw={600} c="dimmed">Span</Text>
        <div style={{ position: "relative", height: 16, marginRight: 64 }}>
          {TICKS.map((t) => (
            <Text key={t} size="10px" c="dimmed" style={{ position: "absolute", left: `${t * 100}%`, transform: t === 0 ? undefined : t === 1 ? "translateX(-100%)" : "translateX(-50%)", whiteSpace: "nowrap" }}>
              {formatLatency(total * t)}
            </Text>
          ))}
        </div>
      </div>
      <div
        ref={scrollRef}
        tabIndex={0}
        role="tree"
        aria-label="Spans"
        onKeyDown={onKeyDown}
        data-testid="span-tree-scroll"
        style={{ height: "calc(100vh - 320px)", minHeight: 320, overflow: "auto", position: "relative", outline: "none" }}
      >
        <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
          {virtualizer.getVirtualItems().map((v) => {
            const s = rows[v.index]!;
            const selected = s.span_id === selectedId;
            const isCollapsed = collapsed.has(s.span_id);
            const left = Math.min(100, (s.offset_ms / total) * 100);
            const width = s.duration_ms === null ? 100 - left : Math.max(0.4, Math.min(100 - left, (s.duration_ms / total) * 100));
            const color = s.status === "ERROR" ? "var(--mantine-color-red-6)" : `var(--mantine-color-${spanTypeColor(s.span_type)}-5)`;
            return (
              <div
                key={s.span_id}
                role="treeitem"
                aria-selected={selected}
                aria-level={s.depth + 1}
                aria-expanded={s.child_count > 0 ? !isCollapsed : undefined}
                data-testid={`span-row-${s.span_id}`}
                data-span-name={s.name}
                onClick={() => onSelect(s.span_id)}
                style={{
                  position: "absolute",
                  top: 0,
                  left: 0,
                  right: 0,
                  height: ROW,
                  transform: `translateY(${v.start}px)`,
                  display: "grid",
                  gridTemplateColumns: "minmax(0, 1fr) 40%",
                  alignItems: "center",
                  cursor: "pointer",
                  background: selected ? "var(--mantine-color-blue-light)" : v.index % 2 ? "var(--mantine-color-default-hover)" : undefined,
                  borderLeft: selected ? "3px solid var(--mantine-color-blue-filled)" : "3px solid transparent",
                }}
              >
                <Group gap={4} wrap="nowrap" pl={Math.min(s.depth, MAX_INDENT_DEPTH) * INDENT} pr={6} style={{ minWidth: 0 }}>
                  {s.child_count > 0 && !q ? (
                    <ActionIcon
                      size="xs"
                      variant="subtle"
                      color="gray"
                      aria-label={`${isCollapsed ? "Expand" : "Collapse"} ${s.name}`}
                      onClick={(e) => {
                        e.stopPropagation();
                        toggle(s.span_id);
                      }}
                    >
                      {isCollapsed ? <IconChevronRight size={14} /> : <IconChevronDown size={14} />}
                    </ActionIcon>
                  ) : (
                    <span style={{ width: 18, flexShrink: 0 }} />
                  )}
                  {s.status === "ERROR" && <IconAlertTriangle size={14} color="var(--mantine-color-red-6)" style={{ flexShrink: 0 }} aria-label="error" />}
                  <Text size="sm" truncate="end" fw={selected ? 600 : 400} style={{ minWidth: 0, flex: 1 }} title={s.name}>{s.name}</Text>
                  {s.span_type && <Badge size="xs" variant="light" color={spanTypeColor(s.span_type)} style={{ flexShrink: 0 }}>{s.span_type}</Badge>}
                  {isCollapsed && <Badge size="xs" variant="outline" color="gray" style={{ flexShrink: 0 }}>+{s.child_count}</Badge>}
                </Group>
                <Group gap={6} wrap="nowrap" pr={6}>
                  <Tooltip label={`starts at ${formatLatency(s.offset_ms)}, lasts ${formatLatency(s.duration_ms)}`} openDelay={300}>
                    <div style={{ position: "relative", height: 12, flex: 1 }}>
                      <div data-testid="span-bar" style={{ position: "absolute", left: `${left}%`, width: `${width}%`, top: 0, bottom: 0, borderRadius: 3, background: color, opacity: s.duration_ms === null ? 0.4 : 0.9, minWidth: 2 }} />
                    </div>
                  </Tooltip>
                  <Text size="xs" c="dimmed" style={{ flexShrink: 0, width: 52, textAlign: "right" }} data-testid="span-duration">{formatLatency(s.duration_ms)}</Text>
                </Group>
              </div>
            );
          })}
        </div>
        {rows.length === 0 && <Text size="sm" c="dimmed" ta="center" py="md">{q ? "No span matches." : "No spans recorded for this trace yet."}</Text>}
      </div>
    </div>
  );
}
