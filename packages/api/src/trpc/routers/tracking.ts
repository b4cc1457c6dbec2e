import { z } from "zod";
import {
  EXPERIMENT_PERMISSION_LEVELS,
  countRuns,
  createExperiment,
  deleteExperiment,
  deleteRun,
  getExperiment,
  getMetricHistory,
  getRun,
  listExperimentGroupPermissions,
  listExperimentPermissions,
  listRunColumns,
  myExperimentAccess,
  restoreExperiment,
  restoreRun,
  sampleMetricSeries,
  searchExperiments,
  searchRuns,
  setExperimentGroupPermission,
  setExperimentPermission,
  updateExperiment,
  updateRun,
  validateRunFilter,
} from "@modelgate/core";
import { procedure, router } from "../init.ts";

// Each procedure is parse → one core call. Values are validated by core (one place, the same
// messages on every edge); zod here only checks the shape. Permission checks live in core.
// `cursor` is tRPC's name for the page token of infinite queries.

const viewType = z.enum(["ACTIVE_ONLY", "DELETED_ONLY", "ALL"]);
const experimentId = z.object({ experiment_id: z.string() });
const runId = z.object({ run_id: z.string() });
const runScope = z.object({
  experiment_ids: z.array(z.string()).min(1),
  filter: z.string().optional(),
  run_view_type: viewType.optional(),
});

const experiments = router({
  search: procedure
    .input(
      z.object({
        filter: z.string().optional(),
        view_type: viewType.optional(),
        max_results: z.number().int().default(100),
        order_by: z.array(z.string()).optional(),
        cursor: z.string().nullish(),
      }),
    )
    .query(({ ctx, input: { cursor, ...input } }) => searchExperiments(ctx.core, { ...input, ...(cursor ? { page_token: cursor } : {}) })),
  get: procedure.input(experimentId).query(({ ctx, input }) => getExperiment(ctx.core, input.experiment_id)),
  /** The caller's own level on the experiment (null: none), so the UI shows only what they may do. */
  myAccess: procedure.input(experimentId).query(({ ctx, input }) => myExperimentAccess(ctx.core, input.experiment_id)),
  create: procedure
    .input(z.object({ name: z.string(), artifact_location: z.string().optional() }))
    .mutation(({ ctx, input }) => createExperiment(ctx.core, input)),
  rename: procedure
    .input(z.object({ experiment_id: z.string(), new_name: z.string() }))
    .mutation(({ ctx, input }) => updateExperiment(ctx.core, input)),
  delete: procedure.input(experimentId).mutation(({ ctx, input }) => deleteExperiment(ctx.core, input)),
  restore: procedure.input(experimentId).mutation(({ ctx, input }) => restoreExperiment(ctx.core, input)),
  permissions: procedure.input(experimentId).query(({ ctx, input }) => listExperimentPermissions(ctx.core, input.experiment_id)),
  setPermission: procedure
    .input(z.object({ experiment_id: z.string(), username: z.string(), level: z.enum(EXPERIMENT_PERMISSION_LEVELS).nullable() }))
    .mutation(({ ctx, input }) => setExperimentPermission(ctx.core, input)),
  groupPermissions: procedure.input(experimentId).query(({ ctx, input }) => listExperimentGroupPermissions(ctx.core, input.experiment_id)),
  setGroupPermission: procedure
    .input(z.object({ experiment_id: z.string(), group: z.string(), level: z.enum(EXPERIMENT_PERMISSION_LEVELS).nullable() }))
    .mutation(({ ctx, input }) => setExperimentGroupPermission(ctx.core, input)),
});

const runs = router({
  search: procedure
    .input(runScope.extend({ order_by: z.array(z.string()).optional(), max_results: z.number().int().default(200), cursor: z.string().nullish() }))
    .query(({ ctx, input: { cursor, ...input } }) => searchRuns(ctx.core, { ...input, ...(cursor ? { page_token: cursor } : {}) })),
  count: procedure.input(runScope).query(async ({ ctx, input }) => ({ count: await countRuns(ctx.core, input) })),
  columns: procedure
    .input(z.object({ experiment_ids: z.array(z.string()).min(1) }))
    .query(({ ctx, input }) => listRunColumns(ctx.core, input.experiment_ids)),
  /** Answers whether a filter parses, with MLflow's message, for inline feedback as the user types. */
  validateFilter: procedure.input(z.object({ filter: z.string() })).query(({ input }) => {
    const message = validateRunFilter(input.filter);
    return message === null ? { valid: true as const } : { valid: false as const, message };
  }),
  get: procedure.input(runId).query(({ ctx, input }) => getRun(ctx.core, input.run_id)),
  rename: procedure
    .input(z.object({ run_id: z.string(), run_name: z.string() }))
    .mutation(({ ctx, input }) => updateRun(ctx.core, input)),
  delete: procedure.input(runId).mutation(({ ctx, input }) => deleteRun(ctx.core, input)),
  restore: procedure.input(runId).mutation(({ ctx, input }) => restoreRun(ctx.core, input)),
});

const metrics = router({
  history: procedure
    .input(z.object({ run_id: z.string(), metric_key: z.string(), page_token: z.string().optional(), max_results: z.number().int().optional() }))
    .query(({ ctx, input }) => getMetricHistory(ctx.core, input)),
  /** Downsampled in SQL, so a million-point history costs the browser only max_points per line. */
  sample: procedure
    .input(z.object({ run_ids: z.array(z.string()), keys: z.array(z.string()), max_points: z.number().optional() }))
    .query(({ ctx, input }) => sampleMetricSeries(ctx.core, input)),
});

/** The portal's experiment-tracking procedures (experiments, runs, metrics, permissions). */
export const trackingRouter = router({ experiments, runs, metrics });
