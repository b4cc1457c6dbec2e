import { z } from "zod";
import {
  countTraces,
  deleteAssessment,
  deleteTraceTag,
  deleteTraces,
  getModelTraceEvidence,
  getSpanDetail,
  getTraceDetail,
  getTraceRetention,
  isDomainError,
  listTraces,
  parseTraceFilter,
  recordReview,
  reviseReview,
  SEARCH_TRACES_MAX,
  setTraceRetention,
  setTraceTag,
} from "@modelgate/core";
import { procedure, router } from "../init.ts";

// The portal's GenAI traces: an experiment's Traces tab, the trace page, and the trace evidence on
// a logged model's page. Each procedure is parse → one core call; core checks the experiment
// permission (READ to see, EDIT to tag, review or delete, MANAGE to set retention).
// `cursor` is tRPC's name for the page token.

const traceId = z.object({ trace_id: z.string().min(1) });
const experimentId = z.object({ experiment_id: z.string() });
const reviewValue = z.union([z.boolean(), z.number().finite(), z.string().min(1)]);
const kind = z.enum(["feedback", "expectation"]);

export const tracingRouter = router({
  search: procedure
    .input(
      z.object({
        experiment_ids: z.array(z.string()).min(1),
        filter: z.string().optional(),
        max_results: z.number().int().min(1).max(SEARCH_TRACES_MAX).default(50),
        order_by: z.array(z.string()).optional(),
        cursor: z.string().nullish(),
      }),
    )
    .query(({ ctx, input: { cursor, ...input } }) => listTraces(ctx.core, { ...input, ...(cursor ? { page_token: cursor } : {}) })),
  count: procedure
    .input(z.object({ experiment_ids: z.array(z.string()).min(1), filter: z.string().optional() }))
    .query(({ ctx, input }) => countTraces(ctx.core, input)),
  get: procedure.input(traceId).query(({ ctx, input }) => getTraceDetail(ctx.core, input.trace_id)),
  /** The selected span's content, decoded (the tree itself carries summaries only). */
  span: procedure.input(z.object({ trace_id: z.string().min(1), span_id: z.string().min(1) })).query(({ ctx, input }) => getSpanDetail(ctx.core, input.trace_id, input.span_id)),
  /** Whether a filter parses, with MLflow's message, for inline feedback as the user types. */
  validateFilter: procedure.input(z.object({ filter: z.string() })).query(({ input }) => {
    try {
      parseTraceFilter(input.filter);
      return { valid: true as const };
    } catch (e) {
      if (!isDomainError(e)) throw e;
      return { valid: false as const, message: e.message };
    }
  }),
  setTag: procedure
    .input(z.object({ trace_id: z.string().min(1), key: z.string(), value: z.string() }))
    .mutation(({ ctx, input }) => setTraceTag(ctx.core, input)),
  deleteTag: procedure.input(z.object({ trace_id: z.string().min(1), key: z.string() })).mutation(({ ctx, input }) => deleteTraceTag(ctx.core, input)),
  delete: procedure
    .input(z.object({ experiment_id: z.string(), trace_ids: z.array(z.string()).min(1) }))
    .mutation(({ ctx, input }) => deleteTraces(ctx.core, { experiment_id: input.experiment_id, request_ids: input.trace_ids })),
  createAssessment: procedure
    .input(z.object({ trace_id: z.string().min(1), kind, name: z.string(), value: reviewValue, rationale: z.string().optional(), span_id: z.string().optional() }))
    .mutation(({ ctx, input }) => recordReview(ctx.core, input)),
  updateAssessment: procedure
    .input(z.object({ trace_id: z.string().min(1), assessment_id: z.string(), kind, value: reviewValue.optional(), rationale: z.string().nullish(), valid: z.boolean().optional() }))
    .mutation(({ ctx, input }) => reviseReview(ctx.core, input)),
  deleteAssessment: procedure
    .input(z.object({ trace_id: z.string().min(1), assessment_id: z.string() }))
    .mutation(({ ctx, input }) => deleteAssessment(ctx.core, input.trace_id, input.assessment_id)),
  getRetention: procedure.input(experimentId).query(({ ctx, input }) => getTraceRetention(ctx.core, input.experiment_id)),
  setRetention: procedure
    .input(z.object({ experiment_id: z.string(), days: z.number().int().nullable() }))
    .mutation(({ ctx, input }) => setTraceRetention(ctx.core, input)),
  modelEvidence: procedure.input(z.object({ model_id: z.string() })).query(({ ctx, input }) => getModelTraceEvidence(ctx.core, input.model_id)),
});
