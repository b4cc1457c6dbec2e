import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "@modelgate/db";
import { useTestDatabase } from "@modelgate/db/test-db";
import { configureTracking, setExperimentPermission } from "@modelgate/core";
import { createDataPlaneApp } from "../src/rest/index.ts";
import { V2, V3, hexId, jsonAttr, locations, simpleTrace, spanCount, traceInfo, traceRow, tracingClient, type TSpan, type TracingClient } from "./tracing-fixtures.ts";

// MLflow's tracing RPCs (service.proto, assessments.proto) on the wire: StartTraceV3 before and
// after the spans, the reads, SearchTracesV3's filter language, tags, deletion, links to runs,
// assessments, the v2 routes of the 2.x client, and who may do what. Shapes and messages were
// compared with MLflow 3.6's server (:5055); where they differ the test says so.

let db: Db;
let app: FastifyInstance;
let owner: TracingClient;

beforeAll(async () => {
  db = (await useTestDatabase()).db;
  app = await createDataPlaneApp({ db, version: "t" });
  owner = await tracingClient(app, db);
});
afterAll(async () => {
  await app?.close();
});

const TS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$/;
const notFound = (id: string) => ({ error_code: "RESOURCE_DOES_NOT_EXIST", message: `Trace with ID '${id}' not found.` });
const invalidParam = (message: string | RegExp) => ({ error_code: "INVALID_PARAMETER_VALUE", message: typeof message === "string" ? message : expect.stringMatching(message) });
const idsOf = (body: { traces?: { trace_id?: string; request_id?: string }[] }) => (body.traces ?? []).map((t) => t.trace_id ?? t.request_id);

async function startV3(c: TracingClient, exp: string, extra: Record<string, unknown> = {}) {
  return c.call("POST", "/traces", { trace: { trace_info: traceInfo(exp, extra) } });
}
const search = (c: TracingClient, body: Record<string, unknown>) => c.call("POST", "/traces/search", body);

describe("StartTraceV3", () => {
  let exp: string;
  beforeAll(async () => {
    exp = await owner.experiment();
  });

  it("after the spans: completes the trace the spans made, the record's fields winning, with MLflow's tags", async () => {
    const t = simpleTrace({ status: 2, attrs: [jsonAttr("mlflow.spanInputs", { q: "in" }), jsonAttr("mlflow.spanOutputs", { a: "out" })] });
    expect((await owner.otlp(exp, t.spans)).status).toBe(200);
    const run = await owner.run(exp);
    const r = await startV3(owner, exp, {
      trace_id: t.mlflowId,
      client_request_id: "client-1",
      request_preview: "the request",
      trace_metadata: { "mlflow.trace.sizeStats": '{"num_spans": 2}', "mlflow.sourceRun": run, "mlflow.user": "bob" },
      tags: { env: "prod", "mlflow.traceName": "root" },
    });
    expect(r.status, r.raw).toBe(200);
    // the same keys, in the same shape, as MLflow's answer to the same record
    expect(r.body).toEqual({
      trace: {
        trace_info: {
          trace_id: t.mlflowId,
          client_request_id: "client-1",
          trace_location: { type: "MLFLOW_EXPERIMENT", mlflow_experiment: { experiment_id: exp } },
          request_preview: "the request",
          response_preview: '{"a": "out"}',
          request_time: "2025-01-02T03:04:05.678Z",
          execution_duration: "1.500s",
          state: "OK",
          trace_metadata: { "mlflow.trace.sizeStats": '{"num_spans": 2}', "mlflow.sourceRun": run, "mlflow.user": "bob" },
          tags: {
            env: "prod",
            "mlflow.traceName": "root",
            "mlflow.trace.spansLocation": "TRACKING_STORE",
            "mlflow.artifactLocation": expect.stringMatching(new RegExp(`/traces/${t.mlflowId}/artifacts$`)),
          },
        },
      },
    });
    // spans kept, counted once
    expect(await traceRow(db, t.mlflowId)).toMatchObject({ span_count: 2, state: "OK", name: "root" });
    const info = await owner.call("GET", `/traces/${t.mlflowId}`);
    expect(info).toMatchObject({ status: 200, body: r.body });
    const full = await owner.call("GET", "/traces/get", { trace_id: t.mlflowId });
    expect(full.status).toBe(200);
    expect(full.body.trace.trace_info).toEqual(r.body.trace.trace_info);
    expect(full.body.trace.spans).toHaveLength(2);
    // sending the record again is idempotent
    const again = await startV3(owner, exp, { trace_id: t.mlflowId, trace_metadata: { "mlflow.trace.sizeStats": '{"num_spans": 2}' } });
    expect(again.status).toBe(200);
    expect(again.body.trace.trace_info.tags.env).toBe("prod");
    expect(again.body.trace.trace_info.client_request_id).toBe("client-1");
  });

  it("before the spans: GetTrace is 404 until all spans counted in mlflow.trace.sizeStats are in, unless allow_partial", async () => {
    const t = simpleTrace({ status: 2 });
    const r = await startV3(owner, exp, { trace_id: t.mlflowId, state: "OK", trace_metadata: { "mlflow.trace.sizeStats": '{"num_spans": 3}' } });
    expect(r.status, r.raw).toBe(200);
    expect(r.body.trace.trace_info.tags["mlflow.trace.spansLocation"]).toBe("TRACKING_STORE");
    // MLflow: "Trace with ID … is not fully exported yet, please try again later." (also 404)
    expect(await owner.call("GET", "/traces/get", { trace_id: t.mlflowId })).toMatchObject({ status: 404, body: notFound(t.mlflowId) });
    const partial = await owner.call("GET", "/traces/get", { trace_id: t.mlflowId, allow_partial: "true" });
    expect(partial.status).toBe(200);
    expect(partial.body.trace.spans).toBeUndefined();
    expect(partial.body.trace.trace_info.trace_id).toBe(t.mlflowId);

    expect((await owner.otlp(exp, t.spans)).status).toBe(200);
    // 2 of 3
    expect((await owner.call("GET", "/traces/get", { trace_id: t.mlflowId })).status).toBe(404);
    expect((await owner.call("GET", "/traces/get", { trace_id: t.mlflowId, allow_partial: "true" })).body.trace.spans).toHaveLength(2);
    expect((await owner.call("GET", "/traces/get", { trace_id: t.mlflowId, allow_partial: "false" })).status).toBe(404);
    const third: TSpan = { traceId: t.traceId, spanId: hexId(8), parentSpanId: t.childId, name: "third", startNs: t.child.startNs + 5n, endNs: t.child.endNs };
    expect((await owner.otlp(exp, [third])).status).toBe(200);
    const whole = await owner.call("GET", "/traces/get", { trace_id: t.mlflowId });
    expect(whole.status).toBe(200);
    expect(whole.body.trace.spans.map((s: { name: string }) => s.name)).toEqual(["root", "child", "third"]);
    // the record said OK: the root span's ERROR does not override it; the name comes from the root
    expect(whole.body.trace.trace_info.state).toBe("OK");
    expect(await traceRow(db, t.mlflowId)).toMatchObject({ span_count: 3, name: "root" });
  });

  it("without sizeStats a trace is complete with its first span", async () => {
    const t = simpleTrace();
    await startV3(owner, exp, { trace_id: t.mlflowId });
    expect((await owner.call("GET", "/traces/get", { trace_id: t.mlflowId })).status).toBe(404);
    await owner.otlp(exp, [t.child]);
    expect((await owner.call("GET", "/traces/get", { trace_id: t.mlflowId })).status).toBe(200);
  });

  // MLflow 3.6 stores such a record under the trace id "" (and artifactLocation …/traces/artifacts)
  it("without a trace_id one is made (32 hex digits); without request_time, now", async () => {
    const before = Date.now();
    const r = await owner.call("POST", "/traces", { trace: { trace_info: { trace_location: { type: "MLFLOW_EXPERIMENT", mlflow_experiment: { experiment_id: exp } }, state: "OK" } } });
    expect(r.status, r.raw).toBe(200);
    expect(r.body.trace.trace_info.trace_id).toMatch(/^(tr-)?[0-9a-f]{32}$/);
    expect(r.body.trace.trace_info.request_time).toMatch(TS);
    expect(Date.parse(r.body.trace.trace_info.request_time)).toBeGreaterThanOrEqual(before - 1000);
    expect(r.body.trace.trace_info.execution_duration).toBeUndefined();
  });

  it("carries inline assessments", async () => {
    const id = `tr-${hexId(16)}`;
    const r = await startV3(owner, exp, { trace_id: id, assessments: [{ assessment_name: "q", source: { source_type: "CODE", source_id: "fn" }, feedback: { value: 3 } }] });
    expect(r.status, r.raw).toBe(200);
    expect(r.body.trace.trace_info.assessments).toEqual([
      expect.objectContaining({ assessment_id: expect.stringMatching(/^a-[0-9a-f]{32}$/), assessment_name: "q", trace_id: id, feedback: { value: 3 }, valid: true }),
    ]);
  });

  it("refuses bad records with 400 INVALID_PARAMETER_VALUE and the caller's mistakes never as 5xx", async () => {
    const missing = (name: string) => invalidParam(`Missing value for required parameter '${name}'. See the API docs for more information about request parameters.`);
    expect(await owner.call("POST", "/traces", {})).toMatchObject({ status: 400, body: missing("trace") });
    expect(await owner.call("POST", "/traces", { trace: {} })).toMatchObject({ status: 400, body: missing("trace.trace_info") });
    expect(await owner.call("POST", "/traces", { trace: { trace_info: { state: "OK" } } })).toMatchObject({ status: 400, body: missing("trace.trace_info.trace_location.mlflow_experiment.experiment_id") });
    expect(await startV3(owner, exp, { state: "DONE" })).toMatchObject({ status: 400, body: invalidParam("Invalid trace state 'DONE'. Valid states are STATE_UNSPECIFIED, OK, ERROR, IN_PROGRESS") });
    expect(await startV3(owner, exp, { request_time: "yesterday" })).toMatchObject({ status: 400, body: invalidParam(/request_time/) });
    expect(await startV3(owner, exp, { request_time: 1700000000000 })).toMatchObject({ status: 400, body: invalidParam(/request_time/) });
    expect(await startV3(owner, exp, { execution_duration: "1.5" })).toMatchObject({ status: 400, body: invalidParam(/execution_duration/) });
    expect(await startV3(owner, exp, { tags: { k: 5 } })).toMatchObject({ status: 400, body: invalidParam(/tags\.k/) });
    expect(await startV3(owner, exp, { tags: { ["k".repeat(251)]: "v" } })).toMatchObject({ status: 400, body: invalidParam(/exceeds the limit of 250/) });
    expect(await startV3(owner, exp, { trace_metadata: { m: "v".repeat(8001) } })).toMatchObject({ status: 400, body: invalidParam(/exceeds the limit of 8000/) });
    expect(await startV3(owner, exp, { trace_id: `tr-${"a".repeat(70)}` })).toMatchObject({ status: 400, body: invalidParam(/longer than 64/) });
    expect(await startV3(owner, exp, { assessments: "x" })).toMatchObject({ status: 400 });
    expect(await startV3(owner, "987654321")).toMatchObject({ status: 404, body: { error_code: "RESOURCE_DOES_NOT_EXIST" } });
  });

  it("a trace id that lives in another experiment: RESOURCE_ALREADY_EXISTS, and the other trace is untouched", async () => {
    const id = `tr-${hexId(16)}`;
    expect((await startV3(owner, exp, { trace_id: id, tags: { a: "1" } })).status).toBe(200);
    const other = await owner.experiment();
    const r = await startV3(owner, other, { trace_id: id, tags: { a: "2" } });
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
    expect(r.body).toEqual({ error_code: "RESOURCE_ALREADY_EXISTS", message: `Trace with ID '${id}' already exists in another experiment.` });
    expect((await owner.call("GET", `/traces/${id}`)).body.trace.trace_info).toMatchObject({ trace_location: { mlflow_experiment: { experiment_id: exp } }, tags: { a: "1" } });
  });
});

