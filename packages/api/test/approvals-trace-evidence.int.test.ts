import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase } from "@modelgate/db/test-db";
import type { Db } from "@modelgate/db";
import { getApprovalRequest, purgeExpiredTraces, setExperimentPermission, setModelPermission, setPolicy, setTraceRetention, systemActor } from "@modelgate/core";
import { createDataPlaneApp } from "../src/rest/index.ts";
import { experimentAndRun, registryClient, uniq, type RegistryClient } from "./registry-fixtures.ts";

// GenAI evidence for approvals: a gate over the feedback reviewers left on the traces produced with
// the version's logged model active (trace metadata mlflow.modelId), and the request page's
// aggregates. Also the per-experiment retention purge.

let db: Db;
let app: FastifyInstance;

beforeAll(async () => {
  db = (await useTestDatabase()).db;
  app = await createDataPlaneApp({ db, version: "test" });
});
afterAll(() => app.close());

const ok = (r: { status: number; raw: string }) => expect(r.status, r.raw).toBe(200);
const hex = (n: number) => n.toString(16).padStart(32, "0");
let seq = Date.now();

/** A finished trace of one span in `experimentId`, made with `modelId` active, as the 3.x client records it. */
async function trace(c: RegistryClient, experimentId: string, modelId: string | null, requestTime = Date.now()) {
  const traceId = `tr-${hex(++seq)}`;
  const r = await c.call(
    "POST",
    "/traces",
    {
      trace: {
        trace_info: {
          trace_id: traceId,
          trace_location: { type: "MLFLOW_EXPERIMENT", mlflow_experiment: { experiment_id: experimentId } },
          request_time: new Date(requestTime).toISOString(),
          execution_duration: "0.250s",
          state: "OK",
          trace_metadata: modelId ? { "mlflow.modelId": modelId } : {},
        },
      },
    },
    "/api/3.0/mlflow",
  );
  ok(r);
  return traceId;
}

async function feedback(c: RegistryClient, traceId: string, name: string, value: unknown) {
  const r = await c.call("POST", `/traces/${traceId}/assessments`, { assessment: { assessment_name: name, source: { source_type: "HUMAN", source_id: c.user.username }, feedback: { value } } }, "/api/3.0/mlflow");
  ok(r);
  return r.body.assessment.assessment_id as string;
}

async function registeredAgent(c: RegistryClient) {
  const run = await experimentAndRun(c);
  const created = await c.call("POST", "/logged-models", { experiment_id: run.experimentId, name: "agent", source_run_id: run.runId });
  ok(created);
  const modelId = created.body.model.info.model_id as string;
  ok(await c.call("PATCH", `/logged-models/${modelId}`, { status: "LOGGED_MODEL_READY" }));
  const name = uniq("agent");
  ok(await c.call("POST", "/registered-models/create", { name }));
  ok(await c.call("POST", "/model-versions/create", { name, source: `models:/${modelId}`, model_id: modelId }));
  return { name, modelId, experimentId: run.experimentId as string };
}

