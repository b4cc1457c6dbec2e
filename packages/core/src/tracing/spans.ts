import { pyJson } from "../py-json.ts";

// Spans as OpenTelemetry defines them (trace.proto), in the form the read APIs answer with: OTLP
// AnyValue attributes with proto field names (`string_value`, `kvlist_value` …), times in
// nanoseconds as decimal strings, ids in hex (the wire turns them into base64, as proto JSON has
// bytes). Ingest (OTLP protobuf or JSON) normalises to this; the portal decodes it for people.

/** OTLP's AnyValue with proto field names; exactly one member is set. */
export type AnyValue =
  | { string_value: string }
  | { bool_value: boolean }
  | { int_value: string }
  | { double_value: number | string }
  | { bytes_value: string }
  | { array_value: { values: AnyValue[] } }
  | { kvlist_value: { values: KeyValue[] } }
  | Record<string, never>;

export interface KeyValue {
  key: string;
  value: AnyValue;
}

export type SpanStatusCode = "STATUS_CODE_UNSET" | "STATUS_CODE_OK" | "STATUS_CODE_ERROR";

export interface SpanEvent {
  name: string;
  time_unix_nano: string;
  attributes: KeyValue[];
}

/** One span as received, before it is stored. */
export interface SpanInput {
  /** The OpenTelemetry trace id, 32 hex digits. */
  otelTraceId: string;
  /** 16 hex digits. */
  spanId: string;
  parentSpanId: string | null;
  name: string;
  /** SpanKind's name (SPAN_KIND_INTERNAL …), absent when unspecified. */
  kind?: string | undefined;
  traceState?: string | undefined;
  startTimeNs: bigint;
  endTimeNs: bigint | null;
  status: { code: SpanStatusCode; message: string };
  attributes: KeyValue[];
  events: SpanEvent[];
}

// MLflow's span attributes (mlflow/tracing/constant.py SpanAttributeKey).
export const SPAN_ATTR = {
  requestId: "mlflow.traceRequestId",
  spanType: "mlflow.spanType",
  inputs: "mlflow.spanInputs",
  outputs: "mlflow.spanOutputs",
} as const;

/** NUL cannot be stored in PostgreSQL text columns: a span's name and type carry U+FFFD in its place. */
export const scrubNul = (x: string) => (x.includes("\u0000") ? x.replaceAll("\u0000", "\uFFFD") : x);

/** An AnyValue as a plain JSON value (kvlists become objects, ints become numbers where exact). */
export function decodeAnyValue(v: AnyValue | undefined): unknown {
  if (!v) return null;
  if ("string_value" in v) return v.string_value;
  if ("bool_value" in v) return v.bool_value;
  if ("int_value" in v) {
    const n = Number(v.int_value);
    return Number.isSafeInteger(n) ? n : v.int_value;
  }
  if ("double_value" in v) return Number(v.double_value);
  if ("bytes_value" in v) return v.bytes_value;
  if ("array_value" in v) return (v.array_value.values ?? []).map(decodeAnyValue);
  if ("kvlist_value" in v) return Object.fromEntries((v.kvlist_value.values ?? []).map((kv) => [kv.key, decodeAnyValue(kv.value)]));
  return null;
}

/** A plain JSON value as an AnyValue (what MLflow's client sends for a dict, list or scalar). */
export function encodeAnyValue(x: unknown): AnyValue {
  if (x === null || x === undefined) return {};
  if (typeof x === "string") return { string_value: x };
  if (typeof x === "boolean") return { bool_value: x };
  if (typeof x === "number") return Number.isInteger(x) ? { int_value: String(x) } : { double_value: x };
  if (typeof x === "bigint") return { int_value: String(x) };
  if (Array.isArray(x)) return { array_value: { values: x.map(encodeAnyValue) } };
  if (typeof x === "object") return { kvlist_value: { values: Object.entries(x as Record<string, unknown>).map(([key, value]) => ({ key, value: encodeAnyValue(value) })) } };
  return { string_value: String(x) };
}

/**
 * An attribute's value as MLflow means it: the MLflow client sends native values, but spans made
 * by `span.set_attribute` in older clients carry JSON text; a string that parses as JSON of an
 * object, array or quoted string is read as that.
 */
