import { z } from "zod";
import { cancelBatchJob, createBatchJob, createBatchJobInput, getBatchJob, listBatchJobs, listBatchJobsInput } from "@modelgate/core";
import { procedure, router } from "../init.ts";

// Batch scoring for the portal: the same core functions as /api/2.0/serving-jobs. `get` is what
// the portal polls for progress (rows_done, rows_total and whether it is still an estimate).
const byId = z.object({ id: z.string() });

export const batchRouter = router({
  create: procedure.input(createBatchJobInput).mutation(({ ctx, input }) => createBatchJob(ctx.core, input)),
  list: procedure.input(listBatchJobsInput.optional()).query(({ ctx, input }) => listBatchJobs(ctx.core, input ?? {})),
  get: procedure.input(byId).query(({ ctx, input }) => getBatchJob(ctx.core, input)),
  cancel: procedure.input(byId).mutation(({ ctx, input }) => cancelBatchJob(ctx.core, input)),
});
