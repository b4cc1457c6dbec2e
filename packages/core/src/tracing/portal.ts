import { Prisma } from "@modelgate/db";
import { actorName, type Ctx } from "../context.ts";
import { notFound } from "../errors.ts";
import { levelAtLeast } from "../auth/permissions.ts";
import { loadExperiment } from "../tracking/experiments.ts";
import { findLoggedModel } from "../tracking/logged-models/access.ts";
import type { PermissionLevel } from "../tracking/types.ts";
import { findTrace } from "./access.ts";
import { createAssessment, updateAssessment, type AssessmentInput } from "./assessments.ts";
import { assessmentAggregates, modelTraceCounts, type AssessmentAggregate } from "./evidence.ts";
import type { SpanRow } from "./read.ts";
import { searchTraceRows, traceScope, type SearchTracesInput } from "./search.ts";
import { SPAN_ATTR, attributeValue, chatMessages, decodeAnyValue, type KeyValue, type SpanEvent } from "./spans.ts";
import { loadTraceRows, type AssessmentRow, type AssessmentView, type TraceRow } from "./views.ts";

// What the portal shows of traces: rows for the Traces table, and one trace decoded for people
// (span tree in display order, attributes as plain JSON, chat turns pulled out). The MLflow edges
// answer with the wire forms in views.ts and read.ts; these read the same rows.

/** A trace as the portal lists it: times in milliseconds, maps never null. */
export interface PortalTrace {
  trace_id: string;
  experiment_id: string;
  client_request_id: string | null;
  /** Epoch milliseconds. */
  request_time: number;
  execution_ms: number | null;
  state: string;
  name: string | null;
  request_preview: string | null;
  response_preview: string | null;
  run_id: string | null;
  model_id: string | null;
  span_count: number;
  size_bytes: number;
  tags: Record<string, string>;
  metadata: Record<string, string>;
  assessments: AssessmentRow[];
}

function portalTrace(r: TraceRow): PortalTrace {
  return {
    trace_id: r.trace_id,
    experiment_id: String(r.experiment_id),
    client_request_id: r.client_request_id,
    request_time: Number(r.request_time),
    execution_ms: r.execution_duration === null ? null : Number(r.execution_duration),
    state: r.state,
    name: r.name,
    request_preview: r.request_preview,
    response_preview: r.response_preview,
    run_id: r.run_id,
    model_id: r.model_id,
    span_count: r.span_count,
    size_bytes: Number(r.size_bytes),
    tags: r.tags ?? {},
    metadata: r.metadata ?? {},
    assessments: (r.assessments ?? []).map((a) => ({ ...a, create_time: Number(a.create_time), last_update_time: Number(a.last_update_time) })),
  };
}

/** One page of an experiment's traces, filtered and ordered as search_traces does (READ). */
export async function listTraces(ctx: Ctx, input: SearchTracesInput): Promise<{ traces: PortalTrace[]; next?: string }> {
  const { rows, next } = await searchTraceRows(ctx, input);
  return { traces: rows.map(portalTrace), ...(next ? { next } : {}) };
}

/** How many traces of the experiments match a filter (only readable experiments count). */
export async function countTraces(ctx: Ctx, input: { experiment_ids: readonly string[]; filter?: string | undefined }): Promise<number> {
  const conds = traceScope(ctx, input.experiment_ids, input.filter);
  const [r] = await ctx.db.$queryRaw<{ n: number }[]>`
    SELECT count(*)::int AS n FROM trace t JOIN experiment e ON e.id = t.experiment_id WHERE ${Prisma.join(conds, " AND ")}`;
  return r?.n ?? 0;
}

// ---- one trace, for people ----

export interface ChatTurn {
  role: string;
  content: string;
  /** Tool calls an assistant turn asked for, as sent. */
  tool_calls?: unknown;
}

export interface PortalSpanEvent {
  name: string;
  time_ns: string;
  /** Milliseconds after the trace started. */
  offset_ms: number;
  attributes: Record<string, unknown>;
}

/** A span as the tree and the waterfall show it: read from the span's columns, content not parsed. */
export interface PortalSpanSummary {
  span_id: string;
  parent_span_id: string | null;
  name: string;
  span_type: string | null;
  status: "OK" | "ERROR" | "UNSET";
  /** Milliseconds after the trace started (sub-millisecond precision kept). */
  offset_ms: number;
  duration_ms: number | null;
  /** Nesting in the tree: 0 for a root (or a span whose parent never arrived). */
  depth: number;
  child_count: number;
}

