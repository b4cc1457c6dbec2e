// bench:tracing's OTLP bodies: ExportTraceServiceRequest in binary protobuf, written here by hand
// (a few wire-format helpers) so the bench does not share the server's protobufjs schema: what the
// server decodes was encoded independently. The spans look like what MLflow 3.x's exporter sends:
// every span carries mlflow.traceRequestId ("tr-<otel trace id>" as JSON text), mlflow.spanType,
// mlflow.spanInputs and mlflow.spanOutputs (JSON text of a few hundred bytes; an LLM span's outputs
// as an OTLP kvlist, as an OpenTelemetry SDK sends a dict).
//
// A load body is a template: its trace ids and the hex inside each mlflow.traceRequestId sit at
// known offsets, so a client gives every request new traces by writing 16 random bytes and their
// 32 hex digits there (no encoding on the clock).
import crypto from "node:crypto";

// ---- protobuf wire format ----

function varint(n: bigint | number): Buffer {
  let v = BigInt(n);
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return Buffer.from(out);
}
const tag = (field: number, wire: number) => varint((field << 3) | wire);
const len = (field: number, payload: Buffer) => Buffer.concat([tag(field, 2), varint(payload.length), payload]);
const str = (field: number, s: string) => len(field, Buffer.from(s, "utf8"));
const num = (field: number, n: number) => Buffer.concat([tag(field, 0), varint(n)]);
function fixed64(field: number, n: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(n);
  return Buffer.concat([tag(field, 1), b]);
}

// common/v1: AnyValue { string_value = 1; int_value = 3; kvlist_value = 6 }, KeyValue { key = 1; value = 2 }
type Any = { s: string } | { i: number } | { kv: [string, Any][] };
function anyValue(v: Any): Buffer {
  if ("s" in v) return str(1, v.s);
  if ("i" in v) return num(3, v.i);
  return len(6, Buffer.concat(v.kv.map(([k, x]) => len(1, keyValue(k, x)))));
}
const keyValue = (key: string, v: Any) => Buffer.concat([str(1, key), len(2, anyValue(v))]);

export interface SpanSpec {
  traceId: Buffer;
  spanId: Buffer;
  parentId: Buffer | null;
  name: string;
  type: string;
  startNs: bigint;
  endNs: bigint;
  inputs: Any;
  outputs: Any;
  error?: boolean;
}

// trace/v1: Span { trace_id = 1; span_id = 2; parent_span_id = 4; name = 5; kind = 6;
// start_time_unix_nano = 7; end_time_unix_nano = 8; attributes = 9; status = 15 { code = 3 } }
function span(s: SpanSpec): Buffer {
  const requestId = `tr-${s.traceId.toString("hex")}`;
  return Buffer.concat([
    len(1, s.traceId),
    len(2, s.spanId),
    ...(s.parentId ? [len(4, s.parentId)] : []),
    str(5, s.name),
    num(6, 1), // SPAN_KIND_INTERNAL, as MLflow's spans are
    fixed64(7, s.startNs),
    fixed64(8, s.endNs),
    len(9, keyValue("mlflow.traceRequestId", { s: JSON.stringify(requestId) })),
    len(9, keyValue("mlflow.spanType", { s: JSON.stringify(s.type) })),
    len(9, keyValue("mlflow.spanFunctionName", { s: JSON.stringify(s.name) })),
    len(9, keyValue("mlflow.spanInputs", s.inputs)),
    len(9, keyValue("mlflow.spanOutputs", s.outputs)),
    len(15, num(3, s.error ? 2 : 1)),
  ]);
}

/** ExportTraceServiceRequest { resource_spans = 1 { resource = 1; scope_spans = 2 { scope = 1; spans = 2 } } } */
export function exportRequest(spans: SpanSpec[]): Buffer {
  const resource = len(1, len(1, keyValue("service.name", { s: "bench-agent" })));
  const scope = len(1, Buffer.concat([str(1, "mlflow.tracing"), str(2, "3.6.0")]));
  const scopeSpans = len(2, Buffer.concat([scope, ...spans.map((s) => len(2, span(s)))]));
  return len(1, Buffer.concat([resource, scopeSpans]));
}

// ---- realistic content ----

const WORDS = "the model answer question refund order policy account shipping invoice customer retrieve document context summary tool search weather booking flight hotel price table chart metric latency token prompt".split(" ");

function words(rand: () => number, bytes: number): string {
  const out: string[] = [];
  let n = 0;
  while (n < bytes) {
    const w = WORDS[Math.floor(rand() * WORDS.length)]!;
    out.push(w);
    n += w.length + 1;
  }
  return out.join(" ");
}

