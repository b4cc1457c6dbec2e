import { Prisma } from "@modelgate/db";
import type { DbOrTx } from "../audit/record-audit.ts";

// The trace record as MLflow's protos put it on the wire: TraceInfoV3 (service.proto) for the v3
// routes and TraceInfo for the v2 ones, both from one row shape loaded in one statement.

/** google.protobuf.Timestamp in proto JSON (RFC 3339, UTC, 0 or 3 fractional digits from ms). */
export function protoTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(".000Z", "Z");
}

/** google.protobuf.Duration in proto JSON: seconds with 0, 3 fractional digits ("1.500s"). */
export function protoDuration(ms: number): string {
  const s = Math.trunc(ms / 1000);
  const frac = Math.abs(ms % 1000);
  const sign = ms < 0 && s === 0 ? "-" : "";
  return frac === 0 ? `${sign}${s}s` : `${sign}${s}.${String(frac).padStart(3, "0")}s`;
}

export interface AssessmentView {
  assessment_id: string;
  assessment_name: string;
  trace_id: string;
  span_id?: string;
  source: { source_type: string; source_id: string };
  create_time: string;
  last_update_time: string;
  feedback?: { value?: unknown; error?: unknown };
  expectation?: { value?: unknown; serialized_value?: unknown };
  rationale?: string;
  metadata?: Record<string, string>;
  overrides?: string;
  valid: boolean;
}

export interface TraceInfoView {
  trace_id: string;
  client_request_id?: string;
  trace_location: { type: "MLFLOW_EXPERIMENT"; mlflow_experiment: { experiment_id: string } };
  request_preview?: string;
  response_preview?: string;
  request_time: string;
  execution_duration?: string;
  state: string;
  trace_metadata?: Record<string, string>;
  tags?: Record<string, string>;
  assessments?: AssessmentView[];
}

/** TraceInfo (v2) for the 2.x client's routes. */
export interface TraceInfoV2View {
  request_id: string;
  experiment_id: string;
  timestamp_ms: number;
  execution_time_ms?: number;
  status: string;
  request_metadata?: { key: string; value: string }[];
  tags?: { key: string; value: string }[];
}

/** What the portal shows besides the wire record. */
export interface TraceRow {
  trace_id: string;
  experiment_id: number;
  client_request_id: string | null;
  request_time: bigint;
  execution_duration: bigint | null;
  state: string;
  request_preview: string | null;
  response_preview: string | null;
  name: string | null;
  run_id: string | null;
  model_id: string | null;
  span_count: number;
  size_bytes: bigint;
  tags: Record<string, string> | null;
  metadata: Record<string, string> | null;
  assessments: AssessmentRow[] | null;
}

export interface AssessmentRow {
  assessment_id: string;
  trace_id: string;
  span_id: string | null;
  name: string;
  kind: "feedback" | "expectation";
  value: unknown;
  serialized_value: unknown;
  error: unknown;
  source_type: string;
  source_id: string;
  rationale: string | null;
  metadata: Record<string, string> | null;
  overrides: string | null;
  valid: boolean;
  create_time: number;
  last_update_time: number;
}

export const ASSESSMENT_COLUMNS = Prisma.sql`a.assessment_id, a.trace_id, a.span_id, a.name, a.kind, a.value, a.serialized_value, a.error,
  a.source_type, a.source_id, a.rationale, a.metadata, a.overrides, a.valid, a.create_time::float8 AS create_time, a.last_update_time::float8 AS last_update_time`;

/**
 * The two tags MLflow's server sets on every trace, as SQL over trace alias t: derived from the
 * trace's spans_location and experiment, not stored as rows (a stored tag of the same key wins).
 * Search compares against the same expressions.
 */
export const DERIVED_TAGS: Readonly<Record<string, Prisma.Sql>> = {
  "mlflow.artifactLocation": Prisma.sql`((SELECT rtrim(e2.artifact_location, '/') FROM experiment e2 WHERE e2.id = t.experiment_id) || '/traces/' || t.trace_id || '/artifacts')`,
  "mlflow.trace.spansLocation": Prisma.sql`(CASE WHEN t.spans_location = 'TRACKING_STORE' THEN 'TRACKING_STORE' END)`,
};

