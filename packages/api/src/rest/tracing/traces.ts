import type { FastifyInstance, FastifyRequest } from "fastify";
import {
  batchGetTraces,
  createAssessment,
  deleteAssessment,
  deleteTraceTag,
  deleteTraces,
  endTraceV2,
  getAssessment,
  getTrace,
  getTraceInfo,
  getTraceInfoV2,
  invalid,
  linkTracesToRun,
  searchTraces,
  searchTracesV2,
  setTraceTag,
  startTraceV2,
  startTraceV3,
  updateAssessment,
  type AssessmentInput,
} from "@modelgate/core";
import type { Db } from "@modelgate/db";
import { MLFLOW_PREFIXES, MLFLOW_V3_PREFIXES, mlflowRoute, pathParam, type WireInput } from "../mlflow-route.ts";
import { missing, optBool, optInt, optString, reqString, stringList, wrongType } from "../wire.ts";

// MLflow's tracing RPCs (service.proto): the v3 routes the 3.x client uses, and the v2 routes the
// 2.x client (and 3.x against older servers) uses. Every handler is one core call; reading needs
// READ on the trace's experiment, writing EDIT.

const BOTH = [...MLFLOW_PREFIXES, ...MLFLOW_V3_PREFIXES];

/** google.protobuf.Timestamp from proto JSON ("2025-01-02T03:04:05.678Z"), in milliseconds. */
export function timestampMs(v: unknown, name: string): number {
  if (typeof v !== "string") wrongType(name, v);
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(v);
  const ms = m ? Date.parse(`${m[1]}${m[3]}`) : NaN;
  if (!m || Number.isNaN(ms)) throw invalid(`Invalid value '${v}' for parameter '${name}': expected an RFC 3339 timestamp`);
  return ms + Math.trunc(Number(`0.${m[2] ?? "0"}`) * 1000);
}

/** google.protobuf.Duration from proto JSON ("1.500s"), in milliseconds. */
export function durationMs(v: unknown, name: string): number {
  if (typeof v !== "string" || !/^-?\d+(\.\d{1,9})?s$/.test(v)) throw invalid(`Invalid value ${JSON.stringify(v)} for parameter '${name}': expected a duration such as '1.5s'`);
  return Math.round(Number(v.slice(0, -1)) * 1000);
}

function obj(input: WireInput, name: string): WireInput | undefined {
  const v = input[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "object" || Array.isArray(v)) wrongType(name, v);
  return v as WireInput;
}

/** A proto map<string, string> (an object of strings). */
function stringMap(input: WireInput | undefined, name: string): Record<string, string> {
  const v = input?.[name];
  if (v === undefined || v === null) return {};
  if (typeof v !== "object" || Array.isArray(v)) wrongType(name, v);
  for (const [k, x] of Object.entries(v)) if (typeof x !== "string") wrongType(`${name}.${k}`, x);
  return v as Record<string, string>;
}

/** A repeated {key, value} list (v2's request_metadata and tags). */
function pairList(input: WireInput, name: string): Record<string, string> {
  const v = input[name];
  if (v === undefined || v === null) return {};
  if (!Array.isArray(v)) wrongType(name, v);
  const out: Record<string, string> = {};
  for (const e of v as WireInput[]) {
    if (typeof e !== "object" || e === null || typeof e.key !== "string") throw invalid(`Every entry of '${name}' needs a string key`);
    out[e.key] = typeof e.value === "string" ? e.value : "";
  }
  return out;
}

function assessmentOf(a: WireInput): AssessmentInput {
  const source = obj(a, "source");
  const feedback = obj(a, "feedback");
  const expectation = obj(a, "expectation");
  return {
    assessment_name: optString(a, "assessment_name") ?? "",
    span_id: optString(a, "span_id") || undefined,
    source: { source_type: source ? (optString(source, "source_type") ?? "") : "", source_id: source ? (optString(source, "source_id") ?? "") : "" },
    feedback: feedback ? { value: feedback.value, error: feedback.error ?? undefined } : undefined,
    expectation: expectation ? { value: expectation.value, serialized_value: obj(expectation, "serialized_value") as { serialization_format?: string; value?: string } | undefined } : undefined,
    rationale: optString(a, "rationale") || undefined,
    metadata: stringMap(a, "metadata"),
    overrides: optString(a, "overrides") || undefined,
    valid: optBool(a, "valid"),
  };
}