describe("GetTraceInfoV3, GetTrace and BatchGetTraces", () => {
  let exp: string;
  beforeAll(async () => {
    exp = await owner.experiment();
  });

  it("unknown trace ids are 404 RESOURCE_DOES_NOT_EXIST on every read, under both v3 prefixes", async () => {
    const id = `tr-${hexId(16)}`;
    expect(await owner.call("GET", `/traces/${id}`)).toMatchObject({ status: 404, body: notFound(id) });
    expect(await owner.call("GET", `/traces/${id}`, undefined, "/ajax-api/3.0/mlflow")).toMatchObject({ status: 404, body: notFound(id) });
    expect(await owner.call("GET", "/traces/get", { trace_id: id })).toMatchObject({ status: 404, body: notFound(id) });
    expect(await owner.call("GET", "/traces/get", { trace_id: id, allow_partial: "true" })).toMatchObject({ status: 404, body: notFound(id) });
    expect(await owner.call("GET", `/traces/${id}/info`, undefined, V2)).toMatchObject({ status: 404, body: notFound(id) });
    expect(await owner.call("GET", "/traces/get", {})).toMatchObject({ status: 400, body: { error_code: "INVALID_PARAMETER_VALUE" } });
  });

  it("the ajax-api prefix answers as the api one", async () => {
    const t = simpleTrace();
    await owner.otlp(exp, t.spans);
    const a = await owner.call("GET", `/traces/${t.mlflowId}`);
    const b = await owner.call("GET", `/traces/${t.mlflowId}`, undefined, "/ajax-api/3.0/mlflow");
    expect(b).toEqual(a);
  });

  it("BatchGetTraces: complete traces in the order asked, leaving out unknown and incomplete ones; limits", async () => {
    const a = simpleTrace({ rootName: "a" });
    const b = simpleTrace({ rootName: "b" });
    const c = simpleTrace({ rootName: "c" });
    await owner.otlp(exp, [...a.spans, ...b.spans, ...c.spans]);
    // c waits for a third span
    await startV3(owner, exp, { trace_id: c.mlflowId, trace_metadata: { "mlflow.trace.sizeStats": '{"num_spans": 3}' } });
    const unknown = `tr-${hexId(16)}`;
    const r = await owner.call("GET", "/traces/batchGet", { trace_ids: [b.mlflowId, unknown, c.mlflowId, a.mlflowId, b.mlflowId] } as never);
    expect(r.status, r.raw).toBe(200);
    expect(r.body.traces.map((t: { trace_info: { trace_id: string } }) => t.trace_info.trace_id)).toEqual([b.mlflowId, a.mlflowId]);
    expect(r.body.traces[0].spans).toHaveLength(2);
    // the same trace as GetTrace gives
    expect(r.body.traces[1]).toEqual((await owner.call("GET", "/traces/get", { trace_id: a.mlflowId })).body.trace);
    expect(await owner.call("GET", "/traces/batchGet", { trace_ids: [unknown] } as never)).toMatchObject({ status: 200, body: {} });
    expect(await owner.call("GET", "/traces/batchGet", {})).toMatchObject({ status: 400, body: invalidParam(/trace_ids/) });
    const many = Array.from({ length: 101 }, () => `tr-${hexId(16)}`);
    expect(await owner.call("GET", "/traces/batchGet", { trace_ids: many } as never)).toMatchObject({ status: 400, body: invalidParam("At most 100 trace ids can be fetched at once, got 101") });
  });
});