/** The columns of a trace row with its tags, metadata and assessments folded in (alias t). */
export const TRACE_COLUMNS = Prisma.sql`t.trace_id, t.experiment_id, t.client_request_id, t.request_time, t.execution_duration, t.state,
  t.request_preview, t.response_preview, t.name, t.run_id, t.model_id, t.span_count, t.size_bytes,
  jsonb_strip_nulls(jsonb_build_object(${Prisma.join(Object.entries(DERIVED_TAGS).map(([k, v]) => Prisma.sql`${Prisma.raw(`'${k}'`)}, ${v}`), ", ")}))
    || COALESCE((SELECT jsonb_object_agg(g.key, g.value) FROM trace_tag g WHERE g.trace_id = t.trace_id), '{}'::jsonb) AS tags,
  (SELECT jsonb_object_agg(m.key, m.value) FROM trace_metadata m WHERE m.trace_id = t.trace_id) AS metadata,
  (SELECT jsonb_agg(to_jsonb(x) ORDER BY x.create_time, x.assessment_id) FROM (SELECT ${ASSESSMENT_COLUMNS} FROM trace_assessment a WHERE a.trace_id = t.trace_id) x) AS assessments`;

export async function loadTraceRows(db: DbOrTx, traceIds: readonly string[]): Promise<TraceRow[]> {
  if (!traceIds.length) return [];
  return db.$queryRaw<TraceRow[]>`SELECT ${TRACE_COLUMNS} FROM trace t WHERE t.trace_id = ANY(${traceIds as string[]}::text[])`;
}

export function assessmentView(a: AssessmentRow): AssessmentView {
  const out: AssessmentView = {
    assessment_id: a.assessment_id,
    assessment_name: a.name,
    trace_id: a.trace_id,
    ...(a.span_id ? { span_id: a.span_id } : {}),
    source: { source_type: a.source_type, source_id: a.source_id },
    create_time: protoTimestamp(Number(a.create_time)),
    last_update_time: protoTimestamp(Number(a.last_update_time)),
    valid: a.valid,
  };
  if (a.kind === "feedback") {
    out.feedback = {};
    if (a.value !== null && a.value !== undefined) out.feedback.value = a.value;
    if (a.error) out.feedback.error = a.error;
  } else {
    out.expectation = {};
    if (a.serialized_value) out.expectation.serialized_value = a.serialized_value;
    else if (a.value !== null && a.value !== undefined) out.expectation.value = a.value;
  }
  if (a.rationale) out.rationale = a.rationale;
  if (a.metadata && Object.keys(a.metadata).length) out.metadata = a.metadata;
  if (a.overrides) out.overrides = a.overrides;
  return out;
}

export function traceInfoView(r: TraceRow): TraceInfoView {
  const out: TraceInfoView = {
    trace_id: r.trace_id,
    ...(r.client_request_id ? { client_request_id: r.client_request_id } : {}),
    trace_location: { type: "MLFLOW_EXPERIMENT", mlflow_experiment: { experiment_id: String(r.experiment_id) } },
    ...(r.request_preview !== null ? { request_preview: r.request_preview } : {}),
    ...(r.response_preview !== null ? { response_preview: r.response_preview } : {}),
    request_time: protoTimestamp(Number(r.request_time)),
    ...(r.execution_duration !== null ? { execution_duration: protoDuration(Number(r.execution_duration)) } : {}),
    state: r.state,
  };
  if (r.metadata && Object.keys(r.metadata).length) out.trace_metadata = r.metadata;
  if (r.tags && Object.keys(r.tags).length) out.tags = r.tags;
  if (r.assessments?.length) out.assessments = r.assessments.map(assessmentView);
  return out;
}

const pairs = (m: Record<string, string> | null) => Object.entries(m ?? {}).map(([key, value]) => ({ key, value }));

export function traceInfoV2View(r: TraceRow): TraceInfoV2View {
  const metadata = pairs(r.metadata);
  const tags = pairs(r.tags);
  return {
    request_id: r.trace_id,
    experiment_id: String(r.experiment_id),
    timestamp_ms: Number(r.request_time),
    ...(r.execution_duration !== null ? { execution_time_ms: Number(r.execution_duration) } : {}),
    status: r.state === "STATE_UNSPECIFIED" ? "TRACE_STATUS_UNSPECIFIED" : r.state,
    ...(metadata.length ? { request_metadata: metadata } : {}),
    ...(tags.length ? { tags } : {}),
  };
}