function traceIdParam(req: FastifyRequest) {
  return pathParam(req, "trace_id");
}

function searchInput(input: WireInput, experimentIds: string[]) {
  return {
    experiment_ids: experimentIds,
    filter: optString(input, "filter") || undefined,
    max_results: optInt(input, "max_results"),
    order_by: stringList(input, "order_by") ?? [],
    page_token: optString(input, "page_token") || undefined,
  };
}

function deleteInput(input: WireInput) {
  return {
    experiment_id: reqString(input, "experiment_id"),
    max_timestamp_millis: optInt(input, "max_timestamp_millis"),
    max_traces: optInt(input, "max_traces"),
    request_ids: stringList(input, "request_ids") ?? stringList(input, "trace_ids"),
  };
}

export function registerTraceRoutes(app: FastifyInstance, db: Db) {
  // ---- v3 ----
  mlflowRoute(
    app,
    db,
    "POST",
    "/traces",
    async ({ ctx, input }) => {
      const trace = obj(input, "trace") ?? missing("trace");
      const info = obj(trace, "trace_info") ?? missing("trace.trace_info");
      const location = obj(info, "trace_location");
      const experimentId = location && obj(location, "mlflow_experiment") ? optString(obj(location, "mlflow_experiment")!, "experiment_id") : undefined;
      if (!experimentId) missing("trace.trace_info.trace_location.mlflow_experiment.experiment_id");
      const duration = info.execution_duration;
      const assessments = info.assessments;
      if (assessments !== undefined && !Array.isArray(assessments)) wrongType("assessments", assessments);
      const out = await startTraceV3(ctx, {
        trace_id: optString(info, "trace_id") || undefined,
        client_request_id: optString(info, "client_request_id") || undefined,
        experiment_id: experimentId,
        request_time_ms: info.request_time === undefined ? Date.now() : timestampMs(info.request_time, "request_time"),
        execution_duration_ms: duration === undefined || duration === null ? undefined : durationMs(duration, "execution_duration"),
        state: optString(info, "state") || undefined,
        request_preview: optString(info, "request_preview"),
        response_preview: optString(info, "response_preview"),
        trace_metadata: stringMap(info, "trace_metadata"),
        tags: stringMap(info, "tags"),
        assessments: ((assessments as WireInput[] | undefined) ?? []).map(assessmentOf),
      });
      return { trace: { trace_info: out } };
    },
    MLFLOW_V3_PREFIXES,
  );
  mlflowRoute(app, db, "POST", "/traces/search", ({ ctx, input }) => {
    const locations = input.locations;
    if (!Array.isArray(locations) || !locations.length) missing("locations");
    const ids = (locations as WireInput[]).map((l) => {
      const exp = typeof l === "object" && l ? obj(l, "mlflow_experiment") : undefined;
      const id = exp ? optString(exp, "experiment_id") : undefined;
      if (!id) throw invalid("Only MLFLOW_EXPERIMENT trace locations are supported; each needs mlflow_experiment.experiment_id");
      return id;
    });
    return searchTraces(ctx, searchInput(input, ids));
  }, MLFLOW_V3_PREFIXES);
  mlflowRoute(app, db, "GET", "/traces/get", ({ ctx, input }) => getTrace(ctx, reqString(input, "trace_id"), optBool(input, "allow_partial") ?? false), MLFLOW_V3_PREFIXES);
  mlflowRoute(app, db, "GET", "/traces/batchGet", ({ ctx, input }) => batchGetTraces(ctx, stringList(input, "trace_ids") ?? missing("trace_ids")), MLFLOW_V3_PREFIXES);
  mlflowRoute(app, db, "GET", "/traces/:trace_id", async ({ ctx, req }) => ({ trace: { trace_info: await getTraceInfo(ctx, traceIdParam(req)) } }), MLFLOW_V3_PREFIXES);

  // ---- both versions ----
  mlflowRoute(app, db, "POST", "/traces/delete-traces", ({ ctx, input }) => deleteTraces(ctx, deleteInput(input)), BOTH);
  mlflowRoute(app, db, "PATCH", "/traces/:trace_id/tags", ({ ctx, input, req }) =>
    setTraceTag(ctx, { trace_id: traceIdParam(req), key: reqString(input, "key"), value: optString(input, "value") ?? "" }), BOTH);
  mlflowRoute(app, db, "DELETE", "/traces/:trace_id/tags", ({ ctx, input, req }) => {
    const q = req.query as WireInput;
    return deleteTraceTag(ctx, { trace_id: traceIdParam(req), key: optString(input, "key") || optString(q, "key") || missing("key") });
  }, BOTH);
  mlflowRoute(app, db, "POST", "/traces/link-to-run", ({ ctx, input }) =>
    linkTracesToRun(ctx, { trace_ids: stringList(input, "trace_ids") ?? missing("trace_ids"), run_id: reqString(input, "run_id") }), BOTH);

  // ---- assessments ----
  mlflowRoute(app, db, "POST", "/traces/:trace_id/assessments", async ({ ctx, input, req }) => {
    const a = obj(input, "assessment") ?? missing("assessment");
    return { assessment: await createAssessment(ctx, traceIdParam(req), assessmentOf(a)) };
  }, MLFLOW_V3_PREFIXES);
  mlflowRoute(app, db, "GET", "/traces/:trace_id/assessments/:assessment_id", async ({ ctx, req }) => ({
    assessment: await getAssessment(ctx, traceIdParam(req), pathParam(req, "assessment_id")),
  }), MLFLOW_V3_PREFIXES);
  mlflowRoute(app, db, "PATCH", "/traces/:trace_id/assessments/:assessment_id", async ({ ctx, input, req }) => {
    const a = obj(input, "assessment") ?? missing("assessment");
    const mask = input.update_mask;
    // a FieldMask in proto JSON is one string of lowerCamelCase paths ("assessmentName,feedback")
    const raw = typeof mask === "string" ? mask.split(",") : Array.isArray((mask as WireInput | undefined)?.paths) ? (mask as { paths: string[] }).paths : missing("update_mask");
    const paths = raw.map((p) => p.trim().replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)).filter(Boolean);
    return { assessment: await updateAssessment(ctx, { trace_id: traceIdParam(req), assessment_id: pathParam(req, "assessment_id"), assessment: assessmentOf(a), paths }) };
  }, MLFLOW_V3_PREFIXES);
  mlflowRoute(app, db, "DELETE", "/traces/:trace_id/assessments/:assessment_id", ({ ctx, req }) => deleteAssessment(ctx, traceIdParam(req), pathParam(req, "assessment_id")), MLFLOW_V3_PREFIXES);

  // ---- v2 (the 2.x client) ----
  mlflowRoute(app, db, "POST", "/traces", async ({ ctx, input }) => ({
    trace_info: await startTraceV2(ctx, {
      experiment_id: reqString(input, "experiment_id"),
      timestamp_ms: optInt(input, "timestamp_ms") ?? Date.now(),
      request_metadata: pairList(input, "request_metadata"),
      tags: pairList(input, "tags"),
    }),
  }));
  mlflowRoute(app, db, "PATCH", "/traces/:trace_id", async ({ ctx, input, req }) => ({
    trace_info: await endTraceV2(ctx, {
      request_id: traceIdParam(req),
      timestamp_ms: optInt(input, "timestamp_ms") ?? missing("timestamp_ms"),
      status: optString(input, "status") ?? missing("status"),
      request_metadata: pairList(input, "request_metadata"),
      tags: pairList(input, "tags"),
    }),
  }));
  mlflowRoute(app, db, "GET", "/traces/:trace_id/info", async ({ ctx, req }) => ({ trace_info: await getTraceInfoV2(ctx, traceIdParam(req)) }));
  mlflowRoute(app, db, "GET", "/traces", ({ ctx, input }) => searchTracesV2(ctx, searchInput(input, stringList(input, "experiment_ids") ?? missing("experiment_ids"))));
}
