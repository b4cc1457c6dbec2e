import type { Ctx } from "../context.ts";
import { systemActor } from "../context.ts";
import { isDomainError } from "../errors.ts";
import type { DbOrTx } from "../audit/record-audit.ts";
import { searchRuns } from "../tracking/search/search-runs.ts";
import { searchLoggedModels } from "../tracking/logged-models/search.ts";
import { assessmentAggregates } from "../tracing/evidence.ts";
import type { Gates } from "./policy.ts";

// Automated gates of a policy rule, checked when a request is created and again at approval. A
// gate's result says why it failed in words a reviewer can act on. The source run is read with the
// system's authority: a gate is about the version, not about what the viewer may see.

export interface GateResult {
  gate: string;
  passed: boolean;
  reason: string;
}

interface VersionFacts {
  pk: bigint;
  status: string;
  runId: string;
  loggedModelId: string | null;
  hasSignature: boolean;
  tags: Map<string, string>;
}

async function factsOf(db: DbOrTx, versionPk: bigint): Promise<VersionFacts> {
  const v = await db.modelVersion.findUniqueOrThrow({ where: { pk: versionPk }, select: { pk: true, status: true, runId: true, loggedModelId: true, mlmodel: true, tags: true } });
  const mlmodel = v.mlmodel as { signature?: { inputs?: unknown } | null } | null;
  return {
    pk: v.pk,
    status: v.status,
    runId: v.runId,
    loggedModelId: v.loggedModelId,
    hasSignature: Boolean(mlmodel?.signature?.inputs),
    tags: new Map(v.tags.map((t) => [t.key, t.value])),
  };
}

export async function evaluateGates(ctx: Ctx, db: DbOrTx, versionPk: bigint, gates: Gates): Promise<GateResult[]> {
  const f = await factsOf(db, versionPk);
  const out: GateResult[] = [];
  if (gates.require_ready) {
    out.push({ gate: "status is READY", passed: f.status === "READY", reason: f.status === "READY" ? "READY" : `status is ${f.status}` });
  }
  if (gates.require_signature) {
    out.push({ gate: "has a signature", passed: f.hasSignature, reason: f.hasSignature ? "the MLmodel has a signature" : "the version's MLmodel has no signature" });
  }
  for (const t of gates.required_tags) {
    const actual = f.tags.get(t.key);
    const passed = actual === t.value;
    out.push({ gate: `tag ${t.key}=${t.value}`, passed, reason: passed ? "set" : actual === undefined ? `tag '${t.key}' is not set` : `tag '${t.key}' is '${actual}'` });
  }
  if (gates.metric_filter) out.push(await metricGate(ctx, db, f.runId, gates.metric_filter));
  if (gates.model_filter) out.push(await modelGate(db, f.loggedModelId, gates.model_filter, gates.model_dataset ?? ""));
  if (gates.assessments?.length) out.push(...(await assessmentGates(db, f.loggedModelId, gates.assessments)));
  return out;
}

/** The version's logged model (MLflow 3) against a logged-model filter, its metrics on one dataset when named. */
async function modelGate(db: DbOrTx, modelId: string | null, filter: string, dataset: string): Promise<GateResult> {
  const on = dataset ? ` on dataset ${dataset}` : "";
  const gate = `logged model matches ${filter}${on}`;
  if (!modelId) return { gate, passed: false, reason: "the version was not registered from a logged model" };
  const model = await db.loggedModel.findUnique({ where: { id: modelId }, select: { experimentId: true, lifecycleStage: true } });
  if (!model || model.lifecycleStage !== "active") return { gate, passed: false, reason: `logged model ${modelId} does not exist` };
  try {
    const sys: Ctx = { db: db as Ctx["db"], actor: systemActor("approval gates") };
    const found = await searchLoggedModels(sys, {
      experiment_ids: [String(model.experimentId)],
      filter: `model_id = '${modelId}' AND ${filter}`,
      datasets: dataset ? [{ dataset_name: dataset }] : [],
      max_results: 1,
    });
    return found.models.length ? { gate, passed: true, reason: "the logged model matches" } : { gate, passed: false, reason: `logged model ${modelId} does not match ${filter}${on}` };
  } catch (e) {
    if (isDomainError(e)) return { gate, passed: false, reason: `the gate's filter is invalid: ${e.message}` };
    throw e;
  }
}

/** Each assessment requirement against the aggregates over the logged model's traces. */
async function assessmentGates(db: DbOrTx, modelId: string | null, reqs: NonNullable<Gates["assessments"]>): Promise<GateResult[]> {
  const label = (r: (typeof reqs)[number]) => `≥ ${r.min_traces} traces with feedback ${r.name}${r.min_mean !== null ? `, mean ≥ ${r.min_mean}` : ""}`;
  if (!modelId) return reqs.map((r) => ({ gate: label(r), passed: false, reason: "the version was not registered from a logged model, so it has no traces" }));
  const aggs = await assessmentAggregates(db, modelId, reqs.map((r) => r.name));
  return reqs.map((r, i) => {
    const a = aggs[i]!;
    const mean = a.mean === null ? "no readings" : `mean ${round(a.mean)}`;
    if (a.traces < r.min_traces) return { gate: label(r), passed: false, reason: `${a.traces} of the required ${r.min_traces} traces have feedback ${r.name} (${mean})` };
    if (r.min_mean !== null && (a.mean === null || a.mean < r.min_mean)) return { gate: label(r), passed: false, reason: `${mean} over ${a.traces} traces is below ${r.min_mean}` };
    return { gate: label(r), passed: true, reason: `${a.traces} traces, ${mean}` };
  });
}

const round = (x: number) => Math.round(x * 1000) / 1000;

async function metricGate(ctx: Ctx, db: DbOrTx, runId: string, filter: string): Promise<GateResult> {
  const gate = `source run matches ${filter}`;
  if (!runId) return { gate, passed: false, reason: "the version has no source run" };
  const run = await db.run.findUnique({ where: { id: runId }, select: { experimentId: true } });
  if (!run) return { gate, passed: false, reason: `source run ${runId} does not exist` };
  try {
    // on the caller's connection (inside its transaction when there is one): a second pool
    // connection taken while the model row is locked can starve the pool under load. searchRuns
    // only issues raw queries, which a transaction client runs as well.
    const sys: Ctx = { db: db as Ctx["db"], actor: systemActor("approval gates") };
    const found = await searchRuns(sys, { experiment_ids: [String(run.experimentId)], filter: `attributes.run_id = '${runId}' AND ${filter}`, run_view_type: "ALL", max_results: 1 });
    return found.runs.length ? { gate, passed: true, reason: "the source run matches" } : { gate, passed: false, reason: `source run ${runId} does not match ${filter}` };
  } catch (e) {
    if (isDomainError(e)) return { gate, passed: false, reason: `the gate's filter is invalid: ${e.message}` };
    throw e;
  }
}

export const failedGates = (results: readonly GateResult[]) => results.filter((r) => !r.passed);
