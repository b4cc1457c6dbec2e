import crypto from "node:crypto";
import { Prisma, sqlQuery } from "@modelgate/db";
import type { Ctx } from "../context.ts";
import { DomainError, invalid } from "../errors.ts";
import { assertExperimentActive, loadExperiment } from "../tracking/experiments.ts";
import { findTrace } from "./access.ts";
import { SPAN_ATTR, attributeValue, encodeAnyValue, mlflowTraceId, preview, scrubNul, spanContent, type SpanInput } from "./spans.ts";
import { loadTraceRows, traceInfoV2View, traceInfoView, type TraceInfoV2View, type TraceInfoView } from "./views.ts";
import { insertAssessments, type AssessmentInput } from "./assessments.ts";
import { checkEntries, noNul } from "./limits.ts";

// Writing traces. Spans arrive over OTLP (one per request from the MLflow client, batches from
// other SDKs) in any order and in any number of requests; the trace record (StartTraceV3) comes
// once, at the end. Whichever arrives first creates the trace; the rest merge into it. Each write
// is one statement, so a request is kept whole or not at all.

/** MLflow's metadata keys on a trace that Modelgate reads (TraceMetadataKey); the tags it answers with are views.ts DERIVED_TAGS. */
export const TRACE_KEYS = {
  sourceRun: "mlflow.sourceRun",
  modelId: "mlflow.modelId",
  sizeStats: "mlflow.trace.sizeStats",
} as const;
export const SPANS_IN_STORE = "TRACKING_STORE";

const nowMs = () => Date.now();
const HEX16 = /^[0-9a-f]{16}$/;
const HEX32 = /^[0-9a-f]{32}$/;

function stateOf(code: SpanInput["status"]["code"]): "OK" | "ERROR" {
  return code === "STATUS_CODE_ERROR" ? "ERROR" : "OK";
}

function spanTypeOf(s: SpanInput): string | null {
  const t = attributeValue(s.attributes, SPAN_ATTR.spanType);
  return typeof t === "string" && t ? scrubNul(t) : null;
}

const scrubbed = (x: string | null) => (x === null ? null : scrubNul(x));

/** The MLflow trace id of a span: its mlflow.traceRequestId attribute, else `tr-<otel trace id>`. */
export function traceIdOfSpan(s: SpanInput): string {
  const id = attributeValue(s.attributes, SPAN_ATTR.requestId);
  return typeof id === "string" && id ? id : mlflowTraceId(s.otelTraceId);
}

function checkSpan(s: SpanInput, i: number) {
  if (!HEX32.test(s.otelTraceId) || s.otelTraceId === "0".repeat(32)) throw invalid(`Span ${i}: trace_id must be 16 bytes and not all zero`);
  if (!HEX16.test(s.spanId) || s.spanId === "0".repeat(16)) throw invalid(`Span ${i}: span_id must be 8 bytes and not all zero`);
  if (s.parentSpanId !== null && !HEX16.test(s.parentSpanId)) throw invalid(`Span ${i}: parent_span_id must be 8 bytes`);
  if (s.startTimeNs <= 0n) throw invalid(`Span ${i}: start_time_unix_nano must be set`);
  if (s.endTimeNs !== null && s.endTimeNs < s.startTimeNs) throw invalid(`Span ${i}: end_time_unix_nano is before start_time_unix_nano`);
}

export interface LogSpansResult {
  traces: number;
  spans: number;
}

/**
 * Stores spans in `experimentId` (EDIT, active). Spans of a trace that lives in another experiment
 * are refused, and with them the whole request. The root span (no parent) gives the trace its
 * name, state and request/response previews; every span widens the trace's time range.
 */
