import type { RunView, TagView } from "@modelgate/core";

/** A run's tag value by key (MLflow keeps system facts such as the parent run in tags). */
export function tagOf(run: RunView, key: string): string | undefined {
  return run.data.tags?.find((t) => t.key === key)?.value;
}

export const PARENT_TAG = "mlflow.parentRunId";

export function paramOf(run: RunView, key: string): string | undefined {
  return run.data.params?.find((t) => t.key === key)?.value;
}

export function metricOf(run: RunView, key: string): number | undefined {
  return run.data.metrics?.find((m) => m.key === key)?.value;
}

/** Metrics keep NaN and ±Infinity; show them as MLflow does rather than as blanks. */
export function formatMetric(v: number | undefined): string {
  if (v === undefined) return "";
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "Infinity" : "-Infinity";
  if (Number.isInteger(v)) return String(v);
  const abs = Math.abs(v);
  return abs !== 0 && (abs < 1e-4 || abs >= 1e7) ? v.toExponential(4) : String(Number(v.toPrecision(6)));
}

export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || ms < 0) return "—";
  if (ms < 1000) return `${ms} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** A run's duration: until now while it is still running. */
export function runDuration(run: RunView, now = Date.now()): number | undefined {
  if (!run.info.start_time) return undefined;
  const end = run.info.end_time ?? (run.info.status === "RUNNING" ? now : undefined);
  return end === undefined ? undefined : end - run.info.start_time;
}

const epoch = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "medium" });
export function formatEpoch(ms: number | undefined): string {
  return ms ? epoch.format(new Date(ms)) : "—";
}

/** System tags (mlflow.*) are shown as facts in the overview, not in the user's tag list. */
export function userTags(tags: TagView[] | undefined): TagView[] {
  return (tags ?? []).filter((t) => !t.key.startsWith("mlflow."));
}

export const runName = (run: RunView) => run.info.run_name || run.info.run_id.slice(0, 8);

export const runHref = (run: { info: { experiment_id: string; run_id: string } }) =>
  `/experiments/${run.info.experiment_id}/runs/${run.info.run_id}`;

/** The run ids of a compare link (`?runs=a,b` or `?runs=a&runs=b`), each once, in order. */
export function parseRunIds(runs: string | string[] | undefined): string[] {
  const ids = (Array.isArray(runs) ? runs.join(",") : (runs ?? "")).split(",").map((s) => s.trim()).filter(Boolean);
  return [...new Set(ids)];
}

/** An MLflow search key in backticks, so keys with dots, spaces or dashes stay one identifier. */
export const quoteKey = (key: string) => "`" + key + "`";
