import type { Prisma } from "@modelgate/db";
import type { Ctx } from "../context.ts";
import { invalid } from "../errors.ts";
import { assertRunActive, findRun, type RunRef } from "./run-access.ts";
import { lockRunForWrite } from "./runs.ts";
import { checkModelInputs, linkModelInputs } from "./logged-models/outputs.ts";
import type { DatasetInputView } from "./types.ts";
import { validateLength } from "./validate.ts";

// Datasets belong to the experiment (one row per name + digest) and are linked to runs as inputs
// with their own tags; the mlflow.data.context tag is copied to a column for search.

const MAX_DATASET_NAME_SIZE = 500;
const MAX_DATASET_DIGEST_SIZE = 36;
const MAX_INPUT_TAG_KEY_SIZE = 255;
const MAX_INPUT_TAG_VALUE_SIZE = 500;
const MAX_DATASET_FIELD_SIZE = 16 * 1024 * 1024;
export const CONTEXT_TAG = "mlflow.data.context";

function validateInput(d: DatasetInputView) {
  const ds = d.dataset;
  for (const f of ["name", "digest", "source_type", "source"] as const) {
    if (typeof ds[f] !== "string" || ds[f] === "") throw invalid(`Dataset ${f} is required`);
  }
  validateLength("Dataset name", ds.name, MAX_DATASET_NAME_SIZE);
  validateLength("Dataset digest", ds.digest, MAX_DATASET_DIGEST_SIZE);
  validateLength("Dataset source", ds.source, MAX_DATASET_FIELD_SIZE);
  if (ds.schema) validateLength("Dataset schema", ds.schema, MAX_DATASET_FIELD_SIZE);
  if (ds.profile) validateLength("Dataset profile", ds.profile, MAX_DATASET_FIELD_SIZE);
  const strings = [ds.name, ds.digest, ds.source_type, ds.source, ds.schema ?? "", ds.profile ?? "", ...(d.tags ?? []).flatMap((t) => [t.key, t.value])];
  if (strings.some((x) => x.includes("\u0000"))) throw invalid("Dataset fields must not contain NUL characters");
  for (const t of d.tags ?? []) {
    if (!t.key) throw invalid("Input tag key is required");
    validateLength("Input tag key", t.key, MAX_INPUT_TAG_KEY_SIZE);
    validateLength("Input tag value", t.value, MAX_INPUT_TAG_VALUE_SIZE);
  }
}

async function linkInput(tx: Prisma.TransactionClient, run: RunRef, d: DatasetInputView) {
  const ds = d.dataset;
  // An existing dataset (same experiment, name and digest) is reused as it is, as MLflow does.
  const [row] = await tx.$queryRaw<{ pk: bigint }[]>`
    WITH ins AS (
      INSERT INTO dataset (experiment_id, name, digest, source_type, source, schema, profile)
      VALUES (${run.experimentId}, ${ds.name}, ${ds.digest}, ${ds.source_type}, ${ds.source}, ${ds.schema ?? null}, ${ds.profile ?? null})
      ON CONFLICT (experiment_id, name, digest) DO NOTHING RETURNING pk)
    SELECT pk FROM ins UNION ALL
    SELECT pk FROM dataset WHERE experiment_id = ${run.experimentId} AND name = ${ds.name} AND digest = ${ds.digest} LIMIT 1`;
  // A dataset committed by a concurrent request after this statement's snapshot: read it again.
  const pk = row?.pk ?? (await tx.dataset.findUniqueOrThrow({ where: { experimentId_name_digest: { experimentId: run.experimentId, name: ds.name, digest: ds.digest } } })).pk;
  const tags = (d.tags ?? []).map((t) => ({ key: t.key, value: t.value }));
  const context = tags.find((t) => t.key === CONTEXT_TAG)?.value ?? null;
  await tx.$executeRaw`
    INSERT INTO run_input (run_pk, dataset_pk, tags, context) VALUES (${run.pk}, ${pk}, ${JSON.stringify(tags)}::jsonb, ${context})
    ON CONFLICT (run_pk, dataset_pk) DO NOTHING`;
}

/** Datasets and (MLflow 3) models a run used. */
export async function logInputs(ctx: Ctx, input: { run_id: string; datasets?: DatasetInputView[] | undefined; models?: { model_id: string }[] | undefined }): Promise<void> {
  const datasets = input.datasets ?? [];
  datasets.forEach(validateInput);
  const models = (input.models ?? []).map((m) => m.model_id);
  if (models.some((id) => !id)) throw invalid("Missing value for required parameter 'models.model_id'. See the API docs for more information about request parameters.");
  const [run, modelIds] = await Promise.all([findRun(ctx, input.run_id, "EDIT"), checkModelInputs(ctx, models)]);
  assertRunActive(run);
  if (!datasets.length && !modelIds.length) return;
  await ctx.db.$transaction(async (tx) => {
    await lockRunForWrite(tx, run.pk);
    for (const d of datasets) await linkInput(tx, run, d);
    await linkModelInputs(tx, run.pk, modelIds);
  });
}
