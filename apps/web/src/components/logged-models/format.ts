import type { LinkedMetricView, LoggedModelStatusName, LoggedModelView } from "@modelgate/core";

// Client-side helpers of the logged-model views (no runtime import of @modelgate/core).

/** A logged model's page in the portal. */
export const loggedModelHref = (experimentId: string, modelId: string) => `/experiments/${encodeURIComponent(experimentId)}/models/${encodeURIComponent(modelId)}`;

export const statusLabel: Record<LoggedModelStatusName, { label: string; color: string }> = {
  LOGGED_MODEL_PENDING: { label: "pending", color: "blue" },
  LOGGED_MODEL_READY: { label: "ready", color: "green" },
  LOGGED_MODEL_UPLOAD_FAILED: { label: "upload failed", color: "red" },
};

/** Core's order of a model's points for one key: the latest timestamp, then the highest step. */
const later = (a: LinkedMetricView, b: LinkedMetricView) => a.timestamp > b.timestamp || (a.timestamp === b.timestamp && a.step > b.step);

/** The latest point of each key among `points`, sorted by key. */
export function latestByKey(points: readonly LinkedMetricView[]): LinkedMetricView[] {
  const latest = new Map<string, LinkedMetricView>();
  for (const p of points) {
    const seen = latest.get(p.key);
    if (!seen || later(p, seen)) latest.set(p.key, p);
  }
  return [...latest.values()].sort((a, b) => a.key.localeCompare(b.key));
}

export interface DatasetRef {
  name: string;
  digest: string;
}

export interface MetricGroup {
  /** null: the metrics logged without a dataset. */
  dataset: DatasetRef | null;
  metrics: LinkedMetricView[];
}

/** A model's metrics grouped per dataset (name and digest), latest value per key; the no-dataset group first. */
export function metricsByDataset(points: readonly LinkedMetricView[] | undefined): MetricGroup[] {
  const groups = new Map<string, { dataset: DatasetRef | null; points: LinkedMetricView[] }>();
  for (const p of points ?? []) {
    const dataset = p.dataset_name ? { name: p.dataset_name, digest: p.dataset_digest ?? "" } : null;
    const id = dataset ? `${dataset.name}\u0000${dataset.digest}` : "";
    const g = groups.get(id) ?? { dataset, points: [] };
    g.points.push(p);
    groups.set(id, g);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a.localeCompare(b)))
    .map(([, g]) => ({ dataset: g.dataset, metrics: latestByKey(g.points) }));
}

/**
 * A metric column of the models table: a key's latest value over all datasets (what the server
 * sorts by when no dataset is named), or its latest value on one dataset.
 */
export interface MetricColumnRef {
  key: string;
  dataset?: DatasetRef;
  /** Unique among the columns; what the column chooser lists. */
  label: string;
}

/** Every metric column the loaded models offer: each key, then each key per dataset it was logged on. */
export function metricColumnsOf(models: readonly LoggedModelView[]): MetricColumnRef[] {
  const keys = new Set<string>();
  const perDataset = new Map<string, { key: string; dataset: DatasetRef }>();
  for (const m of models) {
    for (const p of m.data.metrics ?? []) {
      keys.add(p.key);
      if (p.dataset_name) {
        const dataset = { name: p.dataset_name, digest: p.dataset_digest ?? "" };
        perDataset.set(`${p.key}\u0000${dataset.name}\u0000${dataset.digest}`, { key: p.key, dataset });
      }
    }
  }
  // a dataset name logged with several digests is told apart by the digest's first characters
  const digests = new Map<string, Set<string>>();
  for (const { dataset } of perDataset.values()) digests.set(dataset.name, (digests.get(dataset.name) ?? new Set()).add(dataset.digest));
  const datasetLabel = (d: DatasetRef) => ((digests.get(d.name)?.size ?? 0) > 1 && d.digest ? `${d.name} #${d.digest.slice(0, 8)}` : d.name);
  const columns: MetricColumnRef[] = [
    ...[...keys].map((key) => ({ key, label: key })),
    ...[...perDataset.values()].map(({ key, dataset }) => ({ key, dataset, label: `${key} (${datasetLabel(dataset)})` })),
  ];
  return columns.sort((a, b) => a.key.localeCompare(b.key) || Number(Boolean(a.dataset)) - Number(Boolean(b.dataset)) || a.label.localeCompare(b.label));
}

/** A model's value in a metric column (undefined when it has none). */
export function metricValueOf(model: LoggedModelView, col: MetricColumnRef): number | undefined {
  const points = (model.data.metrics ?? []).filter(
    (p) => p.key === col.key && (!col.dataset || (p.dataset_name === col.dataset.name && (p.dataset_digest ?? "") === col.dataset.digest)),
  );
  return latestByKey(points)[0]?.value;
}

/** The param and (user) tag keys of the loaded models, sorted. */
export const paramKeysOf = (models: readonly LoggedModelView[]) => [...new Set(models.flatMap((m) => (m.data.params ?? []).map((p) => p.key)))].sort();
export const tagKeysOf = (models: readonly LoggedModelView[]) =>
  [...new Set(models.flatMap((m) => (m.info.tags ?? []).map((t) => t.key).filter((k) => !k.startsWith("mlflow."))))].sort();
