import type { AssessmentRow, PortalTrace } from "@modelgate/core";

// Client-side helpers of the tracing views (no runtime import of @modelgate/core).

/** A trace's page in the portal. */
export const traceHref = (experimentId: string, traceId: string) => `/experiments/${encodeURIComponent(experimentId)}/traces/${encodeURIComponent(traceId)}`;

/** The experiment's Traces tab, optionally filtered (`?tab=traces&filter=…`). */
export function tracesTabHref(experimentId: string, filter?: string): string {
  const q = new URLSearchParams({ tab: "traces" });
  if (filter) q.set("filter", filter);
  return `/experiments/${encodeURIComponent(experimentId)}?${q.toString()}`;
}

/** A filter string literal: MLflow's quoted string, with the quote escaped. */
export const quoteValue = (v: string) => `'${v.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;

export const runTracesFilter = (runId: string) => `trace.run_id = ${quoteValue(runId)}`;
export const modelTracesFilter = (modelId: string) => `metadata.\`mlflow.modelId\` = ${quoteValue(modelId)}`;

/** A latency or span duration: ms below a second, then seconds, then minutes. */
export function formatLatency(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return "—";
  if (ms === 0) return "0";
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const m = Math.floor(ms / 60_000);
  return `${m}m ${Math.round((ms % 60_000) / 1000)}s`;
}

const stamp = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "medium" });
export const formatRequestTime = (ms: number) => stamp.format(new Date(ms));
const short = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", second: "2-digit" });
/** A request time in a table cell: day, month and time to the second. */
export const formatShortTime = (ms: number) => short.format(new Date(ms));

/** An assessment's value in a cell: yes, true, 0.9, or the JSON of anything else. */
export function assessmentText(a: Pick<AssessmentRow, "value" | "error" | "serialized_value">): string {
  const v = a.value ?? (a.serialized_value as { value?: unknown } | null)?.value;
  if (v === null || v === undefined) return a.error ? "error" : "—";
  if (typeof v === "string") return v;
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
  return JSON.stringify(v);
}

/** The colour of a value that reads as pass or fail (yes/true/≥0.5 green, no/false/<0.5 red). */
export function assessmentColor(value: unknown): string {
  if (value === true || value === "yes" || value === "true" || value === "pass") return "green";
  if (value === false || value === "no" || value === "false" || value === "fail") return "red";
  if (typeof value === "number") return value >= 0.5 ? "green" : "red";
  return "gray";
}

/** The assessment names of a page of traces, sorted (valid assessments only). */
export function assessmentNames(traces: readonly PortalTrace[]): string[] {
  const names = new Set<string>();
  for (const t of traces) for (const a of t.assessments) if (a.valid) names.add(a.name);
  return [...names].sort();
}

/** The current reading of one assessment name on a trace: the latest valid one, feedback first. */
export function assessmentOf(t: PortalTrace, name: string): AssessmentRow | undefined {
  const mine = t.assessments.filter((a) => a.valid && a.name === name);
  return mine.filter((a) => a.kind === "feedback").at(-1) ?? mine.at(-1);
}

/** User tags only: MLflow's own (mlflow.*) are facts shown elsewhere. */
export const userTraceTags = (tags: Record<string, string>) => Object.entries(tags).filter(([k]) => !k.startsWith("mlflow.")).sort(([a], [b]) => a.localeCompare(b));

export const SPAN_TYPE_COLORS: Record<string, string> = {
  LLM: "violet",
  CHAT_MODEL: "violet",
  CHAIN: "blue",
  AGENT: "indigo",
  TOOL: "orange",
  RETRIEVER: "teal",
  EMBEDDING: "cyan",
  RERANKER: "lime",
  PARSER: "gray",
  UNKNOWN: "gray",
};
export const spanTypeColor = (t: string | null) => (t ? (SPAN_TYPE_COLORS[t] ?? "gray") : "gray");