/** One span decoded for people (the selected span on the trace page). */
export interface PortalSpan extends PortalSpanSummary {
  kind: string | null;
  status_message: string | null;
  start_ns: string;
  end_ns: string | null;
  /** Every attribute but the inputs and outputs, decoded to plain JSON. */
  attributes: Record<string, unknown>;
  inputs: unknown;
  outputs: unknown;
  events: PortalSpanEvent[];
  /** The conversation, when inputs or outputs hold OpenAI-style chat messages. */
  chat: ChatTurn[] | null;
}

export interface TraceDetail {
  trace: PortalTrace & { experiment_name: string };
  /** Depth-first, children by start time: the order the tree shows them in. */
  spans: PortalSpanSummary[];
  /** Start of the earliest span (or the request time), nanoseconds. */
  start_ns: string;
  /** Length of the whole trace (request to last span end), milliseconds. */
  total_ms: number;
  access: { level: PermissionLevel | null; canEdit: boolean; canManage: boolean };
  /** The caller's name, as the source id of the assessments they record. */
  viewer: string;
}

interface StoredSpan {
  name?: string;
  kind?: string;
  start_time_unix_nano?: string;
  end_time_unix_nano?: string;
  attributes?: KeyValue[];
  events?: SpanEvent[];
  status?: { code?: string; message?: string };
}

const attributesOf = (list: readonly KeyValue[], skip: ReadonlySet<string>) => {
  const out: Record<string, unknown> = {};
  for (const kv of list) if (!skip.has(kv.key)) out[kv.key] = attributeValue(list, kv.key);
  return out;
};

const IO_KEYS = new Set<string>([SPAN_ATTR.inputs, SPAN_ATTR.outputs]);

// Stored content writes nanosecond times and int_value as bare JSON digits (exact int64, as
// MLflow's server does); quoted before parsing so they survive past 2^53. An unescaped `"key":`
// cannot occur inside a JSON string, so string values are never touched.
const BARE_INTS = /"(start_time_unix_nano|end_time_unix_nano|time_unix_nano|int_value)":(-?\d+)/g;
const parseContent = (content: string) => JSON.parse(content.replace(BARE_INTS, '"$1":"$2"')) as StoredSpan;
const nsToMs = (ns: bigint) => Number(ns) / 1e6;

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content
      .map((p) => (typeof p === "string" ? p : typeof p === "object" && p && "text" in p ? String((p as { text: unknown }).text) : JSON.stringify(p)))
      .join("\n");
  }
  return content === null || content === undefined ? "" : JSON.stringify(content);
}

/** The chat turns of a span: the request's messages, then the response's. */
export function chatOf(inputs: unknown, outputs: unknown): ChatTurn[] | null {
  const turns = [...(chatMessages(inputs) ?? []), ...(chatMessages(outputs) ?? [])];
  if (!turns.length) return null;
  return turns.map((m) => {
    const tool = (m as { tool_calls?: unknown }).tool_calls;
    return { role: String(m.role), content: textOf(m.content), ...(tool ? { tool_calls: tool } : {}) };
  });
}

/** A span's row without its content: what the tree needs. */
export interface SpanSummaryRow {
  span_id: string;
  parent_span_id: string | null;
  name: string;
  span_type: string | null;
  status: string;
  start_ns: bigint;
  end_ns: bigint | null;
}

const statusOf = (s: string): PortalSpanSummary["status"] => (s === "ERROR" ? "ERROR" : s === "OK" ? "OK" : "UNSET");

