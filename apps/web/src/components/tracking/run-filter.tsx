"use client";
import { Button, Group, TextInput } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { IconFilter } from "@tabler/icons-react";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import type { FormSubmit } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";

/** What the box filters: runs, or an experiment's logged models (the same language, other keys). */
export type FilterTarget = "runs" | "models";

const TEXT: Record<FilterTarget, { label: string; search: string; example: string; testId: string }> = {
  runs: { label: "Filter runs", search: "Run search", example: "metrics.rmse < 1 and params.model = 'tree'", testId: "run-filter" },
  models: { label: "Filter models", search: "Model search", example: "metrics.accuracy > 0.9 and params.alpha = '0.1'", testId: "model-filter" },
};

/**
 * The filter in MLflow's search language. Checked as the user types (core's parser, so the
 * message is MLflow's) and applied on Enter only when it parses.
 */
export function RunFilter({ value, onApply, serverError, target = "runs" }: { value: string; onApply: (filter: string) => void; serverError?: string | undefined; target?: FilterTarget }) {
  const trpc = useTRPC();
  const [draft, setDraft] = useState(value);
  const [debounced] = useDebouncedValue(draft.trim(), 300);
  // one of the two parsers, by target (the other query stays disabled)
  const runCheck = useQuery({ ...trpc.tracking.runs.validateFilter.queryOptions({ filter: debounced }), enabled: target === "runs" && debounced !== "" });
  const modelCheck = useQuery({ ...trpc.loggedModels.validateFilter.queryOptions({ filter: debounced }), enabled: target === "models" && debounced !== "" });
  const check = target === "runs" ? runCheck : modelCheck;
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
