import crypto from "node:crypto";
import zlib from "node:zlib";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace as otelTrace, type Span } from "@opentelemetry/api";
import { BasicTracerProvider, BatchSpanProcessor, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { OTLPTraceExporter as ProtoExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { OTLPTraceExporter as JsonExporter } from "@opentelemetry/exporter-trace-otlp-http";
import type { Db } from "@modelgate/db";
import { useTestDatabase } from "@modelgate/db/test-db";
import { configureTracking, setExperimentPermission } from "@modelgate/core";
import { createDataPlaneApp } from "../src/rest/index.ts";
import {
  V2,
  b64,
  decodeExportResponse,
  exactJson,
  hexId,
  jsonAttr,
  locations,
  otlpJson,
  otlpProtobuf,
  sAttr,
  sendOtlp,
  simpleTrace,
  spanBytes,
  spanCount,
  traceIdOf,
  traceRow,
  tracingClient,
  type TSpan,
  type TracingClient,
} from "./tracing-fixtures.ts";

// POST /v1/traces (OTLP/HTTP) end to end: spans made by the real OpenTelemetry JS SDK and sent by
// its protobuf and JSON exporters to the app on a real port, then read back over MLflow's v3 read
// RPCs; spans of one trace in several requests and in any order; and every kind of bad input, which
// must be refused with google.rpc.Status in the request's encoding, a 4xx, and nothing written.
// MLflow 3.6's own /v1/traces (checked at :5055) only takes protobuf, answers a missing experiment
// header with FastAPI's 422 and JSON everywhere; ours follows OTLP/HTTP instead.

let db: Db;
let app: FastifyInstance;
let base: string;
let owner: TracingClient;
const TRACE_BODY_LIMIT = 64 * 1024;

beforeAll(async () => {
  db = (await useTestDatabase()).db;
  app = await createDataPlaneApp({ db, version: "t", traceBodyLimit: TRACE_BODY_LIMIT });
  base = await app.listen({ port: 0, host: "127.0.0.1" });
  owner = await tracingClient(app, db);
});
afterAll(async () => {
  await app?.close();
});

const NS = (sec: number, ns: number) => BigInt(sec) * 1_000_000_000n + BigInt(ns);
const hr = (sec: number, ns: number): [number, number] => [sec, ns];

/** GetTrace, its body parsed with exact 64-bit integers (span times). */
async function getTrace(c: TracingClient, traceId: string, allowPartial?: boolean) {
  const r = await c.call("GET", "/traces/get", { trace_id: traceId, ...(allowPartial !== undefined ? { allow_partial: String(allowPartial) } : {}) });
  return { ...r, body: r.status === 200 ? exactJson(r.raw) : r.body };
}

/** The spans of a GetTrace answer by name. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const byName = (spans: any[]) => Object.fromEntries(spans.map((s) => [s.name, s]));
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const attr = (span: any, key: string) => span.attributes?.find((a: { key: string }) => a.key === key)?.value;

describe.each([
  { encoding: "protobuf", Exporter: ProtoExporter, Processor: SimpleSpanProcessor },
  { encoding: "json", Exporter: JsonExporter, Processor: BatchSpanProcessor },
] as const)("the OpenTelemetry SDK's $encoding exporter", ({ encoding, Exporter, Processor }) => {
  let exp: string;
  let provider: BasicTracerProvider;
  const rootStatus = encoding === "protobuf" ? SpanStatusCode.ERROR : SpanStatusCode.OK;

  beforeAll(async () => {
    exp = await owner.experiment();
    const exporter = new Exporter({ url: `${base}/v1/traces`, headers: { ...owner.headers, "x-mlflow-experiment-id": exp } });
    provider = new BasicTracerProvider({ resource: resourceFromAttributes({ "service.name": "sdk-test" }), spanProcessors: [new Processor(exporter)] });
  });
  afterAll(async () => {
    await provider?.shutdown();
  });

  /** agent (root) → retrieve (child, ERROR) → embed (grandchild), with every attribute kind the API allows. */
  function makeTrace(tag: string) {
    const tracer = provider.getTracer("tests", "1.0.0");
    const root = tracer.startSpan(`agent-${tag}`, {
      kind: SpanKind.SERVER,
      startTime: hr(1_700_000_000, 123_456_789),
      attributes: {
        "mlflow.spanInputs": JSON.stringify({ messages: [{ role: "system", content: "be nice" }, { role: "user", content: `question ${tag}?` }] }),
        "mlflow.spanOutputs": JSON.stringify({ choices: [{ message: { role: "assistant", content: `answer ${tag}` } }] }),
        "mlflow.spanType": JSON.stringify("AGENT"),
        str: "text",
        flag: true,
        count: 42,
        big: 9_007_199_254_740_991,
        neg: -7,
        ratio: 0.25,
        strs: ["a", "b"],
        nums: [1, 2, 3],
        floats: [1.5, 2.5],
        bools: [true, false],
      },
    });
    const rootCtx = otelTrace.setSpan(ROOT_CONTEXT, root);
    const child = tracer.startSpan(`retrieve-${tag}`, { kind: SpanKind.CLIENT, startTime: hr(1_700_000_000, 200_000_001), attributes: { "mlflow.spanType": JSON.stringify("RETRIEVER") } }, rootCtx);
    child.addEvent("cache-miss", { key: "k1", attempts: 2 }, hr(1_700_000_000, 250_000_003));
    child.recordException(new Error("index unavailable"), hr(1_700_000_000, 300_000_000));
    child.setStatus({ code: SpanStatusCode.ERROR, message: "index unavailable" });
    const grand = tracer.startSpan(`embed-${tag}`, { startTime: hr(1_700_000_000, 210_000_000) }, otelTrace.setSpan(ROOT_CONTEXT, child));
    grand.end(hr(1_700_000_000, 220_000_000));
    child.end(hr(1_700_000_000, 400_000_000));
    root.setStatus(rootStatus === SpanStatusCode.ERROR ? { code: rootStatus, message: "agent failed" } : { code: rootStatus });
    root.end(hr(1_700_000_001, 623_456_789));
    return { root, child, grand };
  }
  const ids = (s: Span) => s.spanContext();

  it("exports a nested trace that reads back exactly over GetTrace, GetTraceInfoV3, BatchGetTraces and search", async () => {
    const { root, child, grand } = makeTrace("one");
    await provider.forceFlush();
    const traceHex = ids(root).traceId;
    const traceId = traceIdOf(traceHex);

    const got = await getTrace(owner, traceId);
    expect(got.status, got.raw).toBe(200);
    const t = got.body.trace;
    const info = {
      trace_id: traceId,
      trace_location: { type: "MLFLOW_EXPERIMENT", mlflow_experiment: { experiment_id: exp } },
      request_preview: "question one?",
      response_preview: "answer one",
      request_time: "2023-11-14T22:13:20.123Z",
      // from the first start to the last end, in milliseconds: 1.623… − 0.123… = 1.500 s
      execution_duration: "1.500s",
      state: rootStatus === SpanStatusCode.ERROR ? "ERROR" : "OK",
      tags: { "mlflow.trace.spansLocation": "TRACKING_STORE", "mlflow.artifactLocation": expect.stringMatching(new RegExp(`/traces/${traceId}/artifacts$`)) },
    };
    expect(t.trace_info).toEqual(info);

    // root first, then by start time
    expect(t.spans.map((s: { name: string }) => s.name)).toEqual(["agent-one", "retrieve-one", "embed-one"]);
    const s = byName(t.spans);
    for (const sp of t.spans) expect(sp.trace_id).toBe(b64(traceHex));
    expect(s["agent-one"].span_id).toBe(b64(ids(root).spanId));
    expect(s["agent-one"].parent_span_id).toBeUndefined();
    expect(s["retrieve-one"].span_id).toBe(b64(ids(child).spanId));
    expect(s["retrieve-one"].parent_span_id).toBe(b64(ids(root).spanId));
    expect(s["embed-one"].parent_span_id).toBe(b64(ids(child).spanId));

    // nanosecond times survive exactly (they do not fit a double): bare JSON numbers, as MLflow writes them
    expect(got.raw).toContain(`"start_time_unix_nano":${NS(1_700_000_000, 123_456_789)}`);
    expect(s["agent-one"].start_time_unix_nano).toBe(String(NS(1_700_000_000, 123_456_789)));
    expect(s["agent-one"].end_time_unix_nano).toBe(String(NS(1_700_000_001, 623_456_789)));
    expect(s["retrieve-one"].start_time_unix_nano).toBe(String(NS(1_700_000_000, 200_000_001)));
    expect(s["agent-one"].kind).toBe("SPAN_KIND_SERVER");
    expect(s["retrieve-one"].kind).toBe("SPAN_KIND_CLIENT");
    expect(s["embed-one"].kind).toBe("SPAN_KIND_INTERNAL");

    const a = s["agent-one"];
    // every span names its MLflow trace first, as MLflow's server does
    for (const sp of t.spans) expect(sp.attributes[0]).toEqual({ key: "mlflow.traceRequestId", value: { string_value: traceId } });
    expect(attr(a, "str")).toEqual({ string_value: "text" });
    expect(attr(a, "flag")).toEqual({ bool_value: true });
    expect(attr(a, "neg")).toEqual({ int_value: -7 });
    expect(attr(a, "ratio")).toEqual({ double_value: 0.25 });
    // the SDK sends integral numbers as intValue; they go out as JSON numbers
    expect(attr(a, "count")).toEqual({ int_value: 42 });
    expect(attr(a, "big")).toEqual({ int_value: "9007199254740991" });
    expect(attr(a, "strs")).toEqual({ array_value: { values: [{ string_value: "a" }, { string_value: "b" }] } });
    expect(attr(a, "nums")).toEqual({ array_value: { values: [{ int_value: 1 }, { int_value: 2 }, { int_value: 3 }] } });
    expect(attr(a, "floats")).toEqual({ array_value: { values: [{ double_value: 1.5 }, { double_value: 2.5 }] } });
    expect(attr(a, "bools")).toEqual({ array_value: { values: [{ bool_value: true }, { bool_value: false }] } });
    expect(attr(a, "mlflow.spanType")).toEqual({ string_value: '"AGENT"' });
    expect(a.status).toEqual(rootStatus === SpanStatusCode.ERROR ? { code: "STATUS_CODE_ERROR", message: "agent failed" } : { code: "STATUS_CODE_OK" });

    const r = s["retrieve-one"];
    expect(r.status).toEqual({ code: "STATUS_CODE_ERROR", message: "index unavailable" });
    expect(r.events).toHaveLength(2);
    expect(r.events[0]).toEqual({ name: "cache-miss", time_unix_nano: String(NS(1_700_000_000, 250_000_003)), attributes: [{ key: "key", value: { string_value: "k1" } }, { key: "attempts", value: { int_value: 2 } }] });
    expect(r.events[1].name).toBe("exception");
    expect(r.events[1].time_unix_nano).toBe(String(NS(1_700_000_000, 300_000_000)));
    expect(attr(r.events[1], "exception.message")).toEqual({ string_value: "index unavailable" });
    expect(s["embed-one"].status).toEqual({});
    expect(s["embed-one"].events).toBeUndefined();

    // the record alone, and with the batch read
    expect(await owner.call("GET", `/traces/${traceId}`)).toMatchObject({ status: 200, body: { trace: { trace_info: info } } });
    const batch = await owner.call("GET", "/traces/batchGet", { trace_ids: [traceId] } as unknown as Record<string, unknown>);
    expect(batch.status, batch.raw).toBe(200);
    expect(exactJson(batch.raw)).toEqual({ traces: [got.body.trace] });

    // the database: one trace, three spans, named after the root
    expect(await traceRow(db, traceId)).toMatchObject({ span_count: 3, name: "agent-one", state: info.state });
    void grand;

    // search finds it by span name, and by the root's name
    const found = await owner.call("POST", "/traces/search", { locations: locations(exp), filter: "span.name = 'embed-one'" });
    expect(found.status, found.raw).toBe(200);
    expect(found.body.traces.map((x: { trace_id: string }) => x.trace_id)).toEqual([traceId]);
    expect(found.body.traces[0]).toEqual(info);
    const byType = await owner.call("POST", "/traces/search", { locations: locations(exp), filter: "span.type = 'RETRIEVER'" });
    expect(byType.body.traces.map((x: { trace_id: string }) => x.trace_id)).toEqual([traceId]);
    const byStatus = await owner.call("POST", "/traces/search", { locations: locations(exp), filter: `trace.status = '${info.state}'` });
    expect(byStatus.body.traces.map((x: { trace_id: string }) => x.trace_id)).toContain(traceId);
  });

  it("a second trace through the same provider is a separate trace; flushing twice changes nothing", async () => {
    const { root } = makeTrace("two");
    await provider.forceFlush();
    await provider.forceFlush();
    const traceId = traceIdOf(root.spanContext().traceId);
    expect(await traceRow(db, traceId)).toMatchObject({ span_count: 3 });
    const all = await owner.call("POST", "/traces/search", { locations: locations(exp) });
    expect(all.body.traces.length).toBeGreaterThanOrEqual(2);
    expect(new Set(all.body.traces.map((x: { trace_id: string }) => x.trace_id)).size).toBe(all.body.traces.length);
  });
});

