// Shared by the tracing integration tests: OTLP export bodies built independently of the
// implementation's decoder (our own copy of opentelemetry-proto's messages), users that speak the
// MLflow v3/v2 tracing RPCs, and direct reads of the trace tables to prove what was (not) written.
import crypto from "node:crypto";
import type { FastifyInstance } from "fastify";
import protobuf from "protobufjs";
import type { Db } from "@modelgate/db";
import { registryClient, uniq } from "./registry-fixtures.ts";

export { uniq };

export const V3 = "/api/3.0/mlflow";
export const V2 = "/api/2.0/mlflow";

// ---- ids ----

export const hexId = (bytes: 16 | 8) => crypto.randomBytes(bytes).toString("hex");
export const b64 = (hex: string) => Buffer.from(hex, "hex").toString("base64");
export const traceIdOf = (otelHex: string) => `tr-${otelHex}`;

// ---- OTLP bodies ----

const SCHEMA = `
syntax = "proto3";
package t;
message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }
message Resource { repeated KeyValue attributes = 1; }
message ScopeSpans { Scope scope = 1; repeated Span spans = 2; }
message Scope { string name = 1; string version = 2; }
message Span {
  bytes trace_id = 1; bytes span_id = 2; string trace_state = 3; bytes parent_span_id = 4; string name = 5; int32 kind = 6;
  fixed64 start_time_unix_nano = 7; fixed64 end_time_unix_nano = 8; repeated KeyValue attributes = 9; repeated Event events = 11; Status status = 15;
}
message Event { fixed64 time_unix_nano = 1; string name = 2; repeated KeyValue attributes = 3; }
message Status { string message = 2; int32 code = 3; }
message AnyValue { oneof value { string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4; ArrayValue array_value = 5; KeyValueList kvlist_value = 6; bytes bytes_value = 7; } }
message ArrayValue { repeated AnyValue values = 1; }
message KeyValueList { repeated KeyValue values = 1; }
message KeyValue { string key = 1; AnyValue value = 2; }
message RpcStatus { int32 code = 1; string message = 2; }
message ExportTraceServiceResponse { Partial partial_success = 1; }
message Partial { int64 rejected_spans = 1; string error_message = 2; }
`;
const root = protobuf.parse(SCHEMA, { keepCase: true }).root;
const Request = root.lookupType("t.ExportTraceServiceRequest");
const RpcStatus = root.lookupType("t.RpcStatus");
const Response = root.lookupType("t.ExportTraceServiceResponse");

/** An attribute value in proto-JSON (snake_case) form; bytes as base64, int as a decimal string. */
export type TAny =
  | { string_value: string }
  | { bool_value: boolean }
  | { int_value: string }
  | { double_value: number }
  | { bytes_value: string }
  | { array_value: { values: TAny[] } }
  | { kvlist_value: { values: TKv[] } };
export interface TKv {
  key: string;
  value: TAny;
}

export interface TSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string | undefined;
  name: string;
  kind?: number;
  startNs: bigint;
  endNs?: bigint | undefined;
  attributes?: TKv[];
  events?: { name: string; timeNs: bigint; attributes?: TKv[] }[];
  status?: { code: 0 | 1 | 2; message?: string };
}

/** Common attributes: a string that MLflow's client would send JSON-encoded. */
export const sAttr = (key: string, value: string): TKv => ({ key, value: { string_value: value } });
export const jsonAttr = (key: string, value: unknown): TKv => sAttr(key, JSON.stringify(value));

function pbAny(v: TAny): Record<string, unknown> {
  // 64-bit fields as decimal strings: fromObject reads them exactly (with long.js)
  if ("int_value" in v) return { int_value: v.int_value };
  if ("bytes_value" in v) return { bytes_value: Buffer.from(v.bytes_value, "base64") };
  if ("array_value" in v) return { array_value: { values: v.array_value.values.map(pbAny) } };
  if ("kvlist_value" in v) return { kvlist_value: { values: v.kvlist_value.values.map(pbKv) } };
  return v;
}
const pbKv = (kv: TKv) => ({ key: kv.key, value: pbAny(kv.value) });
const long = (n: bigint) => String(n);

