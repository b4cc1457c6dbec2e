// Request bodies as the mlflow client builds them (MlflowClient.log_batch): params and tags in
// chunks of 100, each chunk topped up with metrics to 1000 entities, then the remaining metrics in
// chunks of 1000.

interface WireMetric {
  key: string;
  value: number;
  timestamp: number;
  step: number;
}
interface WireKV {
  key: string;
  value: string;
}

const MAX_ENTITIES = 1000;
const MAX_METRICS = 1000;
const MAX_PARAMS_TAGS = 100;

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The log-batch bodies one run's data turns into, in the client's order. */
export function logBatchBodies(runId: string, metrics: WireMetric[], params: WireKV[], tags: WireKV[]): string[] {
  const bodies: string[] = [];
  const paramChunks = chunks(params, MAX_PARAMS_TAGS);
  const tagChunks = chunks(tags, MAX_PARAMS_TAGS);
  let rest = metrics;
  for (let i = 0; i < Math.max(paramChunks.length, tagChunks.length); i++) {
    const p = paramChunks[i] ?? [];
    const t = tagChunks[i] ?? [];
    const room = Math.max(0, Math.min(MAX_ENTITIES - p.length - t.length, MAX_METRICS));
    bodies.push(JSON.stringify({ run_id: runId, metrics: rest.slice(0, room), params: p, tags: t }));
    rest = rest.slice(room);
  }
  for (const m of chunks(rest, MAX_METRICS)) bodies.push(JSON.stringify({ run_id: runId, metrics: m, params: [], tags: [] }));
  return bodies;
}

export interface RunShape {
  params: number;
  metricKeys: number;
  steps: number;
  tags: number;
}

/** One run's data: params p0.., tags t0.., metrics m0.. logged at steps 0..steps-1 (step-major). */
export function runData(shape: RunShape, baseTimestamp: number): { metrics: WireMetric[]; params: WireKV[]; tags: WireKV[] } {
  const params = Array.from({ length: shape.params }, (_, i) => ({ key: `p${i}`, value: `value-${i}-${Math.floor(Math.random() * 1000)}` }));
  const tags = Array.from({ length: shape.tags }, (_, i) => ({ key: `t${i}`, value: `tag-${i}` }));
  const metrics: WireMetric[] = [];
  for (let step = 0; step < shape.steps; step++) {
    for (let k = 0; k < shape.metricKeys; k++) metrics.push({ key: `m${k}`, value: Math.random(), timestamp: baseTimestamp + step, step });
  }
  return { metrics, params, tags };
}

/** A single metric's history, steps [from, to), in bodies of 1000 points. */
export function seriesBodies(runId: string, key: string, from: number, to: number, baseTimestamp: number): string[] {
  const bodies: string[] = [];
  for (let start = from; start < to; start += MAX_METRICS) {
    const metrics: WireMetric[] = [];
    for (let step = start; step < Math.min(to, start + MAX_METRICS); step++) {
      metrics.push({ key, value: Math.sin(step / 1000) + Math.random() * 0.1, timestamp: baseTimestamp + step, step });
    }
    bodies.push(JSON.stringify({ run_id: runId, metrics, params: [], tags: [] }));
  }
  return bodies;
}