export async function logSpans(ctx: Ctx, experimentId: string, spans: readonly SpanInput[], opts: { traceId?: string } = {}): Promise<LogSpansResult> {
  if (!spans.length) return { traces: 0, spans: 0 };
  spans.forEach(checkSpan);
  const exp = await loadExperiment(ctx, experimentId, "EDIT");
  assertExperimentActive(exp);

  // the last copy of a span wins within a request (ON CONFLICT may touch a row once per statement)
  const unique = new Map<string, { traceId: string; s: SpanInput }>();
  for (const received of spans) {
    // the name is a column too: PostgreSQL text cannot hold NUL (the content keeps it, escaped)
    const s = received.name.includes("\u0000") ? { ...received, name: scrubNul(received.name) } : received;
    const traceId = opts.traceId ?? traceIdOfSpan(s);
    // as MLflow's server does, every stored span names its MLflow trace
    const named = s.attributes.some((a) => a.key === SPAN_ATTR.requestId) ? s : { ...s, attributes: [{ key: SPAN_ATTR.requestId, value: { string_value: traceId } }, ...s.attributes] };
    unique.set(`${traceId}/${s.spanId}`, { traceId, s: named });
  }
  type Agg = { start: bigint; end: bigint | null; root?: SpanInput };
  const traces = new Map<string, Agg>();
  const spanRows: unknown[] = [];
  // the spans' content, end to end, as one bytea parameter that each row takes its slice of:
  // neither escaped by the driver nor parsed by PostgreSQL
  const contents: Buffer[] = [];
  let offset = 1;
  for (const { traceId, s } of unique.values()) {
    const a = traces.get(traceId) ?? { start: s.startTimeNs, end: null };
    if (s.startTimeNs < a.start) a.start = s.startTimeNs;
    if (s.endTimeNs !== null && (a.end === null || s.endTimeNs > a.end)) a.end = s.endTimeNs;
    if (s.parentSpanId === null) a.root = s;
    traces.set(traceId, a);
    // the content travels as JSON inside the parameter and is stored as its exact text
    const content = Buffer.from(spanContent(s));
    spanRows.push({ t: traceId, s: s.spanId, p: s.parentSpanId, n: s.name, y: spanTypeOf(s), st: s.status.code.replace("STATUS_CODE_", ""), a: String(s.startTimeNs), b: s.endTimeNs === null ? null : String(s.endTimeNs), o: offset, l: content.length });
    contents.push(content);
    offset += content.length;
  }
  const traceRows: unknown[] = [];
  for (const [traceId, a] of traces) {
    traceRows.push({
      t: traceId,
      a: String(a.start / 1_000_000n),
      b: a.end === null ? null : String(a.end / 1_000_000n),
      st: a.root ? stateOf(a.root.status.code) : null,
      n: a.root?.name ?? null,
      rq: a.root ? scrubbed(preview(attributeValue(a.root.attributes, SPAN_ATTR.inputs), "user")) : null,
      rs: a.root ? scrubbed(preview(attributeValue(a.root.attributes, SPAN_ATTR.outputs), "assistant")) : null,
    });
  }
  // One statement straight through the driver: a 100-span export is ~80 KB, and text[] parameters
  // cost more to escape than the whole insert costs PostgreSQL.
  const spanJson = JSON.stringify(spanRows);
  const traceJson = JSON.stringify(traceRows);
  const blob = Buffer.concat(contents);
  const rows = await sqlQuery<{ conflicts: string[] | null; traces: number }>(ctx.db, Prisma.sql`
    WITH input AS (
      SELECT * FROM json_to_recordset(${traceJson}::json) AS x(t text, a bigint, b bigint, st text, n text, rq text, rs text)
    ),
    -- LATERAL … LIMIT 1 (which the planner cannot flatten into a join): one index probe per row of
    -- the request, whatever the tables' sizes; a join here is planned as a scan of the whole table
    conflict AS (
      SELECT x.trace_id FROM input i, LATERAL (SELECT tr.trace_id FROM trace tr WHERE tr.trace_id = i.t AND tr.experiment_id <> ${exp.id}::int LIMIT 1) x
    ),
    sp AS (
      SELECT x.*, convert_from(substring(${blob}::bytea FROM x.o FOR x.l), 'UTF8') AS c
      FROM json_to_recordset(${spanJson}::json) AS x(t text, s text, p text, n text, y text, st text, a bigint, b bigint, o int, l int)
    ),
    -- the spans this request replaces, and their bytes (every CTE sees the table as it was before
    -- the statement): what the trace's span_count and size_bytes grow by is the difference
    old AS (
      SELECT sp.t AS trace_id, count(*)::int AS n, sum(o.bytes)::bigint AS bytes
      FROM sp, LATERAL (SELECT octet_length(x.content) AS bytes FROM trace_span x WHERE x.trace_id = sp.t AND x.span_id = sp.s LIMIT 1) o GROUP BY sp.t
    ),
    s AS (
      INSERT INTO trace_span (trace_id, span_id, parent_span_id, name, span_type, status, start_time_ns, end_time_ns, content)
      SELECT sp.t, sp.s, sp.p, sp.n, sp.y, sp.st, sp.a, sp.b, sp.c FROM sp
      WHERE NOT EXISTS (SELECT 1 FROM conflict)
      ON CONFLICT (trace_id, span_id) DO UPDATE SET parent_span_id = EXCLUDED.parent_span_id, name = EXCLUDED.name, span_type = EXCLUDED.span_type,
        status = EXCLUDED.status, start_time_ns = EXCLUDED.start_time_ns, end_time_ns = EXCLUDED.end_time_ns, content = EXCLUDED.content
    ),
    added AS (
      SELECT sp.t AS trace_id, (count(*) - COALESCE(min(old.n), 0))::int AS n, (sum(sp.l) - COALESCE(min(old.bytes), 0))::bigint AS bytes
      FROM sp LEFT JOIN old ON old.trace_id = sp.t GROUP BY sp.t
    ),
    t AS (
      INSERT INTO trace (trace_id, experiment_id, request_time, execution_duration, state, name, request_preview, response_preview, span_count, size_bytes, created_at)
      SELECT i.t, ${exp.id}::int, i.a, i.b - i.a, COALESCE(i.st, 'IN_PROGRESS'), i.n, i.rq, i.rs, COALESCE(ad.n, 0), COALESCE(ad.bytes, 0), ${nowMs()}::bigint
      FROM input i LEFT JOIN added ad ON ad.trace_id = i.t
      WHERE NOT EXISTS (SELECT 1 FROM conflict)
      ON CONFLICT (trace_id) DO UPDATE SET
        request_time = LEAST(trace.request_time, EXCLUDED.request_time),
        execution_duration = CASE WHEN EXCLUDED.execution_duration IS NULL THEN trace.execution_duration
          ELSE GREATEST(trace.request_time + COALESCE(trace.execution_duration, 0), EXCLUDED.request_time + EXCLUDED.execution_duration)
               - LEAST(trace.request_time, EXCLUDED.request_time) END,
        state = CASE WHEN trace.state IN ('IN_PROGRESS', 'STATE_UNSPECIFIED') AND EXCLUDED.name IS NOT NULL THEN EXCLUDED.state ELSE trace.state END,
        name = COALESCE(trace.name, EXCLUDED.name),
        request_preview = COALESCE(trace.request_preview, EXCLUDED.request_preview),
        response_preview = COALESCE(trace.response_preview, EXCLUDED.response_preview),
        span_count = trace.span_count + EXCLUDED.span_count,
        size_bytes = trace.size_bytes + EXCLUDED.size_bytes
      WHERE trace.experiment_id = EXCLUDED.experiment_id
      RETURNING trace_id
    )
    SELECT (SELECT array_agg(trace_id) FROM conflict) AS conflicts, (SELECT count(*)::int FROM t) AS traces`, { prepare: true });
  const r = rows[0]!;
  if (r.conflicts?.length) {
    throw invalid(`Trace ${r.conflicts.map((c) => `'${c}'`).join(", ")} belongs to another experiment; its spans cannot be logged to experiment ${exp.id}`);
  }
  return { traces: traces.size, spans: unique.size };
}