/** Spans in tree order (depth-first, children by start time), times relative to the earliest span (pure: a 2,000-span trace passes here once). */
export function spanTree(rows: readonly SpanSummaryRow[], fallbackStartNs: bigint): { spans: PortalSpanSummary[]; startNs: bigint; endNs: bigint } {
  let startNs = rows.length ? rows[0]!.start_ns : fallbackStartNs;
  let endNs = startNs;
  for (const r of rows) {
    if (r.start_ns < startNs) startNs = r.start_ns;
    const e = r.end_ns ?? r.start_ns;
    if (e > endNs) endNs = e;
  }
  const decoded = rows.map((r) => ({
    start: r.start_ns,
    span: {
      span_id: r.span_id,
      parent_span_id: r.parent_span_id,
      name: r.name,
      span_type: r.span_type,
      status: statusOf(r.status),
      offset_ms: nsToMs(r.start_ns - startNs),
      duration_ms: r.end_ns === null ? null : nsToMs(r.end_ns - r.start_ns),
      depth: 0,
      child_count: 0,
    } satisfies PortalSpanSummary,
  }));
  const ids = new Set(rows.map((r) => r.span_id));
  const children = new Map<string | null, typeof decoded>();
  for (const d of decoded) {
    const p = d.span.parent_span_id;
    const parent = p && p !== d.span.span_id && ids.has(p) ? p : null;
    const list = children.get(parent);
    if (list) list.push(d);
    else children.set(parent, [d]);
  }
  for (const list of children.values()) list.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : a.span.span_id.localeCompare(b.span.span_id)));
  const spans: PortalSpanSummary[] = [];
  const seen = new Set<string>();
  // iterative depth-first walk: a deep chain must not overflow the stack
  const stack = (children.get(null) ?? []).map((d) => ({ d, depth: 0 })).reverse();
  while (stack.length) {
    const { d, depth } = stack.pop()!;
    if (seen.has(d.span.span_id)) continue;
    seen.add(d.span.span_id);
    const kids = children.get(d.span.span_id) ?? [];
    d.span.depth = depth;
    d.span.child_count = kids.length;
    spans.push(d.span);
    for (let i = kids.length - 1; i >= 0; i--) stack.push({ d: kids[i]!, depth: depth + 1 });
  }
  // spans only reachable through a cycle of parents: shown as roots rather than lost
  for (const d of decoded) if (!seen.has(d.span.span_id)) spans.push(d.span);
  return { spans, startNs, endNs };
}

/** One stored span decoded for people, times relative to `traceStartNs`. */
export function decodeSpan(row: SpanRow, summary: PortalSpanSummary, traceStartNs: bigint): PortalSpan {
  const c = parseContent(row.content);
  const attrs = c.attributes ?? [];
  const inputs = attributeValue(attrs, SPAN_ATTR.inputs);
  const outputs = attributeValue(attrs, SPAN_ATTR.outputs);
  return {
    ...summary,
    kind: c.kind ?? null,
    status_message: c.status?.message || null,
    start_ns: c.start_time_unix_nano ?? "0",
    end_ns: c.end_time_unix_nano && c.end_time_unix_nano !== "0" ? c.end_time_unix_nano : null,
    attributes: attributesOf(attrs, IO_KEYS),
    inputs: inputs ?? null,
    outputs: outputs ?? null,
    events: (c.events ?? []).map((e) => ({
      name: e.name,
      time_ns: e.time_unix_nano,
      offset_ms: nsToMs(BigInt(e.time_unix_nano || "0") - traceStartNs),
      attributes: Object.fromEntries((e.attributes ?? []).map((kv) => [kv.key, decodeAnyValue(kv.value)])),
    })),
    chat: chatOf(inputs, outputs),
  };
}

async function spanSummaryRows(ctx: Ctx, traceId: string): Promise<SpanSummaryRow[]> {
  return ctx.db.$queryRaw<SpanSummaryRow[]>`
    SELECT span_id, parent_span_id, name, span_type, status, start_time_ns AS start_ns, end_time_ns AS end_ns
    FROM trace_span WHERE trace_id = ${traceId} ORDER BY start_time_ns, span_id`;
}

/**
 * One trace for the trace page (READ on its experiment): the record and its spans as the tree
 * shows them, from the spans' columns only: a 2,000-span trace is ~300 KB, not its 2 MB of
 * inputs and outputs. The selected span's content comes from getSpanDetail.
 */
export async function getTraceDetail(ctx: Ctx, traceId: string): Promise<TraceDetail> {
  const t = await findTrace(ctx, traceId, "READ");
  const [[row], rows, [exp]] = await Promise.all([
    loadTraceRows(ctx.db, [t.traceId]),
    spanSummaryRows(ctx, t.traceId),
    ctx.db.$queryRaw<{ name: string }[]>`SELECT name FROM experiment WHERE id = ${t.experimentId}`,
  ]);
  const trace = portalTrace(row!);
  const tree = spanTree(rows, BigInt(trace.request_time) * 1_000_000n);
  return {
    trace: { ...trace, experiment_name: exp?.name ?? String(t.experimentId) },
    spans: tree.spans,
    start_ns: String(tree.startNs),
    total_ms: Math.max(nsToMs(tree.endNs - tree.startNs), trace.execution_ms ?? 0),
    access: { level: t.level, canEdit: levelAtLeast(t.level, "EDIT"), canManage: levelAtLeast(t.level, "MANAGE") },
    viewer: actorName(ctx.actor),
  };
}

