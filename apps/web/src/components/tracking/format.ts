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

/** A metric's latest value as shown in tables (undefined when the run has none). */
export function metricTextOf(run: RunView, key: string): string | undefined {
  const v = metricOf(run, key);
  return v === undefined ? undefined : formatMetric(v);
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

/** The first 8 characters of a run id: enough to tell runs apart in a table. */
export const shortId = (id: string) => id.slice(0, 8);

export const runName = (run: RunView) => run.info.run_name || shortId(run.info.run_id);

type RunIds = { experiment_id: string; run_id: string };
/** A run's page, from the run or from its experiment and run ids. */
export function runHref(run: { info: RunIds } | RunIds): string {
  const { experiment_id, run_id } = "info" in run ? run.info : run;
  return `/experiments/${experiment_id}/runs/${run_id}`;
}

type RunValue = (run: RunView, key: string) => string | undefined;

/** Every key that `pick` lists in any of the runs (an unreadable run, null, lists none), sorted. */
export const keyUnion = (runs: (RunView | null)[], pick: (r: RunView) => { key: string }[] | undefined) =>
  [...new Set(runs.flatMap((r) => (r ? (pick(r) ?? []).map((x) => x.key) : [])))].sort();

/** Keys whose value is not the same in every run (a key missing from some runs, or a null run, differs). */
export function differingKeys(runs: (RunView | null)[], keys: string[], value: RunValue): Set<string> {
  return new Set(keys.filter((k) => new Set(runs.map((r) => (r ? value(r, k) : undefined) ?? "\u0000")).size > 1));
}

/** One comparison row per key: each run's value ("—" when missing) and whether they differ. */
export function compareRows(runs: (RunView | null)[], keys: string[], value: RunValue) {
  const differ = differingKeys(runs, keys, value);
  return keys.map((k) => ({ label: k, values: runs.map((r) => (r ? value(r, k) : undefined) ?? "—"), differs: differ.has(k) }));
}

/** The run ids of a compare link (`?runs=a,b` or `?runs=a&runs=b`), each once, in order. */
export function parseRunIds(runs: string | string[] | undefined): string[] {
  const ids = (Array.isArray(runs) ? runs.join(",") : (runs ?? "")).split(",").map((s) => s.trim()).filter(Boolean);
  return [...new Set(ids)];
}

/** An MLflow search key in backticks, so keys with dots, spaces or dashes stay one identifier. */
export const quoteKey = (key: string) => "`" + key + "`";
