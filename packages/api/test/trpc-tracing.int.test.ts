import crypto from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase } from "@modelgate/db/test-db";
import type { Db } from "@modelgate/db";
import {
  configureTracking,
  modelTraceCounts,
  createLoggedModel,
  createUser,
  encodeAnyValue,
  logSpans,
  setExperimentPermission,
  startTraceV3,
  systemActor,
  type Actor,
  type Ctx,
  type KeyValue,
  type SpanInput,
} from "@modelgate/core";
import { createCaller } from "../src/trpc/index.ts";

// The portal's tracing procedures (an experiment's Traces tab, the trace page, a logged model's
// trace evidence), called as the portal calls them. Traces are written through core, the path the
// OTLP and MLflow edges take.

const PASSWORD = "correct horse battery staple";
let db: Db;
const callerFor = (actor: Actor | null) => createCaller({ db, actor, requestId: crypto.randomUUID(), ip: "127.0.0.1" });
const unique = (p: string) => `${p}-${crypto.randomBytes(4).toString("hex")}`;
const hex = (bytes: 8 | 16) => crypto.randomBytes(bytes).toString("hex");
const attr = (key: string, value: unknown): KeyValue => ({ key, value: encodeAnyValue(value) });

async function user() {
  const u = await createUser({ db, actor: systemActor("test") }, { username: unique("tr"), password: PASSWORD, role: "USER" });
  const actor: Actor = { kind: "user", userId: u.id, username: u.username, role: u.role };
  const ctx: Ctx = { db, actor };
  return { u, ctx, caller: callerFor(actor) };
}

/** A chat trace: a CHAIN root, an LLM child and a failing TOOL grandchild; answers the MLflow trace id. */
async function chatTrace(ctx: Ctx, experimentId: string, opts: { t0?: number; tags?: Record<string, string>; metadata?: Record<string, string>; question?: string } = {}) {
  const otel = hex(16);
  const t0 = BigInt(opts.t0 ?? Date.now()) * 1_000_000n;
  const root = hex(8);
  const llm = hex(8);
  const tool = hex(8);
  const question = opts.question ?? "Where is my refund?";
  const base = { otelTraceId: otel, events: [] as SpanInput["events"] };
  const spans: SpanInput[] = [
    {
      ...base,
      spanId: root,
      parentSpanId: null,
      name: "chat",
      startTimeNs: t0,
      endTimeNs: t0 + 900_000_000n,
      status: { code: "STATUS_CODE_OK", message: "" },
      attributes: [
        attr("mlflow.spanType", "CHAIN"),
        attr("mlflow.spanInputs", { messages: [{ role: "system", content: "Be brief." }, { role: "user", content: question }] }),
        attr("mlflow.spanOutputs", JSON.stringify({ choices: [{ message: { role: "assistant", content: "It is on its way." } }] })),
      ],
    },
    {
      ...base,
      spanId: llm,
      parentSpanId: root,
      name: "llm",
      startTimeNs: t0 + 100_000_000n,
      endTimeNs: t0 + 600_000_000n,
      status: { code: "STATUS_CODE_OK", message: "" },
      attributes: [attr("mlflow.spanType", "LLM"), attr("model", "gpt-x"), attr("temperature", 0.2), attr("seed", 2n ** 60n), attr("max_tokens", 256)],
    },
    {
      ...base,
      spanId: tool,
      parentSpanId: llm,
      name: "lookup",
      startTimeNs: t0 + 200_000_000n,
      endTimeNs: t0 + 300_000_000n,
      status: { code: "STATUS_CODE_ERROR", message: "timeout" },
      attributes: [attr("mlflow.spanType", "TOOL")],
      events: [{ name: "exception", time_unix_nano: String(t0 + 250_000_000n), attributes: [attr("exception.type", "TimeoutError"), attr("exception.message", "no answer")] }],
    },
  ];
  await logSpans(ctx, experimentId, spans);
  const traceId = `tr-${otel}`;
  await startTraceV3(ctx, {
    trace_id: traceId,
    experiment_id: experimentId,
    request_time_ms: Number(t0 / 1_000_000n),
    execution_duration_ms: 900,
    state: "OK",
    tags: opts.tags ?? {},
    trace_metadata: opts.metadata ?? {},
  });
  return { traceId, root, llm, tool };
}