// ---- the trace record (StartTraceV3, and v2's StartTrace/EndTrace) ----

export interface TraceRecordInput {
  trace_id?: string | undefined;
  client_request_id?: string | undefined;
  experiment_id: string;
  request_time_ms: number;
  execution_duration_ms?: number | undefined;
  state?: string | undefined;
  request_preview?: string | undefined;
  response_preview?: string | undefined;
  trace_metadata?: Record<string, string> | undefined;
  tags?: Record<string, string> | undefined;
  assessments?: AssessmentInput[] | undefined;
}

const STATES = ["STATE_UNSPECIFIED", "OK", "ERROR", "IN_PROGRESS"];

function checkState(state: string): string {
  if (!STATES.includes(state)) throw invalid(`Invalid trace state '${state}'. Valid states are ${STATES.join(", ")}`);
  return state;
}

/** MLflow's v2 trace id (request_id): a uuid4 in hex; v3 clients send their own `tr-` id. */
const newTraceId = () => crypto.randomUUID().replace(/-/g, "");

/**
 * StartTraceV3: the record the client sends when a trace has ended (EDIT, active experiment). It
 * creates the trace or completes the one its spans created; the record's fields win over what was
 * derived from spans, previews only where it has them. The answer carries the tags MLflow's server
 * adds, among them spansLocation=TRACKING_STORE, which tells the client not to upload the spans again
 * as an artifact.
 */
export async function startTraceV3(ctx: Ctx, input: TraceRecordInput): Promise<TraceInfoView> {
  const row = await writeRecord(ctx, input, "v3");
  return traceInfoView(row);
}