export function attributeValue(attrs: readonly KeyValue[], key: string): unknown {
  const kv = attrs.find((a) => a.key === key);
  if (!kv) return undefined;
  const v = decodeAnyValue(kv.value);
  if (typeof v === "string" && /^\s*[[{"]/.test(v)) {
    try {
      return JSON.parse(v);
    } catch {
      return v;
    }
  }
  return v;
}

const q = JSON.stringify;

/** An AnyValue as proto JSON text, int_value as bare digits (exact beyond 2^53, as MLflow's server writes int64). */
function anyJson(v: AnyValue): string {
  if ("string_value" in v) return `{"string_value":${q(v.string_value)}}`;
  if ("int_value" in v) return `{"int_value":${/^-?\d+$/.test(v.int_value) ? v.int_value : q(v.int_value)}}`;
  if ("bool_value" in v) return `{"bool_value":${v.bool_value ? "true" : "false"}}`;
  if ("double_value" in v) return `{"double_value":${q(v.double_value)}}`;
  if ("bytes_value" in v) return `{"bytes_value":${q(v.bytes_value)}}`;
  if ("array_value" in v) return `{"array_value":{"values":[${v.array_value.values.map(anyJson).join(",")}]}}`;
  if ("kvlist_value" in v) return `{"kvlist_value":{"values":${attrsJson(v.kvlist_value.values)}}}`;
  return "{}";
}
const attrsJson = (attrs: readonly KeyValue[]) => `[${attrs.map((kv) => `{"key":${q(kv.key)},"value":${anyJson(kv.value)}}`).join(",")}]`;

/**
 * The stored content of a span: the span as proto JSON (opentelemetry.proto.trace.v1.Span), ids
 * in base64 as proto JSON has bytes, written as MLflow's server answers it: times and int_value as
 * JSON numbers (bare digits, exact), an unset status as {}. Written as text directly (no object
 * is built to be stringified); the read APIs send it as stored: a 2,000-span trace is not parsed
 * to be answered.
 */
export function spanContent(s: SpanInput): string {
  let out = `{"trace_id":"${hexToBase64(s.otelTraceId)}","span_id":"${hexToBase64(s.spanId)}"`;
  if (s.parentSpanId) out += `,"parent_span_id":"${hexToBase64(s.parentSpanId)}"`;
  out += `,"name":${q(s.name)}`;
  if (s.traceState) out += `,"trace_state":${q(s.traceState)}`;
  if (s.kind && s.kind !== "SPAN_KIND_UNSPECIFIED") out += `,"kind":${q(s.kind)}`;
  out += `,"start_time_unix_nano":${s.startTimeNs}`;
  if (s.endTimeNs !== null) out += `,"end_time_unix_nano":${s.endTimeNs}`;
  if (s.attributes.length) out += `,"attributes":${attrsJson(s.attributes)}`;
  if (s.events.length) {
    const events = s.events.map((e) => `{"name":${q(e.name)},"time_unix_nano":${/^\d+$/.test(e.time_unix_nano) ? e.time_unix_nano : "0"}${e.attributes.length ? `,"attributes":${attrsJson(e.attributes)}` : ""}}`);
    out += `,"events":[${events.join(",")}]`;
  }
  const status: string[] = [];
  if (s.status.message) status.push(`"message":${q(s.status.message)}`);
  if (s.status.code !== "STATUS_CODE_UNSET") status.push(`"code":"${s.status.code}"`);
  return `${out},"status":{${status.join(",")}}}`;
}

/** MLflow's trace id for an OpenTelemetry trace id. */
export const mlflowTraceId = (otelTraceIdHex: string) => `tr-${otelTraceIdHex}`;

/** The OpenTelemetry trace id inside an MLflow trace id (`tr-<hex>`), or null for other ids (v2's). */
export function otelTraceIdOf(traceId: string): string | null {
  const m = /^tr-([0-9a-f]{32})$/.exec(traceId);
  return m ? m[1]! : null;
}

const hexToBase64 = (hex: string) => Buffer.from(hex, "hex").toString("base64");

// ---- previews (mlflow/tracing/utils/truncation.py) ----

export const PREVIEW_MAX_LENGTH = 1000;

type Msg = { role?: unknown; content?: unknown };
const isMessage = (m: unknown): m is Msg => typeof m === "object" && m !== null && "role" in m && "content" in m;

/** Chat messages in an OpenAI-style request or response, when it has them. */
export function chatMessages(obj: unknown): Msg[] | null {
  if (typeof obj !== "object" || obj === null || Array.isArray(obj)) return null;
  const o = obj as Record<string, unknown>;
  if (Array.isArray(o.messages)) return o.messages.filter(isMessage);
  if (Array.isArray(o.choices) && o.choices.length) {
    const m = (o.choices[0] as Record<string, unknown> | null)?.message;
    if (isMessage(m)) return [m];
  }
  if (isMessage(o.message)) return [o.message];
  return null;
}

function textOf(content: unknown): string | null {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    const parts = content.map((p) => (typeof p === "object" && p && (p as { type?: unknown }).type === "text" ? String((p as { text?: unknown }).text ?? "") : "")).filter(Boolean);
    return parts.length ? parts.join("\n") : null;
  }
  return null;
}

/** The preview MLflow keeps of a request (role user) or response (role assistant): the last chat message of that role, or the JSON, cut to 1,000 characters. */
export function preview(value: unknown, role: "user" | "assistant"): string | null {
  if (value === undefined || value === null) return null;
  // Python's json.dumps spacing, as MLflow's server writes the preview
  const text = typeof value === "string" ? value : pyJson(value);
  let obj: unknown = value;
  if (typeof value === "string") {
    try {
      obj = JSON.parse(value);
    } catch {
      obj = null;
    }
  }
  const messages = chatMessages(obj);
  const mine = messages?.filter((m) => m.role === role).at(-1) ?? messages?.at(-1);
  const content = (mine && textOf(mine.content)) || text;
  return content.length <= PREVIEW_MAX_LENGTH ? content : `${content.slice(0, PREVIEW_MAX_LENGTH - 3)}...`;
}