/** A binary ExportTraceServiceRequest holding `spans` in one resource/scope. */
export function otlpProtobuf(spans: readonly TSpan[]): Buffer {
  const msg = {
    resource_spans: [
      {
        resource: { attributes: [pbKv(sAttr("service.name", "tests"))] },
        scope_spans: [
          {
            scope: { name: "tracing-tests", version: "1" },
            spans: spans.map((s) => ({
              trace_id: Buffer.from(s.traceId, "hex"),
              span_id: Buffer.from(s.spanId, "hex"),
              ...(s.parentSpanId !== undefined ? { parent_span_id: Buffer.from(s.parentSpanId, "hex") } : {}),
              name: s.name,
              kind: s.kind ?? 1,
              start_time_unix_nano: long(s.startNs),
              ...(s.endNs !== undefined ? { end_time_unix_nano: long(s.endNs) } : {}),
              attributes: (s.attributes ?? []).map(pbKv),
              events: (s.events ?? []).map((e) => ({ name: e.name, time_unix_nano: long(e.timeNs), attributes: (e.attributes ?? []).map(pbKv) })),
              status: { code: s.status?.code ?? 0, message: s.status?.message ?? "" },
            })),
          },
        ],
      },
    ],
  };
  return Buffer.from(Request.encode(Request.fromObject(msg)).finish());
}

function jAny(v: TAny): Record<string, unknown> {
  if ("string_value" in v) return { stringValue: v.string_value };
  if ("bool_value" in v) return { boolValue: v.bool_value };
  if ("int_value" in v) return { intValue: v.int_value };
  if ("double_value" in v) return { doubleValue: v.double_value };
  if ("bytes_value" in v) return { bytesValue: v.bytes_value };
  if ("array_value" in v) return { arrayValue: { values: v.array_value.values.map(jAny) } };
  return { kvlistValue: { values: v.kvlist_value.values.map(jKv) } };
}
const jKv = (kv: TKv) => ({ key: kv.key, value: jAny(kv.value) });

/** The same request in OTLP's JSON mapping (lowerCamelCase, hex ids, 64-bit integers as strings). */
export function otlpJson(spans: readonly TSpan[]): Record<string, unknown> {
  return {
    resourceSpans: [
      {
        resource: { attributes: [jKv(sAttr("service.name", "tests"))] },
        scopeSpans: [
          {
            scope: { name: "tracing-tests" },
            spans: spans.map((s) => ({
              traceId: s.traceId,
              spanId: s.spanId,
              ...(s.parentSpanId !== undefined ? { parentSpanId: s.parentSpanId } : {}),
              name: s.name,
              kind: s.kind ?? 1,
              startTimeUnixNano: String(s.startNs),
              ...(s.endNs !== undefined ? { endTimeUnixNano: String(s.endNs) } : {}),
              attributes: (s.attributes ?? []).map(jKv),
              events: (s.events ?? []).map((e) => ({ name: e.name, timeUnixNano: String(e.timeNs), attributes: (e.attributes ?? []).map(jKv) })),
              status: { code: s.status?.code ?? 0, ...(s.status?.message ? { message: s.status.message } : {}) },
            })),
          },
        ],
      },
    ],
  };
}

export const decodeRpcStatus = (b: Buffer) => RpcStatus.toObject(RpcStatus.decode(b), { defaults: true }) as { code: number; message: string };
export const decodeExportResponse = (b: Buffer) => Response.toObject(Response.decode(b)) as Record<string, unknown>;

/** A root span and a child, 1.5 s apart, at `t0` ms (nanosecond times as the SDK gives them). */
export function simpleTrace(opts: { t0?: number; rootName?: string; status?: 0 | 1 | 2; attrs?: TKv[]; childAttrs?: TKv[]; childName?: string } = {}) {
  const traceId = hexId(16);
  const rootId = hexId(8);
  const childId = hexId(8);
  const t0 = BigInt(opts.t0 ?? 1_700_000_000_000) * 1_000_000n;
  const rootSpan: TSpan = { traceId, spanId: rootId, name: opts.rootName ?? "root", startNs: t0, endNs: t0 + 1_500_000_000n, attributes: opts.attrs ?? [], status: { code: opts.status ?? 1 } };
  const child: TSpan = { traceId, spanId: childId, parentSpanId: rootId, name: opts.childName ?? "child", startNs: t0 + 100_000_000n, endNs: t0 + 600_000_000n, attributes: opts.childAttrs ?? [] };
  return { traceId, mlflowId: traceIdOf(traceId), rootId, childId, root: rootSpan, child, spans: [rootSpan, child] };
}