async function writeRecord(ctx: Ctx, input: TraceRecordInput, api: "v2" | "v3") {
  const traceId = input.trace_id || newTraceId();
  noNul("Trace id", traceId);
  noNul("client_request_id", input.client_request_id);
  noNul("request_preview", input.request_preview);
  noNul("response_preview", input.response_preview);
  if (traceId.length > 64) throw invalid(`Trace id '${traceId}' is longer than 64 characters`);
  const state = checkState(input.state || "STATE_UNSPECIFIED");
  const tags = checkEntries("tag", input.tags ?? {});
  const metadata = checkEntries("metadata", input.trace_metadata ?? {});
  if (!Number.isFinite(input.request_time_ms)) throw invalid("request_time must be set");
  const exp = await loadExperiment(ctx, input.experiment_id, "EDIT");
  assertExperimentActive(exp);
  // v3 traces keep their spans here; v2 clients upload them as an artifact (the two tags that say
  // so are derived from spans_location when the trace is read)
  const spansLocation = api === "v3" ? SPANS_IN_STORE : "ARTIFACT_REPO";
  const runId = metadata[TRACE_KEYS.sourceRun] || null;
  const modelId = metadata[TRACE_KEYS.modelId] || null;
  const duration = input.execution_duration_ms ?? null;

  return ctx.db.$transaction(async (tx) => {
    const written = await tx.$queryRaw<{ trace_id: string }[]>`
      INSERT INTO trace (trace_id, experiment_id, client_request_id, request_time, execution_duration, state, request_preview, response_preview, run_id, model_id, spans_location, created_at)
      VALUES (${traceId}, ${exp.id}, ${input.client_request_id || null}, ${input.request_time_ms}, ${duration}, ${state},
              ${input.request_preview ?? null}, ${input.response_preview ?? null}, ${runId}, ${modelId}, ${spansLocation}, ${nowMs()})
      ON CONFLICT (trace_id) DO UPDATE SET
        client_request_id = COALESCE(EXCLUDED.client_request_id, trace.client_request_id),
        request_time = EXCLUDED.request_time,
        execution_duration = COALESCE(EXCLUDED.execution_duration, trace.execution_duration),
        state = CASE WHEN EXCLUDED.state = 'STATE_UNSPECIFIED' THEN trace.state ELSE EXCLUDED.state END,
        request_preview = COALESCE(EXCLUDED.request_preview, trace.request_preview),
        response_preview = COALESCE(EXCLUDED.response_preview, trace.response_preview),
        run_id = COALESCE(EXCLUDED.run_id, trace.run_id),
        model_id = COALESCE(EXCLUDED.model_id, trace.model_id)
      WHERE trace.experiment_id = EXCLUDED.experiment_id
      RETURNING trace_id`;
    if (!written.length) throw new DomainError("RESOURCE_ALREADY_EXISTS", `Trace with ID '${traceId}' already exists in another experiment.`);
    await upsertPairs(tx, "trace_tag", traceId, tags);
    await upsertPairs(tx, "trace_metadata", traceId, metadata);
    if (input.assessments?.length) await insertAssessments(ctx, tx, traceId, input.assessments);
    const [row] = await loadTraceRows(tx, [traceId]);
    return row!;
  });
}

type PairTable = "trace_tag" | "trace_metadata";

export async function upsertPairs(db: Pick<Ctx["db"], "$executeRaw">, table: PairTable, traceId: string, pairs: Record<string, string>) {
  const keys = Object.keys(pairs);
  if (!keys.length) return;
  const values = keys.map((k) => pairs[k]!);
  await db.$executeRaw`
    INSERT INTO ${Prisma.raw(table)} (trace_id, key, value) SELECT ${traceId}, k, v FROM unnest(${keys}::text[], ${values}::text[]) AS x(k, v)
    ON CONFLICT (trace_id, key) DO UPDATE SET value = EXCLUDED.value`;
}

/** StartTrace (v2): a trace opened by the 2.x client at the start of a request, IN_PROGRESS. */
export async function startTraceV2(
  ctx: Ctx,
  input: { experiment_id: string; timestamp_ms: number; request_metadata: Record<string, string>; tags: Record<string, string> },
): Promise<TraceInfoV2View> {
  const row = await writeRecord(ctx, { experiment_id: input.experiment_id, request_time_ms: input.timestamp_ms, state: "IN_PROGRESS", trace_metadata: input.request_metadata, tags: input.tags }, "v2");
  return traceInfoV2View(row);
}

