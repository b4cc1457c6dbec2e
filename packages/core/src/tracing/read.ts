import { WireJson, toWireJson } from "../wire-json.ts";
import type { Ctx } from "../context.ts";
import { invalid } from "../errors.ts";
import { readableExperimentsSql } from "../auth/permissions.ts";
import { findTrace, traceNotFound } from "./access.ts";
import { TRACE_KEYS } from "./ingest.ts";
import { loadTraceRows, traceInfoV2View, traceInfoView, type TraceInfoV2View, type TraceInfoView, type TraceRow } from "./views.ts";

// Reading traces: the record alone (GetTraceInfoV3, v2's GetTraceInfo), or with its spans
// (GetTrace, BatchGetTraces). Spans go out as stored, root first, then by start time.

export async function getTraceInfo(ctx: Ctx, traceId: string): Promise<TraceInfoView> {
  const t = await findTrace(ctx, traceId, "READ");
  const [row] = await loadTraceRows(ctx.db, [t.traceId]);
  return traceInfoView(row!);
}

export async function getTraceInfoV2(ctx: Ctx, requestId: string): Promise<TraceInfoV2View> {
  const t = await findTrace(ctx, requestId, "READ");
  const [row] = await loadTraceRows(ctx.db, [t.traceId]);
  return traceInfoV2View(row!);
}

export interface SpanRow {
  trace_id: string;
  span_id: string;
  parent_span_id: string | null;
  content: string;
}

export async function loadSpans(db: Ctx["db"], traceIds: readonly string[]): Promise<Map<string, SpanRow[]>> {
  const rows = await db.$queryRaw<SpanRow[]>`
    SELECT trace_id, span_id, parent_span_id, content FROM trace_span WHERE trace_id = ANY(${traceIds as string[]}::text[])
    ORDER BY trace_id, (parent_span_id IS NOT NULL), start_time_ns, span_id`;
  const out = new Map<string, SpanRow[]>();
  for (const r of rows) {
    const list = out.get(r.trace_id);
    if (list) list.push(r);
    else out.set(r.trace_id, [r]);
  }
  return out;
}

/** How many spans the client said the trace has (metadata mlflow.trace.sizeStats), if it said. */
function expectedSpans(row: TraceRow): number | null {
  const stats = row.metadata?.[TRACE_KEYS.sizeStats];
  if (!stats) return null;
  try {
    const n = (JSON.parse(stats) as { num_spans?: unknown }).num_spans;
    return typeof n === "number" ? n : null;
  } catch {
    return null;
  }
}

/** All spans are in: as many as the client counted, or (when it did not count) at least one. */
export const isComplete = (row: TraceRow, spans: number) => spans > 0 && spans >= (expectedSpans(row) ?? 1);

/** A Trace message (trace_info and spans) as proto JSON, the spans spliced in as stored. */
function traceJson(row: TraceRow, spans: readonly SpanRow[]): string {
  const info = toWireJson(traceInfoView(row));
  const spanJson = spans.map((s) => s.content);
  return `{"trace_info":${info}${spanJson.length ? `,"spans":[${spanJson.join(",")}]` : ""}}`;
}

/** GetTrace: one trace with its spans (READ); unless allow_partial, only once all spans are in. */
export async function getTrace(ctx: Ctx, traceId: string, allowPartial: boolean): Promise<WireJson> {
  const t = await findTrace(ctx, traceId, "READ");
  const [[row], spans] = await Promise.all([loadTraceRows(ctx.db, [t.traceId]), loadSpans(ctx.db, [t.traceId])]);
  const list = spans.get(t.traceId) ?? [];
  if (!allowPartial && !isComplete(row!, list.length)) throw traceNotFound(traceId);
  return new WireJson(`{"trace":${traceJson(row!, list)}}`);
}

export const MAX_BATCH_GET = 100;

/**
 * BatchGetTraces: complete traces among `traceIds` the caller may read, in the order asked.
 * Traces that are missing, unreadable or still receiving spans are left out, as MLflow does.
 */
export async function batchGetTraces(ctx: Ctx, traceIds: readonly string[]): Promise<WireJson> {
  if (!traceIds.length) throw invalid("Missing value for required parameter 'trace_ids'.");
  if (traceIds.length > MAX_BATCH_GET) throw invalid(`At most ${MAX_BATCH_GET} trace ids can be fetched at once, got ${traceIds.length}`);
  const readable = await ctx.db.$queryRaw<{ trace_id: string }[]>`
    SELECT t.trace_id FROM trace t JOIN experiment e ON e.id = t.experiment_id
    WHERE t.trace_id = ANY(${traceIds as string[]}::text[]) AND ${readableExperimentsSql(ctx)}`;
  const ids = readable.map((r) => r.trace_id);
  const [rows, spans] = await Promise.all([loadTraceRows(ctx.db, ids), loadSpans(ctx.db, ids)]);
  const byId = new Map(rows.map((r) => [r.trace_id, r]));
  const parts: string[] = [];
  for (const id of new Set(traceIds)) {
    const row = byId.get(id);
    const list = spans.get(id) ?? [];
    if (row && isComplete(row, list.length)) parts.push(traceJson(row, list));
  }
  return new WireJson(parts.length ? `{"traces":[${parts.join(",")}]}` : "{}");
}
