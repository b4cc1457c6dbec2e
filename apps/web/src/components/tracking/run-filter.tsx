"use client";
import { Button, Group, TextInput } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { IconFilter } from "@tabler/icons-react";
import { useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import type { FormSubmit } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";

/** What the box filters: runs, an experiment's logged models or its traces (the same language, other keys). */
export type FilterTarget = "runs" | "models" | "traces";

const TEXT: Record<FilterTarget, { label: string; search: string; example: string; testId: string }> = {
  runs: { label: "Filter runs", search: "Run search", example: "metrics.rmse < 1 and params.model = 'tree'", testId: "run-filter" },
  models: { label: "Filter models", search: "Model search", example: "metrics.accuracy > 0.9 and params.alpha = '0.1'", testId: "model-filter" },
  traces: { label: "Filter traces", search: "Trace search", example: "tags.env = 'prod' AND trace.execution_time_ms > 500", testId: "trace-filter" },
};

/**
 * The filter in MLflow's search language. Checked as the user types (core's parser, so the
 * message is MLflow's) and applied on Enter only when it parses.
 */
export function RunFilter({ value, onApply, serverError, target = "runs" }: { value: string; onApply: (filter: string) => void; serverError?: string | undefined; target?: FilterTarget }) {
  const trpc = useTRPC();
  const [draft, setDraft] = useState(value);
  // a new filter from outside (a link with ?filter=) replaces what is in the box
  useEffect(() => setDraft(value), [value]);
  const [debounced] = useDebouncedValue(draft.trim(), 300);
  // one of the parsers, by target (the other queries stay disabled)
  const runCheck = useQuery({ ...trpc.tracking.runs.validateFilter.queryOptions({ filter: debounced }), enabled: target === "runs" && debounced !== "" });
  const modelCheck = useQuery({ ...trpc.loggedModels.validateFilter.queryOptions({ filter: debounced }), enabled: target === "models" && debounced !== "" });
  const traceCheck = useQuery({ ...trpc.tracing.validateFilter.queryOptions({ filter: debounced }), enabled: target === "traces" && debounced !== "" });
  const check = { runs: runCheck, models: modelCheck, traces: traceCheck }[target];
  const text = TEXT[target];
  // only a verdict on what is in the box now counts; a stale one must not block Enter
  const current = debounced === draft.trim() && !check.isPlaceholderData;
  const invalid = current && debounced !== "" && check.data?.valid === false ? check.data.message : undefined;

  function onSubmit(e: FormSubmit) {
    e.preventDefault();
    if (!invalid) onApply(draft.trim());
  }
  return (
    <Group component="form" onSubmit={onSubmit} align="flex-start" gap="xs" role="search" aria-label={text.search} style={{ flex: 1 }}>
      <TextInput
        label={text.label}
        placeholder={text.example}
        leftSection={<IconFilter size={16} />}
        value={draft}
        onChange={(e) => setDraft(e.currentTarget.value)}
        error={invalid ?? (draft.trim() === value ? serverError : undefined)}
        data-testid={text.testId}
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
