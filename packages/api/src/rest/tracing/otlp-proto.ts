import protobuf from "protobufjs";
import type { AnyValue, KeyValue, SpanInput, SpanStatusCode } from "@modelgate/core";

// OTLP/HTTP trace export (opentelemetry-proto: collector/trace/v1, trace/v1, common/v1), read in
// its two encodings: binary protobuf and the OTLP JSON mapping (lowerCamelCase names, ids as hex,
// enums as numbers, 64-bit integers as strings or numbers). Both become core's SpanInput.

const SCHEMA = `
syntax = "proto3";
package otlp;
message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
message ExportTraceServiceResponse { ExportTracePartialSuccess partial_success = 1; }
message ExportTracePartialSuccess { int64 rejected_spans = 1; string error_message = 2; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; string schema_url = 3; }
message Resource { repeated KeyValue attributes = 1; uint32 dropped_attributes_count = 2; }
message ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2; string schema_url = 3; }
message InstrumentationScope { string name = 1; string version = 2; repeated KeyValue attributes = 3; uint32 dropped_attributes_count = 4; }
message Span {
  bytes trace_id = 1; bytes span_id = 2; string trace_state = 3; bytes parent_span_id = 4; fixed32 flags = 16;
  string name = 5; SpanKind kind = 6; fixed64 start_time_unix_nano = 7; fixed64 end_time_unix_nano = 8;
  repeated KeyValue attributes = 9; uint32 dropped_attributes_count = 10; repeated Event events = 11;
  uint32 dropped_events_count = 12; repeated Link links = 13; uint32 dropped_links_count = 14; Status status = 15;
}
enum SpanKind { SPAN_KIND_UNSPECIFIED = 0; SPAN_KIND_INTERNAL = 1; SPAN_KIND_SERVER = 2; SPAN_KIND_CLIENT = 3; SPAN_KIND_PRODUCER = 4; SPAN_KIND_CONSUMER = 5; }
message Event { fixed64 time_unix_nano = 1; string name = 2; repeated KeyValue attributes = 3; uint32 dropped_attributes_count = 4; }
message Link { bytes trace_id = 1; bytes span_id = 2; string trace_state = 3; repeated KeyValue attributes = 4; uint32 dropped_attributes_count = 5; fixed32 flags = 6; }
message Status { string message = 2; StatusCode code = 3; }
enum StatusCode { STATUS_CODE_UNSET = 0; STATUS_CODE_OK = 1; STATUS_CODE_ERROR = 2; }
message AnyValue {
  oneof value { string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4;
                ArrayValue array_value = 5; KeyValueList kvlist_value = 6; bytes bytes_value = 7; }
}
message ArrayValue { repeated AnyValue values = 1; }
message KeyValueList { repeated KeyValue values = 1; }
message KeyValue { string key = 1; AnyValue value = 2; }
message RpcStatus { int32 code = 1; string message = 2; }
`;

const root = protobuf.parse(SCHEMA, { keepCase: true }).root;
const RequestType = root.lookupType("otlp.ExportTraceServiceRequest");
const ResponseType = root.lookupType("otlp.ExportTraceServiceResponse");
const StatusType = root.lookupType("otlp.RpcStatus");

export class OtlpError extends Error {
  constructor(message: string) {
    super(message);
  }
}

const KINDS = ["SPAN_KIND_UNSPECIFIED", "SPAN_KIND_INTERNAL", "SPAN_KIND_SERVER", "SPAN_KIND_CLIENT", "SPAN_KIND_PRODUCER", "SPAN_KIND_CONSUMER"];
const CODES: SpanStatusCode[] = ["STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR"];