/** One span of a trace, decoded: inputs, outputs, attributes, events, the chat (READ). */
export async function getSpanDetail(ctx: Ctx, traceId: string, spanId: string): Promise<PortalSpan> {
  const t = await findTrace(ctx, traceId, "READ");
  const [row] = await ctx.db.$queryRaw<(SpanRow & SpanSummaryRow & { trace_start: bigint; child_count: number })[]>`
    SELECT s.trace_id, s.span_id, s.parent_span_id, s.name, s.span_type, s.status, s.start_time_ns AS start_ns, s.end_time_ns AS end_ns, s.content,
      (SELECT min(x.start_time_ns) FROM trace_span x WHERE x.trace_id = s.trace_id) AS trace_start,
      (SELECT count(*)::int FROM trace_span c WHERE c.trace_id = s.trace_id AND c.parent_span_id = s.span_id) AS child_count
    FROM trace_span s WHERE s.trace_id = ${t.traceId} AND s.span_id = ${spanId}`;
  if (!row) throw notFound(`Span '${spanId}' not found in trace '${t.traceId}'`);
  const summary: PortalSpanSummary = {
    span_id: row.span_id,
    parent_span_id: row.parent_span_id,
    name: row.name,
    span_type: row.span_type,
    status: statusOf(row.status),
    offset_ms: nsToMs(row.start_ns - row.trace_start),
    duration_ms: row.end_ns === null ? null : nsToMs(row.end_ns - row.start_ns),
    depth: 0,
    child_count: row.child_count,
  };
  return decodeSpan(row, summary, row.trace_start);
}

// ---- reviewers' assessments ----

export type ReviewValue = string | number | boolean;

/** Feedback or an expectation recorded by the signed-in person (source HUMAN, their username; EDIT). */
export async function recordReview(
  ctx: Ctx,
  input: { trace_id: string; kind: "feedback" | "expectation"; name: string; value: ReviewValue; rationale?: string | undefined; span_id?: string | undefined },
): Promise<AssessmentView> {
  const a: AssessmentInput = {
    assessment_name: input.name.trim(),
    source: { source_type: "HUMAN", source_id: actorName(ctx.actor) },
    ...(input.kind === "feedback" ? { feedback: { value: input.value } } : { expectation: { value: input.value } }),
    rationale: input.rationale?.trim() || undefined,
    span_id: input.span_id || undefined,
  };
  return createAssessment(ctx, input.trace_id, a);
}

/** Changes a recorded assessment's value, rationale or validity (EDIT). */
export async function reviseReview(
  ctx: Ctx,
  input: { trace_id: string; assessment_id: string; kind: "feedback" | "expectation"; value?: ReviewValue | undefined; rationale?: string | null | undefined; valid?: boolean | undefined },
): Promise<AssessmentView> {
  const paths: string[] = [];
  const a: Partial<AssessmentInput> = {};
  if (input.value !== undefined) {
    paths.push(input.kind);
    if (input.kind === "feedback") a.feedback = { value: input.value };
    else a.expectation = { value: input.value };
  }
  if (input.rationale !== undefined) {
    paths.push("rationale");
    a.rationale = input.rationale ?? undefined;
  }
  if (input.valid !== undefined) {
    paths.push("valid");
    a.valid = input.valid;
  }
  return updateAssessment(ctx, { trace_id: input.trace_id, assessment_id: input.assessment_id, assessment: a, paths });
}

// ---- experiment and model summaries ----

/** How many days the experiment keeps its traces (null: forever) (READ). */
export async function getTraceRetention(ctx: Ctx, experimentId: string): Promise<{ days: number | null }> {
  const exp = await loadExperiment(ctx, experimentId, "READ");
  const [r] = await ctx.db.$queryRaw<{ days: number | null }[]>`SELECT trace_retention_days AS days FROM experiment WHERE id = ${exp.id}`;
  return { days: r?.days ?? null };
}

export interface ModelTraceEvidence {
  traces: number;
  assessed: number;
  aggregates: AssessmentAggregate[];
}

/** The traces produced with a logged model active, and their feedback per name (READ on the model). */
export async function getModelTraceEvidence(ctx: Ctx, modelId: string): Promise<ModelTraceEvidence> {
  const m = await findLoggedModel(ctx, modelId, "READ");
  // the card counts only traces the viewer could open
  const [counts, aggregates] = await Promise.all([modelTraceCounts(ctx.db, m.id, ctx), assessmentAggregates(ctx.db, m.id, undefined, ctx)]);
  return { ...counts, aggregates };
}
