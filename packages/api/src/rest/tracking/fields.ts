import type { DatasetInputView, MetricInput, TagView } from "@modelgate/core";
import type { WireInput } from "../mlflow-route.ts";
import { missing, optInt, optList, optString, reqString, toDouble, wrongType } from "../wire.ts";

// Readers for the tracking messages' nested and repeated fields, on top of wire.ts's scalars.

/** run_id, or its deprecated duplicate run_uuid (the client sends both). */
export function runIdOf(input: WireInput): string {
  const id = optString(input, "run_id") || optString(input, "run_uuid");
  if (!id) missing("run_id");
  return id;
}

export const isObject = (v: unknown): v is WireInput => typeof v === "object" && v !== null && !Array.isArray(v);

export function objects(input: WireInput, name: string): WireInput[] {
  const list = optList(input, name) ?? [];
  for (const x of list) if (!isObject(x)) wrongType(name, x);
  return list as WireInput[];
}

/** A {key, value} message; a missing value is "" (the proto default), a missing key is an error. */
function keyValue(item: WireInput): TagView {
  return { key: reqString(item, "key"), value: optString(item, "value") ?? "" };
}

export const tagList = (input: WireInput, name = "tags"): TagView[] => objects(input, name).map(keyValue);

function metric(item: WireInput): MetricInput {
  if (item.value === undefined || item.value === null || item.value === "") missing("value");
  const timestamp = optInt(item, "timestamp");
  if (timestamp === undefined) missing("timestamp");
  const model_id = optString(item, "model_id");
  const dataset_name = optString(item, "dataset_name");
  const dataset_digest = optString(item, "dataset_digest");
  return {
    key: reqString(item, "key"),
    value: toDouble("value", item.value),
    timestamp,
    step: optInt(item, "step") ?? 0,
    ...(model_id ? { model_id } : {}),
    ...(dataset_name ? { dataset_name } : {}),
    ...(dataset_digest ? { dataset_digest } : {}),
  };
}

export const metricList = (input: WireInput): MetricInput[] => objects(input, "metrics").map(metric);

/** A single metric from log-metric's top-level fields. */
export const metricOf = (input: WireInput): MetricInput => metric(input);

function datasetInput(item: WireInput): DatasetInputView {
  const d = item.dataset;
  if (!isObject(d)) missing("dataset");
  const schema = optString(d, "schema");
  const profile = optString(d, "profile");
  const tags = tagList(item);
  return {
    ...(tags.length ? { tags } : {}),
    dataset: {
      name: reqString(d, "name"),
      digest: reqString(d, "digest"),
      source_type: reqString(d, "source_type"),
      source: reqString(d, "source"),
      ...(schema ? { schema } : {}),
      ...(profile ? { profile } : {}),
    },
  };
}

export const datasetInputList = (input: WireInput): DatasetInputView[] => objects(input, "datasets").map(datasetInput);

/** log-inputs' `models` (MLflow 3): [{model_id}]. */
export const modelInputList = (input: WireInput): { model_id: string }[] => objects(input, "models").map((m) => ({ model_id: reqString(m, "model_id") }));

/** RunStatus as a name or its proto number; anything else is left for core to ignore. */
const STATUS_BY_NUMBER = ["", "RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"];
export function statusOf(input: WireInput): string | undefined {
  const v = input.status;
  if (typeof v === "number") return STATUS_BY_NUMBER[v];
  return typeof v === "string" ? v : undefined;
}
