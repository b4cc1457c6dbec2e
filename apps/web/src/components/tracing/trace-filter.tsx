"use client";
import { Button, Group, TextInput } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { IconFilter } from "@tabler/icons-react";
import { useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import type { FormSubmit } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";

/**
 * A filter in MLflow's trace search language, checked as the user types (core's parser, so the
 * message is MLflow's) and applied on Enter only when it parses.
 */
export function TraceFilter({ value, onApply, serverError }: { value: string; onApply: (filter: string) => void; serverError?: string | undefined }) {
  const trpc = useTRPC();
  const [draft, setDraft] = useState(value);
  // a new filter from outside (a link with ?filter=) replaces what is in the box
  useEffect(() => setDraft(value), [value]);
  const [debounced] = useDebouncedValue(draft.trim(), 300);
  const check = useQuery({ ...trpc.tracing.validateFilter.queryOptions({ filter: debounced }), enabled: debounced !== "" });
  const current = debounced === draft.trim() && !check.isPlaceholderData;
  const invalid = current && debounced !== "" && check.data?.valid === false ? check.data.message : undefined;

  function onSubmit(e: FormSubmit) {
    e.preventDefault();
    if (!invalid) onApply(draft.trim());
  }
  return (
    <Group component="form" onSubmit={onSubmit} align="flex-start" gap="xs" role="search" aria-label="Trace search" style={{ flex: 1 }}>
      <TextInput
        label="Filter traces"
        placeholder="tags.env = 'prod' AND trace.execution_time_ms > 500"
        leftSection={<IconFilter size={16} />}
        value={draft}
        onChange={(e) => setDraft(e.currentTarget.value)}
        error={invalid ?? (draft.trim() === value ? serverError : undefined)}
        data-testid="trace-filter"
        styles={{ input: { fontFamily: "var(--mantine-font-family-monospace)" } }}
        style={{ flex: 1, minWidth: 280 }}
      />
      <Button type="submit" mt={25} variant="light" disabled={Boolean(invalid)}>Apply</Button>
      {value && (
        <Button mt={25} variant="subtle" onClick={() => { setDraft(""); onApply(""); }}>Clear</Button>
      )}
    </Group>
  );
}