describe("SearchTracesV3", () => {
  let exp: string;
  let run: string;
  let run2: string;
  const T: string[] = [];
  const base = Date.UTC(2025, 0, 1);

  beforeAll(async () => {
    exp = await owner.experiment();
    run = await owner.run(exp);
    run2 = await owner.run(exp);
    const recs = [
      { state: "OK", dur: "0.1s", tags: { env: "prod" }, meta: { "mlflow.sourceRun": run }, preview: "I want a REFUND please" },
      { state: "ERROR", dur: "2s", tags: { env: "dev" }, meta: {}, preview: "hello" },
      { state: "OK", dur: "0.5s", tags: { env: "prod-eu" }, meta: {}, preview: "spans" },
      { state: "IN_PROGRESS", dur: "0.05s", tags: {}, meta: {}, preview: "pending" },
      { state: "OK", dur: "1s", tags: { env: "Prod" }, meta: {}, preview: "judged" },
    ];
    for (const [i, r] of recs.entries()) {
      const id = `tr-${hexId(16)}`;
      T.push(id);
      const res = await startV3(owner, exp, { trace_id: id, request_time: new Date(base + i * 1000).toISOString(), execution_duration: r.dur, state: r.state, tags: r.tags, trace_metadata: r.meta, request_preview: r.preview });
      expect(res.status, res.raw).toBe(200);
    }
    // T[2] gets spans: a RETRIEVER span named "retrieve" whose content mentions "needle"
    const spansOf = T[2]!.slice(3);
    const rootId = hexId(8);
    const start = BigInt(base + 2000) * 1_000_000n;
    await owner.otlp(exp, [
      { traceId: spansOf, spanId: rootId, name: "agent", startNs: start, endNs: start + 400_000_000n, status: { code: 1 } },
      { traceId: spansOf, spanId: hexId(8), parentSpanId: rootId, name: "retrieve", startNs: start + 1n, endNs: start + 2n, attributes: [jsonAttr("mlflow.spanType", "RETRIEVER"), jsonAttr("mlflow.spanInputs", "find the needle")] },
    ]);
    // T[4] gets feedback
    for (const [name, value] of [["correctness", "yes"], ["score", 0.9], ["safe", true]] as const) {
      const a = await owner.call("POST", `/traces/${T[4]}/assessments`, { assessment: { assessment_name: name, source: { source_type: "LLM_JUDGE", source_id: "judge" }, feedback: { value } } });
      expect(a.status, a.raw).toBe(200);
    }
  });

  const find = async (filter: string, extra: Record<string, unknown> = {}) => {
    const r = await search(owner, { locations: locations(exp), filter, ...extra });
    expect(r.status, `${filter}: ${r.raw}`).toBe(200);
    return idsOf(r.body);
  };
  const t = (...i: number[]) => i.map((n) => T[n]);

  it("without a filter: every trace, newest first, the TraceInfoV3 shape GetTraceInfoV3 gives", async () => {
    const r = await search(owner, { locations: locations(exp) });
    expect(idsOf(r.body)).toEqual(t(4, 3, 2, 1, 0));
    expect(r.body.next_page_token).toBeUndefined();
    expect(r.body.traces[4]).toEqual((await owner.call("GET", `/traces/${T[0]}`)).body.trace.trace_info);
    expect(r.body.traces[4]).toEqual({
      trace_id: T[0],
      trace_location: { type: "MLFLOW_EXPERIMENT", mlflow_experiment: { experiment_id: exp } },
      request_preview: "I want a REFUND please",
      request_time: "2025-01-01T00:00:00Z",
      execution_duration: "0.100s",
      state: "OK",
      trace_metadata: { "mlflow.sourceRun": run },
      tags: { env: "prod", "mlflow.trace.spansLocation": "TRACKING_STORE", "mlflow.artifactLocation": expect.any(String) },
    });
  });

  it("trace.status", async () => {
    expect(await find("trace.status = 'OK'")).toEqual(t(4, 2, 0));
    expect(await find("trace.status != 'OK'")).toEqual(t(3, 1));
    expect(await find("attributes.status IN ('ERROR', 'IN_PROGRESS')")).toEqual(t(3, 1));
  });

  it("trace.timestamp_ms and trace.execution_time_ms", async () => {
    expect(await find(`trace.timestamp_ms > ${base + 2000}`)).toEqual(t(4, 3));
    expect(await find(`trace.timestamp_ms >= ${base + 2000}`)).toEqual(t(4, 3, 2));
    expect(await find(`trace.timestamp_ms = ${base + 1000}`)).toEqual(t(1));
    expect(await find(`trace.timestamp_ms < ${base + 1000}`)).toEqual(t(0));
    expect(await find("trace.execution_time_ms >= 1000")).toEqual(t(4, 1));
    expect(await find("trace.execution_time_ms < 100")).toEqual(t(3));
    expect(await find(`trace.timestamp_ms >= ${base} AND trace.execution_time_ms <= 500`)).toEqual(t(3, 2, 0));
  });

  it("tags.x with =, !=, LIKE and ILIKE (!= leaves out traces without the tag, as MLflow)", async () => {
    expect(await find("tags.env = 'prod'")).toEqual(t(0));
    expect(await find("tags.env != 'prod'")).toEqual(t(4, 2, 1));
    expect(await find("tags.env LIKE 'prod%'")).toEqual(t(2, 0));
    expect(await find("tags.env ILIKE 'prod%'")).toEqual(t(4, 2, 0));
    expect(await find("tags.`mlflow.trace.spansLocation` = 'TRACKING_STORE'")).toEqual(t(4, 3, 2, 1, 0));
    expect(await find("tags.nope = 'x'")).toEqual([]);
  });

  it("metadata.`mlflow.sourceRun` and trace.run_id (including links made by link-to-run)", async () => {
    expect(await find(`metadata.\`mlflow.sourceRun\` = '${run}'`)).toEqual(t(0));
    expect(await find(`request_metadata.\`mlflow.sourceRun\` = '${run}'`)).toEqual(t(0));
    expect(await find(`trace.run_id = '${run}'`)).toEqual(t(0));
    const link = await owner.call("POST", "/traces/link-to-run", { trace_ids: [T[1], T[3]], run_id: run2 });
    expect(link).toMatchObject({ status: 200, body: {} });
    expect(await find(`trace.run_id = '${run2}'`)).toEqual(t(3, 1));
    // linking twice is harmless; a trace linked to a second run is found by either
    expect((await owner.call("POST", "/traces/link-to-run", { trace_ids: [T[1], T[0]], run_id: run2 })).status).toBe(200);
    expect(await find(`trace.run_id = '${run2}'`)).toEqual(t(3, 1, 0));
    expect(await find(`trace.run_id = '${run}'`)).toEqual(t(0));
  });

  it("span.name, span.type and trace.text", async () => {
    expect(await find("span.name = 'retrieve'")).toEqual(t(2));
    expect(await find("span.name LIKE 'ret%'")).toEqual(t(2));
    expect(await find("span.type = 'RETRIEVER'")).toEqual(t(2));
    expect(await find("span.type = 'LLM'")).toEqual([]);
    expect(await find("trace.text ILIKE '%refund%'")).toEqual(t(0));
    expect(await find("trace.text LIKE '%refund%'")).toEqual([]);
    expect(await find("trace.text ILIKE '%needle%'")).toEqual(t(2));
  });

  it("feedback.<name> by the value's text (string, number, boolean)", async () => {
    expect(await find("feedback.correctness = 'yes'")).toEqual(t(4));
    expect(await find("feedback.correctness = 'no'")).toEqual([]);
    expect(await find("feedback.score = 0.9")).toEqual(t(4));
    expect(await find("feedback.safe = 'true'")).toEqual(t(4));
    expect(await find("feedback.correctness != 'no'")).toEqual(t(4));
  });

  it("order_by timestamp_ms ASC/DESC and execution_time_ms", async () => {
    expect(idsOf((await search(owner, { locations: locations(exp), order_by: ["timestamp_ms ASC"] })).body)).toEqual(t(0, 1, 2, 3, 4));
    expect(idsOf((await search(owner, { locations: locations(exp), order_by: ["trace.timestamp_ms DESC"] })).body)).toEqual(t(4, 3, 2, 1, 0));
    expect(idsOf((await search(owner, { locations: locations(exp), order_by: ["execution_time_ms DESC"] })).body)).toEqual(t(1, 4, 2, 0, 3));
    expect(idsOf((await search(owner, { locations: locations(exp), order_by: ["execution_time_ms"] })).body)).toEqual(t(3, 0, 2, 4, 1));
    expect(idsOf((await search(owner, { locations: locations(exp), order_by: ["status ASC", "timestamp_ms ASC"] })).body)).toEqual(t(1, 3, 0, 2, 4));
  });

  it("pages with max_results and page_token: every trace once, the last page without a token", async () => {
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const r = await search(owner, { locations: locations(exp), max_results: 2, order_by: ["timestamp_ms ASC"], ...(token ? { page_token: token } : {}) });
      expect(r.status, r.raw).toBe(200);
      expect(r.body.traces.length).toBeLessThanOrEqual(2);
      seen.push(...(idsOf(r.body) as string[]));
      token = r.body.next_page_token;
      pages++;
    } while (token && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual(t(0, 1, 2, 3, 4));
    // exactly max_results traces: no next page
    const five = await search(owner, { locations: locations(exp), max_results: 5 });
    expect(five.body.next_page_token).toBeUndefined();
    // with a filter
    const p1 = await search(owner, { locations: locations(exp), max_results: 1, filter: "trace.status = 'OK'" });
    const p2 = await search(owner, { locations: locations(exp), max_results: 1, filter: "trace.status = 'OK'", page_token: p1.body.next_page_token });
    expect([...idsOf(p1.body), ...idsOf(p2.body)]).toEqual(t(4, 2));
  });

  it("malformed filters, bad order_by and max_results > 500: 400 INVALID_PARAMETER_VALUE with a clear message", async () => {
    const bad = async (body: Record<string, unknown>, message: string | RegExp) => {
      const r = await search(owner, { locations: locations(exp), ...body });
      expect(r, JSON.stringify(body)).toMatchObject({ status: 400, body: invalidParam(message) });
    };
    // MLflow: "Invalid attribute key 'bogus' specified. Valid keys are '{…}'"
    await bad({ filter: "trace.bogus = 'x'" }, /^Invalid attribute key 'bogus' specified\. Valid keys are/);
    await bad({ filter: "trace.status = " }, /./);
    await bad({ filter: "trace.status = 'OK' AND" }, /./);
    await bad({ filter: "nothing.x = 'y'" }, /^Invalid entity type 'nothing'/);
    await bad({ filter: "trace.status > 'OK'" }, /^Invalid comparator '>'/);
    await bad({ filter: "trace.timestamp_ms = 'abc'" }, /Expected numeric value type for numeric attribute: timestamp_ms/);
    await bad({ filter: "tags.env = prod" }, /./);
    await bad({ filter: "span.bogus = 'x'" }, /^Invalid span attribute 'bogus'/);
    await bad({ filter: "feedback.x > 1" }, /^Invalid comparator '>'/);
    await bad({ filter: "trace.text = 'x'" }, /^Invalid comparator '='/);
    await bad({ order_by: ["foo DESC"] }, /foo/);
    await bad({ order_by: ["tags.env ASC"] }, /tags\.env/);
    await bad({ order_by: ["timestamp_ms SIDEWAYS"] }, /./);
    await bad({ max_results: 501 }, /max_results/);
    await bad({ max_results: 0 }, /max_results/);
    await bad({ page_token: "not-a-token" }, /[Ii]nvalid page token/);
    expect((await search(owner, { locations: locations(exp), max_results: 500 })).status).toBe(200);
    expect(await search(owner, {})).toMatchObject({ status: 400, body: invalidParam(/locations/) });
    expect(await search(owner, { locations: [{ type: "MLFLOW_EXPERIMENT" }] })).toMatchObject({ status: 400, body: invalidParam(/experiment_id/) });
    expect(await search(owner, { locations: locations("abc") })).toMatchObject({ status: 400, body: invalidParam(/experiment id/) });
  });

  it("an unknown experiment finds nothing", async () => {
    const r = await search(owner, { locations: locations("987654321") });
    expect(r.status).toBe(200);
    expect(idsOf(r.body)).toEqual([]);
  });
});