type Long = { toString(): string; unsigned?: boolean } | number | string;
const u64 = (v: Long | null | undefined): bigint => (v === null || v === undefined ? 0n : BigInt(typeof v === "object" ? (v as { toString(): string }).toString() : v));
const hex = (b: Uint8Array | null | undefined) => (b && b.length ? Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex") : "");

// ---- binary ----

interface PbAny {
  value?: string;
  string_value?: string;
  bool_value?: boolean;
  int_value?: Long;
  double_value?: number;
  array_value?: { values?: PbAny[] };
  kvlist_value?: { values?: PbKv[] };
  bytes_value?: Uint8Array;
}
interface PbKv {
  key: string;
  value?: PbAny;
}

function pbAny(v: PbAny | undefined): AnyValue {
  if (!v) return {};
  switch (v.value) {
    case "string_value":
      return { string_value: v.string_value ?? "" };
    case "bool_value":
      return { bool_value: Boolean(v.bool_value) };
    case "int_value":
      return { int_value: String(u64Signed(v.int_value)) };
    case "double_value":
      return { double_value: finite(v.double_value ?? 0) };
    case "array_value":
      return { array_value: { values: (v.array_value?.values ?? []).map(pbAny) } };
    case "kvlist_value":
      return { kvlist_value: { values: (v.kvlist_value?.values ?? []).map(pbKv) } };
    case "bytes_value":
      return { bytes_value: Buffer.from(v.bytes_value ?? []).toString("base64") };
    default:
      return {};
  }
}
/** int64 (signed) from a protobufjs Long. */
function u64Signed(v: Long | undefined): string {
  if (v === undefined || v === null) return "0";
  return typeof v === "object" ? (v as { toString(): string }).toString() : String(v);
}
/** NaN and infinities as proto JSON spells them. */
const finite = (d: number): number | string => (Number.isFinite(d) ? d : Number.isNaN(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity");
const pbKv = (kv: PbKv): KeyValue => ({ key: kv.key, value: pbAny(kv.value) });

interface PbSpan {
  trace_id?: Uint8Array;
  span_id?: Uint8Array;
  parent_span_id?: Uint8Array;
  trace_state?: string;
  name?: string;
  kind?: number;
  start_time_unix_nano?: Long;
  end_time_unix_nano?: Long;
  attributes?: PbKv[];
  events?: { time_unix_nano?: Long; name?: string; attributes?: PbKv[] }[];
  status?: { message?: string; code?: number };
}

/** Decodes a binary ExportTraceServiceRequest; a truncated or malformed body is an OtlpError. */
export function decodeProtobuf(body: Buffer): SpanInput[] {
  let msg: { resource_spans?: { scope_spans?: { spans?: PbSpan[] }[] }[] };
  try {
    msg = RequestType.decode(body) as unknown as typeof msg;
  } catch (e) {
    throw new OtlpError(`Invalid OpenTelemetry protobuf: ${(e as Error).message}`);
  }
  const out: SpanInput[] = [];
  for (const rs of msg.resource_spans ?? []) {
    for (const ss of rs.scope_spans ?? []) {
      for (const s of ss.spans ?? []) {
        const end = u64(s.end_time_unix_nano);
        out.push(
          checked({
            otelTraceId: hex(s.trace_id),
            spanId: hex(s.span_id),
            parentSpanId: hex(s.parent_span_id) || null,
            name: s.name ?? "",
            kind: KINDS[s.kind ?? 0],
            traceState: s.trace_state || undefined,
            startTimeNs: u64(s.start_time_unix_nano),
            endTimeNs: end === 0n ? null : end,
            status: { code: CODES[s.status?.code ?? 0] ?? "STATUS_CODE_UNSET", message: s.status?.message ?? "" },
            attributes: (s.attributes ?? []).map(pbKv),
            events: (s.events ?? []).map((e) => ({ name: e.name ?? "", time_unix_nano: String(u64(e.time_unix_nano)), attributes: (e.attributes ?? []).map(pbKv) })),
          }),
        );
      }
    }
  }
  return out;
}

// ---- JSON ----

type J = Record<string, unknown>;
const obj = (v: unknown, what: string): J => {
  if (v === undefined || v === null) return {};
  if (typeof v !== "object" || Array.isArray(v)) throw new OtlpError(`${what} must be an object`);
  return v as J;
};
const arr = (v: unknown, what: string): unknown[] => {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new OtlpError(`${what} must be an array`);
  return v;
};
/** A field by its JSON name or its proto name (OTLP receivers accept both). */
const field = (o: J, camel: string, snake: string) => (o[camel] !== undefined ? o[camel] : o[snake]);

function jsonId(v: unknown, what: string): string {
  if (v === undefined || v === null || v === "") return "";
  if (typeof v !== "string" || !/^[0-9a-fA-F]*$/.test(v)) throw new OtlpError(`${what} must be a hex string`);
  return v.toLowerCase();
}

function jsonU64(v: unknown, what: string): bigint {
  if (v === undefined || v === null || v === "") return 0n;
  if ((typeof v === "string" && /^\d+$/.test(v)) || (typeof v === "number" && Number.isSafeInteger(v) && v >= 0)) return BigInt(v);
  throw new OtlpError(`${what} must be a non-negative integer`);
}

function jsonEnum(v: unknown, names: readonly string[], what: string): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === "number" && Number.isInteger(v) && v >= 0 && v < names.length) return v;
  if (typeof v === "string" && names.includes(v)) return names.indexOf(v);
  throw new OtlpError(`${what} has an invalid value ${JSON.stringify(v)}`);
}

function jsonAny(v: unknown): AnyValue {
  const o = obj(v, "AnyValue");
  const s = field(o, "stringValue", "string_value");
  if (s !== undefined) return { string_value: String(s) };
  const b = field(o, "boolValue", "bool_value");
  if (b !== undefined) return { bool_value: Boolean(b) };
  const i = field(o, "intValue", "int_value");
  if (i !== undefined) {
    if (!/^-?\d+$/.test(String(i))) throw new OtlpError(`intValue must be an integer, got ${JSON.stringify(i)}`);
    return { int_value: String(i) };
  }
  const d = field(o, "doubleValue", "double_value");
  if (d !== undefined) return { double_value: typeof d === "number" ? d : String(d) };
  const a = field(o, "arrayValue", "array_value");
  if (a !== undefined) return { array_value: { values: arr(obj(a, "arrayValue").values, "arrayValue.values").map(jsonAny) } };
  const k = field(o, "kvlistValue", "kvlist_value");
  if (k !== undefined) return { kvlist_value: { values: arr(obj(k, "kvlistValue").values, "kvlistValue.values").map(jsonKv) } };
  const by = field(o, "bytesValue", "bytes_value");
  if (by !== undefined) return { bytes_value: String(by) };
  return {};
}

function jsonKv(v: unknown): KeyValue {
  const o = obj(v, "KeyValue");
  if (typeof o.key !== "string") throw new OtlpError("Every attribute needs a string key");
  return { key: o.key, value: jsonAny(o.value) };
}

/** Decodes an OTLP JSON ExportTraceServiceRequest. */
export function decodeJson(body: unknown): SpanInput[] {
  const req = obj(body, "The request body");
  const out: SpanInput[] = [];
  for (const rs of arr(field(req, "resourceSpans", "resource_spans"), "resourceSpans")) {
    for (const ss of arr(field(obj(rs, "resourceSpans[]"), "scopeSpans", "scope_spans"), "scopeSpans")) {
      for (const raw of arr(obj(ss, "scopeSpans[]").spans, "spans")) {
        const s = obj(raw, "span");
        const status = obj(s.status, "status");
        const end = jsonU64(field(s, "endTimeUnixNano", "end_time_unix_nano"), "endTimeUnixNano");
        out.push(
          checked({
            otelTraceId: jsonId(field(s, "traceId", "trace_id"), "traceId"),
            spanId: jsonId(field(s, "spanId", "span_id"), "spanId"),
            parentSpanId: jsonId(field(s, "parentSpanId", "parent_span_id"), "parentSpanId") || null,
            name: typeof s.name === "string" ? s.name : "",
            kind: KINDS[jsonEnum(s.kind, KINDS, "kind")],
            traceState: (field(s, "traceState", "trace_state") as string | undefined) || undefined,
            startTimeNs: jsonU64(field(s, "startTimeUnixNano", "start_time_unix_nano"), "startTimeUnixNano"),
            endTimeNs: end === 0n ? null : end,
            status: { code: CODES[jsonEnum(status.code, CODES, "status.code")]!, message: typeof status.message === "string" ? status.message : "" },
            attributes: arr(s.attributes, "attributes").map(jsonKv),
            events: arr(s.events, "events").map((e) => {
              const ev = obj(e, "event");
              return { name: typeof ev.name === "string" ? ev.name : "", time_unix_nano: String(jsonU64(field(ev, "timeUnixNano", "time_unix_nano"), "timeUnixNano")), attributes: arr(ev.attributes, "attributes").map(jsonKv) };
            }),
          }),
        );
      }
    }
  }
  return out;
}

/** The ids OTLP requires: a 16-byte trace id and an 8-byte span id, neither all zero. */
function checked(s: SpanInput): SpanInput {
  if (s.otelTraceId.length !== 32 || /^0+$/.test(s.otelTraceId)) throw new OtlpError(`Span '${s.name}': trace id must be 16 bytes and not all zero`);
  if (s.spanId.length !== 16 || /^0+$/.test(s.spanId)) throw new OtlpError(`Span '${s.name}': span id must be 8 bytes and not all zero`);
  if (s.parentSpanId !== null && s.parentSpanId.length !== 16) throw new OtlpError(`Span '${s.name}': parent span id must be 8 bytes`);
  if (s.startTimeNs === 0n) throw new OtlpError(`Span '${s.name}': start time is missing`);
  return s;
}

export const EMPTY_RESPONSE_PROTOBUF = Buffer.from(ResponseType.encode(ResponseType.create({})).finish());

/** google.rpc.Status, binary. */
export function encodeStatus(code: number, message: string): Buffer {
  return Buffer.from(StatusType.encode(StatusType.create({ code, message })).finish());
}
