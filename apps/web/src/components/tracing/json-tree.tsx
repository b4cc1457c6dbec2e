"use client";
import { Button, Group, Text, TextInput, UnstyledButton } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { IconChevronDown, IconChevronRight, IconSearch } from "@tabler/icons-react";
import { useMemo, useState, type ReactNode } from "react";

// A JSON value as a collapsible tree: the top level open, deeper levels closed; a search box keeps
// the branches holding a matching key or value, opens them, and marks the matches.

type Json = unknown;
const isContainer = (v: Json): v is Record<string, Json> | Json[] => typeof v === "object" && v !== null;
const LONG = 400;

function scalarText(v: Json): string {
  if (typeof v === "string") return v;
  if (v === null || v === undefined) return "null";
  return String(v);
}

/** The containers (by identity) that hold a match for `q` somewhere below them. */
function containersWithHits(root: Json, q: string): Set<object> {
  const hits = new Set<object>();
  const walk = (v: Json): boolean => {
    if (!isContainer(v)) return scalarText(v).toLowerCase().includes(q);
    let any = false;
    for (const [k, child] of Object.entries(v)) {
      const keyHit = !Array.isArray(v) && k.toLowerCase().includes(q);
      if (walk(child) || keyHit) any = true;
    }
    if (any) hits.add(v);
    return any;
  };
  walk(root);
  return hits;
}

function Highlight({ text, q }: { text: string; q: string }): ReactNode {
  if (!q) return text;
  const lower = text.toLowerCase();
  const parts: ReactNode[] = [];
  let at = 0;
  for (let i = lower.indexOf(q); i >= 0; i = lower.indexOf(q, at)) {
    parts.push(text.slice(at, i), <mark key={i} data-testid="json-match">{text.slice(i, i + q.length)}</mark>);
    at = i + q.length;
  }
  parts.push(text.slice(at));
  return parts;
}

const SCALAR_COLOR = (v: Json) => (typeof v === "string" ? "teal.8" : typeof v === "number" ? "blue.7" : typeof v === "boolean" ? "orange.8" : "dimmed");

function Scalar({ value, q }: { value: Json; q: string }) {
  const [full, setFull] = useState(false);
  const text = scalarText(value);
  const cut = !full && !q && text.length > LONG;
  const shown = cut ? `${text.slice(0, LONG)}…` : text;
  return (
    <Text span ff="monospace" fz="xs" c={SCALAR_COLOR(value)} style={{ whiteSpace: "pre-wrap", wordBreak: "break-word" }}>
      {typeof value === "string" ? <>&quot;<Highlight text={shown} q={q} />&quot;</> : <Highlight text={shown} q={q} />}
      {cut && (
        <UnstyledButton fz="xs" c="blue" ml={4} onClick={() => setFull(true)}>show all {text.length} characters</UnstyledButton>
      )}
    </Text>
  );
}

function Node({ name, value, depth, q, hits, openAll }: { name: string | null; value: Json; depth: number; q: string; hits: Set<object>; openAll: boolean | null }) {
  const [open, setOpen] = useState(openAll ?? depth === 0);
  const label = name === null ? null : (
    <Text span ff="monospace" fz="xs" fw={500} c="violet.8" data-testid="json-key">
      <Highlight text={name} q={q} />:{" "}
    </Text>
  );
  if (!isContainer(value)) {
    return (
      <div style={{ paddingLeft: 18 }} data-testid="json-leaf">
        {label}
        <Scalar value={value} q={q} />
      </div>
    );
  }
  const entries = Object.entries(value);
  const array = Array.isArray(value);
  const searching = q !== "";
  const expanded = searching ? hits.has(value) || open : open;
  const shown = searching && hits.has(value) ? entries.filter(([k, v]) => (isContainer(v) ? hits.has(v) : scalarText(v).toLowerCase().includes(q)) || (!array && k.toLowerCase().includes(q))) : entries;
  const summary = array ? `[${entries.length} item${entries.length === 1 ? "" : "s"}]` : `{${entries.length} key${entries.length === 1 ? "" : "s"}}`;
  return (
    <div>
      <UnstyledButton onClick={() => setOpen(!expanded)} aria-expanded={expanded} style={{ display: "flex", alignItems: "center", gap: 2 }} data-testid="json-node">
        {expanded ? <IconChevronDown size={14} /> : <IconChevronRight size={14} />}
        {label}
        <Text span ff="monospace" fz="xs" c="dimmed">{summary}</Text>
      </UnstyledButton>
      {expanded && (
        <div style={{ paddingLeft: 14, borderLeft: "1px solid var(--mantine-color-default-border)", marginLeft: 6 }}>
          {shown.map(([k, v]) => (
            <Node key={k} name={array ? `${k}` : k} value={v} depth={depth + 1} q={q} hits={hits} openAll={openAll} />
          ))}
          {entries.length === 0 && <Text fz="xs" c="dimmed" pl={18}>empty</Text>}
        </div>
      )}
    </div>
  );
}

/** A JSON value for people: collapsible, searchable. `testId` names the whole view. */
export function JsonTree({ value, testId, empty = "Nothing recorded." }: { value: Json; testId: string; empty?: string }) {
  const [search, setSearch] = useState("");
  const [debounced] = useDebouncedValue(search.trim().toLowerCase(), 150);
  // expand / collapse all: remounts the tree with every node open or closed
  const [openAll, setOpenAll] = useState<{ open: boolean | null; version: number }>({ open: null, version: 0 });
  const hits = useMemo(() => (debounced ? containersWithHits(value, debounced) : new Set<object>()), [value, debounced]);
  if (value === null || value === undefined) return <Text size="sm" c="dimmed" data-testid={testId}>{empty}</Text>;
  const container = isContainer(value);
  const noMatch = debounced !== "" && (container ? !hits.has(value) : !scalarText(value).toLowerCase().includes(debounced));
  return (
    <div data-testid={testId}>
      <Group gap="xs" mb="xs">
        <TextInput size="xs" placeholder="Search keys and values" leftSection={<IconSearch size={14} />} value={search} onChange={(e) => setSearch(e.currentTarget.value)} style={{ flex: 1 }} aria-label="Search JSON" data-testid={`${testId}-search`} />
        {container && (
          <>
            <Button size="compact-xs" variant="subtle" onClick={() => setOpenAll((s) => ({ open: true, version: s.version + 1 }))}>Expand all</Button>
            <Button size="compact-xs" variant="subtle" onClick={() => setOpenAll((s) => ({ open: false, version: s.version + 1 }))}>Collapse all</Button>
          </>
        )}
      </Group>
      {noMatch ? (
        <Text size="sm" c="dimmed">No key or value contains “{debounced}”.</Text>
      ) : (
        <div style={{ overflowX: "auto" }}>
          <Node key={openAll.version} name={null} value={value} depth={0} q={debounced} hits={hits} openAll={openAll.open} />
        </div>
      )}
    </div>
  );
}