// ---- clients ----

/** A user with a token: `call` speaks MLflow JSON (v3 paths by default), `otlp` posts OTLP. */
export async function tracingClient(app: FastifyInstance, db: Db, role: "ADMIN" | "USER" = "USER") {
  const c = await registryClient(app, db, role, V3);
  async function otlp(experimentId: string | undefined, spans: readonly TSpan[], encoding: "protobuf" | "json" = "protobuf") {
    return sendOtlp(app, { ...c.headers, ...(experimentId !== undefined ? { "x-mlflow-experiment-id": experimentId } : {}) }, encoding === "protobuf" ? otlpProtobuf(spans) : JSON.stringify(otlpJson(spans)), encoding === "protobuf" ? "application/x-protobuf" : "application/json");
  }
  async function experiment(name = uniq("trace-exp")): Promise<string> {
    const r = await c.call("POST", "/experiments/create", { name }, V2);
    if (r.status !== 200) throw new Error(`experiments/create: ${r.raw}`);
    return r.body.experiment_id as string;
  }
  async function run(experimentId: string): Promise<string> {
    const r = await c.call("POST", "/runs/create", { experiment_id: experimentId, start_time: 1_700_000_000_000 }, V2);
    if (r.status !== 200) throw new Error(`runs/create: ${r.raw}`);
    return r.body.run.info.run_id as string;
  }
  return { ...c, otlp, experiment, run };
}
export type TracingClient = Awaited<ReturnType<typeof tracingClient>>;

/** POST /v1/traces with any headers and body; the reply decoded by its content type. */
export async function sendOtlp(app: FastifyInstance, headers: Record<string, string>, payload: Buffer | string, contentType: string) {
  const r = await app.inject({ method: "POST", url: "/v1/traces", headers: { ...headers, "content-type": contentType }, payload });
  const type = String(r.headers["content-type"] ?? "");
  let body: unknown = r.rawPayload;
  if (type.startsWith("application/json")) body = r.json();
  else if (r.statusCode >= 400 && type.startsWith("application/x-protobuf")) body = decodeRpcStatus(r.rawPayload);
  return { status: r.statusCode, type, body, raw: r.rawPayload };
}

// ---- the database, read directly ----

export async function traceRow(db: Db, traceId: string) {
  const rows = await db.$queryRaw<{ trace_id: string; experiment_id: number; span_count: number; size_bytes: bigint; state: string; request_time: bigint; execution_duration: bigint | null; name: string | null }[]>`
    SELECT trace_id, experiment_id, span_count, size_bytes, state, request_time, execution_duration, name FROM trace WHERE trace_id = ${traceId}`;
  return rows[0] ?? null;
}

export async function spanCount(db: Db, traceId: string): Promise<number> {
  const [r] = await db.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM trace_span WHERE trace_id = ${traceId}`;
  return r!.n;
}

export async function spanBytes(db: Db, traceId: string): Promise<number> {
  const [r] = await db.$queryRaw<{ n: number }[]>`SELECT COALESCE(sum(octet_length(content)), 0)::int AS n FROM trace_span WHERE trace_id = ${traceId}`;
  return r!.n;
}

/** The location filter SearchTracesV3 takes for experiments. */
export const locations = (...ids: string[]) => ids.map((experiment_id) => ({ type: "MLFLOW_EXPERIMENT", mlflow_experiment: { experiment_id } }));

/** The TraceInfoV3 record StartTraceV3 takes. */
export function traceInfo(experimentId: string, extra: Record<string, unknown> = {}) {
  return {
    trace_location: { type: "MLFLOW_EXPERIMENT", mlflow_experiment: { experiment_id: experimentId } },
    request_time: "2025-01-02T03:04:05.678Z",
    execution_duration: "1.5s",
    state: "OK",
    ...extra,
  };
}

/**
 * A JSON answer parsed with its 64-bit integers intact: span times and int_value go out as bare
 * JSON numbers (as MLflow's server writes them), which JSON.parse would round; integers of 16 or
 * more digits become strings of their exact digits.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function exactJson(raw: string): any {
  return JSON.parse(raw.replace(/([:[,]\s*)(-?\d{16,})(?=\s*[,\]}])/g, '$1"$2"'));
}