describe("trace tags", () => {
  let exp: string;
  beforeAll(async () => {
    exp = await owner.experiment();
  });

  it.each([V3, V2])("set, overwrite and delete under %s; deleting a missing tag is 404", async (prefix) => {
    const id = `tr-${hexId(16)}`;
    await startV3(owner, exp, { trace_id: id });
    expect(await owner.call("PATCH", `/traces/${id}/tags`, { key: "k", value: "v1" }, prefix)).toMatchObject({ status: 200, body: {} });
    expect(await owner.call("PATCH", `/traces/${id}/tags`, { key: "k", value: "v2" }, prefix)).toMatchObject({ status: 200 });
    expect((await owner.call("GET", `/traces/${id}`)).body.trace.trace_info.tags.k).toBe("v2");
    // the key as a query parameter (what the client sends with DELETE) or in a JSON body
    const del = await app.inject({ method: "DELETE", url: `${prefix}/traces/${id}/tags?key=k`, headers: owner.headers });
    expect(del.statusCode, del.body).toBe(200);
    expect((await owner.call("GET", `/traces/${id}`)).body.trace.trace_info.tags.k).toBeUndefined();
    await owner.call("PATCH", `/traces/${id}/tags`, { key: "k2", value: "x" }, prefix);
    expect(await owner.call("DELETE", `/traces/${id}/tags`, { key: "k2" }, prefix)).toMatchObject({ status: 200 });
    // MLflow 3.6 answers this with an HTML 500
    expect(await owner.call("DELETE", `/traces/${id}/tags`, { key: "k" }, prefix)).toEqual({
      status: 404,
      body: { error_code: "RESOURCE_DOES_NOT_EXIST", message: `No trace tag with key 'k' for trace with ID '${id}'` },
      raw: expect.any(String),
    });
  });

  it("validation and unknown traces", async () => {
    const id = `tr-${hexId(16)}`;
    await startV3(owner, exp, { trace_id: id });
    expect(await owner.call("PATCH", `/traces/${id}/tags`, { value: "v" })).toMatchObject({ status: 400, body: invalidParam(/key/) });
    expect(await owner.call("PATCH", `/traces/${id}/tags`, { key: "x".repeat(251), value: "v" })).toMatchObject({ status: 400, body: invalidParam(/exceeds the limit of 250/) });
    expect(await owner.call("PATCH", `/traces/${id}/tags`, { key: "k", value: "v".repeat(8001) })).toMatchObject({ status: 400, body: invalidParam(/exceeds the limit of 8000/) });
    expect(await owner.call("DELETE", `/traces/${id}/tags`, {})).toMatchObject({ status: 400, body: invalidParam(/key/) });
    const unknown = `tr-${hexId(16)}`;
    expect(await owner.call("PATCH", `/traces/${unknown}/tags`, { key: "k", value: "v" })).toMatchObject({ status: 404, body: notFound(unknown) });
    expect(await owner.call("DELETE", `/traces/${unknown}/tags`, { key: "k" })).toMatchObject({ status: 404, body: notFound(unknown) });
  });
});

