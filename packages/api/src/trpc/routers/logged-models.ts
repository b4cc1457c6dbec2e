import { z } from "zod";
import {
  deleteLoggedModel,
  deleteLoggedModelTag,
  getLoggedModel,
  isDomainError,
  LOGGED_MODELS_MAX_RESULTS,
  parseLoggedModelFilter,
  searchLoggedModels,
  setLoggedModelTags,
} from "@modelgate/core";
import { procedure, router } from "../init.ts";

// The portal's MLflow 3 logged models (an experiment's Models tab, the logged model page). Each
// procedure is parse → one core call; core checks the experiment permission (READ to see, EDIT
// to change tags, MANAGE to delete). `cursor` is tRPC's name for the page token.

const modelId = z.object({ model_id: z.string() });
const dataset = { dataset_name: z.string().optional(), dataset_digest: z.string().optional() };

export const loggedModelsRouter = router({
  search: procedure
    .input(
      z.object({
        experiment_ids: z.array(z.string()).min(1),
        filter: z.string().optional(),
        datasets: z.array(z.object({ dataset_name: z.string(), dataset_digest: z.string().optional() })).optional(),
        max_results: z.number().int().default(LOGGED_MODELS_MAX_RESULTS),
        order_by: z.array(z.object({ field_name: z.string(), ascending: z.boolean().optional(), ...dataset })).optional(),
        cursor: z.string().nullish(),
      }),
    )
    .query(({ ctx, input: { cursor, ...input } }) => searchLoggedModels(ctx.core, { ...input, ...(cursor ? { page_token: cursor } : {}) })),
  get: procedure.input(modelId).query(({ ctx, input }) => getLoggedModel(ctx.core, input.model_id)),
  delete: procedure.input(modelId).mutation(({ ctx, input }) => deleteLoggedModel(ctx.core, input.model_id)),
  setTags: procedure
    .input(z.object({ model_id: z.string(), tags: z.array(z.object({ key: z.string(), value: z.string() })) }))
    .mutation(({ ctx, input }) => setLoggedModelTags(ctx.core, input)),
  deleteTag: procedure.input(z.object({ model_id: z.string(), key: z.string() })).mutation(({ ctx, input }) => deleteLoggedModelTag(ctx.core, input)),
  /** Whether a filter parses, with MLflow's message, for inline feedback as the user types. */
  validateFilter: procedure.input(z.object({ filter: z.string() })).query(({ input }) => {
    try {
      parseLoggedModelFilter(input.filter);
      return { valid: true as const };
    } catch (e) {
      if (!isDomainError(e)) throw e;
      return { valid: false as const, message: e.message };
    }
  }),
});