describe("concurrent exports and encodings on the wire", () => {
  it("the spans of one trace sent in parallel requests (as MLflow's client does, one span each) make one trace", async () => {
    const exp = await owner.experiment();
    const t = simpleTrace();
    const kids: TSpan[] = Array.from({ length: 24 }, (_, i) => ({ traceId: t.traceId, spanId: hexId(8), parentSpanId: t.rootId, name: `k${i}`, startNs: t.root.startNs + BigInt(i + 1), endNs: t.root.startNs + BigInt(i + 1000) }));
    const results = await Promise.all([...kids, t.root].map((s, i) => owner.otlp(exp, [s], i % 2 ? "json" : "protobuf")));
    expect(results.map((r) => r.status)).toEqual(results.map(() => 200));
    expect(await spanCount(db, t.mlflowId)).toBe(25);
    expect(await traceRow(db, t.mlflowId)).toMatchObject({ span_count: 25, state: "OK", name: "root" });
    // and the same spans again, in parallel: nothing changes
    const again = await Promise.all([...kids, t.root].map((s) => owner.otlp(exp, [s])));
    expect(again.every((r) => r.status === 200)).toBe(true);
    expect(await traceRow(db, t.mlflowId)).toMatchObject({ span_count: 25 });
  });

  it("several new traces created concurrently by overlapping requests", async () => {
    const exp = await owner.experiment();
    const traces = Array.from({ length: 6 }, () => simpleTrace());
    // each request carries the child of one trace and the root of the next
    const reqs = traces.map((t, i) => [t.child, traces[(i + 1) % traces.length]!.root]);
    const results = await Promise.all(reqs.map((spans) => owner.otlp(exp, spans)));
    expect(results.map((r) => r.status)).toEqual(results.map(() => 200));
    for (const t of traces) expect(await traceRow(db, t.mlflowId)).toMatchObject({ span_count: 2, name: "root" });
  });

  it("content types with parameters (charset) are accepted", async () => {
    const exp = await owner.experiment();
    const t = simpleTrace();
    const h = { ...owner.headers, "x-mlflow-experiment-id": exp };
    expect((await sendOtlp(app, h, JSON.stringify(otlpJson([t.root])), "application/json; charset=utf-8")).status).toBe(200);
    expect((await sendOtlp(app, h, otlpProtobuf([t.child]), "application/x-protobuf; proto=opentelemetry")).status).toBe(200);
    expect(await traceRow(db, t.mlflowId)).toMatchObject({ span_count: 2 });
  });

  // Gzip (Content-Encoding: gzip: the OpenTelemetry Collector's default, OTEL_EXPORTER_OTLP_COMPRESSION=gzip
  // in the SDKs) is inflated before it is read. MLflow 3.6 refuses it (400); Modelgate stores it.
  it("a gzip-compressed body is inflated and stored, in both encodings", async () => {
    const exp = await owner.experiment();
    const t = simpleTrace();
    const r = await app.inject({
      method: "POST",
      url: "/v1/traces",
      headers: { ...owner.headers, "x-mlflow-experiment-id": exp, "content-type": "application/x-protobuf", "content-encoding": "gzip" },
      payload: zlib.gzipSync(otlpProtobuf(t.spans)),
    });
    expect(r.statusCode, r.body).toBe(200);
    expect(await traceRow(db, t.mlflowId)).toMatchObject({ span_count: 2 });
    const j = simpleTrace();
    const rj = await app.inject({
      method: "POST",
      url: "/v1/traces",
      headers: { ...owner.headers, "x-mlflow-experiment-id": exp, "content-type": "application/json", "content-encoding": "gzip" },
      payload: zlib.gzipSync(JSON.stringify(otlpJson(j.spans))),
    });
    expect(rj.statusCode, rj.body).toBe(200);
    expect(await traceRow(db, j.mlflowId)).toMatchObject({ span_count: 2 });
  });

  it("a corrupt or unknown compression is a 4xx, and a body that inflates past the limit is 413; nothing written", async () => {
    const exp = await owner.experiment();
    const t = simpleTrace();
    const send = (encoding: string, payload: Buffer) =>
      app.inject({ method: "POST", url: "/v1/traces", headers: { ...owner.headers, "x-mlflow-experiment-id": exp, "content-type": "application/x-protobuf", "content-encoding": encoding }, payload });
    const corrupt = await send("gzip", Buffer.from("not gzip at all"));
    expect(corrupt.statusCode).toBe(400);
    expect((await send("br", otlpProtobuf(t.spans))).statusCode).toBe(415);
    // a small compressed body that inflates past TRACE_BODY_LIMIT (a "zip bomb") is stopped at the limit
    const bomb = await send("gzip", zlib.gzipSync(Buffer.alloc(TRACE_BODY_LIMIT + 1024)));
    expect(bomb.statusCode).toBe(413);
    expect(await traceRow(db, t.mlflowId)).toBeNull();
  });
});

