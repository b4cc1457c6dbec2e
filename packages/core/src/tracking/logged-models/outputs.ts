import { Prisma } from "@modelgate/db";
import type { Ctx } from "../../context.ts";
import { invalid } from "../../errors.ts";
import { assertRunActive, findRun } from "../run-access.ts";
import { runWrites } from "../runs.ts";
import { findLoggedModel } from "./access.ts";
import type { ModelOutputView } from "./types.ts";

// runs/outputs: which models a run produced, and at which step (MLflow 3 records this when
// log_model runs inside a run). The run needs EDIT; each model must exist and be readable. The
// run's view changes (outputs are in runs/get), so the run row is locked first, as every run write.

export async function logOutputs(ctx: Ctx, input: { run_id: string; models: ModelOutputView[] }): Promise<void> {
  for (const m of input.models) {
    if (!m.model_id) throw invalid("Missing value for required parameter 'models.model_id'. See the API docs for more information about request parameters.");
    if (!Number.isSafeInteger(m.step)) throw invalid(`Invalid value ${String(m.step)} for parameter 'models.step': it must be an integer`);
  }
  const [run, ...models] = await Promise.all([findRun(ctx, input.run_id, "EDIT"), ...input.models.map((m) => findLoggedModel(ctx, m.model_id, "READ"))]);
  assertRunActive(run);
  if (!models.length) return;
  const byModel = new Map<bigint, number>();
  models.forEach((m, i) => byModel.set(m.pk, input.models[i]!.step));
  const rows = [...byModel].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  // one statement, after the run's lock (runWrites' bump), like every run write
  await runWrites(ctx.db, run, {
    ctes: [
      Prisma.sql`ins_outputs AS (
        INSERT INTO run_output (run_pk, model_pk, step)
        SELECT bump.pk, x.m, x.s FROM bump, unnest(${rows.map(([pk]) => String(pk))}::text[]::bigint[], ${rows.map(([, s]) => String(s))}::text[]::bigint[]) AS x(m, s)
        ON CONFLICT (run_pk, model_pk) DO UPDATE SET step = excluded.step)`,
    ],
  });
}

/**
 * log-inputs' `models`: model ids a run used, kept as sent. Each must be a logged model the caller
 * may read, checked before the caller's transaction (no second pool connection while it holds one).
 */
export async function checkModelInputs(ctx: Ctx, modelIds: readonly string[]): Promise<string[]> {
  const ids = [...new Set(modelIds)].sort();
  await Promise.all(ids.map((id) => findLoggedModel(ctx, id, "READ")));
  return ids;
}

/** Links checked model ids (checkModelInputs) to the run, inside the caller's transaction. */
export async function linkModelInputs(tx: Prisma.TransactionClient, runPk: bigint, ids: readonly string[]) {
  if (!ids.length) return;
  await tx.$executeRaw`
    INSERT INTO run_model_input (run_pk, model_id) SELECT ${runPk}, x FROM unnest(${[...ids]}::text[]) AS x ON CONFLICT DO NOTHING`;
}
