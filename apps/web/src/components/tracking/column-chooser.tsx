"use client";
import { Button, Checkbox, Group, Popover, ScrollArea, Stack, Text, TextInput } from "@mantine/core";
import { IconColumns } from "@tabler/icons-react";
import { useMemo, useState } from "react";

export type ColumnKind = "metrics" | "params" | "tags";
export type ColumnId = `${ColumnKind}.${string}`;
export const columnId = (kind: ColumnKind, key: string): ColumnId => `${kind}.${key}`;

/**
 * The visible data columns of a table, remembered under `storageKey` in this browser. Until the
 * user chooses: what they chose there before, else the first `perKind` metrics and params.
 */
export function useVisibleColumns(storageKey: string, available: Record<ColumnKind, string[]> | undefined, perKind = 10) {
  const [chosen, setChosen] = useState<Set<ColumnId> | null>(null);
  const initial = useMemo(() => {
    if (!available || typeof window === "undefined") return new Set<ColumnId>();
    const stored = window.localStorage.getItem(storageKey);
    if (stored) return new Set(JSON.parse(stored) as ColumnId[]);
    return new Set([...available.metrics.slice(0, perKind).map((k) => columnId("metrics", k)), ...available.params.slice(0, perKind).map((k) => columnId("params", k))]);
  }, [available, storageKey, perKind]);
  const update = (next: Set<ColumnId>) => {
    setChosen(next);
    window.localStorage.setItem(storageKey, JSON.stringify([...next]));
  };
  return [chosen ?? initial, update] as const;
}

/** Which metric, param and tag columns a table (runs, logged models) shows. */
export function ColumnChooser({ available, visible, onChange }: { available: Record<ColumnKind, string[]>; visible: Set<ColumnId>; onChange: (next: Set<ColumnId>) => void }) {
  const [q, setQ] = useState("");
  const toggle = (id: ColumnId, on: boolean) => {
    const next = new Set(visible);
    if (on) next.add(id);
    else next.delete(id);
    onChange(next);
  };
  const setAll = (kind: ColumnKind, on: boolean) => {
    const next = new Set(visible);
    for (const k of available[kind]) {
      if (on) next.add(columnId(kind, k));
      else next.delete(columnId(kind, k));
    }
    onChange(next);
  };
  return (
    <Popover position="bottom-end" width={320} shadow="md" withinPortal>
      <Popover.Target>
        <Button variant="default" leftSection={<IconColumns size={16} />} mt={25}>
          Columns ({visible.size})
        </Button>
      </Popover.Target>
      <Popover.Dropdown aria-label="Choose columns" data-testid="column-chooser">
        <TextInput placeholder="Find a column…" value={q} onChange={(e) => setQ(e.currentTarget.value)} mb="xs" aria-label="Find a column" />
        <ScrollArea.Autosize mah={380}>
          <Stack gap="sm">
            {(["metrics", "params", "tags"] as const).map((kind) => {
              const keys = available[kind].filter((k) => k.toLowerCase().includes(q.toLowerCase()));
              if (!keys.length) return null;
              return (
                <Stack key={kind} gap={4}>
                  <Group justify="space-between">
                    <Text size="xs" fw={700} tt="uppercase" c="dimmed">{kind}</Text>
                    <Group gap={4}>
                      <Button size="compact-xs" variant="subtle" onClick={() => setAll(kind, true)}>All</Button>
                      <Button size="compact-xs" variant="subtle" onClick={() => setAll(kind, false)}>None</Button>
                    </Group>
                  </Group>
                  {keys.map((k) => (
                    <Checkbox key={k} size="xs" label={k} checked={visible.has(columnId(kind, k))} onChange={(e) => toggle(columnId(kind, k), e.currentTarget.checked)} />
                  ))}
                </Stack>
              );
            })}
          </Stack>
        </ScrollArea.Autosize>
      </Popover.Dropdown>
    </Popover>
  );
}