describe("the exporter against refusals", () => {
  it("reports a failed export (401) without writing anything", async () => {
    const exp = await owner.experiment();
    const exporter = new ProtoExporter({ url: `${base}/v1/traces`, headers: { authorization: "Bearer nope", "x-mlflow-experiment-id": exp } });
    const provider = new BasicTracerProvider({ spanProcessors: [] });
    const span = provider.getTracer("t").startSpan("x");
    span.end();
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const result = await new Promise<{ code: number; error?: Error }>((resolve) => exporter.export([span as any], resolve));
    expect(result.code).toBe(1); // ExportResultCode.FAILED
    expect(await traceRow(db, traceIdOf(span.spanContext().traceId))).toBeNull();
    await exporter.shutdown();
  });
});

// ---- hand-built requests: every AnyValue kind, several requests per trace, and bad input ----

describe.each(["protobuf", "json"] as const)("hand-built OTLP (%s)", (encoding) => {
  let exp: string;
  beforeAll(async () => {
    exp = await owner.experiment();
  });
  const send = (spans: TSpan[], experimentId = exp, c: TracingClient = owner) => c.otlp(experimentId, spans, encoding);

  it("keeps every AnyValue kind, nested, and answers an empty ExportTraceServiceResponse", async () => {
    const t = simpleTrace({
      attrs: [
        sAttr("s", "x"),
        { key: "b", value: { bool_value: false } },
        { key: "i", value: { int_value: "-9223372036854775808" } },
        { key: "d", value: { double_value: -0.5 } },
        { key: "by", value: { bytes_value: Buffer.from([0, 1, 254, 255]).toString("base64") } },
        { key: "arr", value: { array_value: { values: [{ string_value: "a" }, { int_value: "1" }, { array_value: { values: [{ bool_value: true }] } }] } } },
        { key: "kv", value: { kvlist_value: { values: [{ key: "n", value: { int_value: "7" } }, { key: "inner", value: { kvlist_value: { values: [{ key: "z", value: { double_value: 2.5 } }] } } }] } } },
        { key: "empty", value: { array_value: { values: [] } } },
      ],
    });
    const r = await send(t.spans);
    expect(r.status).toBe(200);
    if (encoding === "json") {
      expect(r.type).toMatch(/^application\/json/);
      expect(r.body).toEqual({});
    } else {
      expect(r.type).toMatch(/^application\/x-protobuf/);
      expect(decodeExportResponse(r.raw)).toEqual({});
    }
    const got = await getTrace(owner, t.mlflowId);
    expect(got.status, got.raw).toBe(200);
    const root = got.body.trace.spans[0];
    expect(root.attributes).toEqual([
      { key: "mlflow.traceRequestId", value: { string_value: t.mlflowId } },
      { key: "s", value: { string_value: "x" } },
      { key: "b", value: { bool_value: false } },
      // int64's least value, exact (exactJson reads the bare digits as a string)
      { key: "i", value: { int_value: "-9223372036854775808" } },
      { key: "d", value: { double_value: -0.5 } },
      { key: "by", value: { bytes_value: "AAH+/w==" } },
      { key: "arr", value: { array_value: { values: [{ string_value: "a" }, { int_value: 1 }, { array_value: { values: [{ bool_value: true }] } }] } } },
      { key: "kv", value: { kvlist_value: { values: [{ key: "n", value: { int_value: 7 } }, { key: "inner", value: { kvlist_value: { values: [{ key: "z", value: { double_value: 2.5 } }] } } }] } } },
      // kept as sent (proto JSON would leave the empty list out)
      { key: "empty", value: { array_value: { values: [] } } },
    ]);
  });

  // 64-bit integers are written as bare digits; a caller's string must stay a string, NUL included.
  it("a string value with NUL characters that looks like an integer marker stays that string", async () => {
    const marker = "\u0000n:5\u0000";
    const t = simpleTrace({ childAttrs: [sAttr("s", marker)] });
    expect((await send(t.spans)).status).toBe(200);
    const got = await getTrace(owner, t.mlflowId);
    expect(got.status, got.raw).toBe(200);
    expect(attr(got.body.trace.spans[1], "s")).toEqual({ string_value: marker });
  });

  // PostgreSQL text columns cannot hold NUL (22021): span names and previews carry U+FFFD in its place.
  it.each([
    ["the root span's name", (t: ReturnType<typeof simpleTrace>) => [{ ...t.root, name: "a\u0000b" }, t.child]],
    ["a child span's name", (t: ReturnType<typeof simpleTrace>) => [t.root, { ...t.child, name: "a\u0000b" }]],
    ["the root's mlflow.spanInputs (the request preview)", (t: ReturnType<typeof simpleTrace>) => [{ ...t.root, attributes: [jsonAttr("mlflow.spanInputs", "a\u0000b")] }, t.child]],
  ])("a NUL character in %s is not a 5xx", async (_what, make) => {
    const t = simpleTrace();
    const r = await send(make(t));
    expect(r.status).toBeLessThan(500);
  });

  it("previews come from the root's mlflow.spanInputs/Outputs (chat messages or the JSON), cut to 1000 characters", async () => {
    const long = "x".repeat(1500);
    const t = simpleTrace({ attrs: [jsonAttr("mlflow.spanInputs", { query: long }), jsonAttr("mlflow.spanOutputs", "plain answer")] });
    expect((await send(t.spans)).status).toBe(200);
    const info = (await owner.call("GET", `/traces/${t.mlflowId}`)).body.trace.trace_info;
    expect(info.request_preview).toHaveLength(1000);
    // the JSON as Python's json.dumps spaces it (MLflow's server writes the preview)
    expect(info.request_preview).toBe(`${`{"query": "${long}"}`.slice(0, 997)}...`);
    // MLflow 3.6 keeps the JSON text ("\"plain answer\""); ours decodes the JSON string
    expect(info.response_preview).toBe("plain answer");
    // no inputs/outputs: no previews
    const bare = simpleTrace();
    await send(bare.spans);
    const bareInfo = (await owner.call("GET", `/traces/${bare.mlflowId}`)).body.trace.trace_info;
    expect(bareInfo.request_preview).toBeUndefined();
    expect(bareInfo.response_preview).toBeUndefined();
  });

  it("children first, root last, in three requests: one trace, state and name from the root, the full time range", async () => {
    const t0 = 1_700_000_100_000;
    const t = simpleTrace({ t0, status: 2, attrs: [jsonAttr("mlflow.spanInputs", "hello")] });
    const grand: TSpan = { traceId: t.traceId, spanId: hexId(8), parentSpanId: t.childId, name: "grand", startNs: t.child.startNs + 1n, endNs: BigInt(t0 + 2_000) * 1_000_000n };
    expect((await send([grand])).status).toBe(200);
    // spans without their root: an IN_PROGRESS trace, readable only as partial
    expect(await traceRow(db, t.mlflowId)).toMatchObject({ state: "IN_PROGRESS", span_count: 1, name: null });
    expect((await owner.call("GET", `/traces/${t.mlflowId}`)).body.trace.trace_info.state).toBe("IN_PROGRESS");
    expect((await send([t.child])).status).toBe(200);
    expect((await send([t.root])).status).toBe(200);
    const row = await traceRow(db, t.mlflowId);
    expect(row).toMatchObject({ state: "ERROR", span_count: 3, name: "root" });
    expect(Number(row!.request_time)).toBe(t0);
    // the grandchild ends after the root: the range reaches its end
    expect(Number(row!.execution_duration)).toBe(2_000);
    const got = await getTrace(owner, t.mlflowId);
    expect(got.body.trace.spans.map((s: { name: string }) => s.name)).toEqual(["root", "child", "grand"]);
    expect(got.body.trace.trace_info).toMatchObject({ state: "ERROR", request_time: "2023-11-14T22:15:00Z", execution_duration: "2s", request_preview: "hello" });
  });

  it("root first, then the children: the root's state stays, the range widens, span_count counts each once", async () => {
    const t0 = 1_700_000_200_000;
    const t = simpleTrace({ t0, status: 1 });
    expect((await send([t.root])).status).toBe(200);
    expect(await traceRow(db, t.mlflowId)).toMatchObject({ state: "OK", span_count: 1 });
    // a child that started before the root and ends after it (clock skew between processes)
    const early: TSpan = { traceId: t.traceId, spanId: hexId(8), parentSpanId: t.rootId, name: "early", startNs: BigInt(t0 - 250) * 1_000_000n, endNs: BigInt(t0 + 3_000) * 1_000_000n, status: { code: 2 } };
    expect((await send([t.child, early])).status).toBe(200);
    const row = await traceRow(db, t.mlflowId);
    expect(row).toMatchObject({ state: "OK", span_count: 3 });
    expect(Number(row!.request_time)).toBe(t0 - 250);
    expect(Number(row!.execution_duration)).toBe(3_250);
  });

  it("re-sending spans (alone, with new ones, twice in one request) neither duplicates them nor grows span_count", async () => {
    const t = simpleTrace();
    expect((await send(t.spans)).status).toBe(200);
    const before = await traceRow(db, t.mlflowId);
    expect(before).toMatchObject({ span_count: 2 });
    expect(Number(before!.size_bytes)).toBe(await spanBytes(db, t.mlflowId));
    expect((await send(t.spans)).status).toBe(200);
    expect((await send([t.root, t.root])).status).toBe(200);
    expect(await spanCount(db, t.mlflowId)).toBe(2);
    expect((await traceRow(db, t.mlflowId))!.span_count).toBe(2);
    const extra: TSpan = { traceId: t.traceId, spanId: hexId(8), parentSpanId: t.rootId, name: "extra", startNs: t.child.startNs, endNs: t.child.endNs };
    expect((await send([t.child, extra])).status).toBe(200);
    expect((await traceRow(db, t.mlflowId))!.span_count).toBe(3);
    expect((await getTrace(owner, t.mlflowId)).body.trace.spans).toHaveLength(3);
  });

  // A retried export (the SDK retries on 429/503) must not inflate the size that DeleteTraces and
  // the retention purge audit.
  it("size_bytes stays the size of the spans held when spans are re-sent or replaced", async () => {
    const t = simpleTrace();
    await send(t.spans);
    await send(t.spans);
    expect(Number((await traceRow(db, t.mlflowId))!.size_bytes)).toBe(await spanBytes(db, t.mlflowId));
    await send([{ ...t.child, name: "a-much-longer-name-than-before" }]);
    expect(Number((await traceRow(db, t.mlflowId))!.size_bytes)).toBe(await spanBytes(db, t.mlflowId));
  });

  it("the last copy of a span wins: a re-sent span with a new name and status replaces the stored one", async () => {
    const t = simpleTrace();
    await send(t.spans);
    await send([{ ...t.child, name: "child-v2", status: { code: 2, message: "late failure" } }]);
    const spans = (await getTrace(owner, t.mlflowId)).body.trace.spans;
    expect(spans.map((s: { name: string }) => s.name)).toEqual(["root", "child-v2"]);
    expect(spans[1].status).toEqual({ code: "STATUS_CODE_ERROR", message: "late failure" });
  });

  // A span that joined another MLflow trace id through mlflow.traceRequestId (or a v2 bare-hex id)
  // keeps its own OpenTelemetry trace id on the way back.
  it.each([
    ["a tr- id of other digits", () => `tr-${hexId(16)}`],
    ["a v2-style bare hex id", () => hexId(16)],
  ])("spans that joined %s via mlflow.traceRequestId keep their own OpenTelemetry trace id", async (_what, makeId) => {
    const t = simpleTrace();
    const custom = makeId();
    const spans = t.spans.map((s) => ({ ...s, attributes: [jsonAttr("mlflow.traceRequestId", custom)] }));
    expect((await send(spans)).status).toBe(200);
    const got = await getTrace(owner, custom);
    expect(got.status, got.raw).toBe(200);
    expect(got.body.trace.spans.map((s: { trace_id: string }) => s.trace_id)).toEqual([b64(t.traceId), b64(t.traceId)]);
  });

  it("spans of several traces in one request make several traces", async () => {
    const a = simpleTrace({ rootName: "a" });
    const b = simpleTrace({ rootName: "b" });
    expect((await send([a.child, b.root, a.root, b.child])).status).toBe(200);
    expect(await traceRow(db, a.mlflowId)).toMatchObject({ span_count: 2, name: "a" });
    expect(await traceRow(db, b.mlflowId)).toMatchObject({ span_count: 2, name: "b" });
  });

  // MLflow 3.6's /v1/traces ignores the attribute and files the spans under tr-<OpenTelemetry id>
  it("a span with mlflow.traceRequestId joins that MLflow trace id", async () => {
    const t = simpleTrace();
    const custom = `tr-${hexId(16)}`;
    const spans = t.spans.map((s) => ({ ...s, attributes: [...(s.attributes ?? []), jsonAttr("mlflow.traceRequestId", custom)] }));
    expect((await send(spans)).status).toBe(200);
    expect(await traceRow(db, custom)).toMatchObject({ span_count: 2 });
    expect(await traceRow(db, t.mlflowId)).toBeNull();
  });
});