beforeAll(async () => {
  db = (await useTestDatabase()).db;
  configureTracking({ defaultExperimentPermission: "NONE" });
});

describe("tracing tRPC", () => {
  it("denies without a session", async () => {
    await expect(callerFor(null).tracing.get({ trace_id: `tr-${hex(16)}` })).rejects.toMatchObject({ code: "UNAUTHORIZED" });
  });

  it("lists an experiment's traces with filters and cursors, and counts them", async () => {
    const { caller, ctx } = await user();
    const { experiment_id } = await caller.tracking.experiments.create({ name: unique("traces") });
    const a = await chatTrace(ctx, experiment_id, { t0: 1_700_000_000_000, tags: { env: "prod" } });
    const b = await chatTrace(ctx, experiment_id, { t0: 1_700_000_001_000, tags: { env: "dev" }, question: "Cancel my order" });
    const c = await chatTrace(ctx, experiment_id, { t0: 1_700_000_002_000, tags: { env: "prod" } });
    const scope = { experiment_ids: [experiment_id] };

    const all = await caller.tracing.search(scope);
    expect(all.traces.map((t) => t.trace_id)).toEqual([c.traceId, b.traceId, a.traceId]);
    expect(all.traces[1]).toMatchObject({
      experiment_id,
      state: "OK",
      request_preview: "Cancel my order",
      response_preview: "It is on its way.",
      execution_ms: 900,
      span_count: 3,
      tags: expect.objectContaining({ env: "dev" }),
      request_time: 1_700_000_001_000,
    });

    const prod = await caller.tracing.search({ ...scope, filter: "tags.env = 'prod'" });
    expect(prod.traces.map((t) => t.trace_id)).toEqual([c.traceId, a.traceId]);
    expect(await caller.tracing.count({ ...scope, filter: "tags.env = 'prod'" })).toBe(2);
    expect(await caller.tracing.count(scope)).toBe(3);

    const first = await caller.tracing.search({ ...scope, max_results: 2 });
    expect(first.traces).toHaveLength(2);
    const second = await caller.tracing.search({ ...scope, max_results: 2, cursor: first.next ?? null });
    expect(second.traces.map((t) => t.trace_id)).toEqual([a.traceId]);
    expect(second.next).toBeUndefined();

    await expect(caller.tracing.search({ ...scope, filter: "trace.nope = 1" })).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringContaining("Invalid attribute key 'nope'") });
    expect(await caller.tracing.validateFilter({ filter: "tags.env = 'prod' AND trace.execution_time_ms > 500" })).toEqual({ valid: true });
    expect(await caller.tracing.validateFilter({ filter: "trace.nope = 1" })).toMatchObject({ valid: false, message: expect.stringContaining("Invalid attribute key 'nope'") });
  });

  it("reads one trace with its spans decoded in tree order", async () => {
    const { caller, ctx, u } = await user();
    const { experiment_id } = await caller.tracking.experiments.create({ name: unique("detail") });
    const t = await chatTrace(ctx, experiment_id, { t0: 1_700_000_000_000 });
    const d = await caller.tracing.get({ trace_id: t.traceId });
    expect(d.trace).toMatchObject({ trace_id: t.traceId, experiment_id, span_count: 3, state: "OK" });
    expect(d.access).toMatchObject({ canEdit: true, canManage: true });
    expect(d.viewer).toBe(u.username);
    expect(d.total_ms).toBe(900);
    expect(d.spans.map((s) => [s.name, s.depth, s.span_type, s.status])).toEqual([
      ["chat", 0, "CHAIN", "OK"],
      ["llm", 1, "LLM", "OK"],
      ["lookup", 2, "TOOL", "ERROR"],
    ]);
    const [rootSummary, llmSummary] = d.spans;
    expect(rootSummary!.child_count).toBe(1);
    expect(llmSummary).toMatchObject({ offset_ms: 100, duration_ms: 500 });
    // the tree carries summaries; a span's content comes when it is selected
    expect(rootSummary).not.toHaveProperty("inputs");
    const [root, llm, tool] = await Promise.all(d.spans.map((s) => caller.tracing.span({ trace_id: t.traceId, span_id: s.span_id })));
    expect(root!.inputs).toEqual({ messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "Where is my refund?" }] });
    expect(root!.outputs).toEqual({ choices: [{ message: { role: "assistant", content: "It is on its way." } }] });
    expect(root!.chat?.map((m) => m.role)).toEqual(["system", "user", "assistant"]);
    expect(root!.child_count).toBe(1);
    expect(root!.attributes).not.toHaveProperty("mlflow.spanInputs");
    expect(llm).toMatchObject({ offset_ms: 100, duration_ms: 500, attributes: { "mlflow.spanType": "LLM", model: "gpt-x", temperature: 0.2, seed: "1152921504606846976", max_tokens: 256 } });
    expect(tool).toMatchObject({ status_message: "timeout", events: [{ name: "exception", offset_ms: 250, attributes: { "exception.type": "TimeoutError", "exception.message": "no answer" } }] });
    await expect(caller.tracing.span({ trace_id: t.traceId, span_id: "ffffffffffffffff" })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("records, revises and deletes a reviewer's feedback; it shows in search and filters", async () => {
    const { caller, ctx, u } = await user();
    const { experiment_id } = await caller.tracking.experiments.create({ name: unique("review") });
    const t = await chatTrace(ctx, experiment_id);
    const fb = await caller.tracing.createAssessment({ trace_id: t.traceId, kind: "feedback", name: "correctness", value: "yes", rationale: "Matches the policy" });
    expect(fb).toMatchObject({ assessment_name: "correctness", source: { source_type: "HUMAN", source_id: u.username }, feedback: { value: "yes" }, rationale: "Matches the policy" });
    await caller.tracing.createAssessment({ trace_id: t.traceId, kind: "expectation", name: "expected_answer", value: "Refund issued" });

    const hit = await caller.tracing.search({ experiment_ids: [experiment_id], filter: "feedback.correctness = 'yes'" });
    expect(hit.traces.map((x) => x.trace_id)).toEqual([t.traceId]);
    expect(hit.traces[0]!.assessments.map((a) => [a.name, a.kind, a.value])).toEqual([
      ["correctness", "feedback", "yes"],
      ["expected_answer", "expectation", "Refund issued"],
    ]);

    await caller.tracing.updateAssessment({ trace_id: t.traceId, assessment_id: fb.assessment_id, kind: "feedback", value: 0.4, rationale: "Partly" });
    const after = await caller.tracing.get({ trace_id: t.traceId });
    expect(after.trace.assessments.find((a) => a.assessment_id === fb.assessment_id)).toMatchObject({ value: 0.4, rationale: "Partly", source_id: u.username });

    await caller.tracing.deleteAssessment({ trace_id: t.traceId, assessment_id: fb.assessment_id });
    expect((await caller.tracing.get({ trace_id: t.traceId })).trace.assessments.map((a) => a.name)).toEqual(["expected_answer"]);
    await expect(caller.tracing.createAssessment({ trace_id: t.traceId, kind: "feedback", name: "", value: "yes" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });

  it("tags, deletes traces and sets retention", async () => {
    const { caller, ctx } = await user();
    const { experiment_id } = await caller.tracking.experiments.create({ name: unique("manage") });
    const t1 = await chatTrace(ctx, experiment_id);
    const t2 = await chatTrace(ctx, experiment_id);
    await caller.tracing.setTag({ trace_id: t1.traceId, key: "reviewed", value: "true" });
    expect((await caller.tracing.get({ trace_id: t1.traceId })).trace.tags).toMatchObject({ reviewed: "true" });
    await caller.tracing.deleteTag({ trace_id: t1.traceId, key: "reviewed" });
    expect((await caller.tracing.get({ trace_id: t1.traceId })).trace.tags).not.toHaveProperty("reviewed");

    expect(await caller.tracing.delete({ experiment_id, trace_ids: [t1.traceId] })).toEqual({ traces_deleted: 1 });
    await expect(caller.tracing.get({ trace_id: t1.traceId })).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect((await caller.tracing.search({ experiment_ids: [experiment_id] })).traces.map((t) => t.trace_id)).toEqual([t2.traceId]);

    expect(await caller.tracing.getRetention({ experiment_id })).toEqual({ days: null });
    await caller.tracing.setRetention({ experiment_id, days: 30 });
    expect(await caller.tracing.getRetention({ experiment_id })).toEqual({ days: 30 });
    await expect(caller.tracing.setRetention({ experiment_id, days: 0 })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await caller.tracing.setRetention({ experiment_id, days: null });
    expect(await caller.tracing.getRetention({ experiment_id })).toEqual({ days: null });
  });

  it("hides traces from users without READ and keeps READ-only users from writing", async () => {
    const owner = await user();
    const reader = await user();
    const stranger = await user();
    const { experiment_id } = await owner.caller.tracking.experiments.create({ name: unique("private") });
    const t = await chatTrace(owner.ctx, experiment_id);
    await setExperimentPermission(owner.ctx, { experiment_id, username: reader.u.username, level: "READ" });

    await expect(stranger.caller.tracing.get({ trace_id: t.traceId })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(stranger.caller.tracing.createAssessment({ trace_id: t.traceId, kind: "feedback", name: "correctness", value: "yes" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect((await stranger.caller.tracing.search({ experiment_ids: [experiment_id] })).traces).toEqual([]);
    expect(await stranger.caller.tracing.count({ experiment_ids: [experiment_id] })).toBe(0);

    const seen = await reader.caller.tracing.get({ trace_id: t.traceId });
    expect(seen.access).toMatchObject({ level: "READ", canEdit: false, canManage: false });
    await expect(reader.caller.tracing.createAssessment({ trace_id: t.traceId, kind: "feedback", name: "correctness", value: "yes" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(reader.caller.tracing.setTag({ trace_id: t.traceId, key: "k", value: "v" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(reader.caller.tracing.delete({ experiment_id, trace_ids: [t.traceId] })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(reader.caller.tracing.setRetention({ experiment_id, days: 7 })).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect(await reader.caller.tracing.getRetention({ experiment_id })).toEqual({ days: null });
  });

  it("summarises a logged model's traces and their feedback", async () => {
    const { caller, ctx } = await user();
    const stranger = await user();
    const { experiment_id } = await caller.tracking.experiments.create({ name: unique("evidence") });
    const m = await createLoggedModel(ctx, { experiment_id, name: "agent" });
    const model_id = m.info.model_id;
    const t1 = await chatTrace(ctx, experiment_id, { metadata: { "mlflow.modelId": model_id } });
    const t2 = await chatTrace(ctx, experiment_id, { metadata: { "mlflow.modelId": model_id } });
    await chatTrace(ctx, experiment_id);
    await caller.tracing.createAssessment({ trace_id: t1.traceId, kind: "feedback", name: "correctness", value: "yes" });
    await caller.tracing.createAssessment({ trace_id: t2.traceId, kind: "feedback", name: "correctness", value: false });

    const ev = await caller.tracing.modelEvidence({ model_id });
    expect(ev).toMatchObject({ traces: 2, assessed: 2, aggregates: [{ name: "correctness", traces: 2, mean: 0.5, passing: 1 }] });
    expect(await caller.tracing.count({ experiment_ids: [experiment_id], filter: `metadata.\`mlflow.modelId\` = '${model_id}'` })).toBe(2);
    await expect(stranger.caller.tracing.modelEvidence({ model_id })).rejects.toMatchObject({ code: "NOT_FOUND" });

    // the stranger's own experiment holds a trace made with this model: the owner, who cannot
    // read that experiment, does not see it counted (approval gates count every trace of the model)
    const { experiment_id: theirs } = await stranger.caller.tracking.experiments.create({ name: unique("elsewhere") });
    const t3 = await chatTrace(stranger.ctx, theirs, { metadata: { "mlflow.modelId": model_id } });
    await stranger.caller.tracing.createAssessment({ trace_id: t3.traceId, kind: "feedback", name: "correctness", value: "no" });
    expect(await caller.tracing.modelEvidence({ model_id })).toMatchObject({ traces: 2, aggregates: [{ name: "correctness", traces: 2, mean: 0.5 }] });
    expect(await modelTraceCounts(ctx.db, model_id)).toEqual({ traces: 3, assessed: 3 });
  });
});