describe("an assessment gate over the logged model's traces", () => {
  it("blocks approval until enough traces carry passing feedback, and the request shows the aggregates", async () => {
    const owner = await registryClient(app, db);
    const reviewer = await registryClient(app, db);
    const m = await registeredAgent(owner);
    await setModelPermission(owner.ctx, { name: m.name, username: reviewer.user.username, level: "MANAGE_PRODUCTION_VERSIONS" });
    await setPolicy(owner.ctx, {
      name: m.name,
      rules: [{ target: { kind: "alias", pattern: "champion" }, approver_level: "MANAGE_PRODUCTION_VERSIONS", gates: { assessments: [{ name: "correctness", min_traces: 4, min_mean: 0.75 }] } }],
    });

    // three traces of the model with feedback (yes, yes, no) and one of another model, which does not count
    const traces = [await trace(owner, m.experimentId, m.modelId), await trace(owner, m.experimentId, m.modelId), await trace(owner, m.experimentId, m.modelId)];
    await feedback(owner, traces[0]!, "correctness", "yes");
    await feedback(owner, traces[1]!, "correctness", true);
    await feedback(owner, traces[2]!, "correctness", "no");
    await feedback(owner, await trace(owner, m.experimentId, null), "correctness", "yes");

    const created = await owner.call("POST", "/transition-requests/create", { name: m.name, version: "1", alias: "champion" });
    ok(created);
    const blocked = await reviewer.call("POST", "/transition-requests/approve", { name: m.name, version: "1", alias: "champion" });
    expect(blocked.status).toBe(400);
    expect(blocked.body.message).toContain("≥ 4 traces with feedback correctness, mean ≥ 0.75");
    expect(blocked.body.message).toContain("3 of the required 4 traces have feedback correctness (mean 0.667)");

    // a fourth trace, reviewed twice (yes and 1.0): it counts once, with the mean of its readings
    const fourth = await trace(owner, m.experimentId, m.modelId);
    await feedback(owner, fourth, "correctness", "yes");
    // recording feedback needs EDIT on the experiment: a reviewer who only reads it is refused
    const refused = await reviewer.call("POST", `/traces/${fourth}/assessments`, { assessment: { assessment_name: "correctness", source: { source_type: "HUMAN", source_id: "r" }, feedback: { value: 1 } } }, "/api/3.0/mlflow");
    expect(refused.status).toBe(403);
    await setExperimentPermission(owner.ctx, { experiment_id: m.experimentId, username: reviewer.user.username, level: "EDIT" });
    await feedback(reviewer, fourth, "correctness", 1);
    // the "no" is overridden by a reviewer: the overridden reading no longer counts
    const no = (await owner.call("GET", `/traces/${traces[2]}`, {}, "/api/3.0/mlflow")).body.trace.trace_info.assessments[0].assessment_id as string;
    const override = await owner.call("POST", `/traces/${traces[2]}/assessments`, { assessment: { assessment_name: "correctness", source: { source_type: "HUMAN", source_id: "lead" }, feedback: { value: "yes" }, overrides: no } }, "/api/3.0/mlflow");
    ok(override);

    const requestId = await firstRequestId(m.name);
    const view = await getApprovalRequest(owner.ctx, { id: requestId });
    expect(view.trace_evidence).toMatchObject({ logged_model_id: m.modelId, experiment_id: m.experimentId, traces: 4, assessed: 4 });
    expect(view.trace_evidence!.aggregates).toEqual([{ name: "correctness", traces: 4, mean: 1, min: 1, max: 1, passing: 4 }]);

    const approved = await reviewer.call("POST", "/transition-requests/approve", { name: m.name, version: "1", alias: "champion" });
    expect(approved.status, approved.raw).toBe(200);
    const after = await getApprovalRequest(owner.ctx, { id: requestId });
    expect(after.status).toBe("APPROVED");
    expect(after.gate_results).toEqual([{ gate: "≥ 4 traces with feedback correctness, mean ≥ 0.75", passed: true, reason: "4 traces, mean 1" }]);
  });

  it("fails for a version without a logged model", async () => {
    const owner = await registryClient(app, db);
    const run = await experimentAndRun(owner);
    const name = uniq("plain");
    ok(await owner.call("POST", "/registered-models/create", { name }));
    ok(await owner.call("POST", "/model-versions/create", { name, source: `runs:/${run.runId}/model` }));
    await setPolicy(owner.ctx, { name, rules: [{ target: { kind: "alias", pattern: "champion" }, allow_self_approval: true, approver_level: "MANAGE", gates: { assessments: [{ name: "correctness", min_traces: 1 }] } }] });
    ok(await owner.call("POST", "/transition-requests/create", { name, version: "1", alias: "champion" }));
    const blocked = await owner.call("POST", "/transition-requests/approve", { name, version: "1", alias: "champion" });
    expect(blocked.status).toBe(400);
    expect(blocked.body.message).toContain("the version was not registered from a logged model, so it has no traces");
  });
});

async function firstRequestId(name: string): Promise<string> {
  const r = await db.approvalRequest.findFirstOrThrow({ where: { model: { name } }, orderBy: { id: "desc" } });
  return String(r.id);
}

describe("trace retention", () => {
  it("deletes an experiment's traces older than its retention, with their spans and assessments, and audits it", async () => {
    const owner = await registryClient(app, db);
    const run = await experimentAndRun(owner);
    const exp = run.experimentId as string;
    const day = 86_400_000;
    const now = Date.now();
    const old = await trace(owner, exp, null, now - 10 * day);
    await feedback(owner, old, "correctness", "yes");
    const recent = await trace(owner, exp, null, now - 2 * day);
    // another user reads the experiment (the default level) but may not change its retention: MANAGE may
    const other = await registryClient(app, db);
    await expect(setTraceRetention(other.ctx, { experiment_id: exp, days: 7 })).rejects.toMatchObject({ code: "PERMISSION_DENIED" });
    await expect(setTraceRetention(owner.ctx, { experiment_id: exp, days: 0 })).rejects.toMatchObject({ code: "INVALID_PARAMETER_VALUE" });
    await setTraceRetention(owner.ctx, { experiment_id: exp, days: 7 });

    const result = await purgeExpiredTraces({ db, actor: systemActor("test") }, { now });
    expect(result.traces).toBeGreaterThanOrEqual(1);
    expect(await db.trace.findUnique({ where: { traceId: old } })).toBeNull();
    expect(await db.traceAssessment.count({ where: { traceId: old } })).toBe(0);
    expect(await db.trace.findUnique({ where: { traceId: recent } })).not.toBeNull();
    const audit = await db.auditEvent.findFirst({ where: { action: "trace.retention_purge", resourceId: exp }, orderBy: { id: "desc" } });
    expect(audit?.before).toMatchObject({ traces: 1, days: 7 });
    // nothing left to purge: a second run deletes nothing in this experiment
    await purgeExpiredTraces({ db, actor: systemActor("test") }, { now });
    expect(await db.trace.findUnique({ where: { traceId: recent } })).not.toBeNull();
  });
});