describe("DeleteTraces", () => {
  it.each([V3, V2])("by ids under %s: the traces with their spans and assessments; others' ids are not touched", async (prefix) => {
    const exp = await owner.experiment();
    const a = simpleTrace();
    const b = simpleTrace();
    await owner.otlp(exp, [...a.spans, ...b.spans]);
    await owner.call("POST", `/traces/${a.mlflowId}/assessments`, { assessment: { assessment_name: "x", source: { source_type: "HUMAN", source_id: "me" }, feedback: { value: 1 } } });
    const elsewhere = await owner.experiment();
    const c = simpleTrace();
    await owner.otlp(elsewhere, c.spans);
    const r = await owner.call("POST", "/traces/delete-traces", { experiment_id: exp, request_ids: [a.mlflowId, c.mlflowId, "tr-unknown"] }, prefix);
    expect(r).toMatchObject({ status: 200, body: { traces_deleted: 1 } });
    expect(await owner.call("GET", `/traces/${a.mlflowId}`)).toMatchObject({ status: 404, body: notFound(a.mlflowId) });
    expect(await spanCount(db, a.mlflowId)).toBe(0);
    const [n] = await db.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM trace_assessment WHERE trace_id = ${a.mlflowId}`;
    expect(n!.n).toBe(0);
    expect((await owner.call("GET", `/traces/${b.mlflowId}`)).status).toBe(200);
    expect((await owner.call("GET", `/traces/${c.mlflowId}`)).status).toBe(200);
    // nothing left to delete: 0 (as MLflow)
    expect(await owner.call("POST", "/traces/delete-traces", { experiment_id: exp, request_ids: [a.mlflowId] }, prefix)).toMatchObject({ status: 200, body: { traces_deleted: 0 } });
  });

  it("by max_timestamp_millis, the oldest max_traces of them", async () => {
    const exp = await owner.experiment();
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const id = `tr-${hexId(16)}`;
      ids.push(id);
      await startV3(owner, exp, { trace_id: id, request_time: new Date(Date.UTC(2024, 0, 1) + i * 1000).toISOString() });
    }
    const cut = Date.UTC(2024, 0, 1) + 2000;
    expect(await owner.call("POST", "/traces/delete-traces", { experiment_id: exp, max_timestamp_millis: cut, max_traces: 2 })).toMatchObject({ status: 200, body: { traces_deleted: 2 } });
    expect(idsOf((await search(owner, { locations: locations(exp), order_by: ["timestamp_ms ASC"] })).body)).toEqual([ids[2], ids[3]]);
    expect(await owner.call("POST", "/traces/delete-traces", { experiment_id: exp, max_timestamp_millis: cut })).toMatchObject({ status: 200, body: { traces_deleted: 1 } });
    expect(idsOf((await search(owner, { locations: locations(exp) })).body)).toEqual([ids[3]]);
  });

  it("validation errors (MLflow's v3 wording names trace_ids, ours request_ids)", async () => {
    const exp = await owner.experiment();
    const bad = (body: Record<string, unknown>) => owner.call("POST", "/traces/delete-traces", { experiment_id: exp, ...body });
    expect(await bad({})).toMatchObject({ status: 400, body: invalidParam("Either `max_timestamp_millis` or `request_ids` must be specified.") });
    expect(await bad({ max_timestamp_millis: 1, request_ids: ["a"] })).toMatchObject({ status: 400, body: invalidParam("Only one of `max_timestamp_millis` and `request_ids` can be specified.") });
    expect(await bad({ max_traces: 1, request_ids: ["a"] })).toMatchObject({ status: 400, body: invalidParam("`max_traces` can't be specified if `request_ids` is specified.") });
    expect(await bad({ max_timestamp_millis: 1, max_traces: 0 })).toMatchObject({ status: 400, body: invalidParam("`max_traces` must be a positive integer, received 0.") });
    expect(await bad({ request_ids: Array.from({ length: 101 }, (_, i) => `tr-${i}`) })).toMatchObject({ status: 400, body: invalidParam(/At most 100/) });
    expect(await owner.call("POST", "/traces/delete-traces", { request_ids: ["a"] })).toMatchObject({ status: 400, body: invalidParam(/experiment_id/) });
    expect(await owner.call("POST", "/traces/delete-traces", { experiment_id: "987654321", request_ids: ["a"] })).toMatchObject({ status: 404 });
  });
});

describe("LinkTracesToRun", () => {
  it("needs EDIT on the run and READ on the traces; unknown runs and traces are 404; at most 100", async () => {
    const exp = await owner.experiment();
    const run = await owner.run(exp);
    const id = `tr-${hexId(16)}`;
    await startV3(owner, exp, { trace_id: id });
    // another user with READ (the default) on the experiment
    const reader = await tracingClient(app, db);
    expect(await reader.call("POST", "/traces/link-to-run", { trace_ids: [id], run_id: run })).toMatchObject({ status: 403, body: { error_code: "PERMISSION_DENIED" } });
    // the reader's own run, linking the owner's (readable) trace
    const readerExp = await reader.experiment();
    const readerRun = await reader.run(readerExp);
    expect(await reader.call("POST", "/traces/link-to-run", { trace_ids: [id], run_id: readerRun }, V2)).toMatchObject({ status: 200, body: {} });
    const unknown = `tr-${hexId(16)}`;
    expect(await owner.call("POST", "/traces/link-to-run", { trace_ids: [id, unknown], run_id: run })).toMatchObject({ status: 404, body: notFound(unknown) });
    // all or nothing: the readable id before the unknown one was not linked
    expect(idsOf((await search(owner, { locations: locations(exp), filter: `trace.run_id = '${run}'` })).body)).toEqual([]);
    expect(await owner.call("POST", "/traces/link-to-run", { trace_ids: [id], run_id: "0".repeat(32) })).toMatchObject({ status: 404, body: { error_code: "RESOURCE_DOES_NOT_EXIST" } });
    expect(await owner.call("POST", "/traces/link-to-run", { trace_ids: [id] })).toMatchObject({ status: 400, body: invalidParam(/run_id/) });
    expect(await owner.call("POST", "/traces/link-to-run", { trace_ids: Array.from({ length: 101 }, () => id), run_id: run })).toMatchObject({
      status: 400,
      body: invalidParam("Cannot link more than 100 traces to a run in a single request. Provided 101 traces."),
    });
  });
});

describe("assessments", () => {
  let exp: string;
  let id: string;
  beforeAll(async () => {
    exp = await owner.experiment();
    const t = simpleTrace();
    await owner.otlp(exp, t.spans);
    id = t.mlflowId;
  });
  const create = (assessment: Record<string, unknown>, c: TracingClient = owner, traceId = id) => c.call("POST", `/traces/${traceId}/assessments`, { assessment: { trace_id: traceId, ...assessment } });
  const human = { source_type: "HUMAN", source_id: "bob" };

  it("feedback with a boolean, rationale and metadata: MLflow's shape; GET gives it back", async () => {
    const r = await create({ assessment_name: "correct", source: human, feedback: { value: true }, rationale: "because", metadata: { m: "1" } });
    expect(r.status, r.raw).toBe(200);
    expect(r.body).toEqual({
      assessment: {
        assessment_id: expect.stringMatching(/^a-[0-9a-f]{32}$/),
        assessment_name: "correct",
        trace_id: id,
        source: human,
        create_time: expect.stringMatching(TS),
        last_update_time: expect.stringMatching(TS),
        feedback: { value: true },
        rationale: "because",
        metadata: { m: "1" },
        valid: true,
      },
    });
    expect(r.body.assessment.create_time).toBe(r.body.assessment.last_update_time);
    const got = await owner.call("GET", `/traces/${id}/assessments/${r.body.assessment.assessment_id}`);
    expect(got).toMatchObject({ status: 200, body: r.body });
    // GetTraceInfoV3 lists them
    const info = (await owner.call("GET", `/traces/${id}`)).body.trace.trace_info;
    expect(info.assessments).toContainEqual(r.body.assessment);
  });

  it("feedback values of every JSON kind, a feedback error, an expectation, a span-level assessment", async () => {
    for (const value of [0.75, 3, "yes", false, { nested: [1, "a"] }, [1, 2]]) {
      const r = await create({ assessment_name: "v", source: { source_type: "CODE", source_id: "fn" }, feedback: { value } });
      expect(r.status, r.raw).toBe(200);
      expect(r.body.assessment.feedback).toEqual({ value });
    }
    const err = await create({ assessment_name: "judge", source: { source_type: "LLM_JUDGE", source_id: "gpt" }, feedback: { error: { error_code: "RATE_LIMIT", error_message: "slow down" } } });
    expect(err.status, err.raw).toBe(200);
    // MLflow also writes "value": null beside the error
    expect(err.body.assessment.feedback).toEqual({ error: { error_code: "RATE_LIMIT", error_message: "slow down" } });
    const ex = await create({ assessment_name: "expected", source: human, expectation: { value: "Paris" } });
    expect(ex.status, ex.raw).toBe(200);
    expect(ex.body.assessment.expectation).toEqual({ value: "Paris" });
    expect(ex.body.assessment.feedback).toBeUndefined();
    const ser = await create({ assessment_name: "expected2", source: human, expectation: { serialized_value: { serialization_format: "JSON_FORMAT", value: '{"a": [1, 2]}' } } });
    expect(ser.status, ser.raw).toBe(200);
    expect(ser.body.assessment.expectation).toEqual({ serialized_value: { serialization_format: "JSON_FORMAT", value: '{"a": [1, 2]}' } });
    const spanId = hexId(8);
    const onSpan = await create({ assessment_name: "span-level", source: human, feedback: { value: 1 }, span_id: spanId });
    expect(onSpan.body.assessment.span_id).toBe(spanId);
  });

  it("update with update_mask: only the fields named change", async () => {
    const a = (await create({ assessment_name: "tone", source: human, feedback: { value: "ok" }, rationale: "fine", metadata: { k: "v" } })).body.assessment;
    await new Promise((r) => setTimeout(r, 5));
    const u = await owner.call("PATCH", `/traces/${id}/assessments/${a.assessment_id}`, { assessment: { assessment_name: "tone2", feedback: { value: 0.5 }, rationale: "ignored" }, update_mask: "assessmentName,feedback" });
    expect(u.status, u.raw).toBe(200);
    expect(u.body.assessment).toEqual({ ...a, assessment_name: "tone2", feedback: { value: 0.5 }, last_update_time: expect.stringMatching(TS) });
    expect(Date.parse(u.body.assessment.last_update_time)).toBeGreaterThan(Date.parse(a.last_update_time));
    const r2 = await owner.call("PATCH", `/traces/${id}/assessments/${a.assessment_id}`, { assessment: { rationale: "new reason", metadata: { k2: "v2" } }, update_mask: "rationale,metadata" });
    expect(r2.body.assessment).toMatchObject({ assessment_name: "tone2", rationale: "new reason", metadata: { k2: "v2" }, feedback: { value: 0.5 } });
    // a FieldMask object works too
    const r3 = await owner.call("PATCH", `/traces/${id}/assessments/${a.assessment_id}`, { assessment: { rationale: "third" }, update_mask: { paths: ["rationale"] } });
    expect(r3.body.assessment.rationale).toBe("third");
    expect(await owner.call("PATCH", `/traces/${id}/assessments/${a.assessment_id}`, { assessment: { rationale: "x" }, update_mask: "bogus" })).toMatchObject({ status: 400, body: invalidParam(/Invalid update_mask path 'bogus'/) });
    expect(await owner.call("PATCH", `/traces/${id}/assessments/${a.assessment_id}`, { assessment: { rationale: "x" } })).toMatchObject({ status: 400, body: invalidParam(/update_mask/) });
    expect(await owner.call("PATCH", `/traces/${id}/assessments/${a.assessment_id}`, { assessment: { expectation: { value: 1 } }, update_mask: "expectation" })).toMatchObject({ status: 400 });
    expect(await owner.call("PATCH", `/traces/${id}/assessments/a-nope`, { assessment: { rationale: "x" }, update_mask: "rationale" })).toMatchObject({ status: 404 });
  });

  it("an override invalidates the one it overrides; deleting the override makes it valid again", async () => {
    const orig = (await create({ assessment_name: "verdict", source: human, feedback: { value: "yes" } })).body.assessment;
    const over = await create({ assessment_name: "verdict", source: { source_type: "HUMAN", source_id: "al" }, feedback: { value: "no" }, overrides: orig.assessment_id });
    expect(over.status, over.raw).toBe(200);
    expect(over.body.assessment).toMatchObject({ overrides: orig.assessment_id, valid: true });
    expect((await owner.call("GET", `/traces/${id}/assessments/${orig.assessment_id}`)).body.assessment.valid).toBe(false);
    // search sees only valid feedback
    expect(idsOf((await search(owner, { locations: locations(exp), filter: "feedback.verdict = 'yes'" })).body)).toEqual([]);
    expect(idsOf((await search(owner, { locations: locations(exp), filter: "feedback.verdict = 'no'" })).body)).toEqual([id]);
    expect(await owner.call("DELETE", `/traces/${id}/assessments/${over.body.assessment.assessment_id}`)).toMatchObject({ status: 200, body: {} });
    expect((await owner.call("GET", `/traces/${id}/assessments/${orig.assessment_id}`)).body.assessment.valid).toBe(true);
    expect(await owner.call("GET", `/traces/${id}/assessments/${over.body.assessment.assessment_id}`)).toMatchObject({
      status: 404,
      body: { error_code: "RESOURCE_DOES_NOT_EXIST", message: `Assessment with ID '${over.body.assessment.assessment_id}' not found for trace '${id}'` },
    });
    expect(idsOf((await search(owner, { locations: locations(exp), filter: "feedback.verdict = 'yes'" })).body)).toEqual([id]);
    // overriding something that is not there
    expect(await create({ assessment_name: "verdict", source: human, feedback: { value: 1 }, overrides: "a-nope" })).toMatchObject({ status: 404 });
  });

  it("refuses assessments without a source (MLflow stores SOURCE_TYPE_UNSPECIFIED), without a value, or with both kinds", async () => {
    expect(await create({ assessment_name: "x", feedback: { value: 1 } })).toMatchObject({ status: 400, body: invalidParam("An assessment must have a source with source_type and source_id") });
    expect(await create({ assessment_name: "x", source: { source_type: "ROBOT", source_id: "r" }, feedback: { value: 1 } })).toMatchObject({ status: 400, body: invalidParam(/Invalid assessment source type: ROBOT/) });
    expect(await create({ assessment_name: "x", source: human })).toMatchObject({ status: 400, body: invalidParam("Exactly one of feedback or expectation must be specified") });
    expect(await create({ assessment_name: "x", source: human, feedback: { value: 1 }, expectation: { value: 1 } })).toMatchObject({ status: 400, body: invalidParam("Exactly one of feedback or expectation must be specified") });
    expect(await create({ assessment_name: "x", source: human, feedback: {} })).toMatchObject({ status: 400, body: invalidParam("Feedback must have either a value or an error") });
    expect(await create({ source: human, feedback: { value: 1 } })).toMatchObject({ status: 400, body: invalidParam(/assessment_name/) });
    expect(await create({ assessment_name: "x".repeat(251), source: human, feedback: { value: 1 } })).toMatchObject({ status: 400 });
    expect(await create({ assessment_name: "x", source: human, feedback: { value: 1 }, span_id: "xyz" })).toMatchObject({ status: 400, body: invalidParam("Invalid span_id 'xyz'") });
    expect(await owner.call("POST", `/traces/${id}/assessments`, {})).toMatchObject({ status: 400, body: invalidParam(/assessment/) });
    const unknown = `tr-${hexId(16)}`;
    expect(await create({ assessment_name: "x", source: human, feedback: { value: 1 } }, owner, unknown)).toMatchObject({ status: 404, body: notFound(unknown) });
    expect(await owner.call("GET", `/traces/${id}/assessments/a-nope`)).toMatchObject({ status: 404, body: { error_code: "RESOURCE_DOES_NOT_EXIST", message: `Assessment with ID 'a-nope' not found for trace '${id}'` } });
    expect(await owner.call("DELETE", `/traces/${id}/assessments/a-nope`)).toMatchObject({ status: 404 });
  });
});

describe("the v2 routes (the 2.x client)", () => {
  let exp: string;
  beforeAll(async () => {
    exp = await owner.experiment();
  });

  it("StartTrace, EndTrace, GetTraceInfo and SearchTraces: TraceInfo with lists of pairs", async () => {
    const s = await owner.call("POST", "/traces", { experiment_id: exp, timestamp_ms: 1_700_000_000_000, request_metadata: [{ key: "rm", value: "1" }], tags: [{ key: "t", value: "x" }] }, V2);
    expect(s.status, s.raw).toBe(200);
    const rid = s.body.trace_info.request_id as string;
    // a bare uuid4 hex, as MLflow's; MLflow also answers execution_time_ms 0 while in progress, ours leaves it out
    expect(rid).toMatch(/^[0-9a-f]{32}$/);
    expect(s.body).toEqual({
      trace_info: {
        request_id: rid,
        experiment_id: exp,
        timestamp_ms: 1_700_000_000_000,
        status: "IN_PROGRESS",
        request_metadata: [{ key: "rm", value: "1" }],
        tags: expect.arrayContaining([{ key: "t", value: "x" }, { key: "mlflow.artifactLocation", value: expect.stringMatching(new RegExp(`/traces/${rid}/artifacts$`)) }]),
      },
    });
    // a v2 trace's spans go to an artifact: no spansLocation tag
    expect(s.body.trace_info.tags).toHaveLength(2);

    const e = await owner.call("PATCH", `/traces/${rid}`, { timestamp_ms: 1_700_000_002_500, status: "OK", request_metadata: [{ key: "rm2", value: "2" }], tags: [{ key: "t2", value: "y" }] }, V2);
    expect(e.status, e.raw).toBe(200);
    expect(e.body.trace_info).toMatchObject({ request_id: rid, experiment_id: exp, timestamp_ms: 1_700_000_000_000, execution_time_ms: 2500, status: "OK" });
    expect(e.body.trace_info.request_metadata).toEqual(expect.arrayContaining([{ key: "rm", value: "1" }, { key: "rm2", value: "2" }]));
    expect(e.body.trace_info.request_metadata).toHaveLength(2);
    expect(e.body.trace_info.tags).toEqual(expect.arrayContaining([{ key: "t", value: "x" }, { key: "t2", value: "y" }]));
    expect(e.body.trace_info.tags).toHaveLength(3);

    const g = await owner.call("GET", `/traces/${rid}/info`, undefined, V2);
    expect(g).toMatchObject({ status: 200, body: e.body });
    const g2 = await owner.call("GET", `/traces/${rid}/info`, undefined, "/ajax-api/2.0/mlflow");
    expect(g2.body).toEqual(g.body);

    const list = await owner.call("GET", "/traces", { experiment_ids: exp }, V2);
    expect(list.status, list.raw).toBe(200);
    expect(list.body.traces).toEqual([e.body.trace_info]);
    // the v3 read of a v2 trace
    const v3 = (await owner.call("GET", `/traces/${rid}`)).body.trace.trace_info;
    expect(v3).toMatchObject({ trace_id: rid, state: "OK", execution_duration: "2.500s", request_time: "2023-11-14T22:13:20Z" });
  });

  it("SearchTraces (v2) filters, orders and pages as v3 does", async () => {
    const e2 = await owner.experiment();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await owner.call("POST", "/traces", { experiment_id: e2, timestamp_ms: 1_700_000_000_000 + i, tags: [{ key: "i", value: String(i) }] }, V2);
      ids.push(r.body.trace_info.request_id);
    }
    const p1 = await owner.call("GET", "/traces", { experiment_ids: e2, max_results: "2", order_by: "timestamp_ms ASC" }, V2);
    expect(p1.status, p1.raw).toBe(200);
    expect(idsOf(p1.body)).toEqual([ids[0], ids[1]]);
    const p2 = await owner.call("GET", "/traces", { experiment_ids: e2, max_results: "2", order_by: "timestamp_ms ASC", page_token: p1.body.next_page_token }, V2);
    expect(idsOf(p2.body)).toEqual([ids[2]]);
    expect(p2.body.next_page_token).toBeUndefined();
    const f = await owner.call("GET", "/traces", { experiment_ids: e2, filter: "tags.i = '1'" }, V2);
    expect(idsOf(f.body)).toEqual([ids[1]]);
    const v2trace = f.body.traces[0];
    expect(v2trace.request_metadata).toBeUndefined();
    expect(Object.keys(v2trace).sort()).toEqual(["experiment_id", "request_id", "status", "tags", "timestamp_ms"]);
    expect(await owner.call("GET", "/traces", {}, V2)).toMatchObject({ status: 400, body: invalidParam(/experiment_ids/) });
    expect(await owner.call("GET", "/traces", { experiment_ids: e2, filter: "trace.bogus = 'x'" }, V2)).toMatchObject({ status: 400 });
  });

  it("EndTrace refuses an unknown status (MLflow: 500) or a missing one, and unknown traces", async () => {
    const s = await owner.call("POST", "/traces", { experiment_id: exp, timestamp_ms: 1_700_000_000_000 }, V2);
    const rid = s.body.trace_info.request_id as string;
    expect(await owner.call("PATCH", `/traces/${rid}`, { timestamp_ms: 1, status: "BOGUS" }, V2)).toMatchObject({ status: 400, body: invalidParam("Invalid trace status 'BOGUS'") });
    expect(await owner.call("PATCH", `/traces/${rid}`, { timestamp_ms: 1 }, V2)).toMatchObject({ status: 400, body: invalidParam(/status/) });
    expect(await owner.call("PATCH", `/traces/${rid}`, { status: "OK" }, V2)).toMatchObject({ status: 400, body: invalidParam(/timestamp_ms/) });
    const unknown = `tr-${hexId(16)}`;
    expect(await owner.call("PATCH", `/traces/${unknown}`, { timestamp_ms: 1, status: "OK" }, V2)).toMatchObject({ status: 404, body: notFound(unknown) });
    expect(await owner.call("POST", "/traces", {}, V2)).toMatchObject({ status: 400, body: invalidParam(/experiment_id/) });
    expect(await owner.call("POST", "/traces", { experiment_id: exp, tags: { not: "a list" } }, V2)).toMatchObject({ status: 400 });
  });

  it("a v3 trace read through the v2 routes", async () => {
    const id = `tr-${hexId(16)}`;
    await startV3(owner, exp, { trace_id: id, state: "ERROR", trace_metadata: { m: "1" }, tags: { t: "2" } });
    const g = await owner.call("GET", `/traces/${id}/info`, undefined, V2);
    expect(g.body.trace_info).toMatchObject({ request_id: id, experiment_id: exp, timestamp_ms: Date.parse("2025-01-02T03:04:05.678Z"), execution_time_ms: 1500, status: "ERROR", request_metadata: [{ key: "m", value: "1" }] });
    const state = await startV3(owner, exp, { trace_id: `tr-${hexId(16)}`, state: "STATE_UNSPECIFIED" });
    const v2 = await owner.call("GET", `/traces/${state.body.trace.trace_info.trace_id}/info`, undefined, V2);
    expect(v2.body.trace_info.status).toBe("TRACE_STATUS_UNSPECIFIED");
  });
});

// PostgreSQL's text columns refuse NUL (22021): each field refuses it with 400
// INVALID_PARAMETER_VALUE (or stores it), never a 5xx.
describe("NUL characters in text fields are never a 5xx", () => {
  let exp: string;
  let id: string;
  beforeAll(async () => {
    exp = await owner.experiment();
    id = `tr-${hexId(16)}`;
    await startV3(owner, exp, { trace_id: id });
  });
  const NUL = "a\u0000b";
  it.each([
    ["a StartTraceV3 tag value", () => startV3(owner, exp, { trace_id: `tr-${hexId(16)}`, tags: { k: NUL } })],
    ["a StartTraceV3 metadata key", () => startV3(owner, exp, { trace_id: `tr-${hexId(16)}`, trace_metadata: { [NUL]: "v" } })],
    ["a StartTraceV3 request_preview", () => startV3(owner, exp, { trace_id: `tr-${hexId(16)}`, request_preview: NUL })],
    ["a StartTraceV3 client_request_id", () => startV3(owner, exp, { trace_id: `tr-${hexId(16)}`, client_request_id: NUL })],
    ["a trace id", () => startV3(owner, exp, { trace_id: `tr-${NUL}` })],
    ["SetTraceTag's value", () => owner.call("PATCH", `/traces/${id}/tags`, { key: "k", value: NUL })],
    ["an assessment name", () => owner.call("POST", `/traces/${id}/assessments`, { assessment: { assessment_name: NUL, source: { source_type: "HUMAN", source_id: "me" }, feedback: { value: 1 } } })],
    ["an assessment rationale", () => owner.call("POST", `/traces/${id}/assessments`, { assessment: { assessment_name: "n", rationale: NUL, source: { source_type: "HUMAN", source_id: "me" }, feedback: { value: 1 } } })],
    ["a feedback value (JSON)", () => owner.call("POST", `/traces/${id}/assessments`, { assessment: { assessment_name: "n", source: { source_type: "HUMAN", source_id: "me" }, feedback: { value: NUL } } })],
    ["a search filter value", () => search(owner, { locations: locations(exp), filter: `tags.k = '${NUL}'` })],
    ["a GetTraceInfoV3 trace id", () => owner.call("GET", `/traces/${encodeURIComponent(`tr-${NUL}`)}`)],
    ["a v2 StartTrace tag", () => owner.call("POST", "/traces", { experiment_id: exp, tags: [{ key: "k", value: NUL }] }, V2)],
  ])("%s", async (_what, send) => {
    const r = await send();
    expect(r.status, r.raw).toBeLessThan(500);
  });
});

describe("permissions", () => {
  let exp: string;
  let id: string;
  let assessmentId: string;
  let reader: TracingClient;
  beforeAll(async () => {
    exp = await owner.experiment();
    const t = simpleTrace();
    await owner.otlp(exp, t.spans);
    id = t.mlflowId;
    await owner.call("PATCH", `/traces/${id}/tags`, { key: "k", value: "v" });
    assessmentId = (await owner.call("POST", `/traces/${id}/assessments`, { assessment: { assessment_name: "x", source: { source_type: "HUMAN", source_id: "me" }, feedback: { value: 1 } } })).body.assessment.assessment_id;
    reader = await tracingClient(app, db);
  });

  it("a READ-only user reads and searches, but every write is 403 PERMISSION_DENIED", async () => {
    expect((await reader.call("GET", `/traces/${id}`)).status).toBe(200);
    expect((await reader.call("GET", "/traces/get", { trace_id: id })).status).toBe(200);
    expect((await reader.call("GET", "/traces/batchGet", { trace_ids: [id] } as never)).body.traces).toHaveLength(1);
    expect(idsOf((await search(reader, { locations: locations(exp) })).body)).toEqual([id]);
    expect((await reader.call("GET", `/traces/${id}/assessments/${assessmentId}`)).status).toBe(200);
    expect((await reader.call("GET", `/traces/${id}/info`, undefined, V2)).status).toBe(200);

    const denied = { status: 403, body: { error_code: "PERMISSION_DENIED" } };
    expect(await startV3(reader, exp, { trace_id: `tr-${hexId(16)}` })).toMatchObject(denied);
    expect(await startV3(reader, exp, { trace_id: id })).toMatchObject(denied);
    expect(await reader.call("PATCH", `/traces/${id}/tags`, { key: "k", value: "x" })).toMatchObject(denied);
    expect(await reader.call("DELETE", `/traces/${id}/tags`, { key: "k" })).toMatchObject(denied);
    expect(await reader.call("POST", "/traces/delete-traces", { experiment_id: exp, request_ids: [id] })).toMatchObject(denied);
    expect(await reader.call("POST", `/traces/${id}/assessments`, { assessment: { assessment_name: "x", source: { source_type: "HUMAN", source_id: "r" }, feedback: { value: 1 } } })).toMatchObject(denied);
    expect(await reader.call("PATCH", `/traces/${id}/assessments/${assessmentId}`, { assessment: { rationale: "x" }, update_mask: "rationale" })).toMatchObject(denied);
    expect(await reader.call("DELETE", `/traces/${id}/assessments/${assessmentId}`)).toMatchObject(denied);
    expect(await reader.call("POST", "/traces", { experiment_id: exp }, V2)).toMatchObject(denied);
    expect(await reader.call("PATCH", `/traces/${id}`, { timestamp_ms: 1, status: "OK" }, V2)).toMatchObject(denied);
    // nothing changed
    const info = (await owner.call("GET", `/traces/${id}`)).body.trace.trace_info;
    expect(info.tags.k).toBe("v");
    expect(info.assessments).toHaveLength(1);
    expect(info.state).toBe("OK");
  });

  it("EDIT granted: the same user may write", async () => {
    const editor = await tracingClient(app, db);
    await setExperimentPermission(owner.ctx, { experiment_id: exp, username: editor.user.username, level: "EDIT" });
    expect((await editor.call("PATCH", `/traces/${id}/tags`, { key: "e", value: "1" })).status).toBe(200);
    expect((await editor.call("POST", `/traces/${id}/assessments`, { assessment: { assessment_name: "y", source: { source_type: "HUMAN", source_id: "e" }, feedback: { value: 0 } } })).status).toBe(200);
  });

  it("no credentials: 401 UNAUTHENTICATED", async () => {
    const r = await app.inject({ method: "GET", url: `${V3}/traces/${id}` });
    expect(r.statusCode).toBe(401);
    expect(r.json()).toMatchObject({ error_code: "UNAUTHENTICATED" });
  });

  describe("with DEFAULT_EXPERIMENT_PERMISSION=NONE", () => {
    beforeAll(() => configureTracking({ defaultExperimentPermission: "NONE" }));
    afterAll(() => configureTracking({ defaultExperimentPermission: "READ" }));

    it("a user without access gets 404 for every read or write of a trace, and search returns nothing from that experiment", async () => {
      const stranger = await tracingClient(app, db);
      const nf = { status: 404, body: notFound(id) };
      expect(await stranger.call("GET", `/traces/${id}`)).toMatchObject(nf);
      expect(await stranger.call("GET", "/traces/get", { trace_id: id, allow_partial: "true" })).toMatchObject(nf);
      expect(await stranger.call("GET", `/traces/${id}/info`, undefined, V2)).toMatchObject(nf);
      expect(await stranger.call("PATCH", `/traces/${id}/tags`, { key: "k", value: "x" })).toMatchObject(nf);
      expect(await stranger.call("GET", `/traces/${id}/assessments/${assessmentId}`)).toMatchObject(nf);
      expect(await stranger.call("DELETE", `/traces/${id}/assessments/${assessmentId}`)).toMatchObject(nf);
      const batch = await stranger.call("GET", "/traces/batchGet", { trace_ids: [id] } as never);
      expect(batch).toMatchObject({ status: 200, body: {} });
      const s = await search(stranger, { locations: locations(exp) });
      expect(s.status).toBe(200);
      expect(idsOf(s.body)).toEqual([]);
      const v2 = await stranger.call("GET", "/traces", { experiment_ids: exp }, V2);
      expect(idsOf(v2.body)).toEqual([]);
      expect(await stranger.call("POST", "/traces/delete-traces", { experiment_id: exp, request_ids: [id] })).toMatchObject({ status: 404 });
      expect(await startV3(stranger, exp, { trace_id: id })).toMatchObject({ status: 404 });
      // link-to-run from their own run: the trace they cannot read does not exist for them
      const myExp = await stranger.experiment();
      const myRun = await stranger.run(myExp);
      expect(await stranger.call("POST", "/traces/link-to-run", { trace_ids: [id], run_id: myRun })).toMatchObject(nf);
      // the owner still sees everything
      expect((await owner.call("GET", `/traces/${id}`)).status).toBe(200);
    });

    it("a READ grant opens reads (and only reads)", async () => {
      const granted = await tracingClient(app, db);
      await setExperimentPermission(owner.ctx, { experiment_id: exp, username: granted.user.username, level: "READ" });
      expect((await granted.call("GET", `/traces/${id}`)).status).toBe(200);
      expect(idsOf((await search(granted, { locations: locations(exp) })).body)).toEqual([id]);
      expect((await granted.call("PATCH", `/traces/${id}/tags`, { key: "k", value: "x" })).status).toBe(403);
    });
  });
});