/** A seeded generator, so a body's text is reproducible. */
function mulberry(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The types of the 10 spans of a load trace: an agent, its retrieval, LLM calls and tools. */
const TEN: { name: string; type: string; parent: number | null }[] = [
  { name: "agent", type: "AGENT", parent: null },
  { name: "plan", type: "CHAIN", parent: 0 },
  { name: "chat_completion", type: "CHAT_MODEL", parent: 1 },
  { name: "retrieve", type: "RETRIEVER", parent: 0 },
  { name: "embed_query", type: "EMBEDDING", parent: 3 },
  { name: "vector_search", type: "RETRIEVER", parent: 3 },
  { name: "call_tool", type: "TOOL", parent: 0 },
  { name: "http_get", type: "TOOL", parent: 6 },
  { name: "answer", type: "LLM", parent: 0 },
  { name: "parse_output", type: "PARSER", parent: 8 },
];

function contentOf(rand: () => number, type: string, i: number): { inputs: Any; outputs: Any } {
  const question = words(rand, 160);
  const inputs: Any = { s: JSON.stringify(type === "AGENT" || type === "CHAT_MODEL" || type === "LLM" ? { messages: [{ role: "system", content: "You are a helpful assistant." }, { role: "user", content: question }], temperature: 0.2, max_tokens: 512 } : { query: question, k: 5, step: i }) };
  const answer = words(rand, 220);
  const outputs: Any =
    type === "LLM" || type === "CHAT_MODEL"
      ? { kv: [["id", { s: `chatcmpl-${Math.floor(rand() * 1e9)}` }], ["model", { s: "gpt-4o-mini" }], ["choices", { kv: [["message", { kv: [["role", { s: "assistant" }], ["content", { s: answer }]] }], ["finish_reason", { s: "stop" }]] }], ["usage", { kv: [["prompt_tokens", { i: 180 }], ["completion_tokens", { i: 95 }], ["total_tokens", { i: 275 }]] }]] }
      : { s: JSON.stringify(type === "AGENT" ? { messages: [{ role: "assistant", content: answer }] } : { result: answer, documents: [{ id: `doc-${i}`, score: 0.83 }] }) };
  return { inputs, outputs };
}

const randomId = (n: number) => {
  let b: Buffer;
  do b = crypto.randomBytes(n);
  while (b.every((x) => x === 0));
  return b;
};

/** Spans of one trace shaped like TEN, repeated up to `count` spans (the 2,000-span trace uses groups of them under one root). */
export function traceSpans(traceId: Buffer, count: number, seed: number, baseNs: bigint): SpanSpec[] {
  const rand = mulberry(seed);
  const spans: SpanSpec[] = [];
  const ids: Buffer[] = [];
  const totalNs = BigInt(count) * 5_000_000n;
  for (let i = 0; i < count; i++) {
    // the first TEN shape under its root; past 10 spans, more groups of 10 hang off the root (an agent's turns)
    const k = i % 10;
    const group = Math.floor(i / 10);
    const shape = TEN[k]!;
    let parent: Buffer | null;
    if (i === 0) parent = null;
    else if (k === 0) parent = ids[0]!; // a new turn, under the root
    else parent = ids[group * 10 + (shape.parent ?? 0)]!;
    const name = i === 0 ? "agent" : k === 0 ? `turn_${group}` : shape.name;
    const type = i === 0 ? "AGENT" : k === 0 ? "CHAIN" : shape.type;
    const id = randomId(8);
    ids.push(id);
    const start = i === 0 ? baseNs : baseNs + BigInt(i) * 4_000_000n;
    const end = i === 0 ? baseNs + totalNs : start + 3_000_000n + BigInt(Math.floor(rand() * 900_000));
    spans.push({ traceId, spanId: id, parentId: parent, name, type, startNs: start, endNs: end, ...contentOf(rand, type, i), error: i > 0 && rand() < 0.01 });
  }
  return spans;
}

/** A load body and where its trace ids are: per trace slot, the offsets of its 16 id bytes and of its 32 hex digits. */
export interface BodyTemplate {
  body: Buffer;
  spans: number;
  slots: { idAt: number[]; hexAt: number[] }[];
}

function allIndexes(buf: Buffer, needle: Buffer): number[] {
  const out: number[] = [];
  for (let at = buf.indexOf(needle); at >= 0; at = buf.indexOf(needle, at + 1)) out.push(at);
  return out;
}

/** `traces` traces of `spansPerTrace` spans each in one ExportTraceServiceRequest. */
export function loadTemplate(traces: number, spansPerTrace: number, seed: number): BodyTemplate {
  const baseNs = BigInt(Date.now()) * 1_000_000n;
  const ids = Array.from({ length: traces }, () => randomId(16));
  const spans = ids.flatMap((id, t) => traceSpans(id, spansPerTrace, seed * 1000 + t, baseNs + BigInt(t) * 1_000_000_000n));
  const body = exportRequest(spans);
  const slots = ids.map((id) => {
    const idAt = allIndexes(body, id);
    const hexAt = allIndexes(body, Buffer.from(id.toString("hex"), "latin1"));
    if (idAt.length !== spansPerTrace || hexAt.length !== spansPerTrace) throw new Error(`template: trace id found ${idAt.length}/${hexAt.length} times, expected ${spansPerTrace}`);
    return { idAt, hexAt };
  });
  return { body, spans: spans.length, slots };
}

/** Gives every trace of the body new ids, in place (16 random bytes each, and their hex in mlflow.traceRequestId). */
export function renewTraceIds(t: BodyTemplate, scratch: Buffer = Buffer.alloc(16 * t.slots.length)): void {
  crypto.randomFillSync(scratch);
  t.slots.forEach((slot, i) => {
    const id = scratch.subarray(i * 16, i * 16 + 16);
    id[0] = (id[0]! | 1) >>> 0; // never all zero
    const hex = id.toString("hex");
    for (const at of slot.idAt) id.copy(t.body, at);
    for (const at of slot.hexAt) t.body.write(hex, at, "latin1");
  });
}