// ---- refusals ----

const PB = "application/x-protobuf";
const JSON_TYPE = "application/json";

describe("bad input is a 4xx with google.rpc.Status in the request's encoding, and writes nothing", () => {
  let exp: string;
  beforeAll(async () => {
    exp = await owner.experiment();
  });
  const headers = (e: string | null = exp) => ({ ...owner.headers, ...(e !== null ? { "x-mlflow-experiment-id": e } : {}) });

  async function expectNothingWritten(...otelIds: string[]) {
    for (const id of otelIds) expect(await traceRow(db, traceIdOf(id))).toBeNull();
  }

  it("an unsupported content type: 415 INVALID_ARGUMENT naming the types accepted", async () => {
    const r = await sendOtlp(app, headers(), "hello", "text/plain");
    expect(r.status).toBe(415);
    expect(r.type).toMatch(/^application\/x-protobuf/);
    expect(r.body).toEqual({ code: 3, message: "Invalid Content-Type: text/plain. Expected: application/x-protobuf or application/json" });
  });

  it("truncated or garbage protobuf: 400", async () => {
    const t = simpleTrace();
    const whole = otlpProtobuf(t.spans);
    const r = await sendOtlp(app, headers(), whole.subarray(0, whole.length - 7), PB);
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: 3, message: expect.stringMatching(/^Invalid OpenTelemetry protobuf/) });
    const g = await sendOtlp(app, headers(), Buffer.from([0x0a, 0x05, 0x12, 0x03]), PB);
    expect(g.status).toBe(400);
    expect(g.body).toMatchObject({ code: 3 });
    await expectNothingWritten(t.traceId);
  });

  it("a non-empty protobuf body without spans: 400, as MLflow", async () => {
    // an ExportTraceServiceRequest with one empty ResourceSpans
    const r = await sendOtlp(app, headers(), Buffer.from([0x0a, 0x00]), PB);
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ code: 3, message: "Invalid OpenTelemetry protobuf format - no spans found" });
  });

  it("an empty JSON request is accepted (no spans, nothing to do)", async () => {
    const r = await sendOtlp(app, headers(), JSON.stringify({ resourceSpans: [] }), JSON_TYPE);
    expect(r).toMatchObject({ status: 200, body: {} });
  });

  const badIds: [string, (t: ReturnType<typeof simpleTrace>) => TSpan[], RegExp][] = [
    ["an 8-byte trace id", (t) => [t.root, { ...t.child, traceId: t.traceId.slice(0, 16) }], /trace id must be 16 bytes/],
    ["an all-zero trace id", (t) => [t.root, { ...t.child, traceId: "0".repeat(32) }], /trace id must be 16 bytes and not all zero/],
    ["a 4-byte span id", (t) => [t.root, { ...t.child, spanId: t.childId.slice(0, 8) }], /span id must be 8 bytes/],
    ["an all-zero span id", (t) => [t.root, { ...t.child, spanId: "0".repeat(16) }], /span id must be 8 bytes and not all zero/],
    ["a 4-byte parent span id", (t) => [t.root, { ...t.child, parentSpanId: t.rootId.slice(0, 8) }], /parent span id must be 8 bytes/],
    ["a missing start time", (t) => [t.root, { ...t.child, startNs: 0n }], /start time is missing/],
    ["an end before the start", (t) => [t.root, { ...t.child, endNs: t.child.startNs - 1n }], /end_time_unix_nano is before start_time_unix_nano/],
  ];
  describe.each(["protobuf", "json"] as const)("invalid spans (%s)", (encoding) => {
    it.each(badIds)("%s: 400, and the valid spans beside it are not written either", async (_what, make, message) => {
      const t = simpleTrace();
      const r = await owner.otlp(exp, make(t), encoding);
      expect(r.status).toBe(400);
      expect(r.type).toMatch(encoding === "json" ? /^application\/json/ : /^application\/x-protobuf/);
      expect(r.body).toMatchObject({ code: 3, message: expect.stringMatching(message) });
      await expectNothingWritten(t.traceId);
    });
  });

  it("JSON ids that are not hex, and values of the wrong type: 400", async () => {
    const t = simpleTrace();
    const cases: [(b: ReturnType<typeof otlpJson>) => void, RegExp][] = [
      [(b) => (span(b).traceId = "zz".repeat(16)), /traceId must be a hex string/],
      [(b) => (span(b).spanId = 12345), /spanId must be a hex string/],
      [(b) => (span(b).startTimeUnixNano = "-5"), /startTimeUnixNano must be a non-negative integer/],
      [(b) => (span(b).startTimeUnixNano = 1.5), /startTimeUnixNano must be a non-negative integer/],
      [(b) => (span(b).kind = 99), /kind has an invalid value 99/],
      [(b) => (span(b).status = { code: "BAD" }), /status.code has an invalid value/],
      [(b) => (span(b).attributes = { a: 1 }), /attributes must be an array/],
      [(b) => (span(b).attributes = [{ key: 1, value: {} }]), /string key/],
      [(b) => (span(b).attributes = [{ key: "n", value: { intValue: "1.5" } }]), /intValue must be an integer/],
      [(b) => ((b.resourceSpans as unknown[])[0] = "x"), /must be an object/],
      [(b) => (b.resourceSpans = {}), /resourceSpans must be an array/],
    ];
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const span = (b: any) => b.resourceSpans[0].scopeSpans[0].spans[1];
    for (const [mutate, message] of cases) {
      const body = otlpJson(t.spans);
      mutate(body);
      const r = await sendOtlp(app, headers(), JSON.stringify(body), JSON_TYPE);
      expect(r.status, JSON.stringify(r.body)).toBe(400);
      expect(r.body).toMatchObject({ code: 3, message: expect.stringMatching(message) });
    }
    await expectNothingWritten(t.traceId);
  });

  it("malformed JSON, and JSON that is not an object: 400", async () => {
    expect(await sendOtlp(app, headers(), '{"resourceSpans": [', JSON_TYPE)).toMatchObject({ status: 400, body: { code: 3, message: "Malformed JSON in request body" } });
    expect(await sendOtlp(app, headers(), "[1,2]", JSON_TYPE)).toMatchObject({ status: 400, body: { code: 3, message: "The request body must be an object" } });
    expect(await sendOtlp(app, headers(), "null", JSON_TYPE)).toMatchObject({ status: expect.any(Number) });
    expect((await sendOtlp(app, headers(), "null", JSON_TYPE)).status).toBeLessThan(500);
  });

  it("no x-mlflow-experiment-id: 400 (MLflow: FastAPI's 422)", async () => {
    const t = simpleTrace();
    const r = await sendOtlp(app, headers(null), otlpProtobuf(t.spans), PB);
    expect(r).toMatchObject({ status: 400, body: { code: 3, message: "Missing the x-mlflow-experiment-id header: the experiment to log the spans to" } });
    const j = await sendOtlp(app, headers(null), JSON.stringify(otlpJson(t.spans)), JSON_TYPE);
    expect(j).toMatchObject({ status: 400, body: { code: 3 } });
    await expectNothingWritten(t.traceId);
  });

  it("an unknown experiment: 404 NOT_FOUND; a malformed experiment id: 4xx; a deleted experiment: 400", async () => {
    const t = simpleTrace();
    const r = await sendOtlp(app, headers("987654321"), otlpProtobuf(t.spans), PB);
    expect(r).toMatchObject({ status: 404, body: { code: 5, message: expect.stringContaining("987654321") } });
    const bad = await sendOtlp(app, headers("not-a-number"), JSON.stringify(otlpJson(t.spans)), JSON_TYPE);
    expect(bad.status).toBeGreaterThanOrEqual(400);
    expect(bad.status).toBeLessThan(500);
    expect(bad.body).toMatchObject({ code: expect.any(Number), message: expect.any(String) });
    const gone = await owner.experiment();
    expect((await owner.call("POST", "/experiments/delete", { experiment_id: gone }, V2)).status).toBe(200);
    const d = await owner.otlp(gone, t.spans);
    expect(d).toMatchObject({ status: 400, body: { code: 3, message: expect.stringContaining("must be in the 'active' state") } });
    await expectNothingWritten(t.traceId);
  });

  it("a body over TRACE_BODY_LIMIT: 413 RESOURCE_EXHAUSTED in either encoding", async () => {
    const t = simpleTrace({ attrs: [sAttr("big", "x".repeat(TRACE_BODY_LIMIT))] });
    const r = await sendOtlp(app, headers(), otlpProtobuf(t.spans), PB);
    expect(r).toMatchObject({ status: 413, body: { code: 8, message: `The request body is larger than the limit of ${TRACE_BODY_LIMIT} bytes (TRACE_BODY_LIMIT)` } });
    const j = await sendOtlp(app, headers(), JSON.stringify(otlpJson(t.spans)), JSON_TYPE);
    expect(j).toMatchObject({ status: 413, body: { code: 8 } });
    await expectNothingWritten(t.traceId);
  });

  it("spans of a trace that lives in another experiment: 400, and nothing of the request is written", async () => {
    const t = simpleTrace();
    expect((await owner.otlp(exp, [t.root])).status).toBe(200);
    const other = await owner.experiment();
    const fresh = simpleTrace();
    for (const encoding of ["protobuf", "json"] as const) {
      const r = await owner.otlp(other, [...fresh.spans, t.child], encoding);
      expect(r.status).toBe(400);
      expect(r.body).toEqual({ code: 3, message: `Trace '${t.mlflowId}' belongs to another experiment; its spans cannot be logged to experiment ${other}` });
    }
    expect(await traceRow(db, t.mlflowId)).toMatchObject({ experiment_id: Number(exp), span_count: 1 });
    expect(await spanCount(db, t.mlflowId)).toBe(1);
    await expectNothingWritten(fresh.traceId);
  });

  it("fuzz: random bytes and random JSON never make a 5xx", async () => {
    const t = simpleTrace();
    const whole = otlpProtobuf(t.spans);
    for (let i = 0; i < 40; i++) {
      const body = i % 2 ? crypto.randomBytes(1 + (i * 7) % 200) : Buffer.from(whole.map((b, j) => (j % (i + 3) === 0 ? b ^ (i + 1) : b)));
      const r = await sendOtlp(app, headers(), body, PB);
      expect(r.status, `case ${i}`).toBeLessThan(500);
    }
    const json = JSON.stringify(otlpJson(t.spans));
    const variants = [json.replace(/"stringValue"/g, '"stringValue":{},"x"'), json.replace(/"name":"root"/, '"name":5'), json.replace(/"status":\{[^}]*\}/, '"status":7'), json.replace(/"events":\[\]/, '"events":[5]'), '{"resourceSpans":[{"scopeSpans":[{"spans":[null]}]}]}', '"str"', "123"];
    for (const v of variants) {
      const r = await sendOtlp(app, headers(), v, JSON_TYPE);
      expect(r.status, v.slice(0, 80)).toBeLessThan(500);
    }
  });
});