const V2_STATUS: Record<string, string> = { TRACE_STATUS_UNSPECIFIED: "STATE_UNSPECIFIED", OK: "OK", ERROR: "ERROR", IN_PROGRESS: "IN_PROGRESS" };

/** EndTrace (v2): closes a trace with its end time, status, and more metadata and tags (EDIT). */
export async function endTraceV2(
  ctx: Ctx,
  input: { request_id: string; timestamp_ms: number; status: string; request_metadata: Record<string, string>; tags: Record<string, string> },
): Promise<TraceInfoV2View> {
  const state = V2_STATUS[input.status];
  if (!state) throw invalid(`Invalid trace status '${input.status}'`);
  const access = await findTrace(ctx, input.request_id, "EDIT");
  const tags = checkEntries("tag", input.tags);
  const metadata = checkEntries("metadata", input.request_metadata);
  const runId = metadata[TRACE_KEYS.sourceRun] || null;
  const modelId = metadata[TRACE_KEYS.modelId] || null;
  const row = await ctx.db.$transaction(async (tx) => {
    await tx.$executeRaw`
      UPDATE trace SET execution_duration = GREATEST(${input.timestamp_ms}::bigint - request_time, 0), state = ${state},
        run_id = COALESCE(${runId}, run_id), model_id = COALESCE(${modelId}, model_id)
      WHERE trace_id = ${access.traceId}`;
    await upsertPairs(tx, "trace_tag", access.traceId, tags);
    await upsertPairs(tx, "trace_metadata", access.traceId, metadata);
    const [r] = await loadTraceRows(tx, [access.traceId]);
    return r!;
  });
  return traceInfoV2View(row);
}


// ---- the 2.x client's traces.json ----

const b64hex = (v: unknown) => (typeof v === "string" && v ? Buffer.from(v, "base64").toString("hex") : "");

/** A span of traces.json (MLflow's Span.to_dict): base64 ids, attributes as JSON text. */
function spanFromDict(d: Record<string, unknown>): SpanInput | null {
  const otelTraceId = b64hex(d.trace_id);
  const spanId = b64hex(d.span_id);
  if (otelTraceId.length !== 32 || spanId.length !== 16 || typeof d.name !== "string") return null;
  const attrs = typeof d.attributes === "object" && d.attributes ? (d.attributes as Record<string, unknown>) : {};
  const decode = (v: unknown) => {
    if (typeof v !== "string") return v;
    try {
      return JSON.parse(v) as unknown;
    } catch {
      return v;
    }
  };
  const status = (d.status ?? {}) as { code?: string; message?: string };
  const code = status.code === "STATUS_CODE_ERROR" || status.code === "STATUS_CODE_OK" ? status.code : "STATUS_CODE_UNSET";
  const end = d.end_time_unix_nano;
  return {
    otelTraceId,
    spanId,
    parentSpanId: b64hex(d.parent_span_id) || null,
    name: d.name,
    startTimeNs: BigInt(String(d.start_time_unix_nano ?? 0)),
    endTimeNs: end === null || end === undefined ? null : BigInt(String(end)),
    status: { code, message: status.message ?? "" },
    attributes: Object.entries(attrs).map(([key, v]) => ({ key, value: encodeAnyValue(decode(v)) })),
    events: (Array.isArray(d.events) ? (d.events as Record<string, unknown>[]) : []).map((e) => ({
      name: String(e.name ?? ""),
      time_unix_nano: String(e.time_unix_nano ?? 0),
      attributes: Object.entries((e.attributes ?? {}) as Record<string, unknown>).map(([key, v]) => ({ key, value: encodeAnyValue(v) })),
    })),
  };
}

/**
 * The spans of a 2.x client's trace, from the traces.json it uploaded to the trace's artifact
 * location, stored like OTLP spans so the portal and search see them. The file stays the
 * client's copy; spans in a form this does not read are left to it (0 is answered).
 */
export async function logTraceData(ctx: Ctx, traceId: string, data: unknown): Promise<LogSpansResult> {
  const t = await findTrace(ctx, traceId, "EDIT");
  const list = typeof data === "object" && data && Array.isArray((data as { spans?: unknown }).spans) ? ((data as { spans: Record<string, unknown>[] }).spans) : [];
  const spans = list.map(spanFromDict).filter((s): s is SpanInput => s !== null);
  if (spans.length !== list.length) return { traces: 0, spans: 0 };
  return logSpans(ctx, String(t.experimentId), spans, { traceId: t.traceId });
}