describe("authentication and permissions on /v1/traces", () => {
  let exp: string;
  beforeAll(async () => {
    exp = await owner.experiment();
  });

  it("no credentials or a bad token: 401 UNAUTHENTICATED as google.rpc.Status, in the request's encoding", async () => {
    const t = simpleTrace();
    const pb = await sendOtlp(app, { "x-mlflow-experiment-id": exp }, otlpProtobuf(t.spans), PB);
    expect(pb.status).toBe(401);
    expect(pb.type).toMatch(/^application\/x-protobuf/);
    expect(pb.body).toMatchObject({ code: 16, message: expect.stringContaining("Authentication required") });
    const js = await sendOtlp(app, { authorization: "Bearer mg_wrong", "x-mlflow-experiment-id": exp }, JSON.stringify(otlpJson(t.spans)), JSON_TYPE);
    expect(js.status).toBe(401);
    expect(js.type).toMatch(/^application\/json/);
    expect(js.body).toMatchObject({ code: 16, message: expect.any(String) });
    expect(await traceRow(db, t.mlflowId)).toBeNull();
  });

  it("READ on the experiment is not enough: 403 PERMISSION_DENIED; EDIT is", async () => {
    const reader = await tracingClient(app, db);
    const t = simpleTrace();
    // the default experiment permission (READ) lets every user read it
    const r = await reader.otlp(exp, t.spans, "json");
    expect(r).toMatchObject({ status: 403, body: { code: 7, message: expect.any(String) } });
    expect((await reader.otlp(exp, t.spans)).status).toBe(403);
    expect(await traceRow(db, t.mlflowId)).toBeNull();
    await setExperimentPermission(owner.ctx, { experiment_id: exp, username: reader.user.username, level: "EDIT" });
    expect((await reader.otlp(exp, t.spans)).status).toBe(200);
    expect(await traceRow(db, t.mlflowId)).toMatchObject({ span_count: 2 });
  });

  describe("with DEFAULT_EXPERIMENT_PERMISSION=NONE", () => {
    beforeAll(() => configureTracking({ defaultExperimentPermission: "NONE" }));
    afterAll(() => configureTracking({ defaultExperimentPermission: "READ" }));

    it("a user who cannot read the experiment gets 404 NOT_FOUND, as for one that does not exist", async () => {
      const stranger = await tracingClient(app, db);
      const t = simpleTrace();
      const r = await stranger.otlp(exp, t.spans);
      expect(r).toMatchObject({ status: 404, body: { code: 5, message: expect.stringContaining(exp) } });
      const unknown = await stranger.otlp("987654321", t.spans);
      expect(unknown.status).toBe(404);
      expect((r.body as { message: string }).message.replace(exp, "X")).toBe((unknown.body as { message: string }).message.replace("987654321", "X"));
      expect(await traceRow(db, t.mlflowId)).toBeNull();
    });

    it("an admin may log anywhere", async () => {
      const admin = await tracingClient(app, db, "ADMIN");
      const t = simpleTrace();
      expect((await admin.otlp(exp, t.spans)).status).toBe(200);
    });
  });
});

describe("search over exported traces", () => {
  it("finds the traces of the experiment asked for, and not those of others", async () => {
    const a = await owner.experiment();
    const b = await owner.experiment();
    const ta = simpleTrace();
    const tb = simpleTrace();
    await owner.otlp(a, ta.spans);
    await owner.otlp(b, tb.spans, "json");
    const r = await owner.call("POST", "/traces/search", { locations: locations(a) });
    expect(r.body.traces.map((x: { trace_id: string }) => x.trace_id)).toEqual([ta.mlflowId]);
    const both = await owner.call("POST", "/traces/search", { locations: locations(a, b) });
    expect(both.body.traces.map((x: { trace_id: string }) => x.trace_id).sort()).toEqual([ta.mlflowId, tb.mlflowId].sort());
  });
});
