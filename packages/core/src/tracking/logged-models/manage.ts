import crypto from "node:crypto";
import { type Ctx, actorUserId } from "../../context.ts";
import { Prisma } from "@modelgate/db";
import { auditInsertSql, recordAudit } from "../../audit/record-audit.ts";
import { completePendingRegistrations } from "../../registry/registration.ts";
import { invalid, notFound } from "../../errors.ts";
import { assertExperimentActive, loadExperiment } from "../experiments.ts";
import { findRun } from "../run-access.ts";
import { generateRunName } from "../run-names.ts";
import type { TagView } from "../types.ts";
import { byKey, dedupeTags, pyRepr, validateKey, validateLength, validateTag, validateValue } from "../validate.ts";
import { assertLoggedModelLevel, findLoggedModel, loggedModelNotFound, queryableModelId } from "./access.ts";
import { loadLoggedModelViews, loadLoggedModelWithAccess } from "./load.ts";
import type { LoggedModelView } from "./types.ts";

// MLflow 3's LoggedModel lifecycle: created PENDING in an experiment (EDIT), files uploaded under
// its artifact location, finalized READY or UPLOAD_FAILED, soft-deleted (MANAGE). Params are
// immutable like a run's; tags are last-write-wins. Every change is audited.

const MAX_NAME_LENGTH = 500;
const NAME_BAD_CHARS = ["/", ":", ".", "%", '"', "'"];

function validateName(name: string) {
  if (!name || NAME_BAD_CHARS.some((c) => name.includes(c))) {
    throw invalid(
      `Invalid model name (${pyRepr(name)}) provided. Model name must be a non-empty string and cannot contain the following characters: ('/', ':', '.', '%', '"', "'")`,
    );
  }
  validateLength("Model name", name, MAX_NAME_LENGTH);
  validateValue("Model name", name);
}

/** Params may repeat a key only with the same value (the repeat is dropped). */
function checkParams(params: readonly TagView[]): TagView[] {
  const seen = new Map<string, string>();
  for (const p of params) {
    validateKey("parameter", p.key);
    validateValue("Param value", p.value);
    const prior = seen.get(p.key);
    if (prior !== undefined && prior !== p.value) {
      throw invalid(`Duplicate parameter keys have been submitted: ['${p.key}']. Please ensure the request contains only one param value per param key.`);
    }
    seen.set(p.key, p.value);
  }
  return [...seen].map(([key, value]) => ({ key, value }));
}

/** MLflow's model id: `m-` and a uuid4 as 32 hex characters. */
export const newLoggedModelId = () => `m-${crypto.randomUUID().replace(/-/g, "")}`;

export interface CreateLoggedModelInput {
  experiment_id: string;
  name?: string | undefined;
  model_type?: string | undefined;
  source_run_id?: string | undefined;
  params?: TagView[] | undefined;
  tags?: TagView[] | undefined;
}

async function viewOf(ctx: Ctx, pk: bigint): Promise<LoggedModelView> {
  const [view] = await loadLoggedModelViews(ctx, [pk]);
  if (!view) throw notFound("Logged model not found.");
  return view;
}

/**
 * EDIT on the experiment (active); the source run, when named, must be readable. One statement
 * writes the model, its tags and params and the audit event; the answer is built from what was
 * written (a new model has no metrics or registrations), so log_model's first call costs one
 * round trip after the checks.
 */
export async function createLoggedModel(ctx: Ctx, input: CreateLoggedModelInput): Promise<LoggedModelView> {
  if (input.name !== undefined && input.name !== "") validateName(input.name);
  if (input.model_type) validateLength("Model type", input.model_type, MAX_NAME_LENGTH);
  const params = checkParams(input.params ?? []).sort(byKey);
  const tags = dedupeTags(input.tags ?? []).sort(byKey);
  tags.forEach(validateTag);
  const [exp] = await Promise.all([loadExperiment(ctx, input.experiment_id, "EDIT"), input.source_run_id ? findRun(ctx, input.source_run_id, "READ") : null]);
  assertExperimentActive(exp);
  const id = newLoggedModelId();
  const name = input.name || generateRunName();
  const now = Date.now();
  const artifactLocation = `${exp.artifactLocation.replace(/\/+$/, "")}/models/${id}/artifacts`;
  const modelType = input.model_type ?? "";
  const sourceRunId = input.source_run_id ?? "";
  const after = JSON.stringify({ experiment_id: String(exp.id), name, source_run_id: input.source_run_id ?? null, model_type: input.model_type ?? null });
  await ctx.db.$executeRaw`
    WITH m AS (
      INSERT INTO logged_model (id, experiment_id, name, artifact_location, creation_timestamp, last_updated_timestamp, model_type, source_run_id, owner_id)
      VALUES (${id}, ${exp.id}, ${name}, ${artifactLocation}, ${now}, ${now}, ${modelType}, ${sourceRunId}, ${actorUserId(ctx.actor)}::uuid) RETURNING pk),
    t AS (INSERT INTO logged_model_tag (model_pk, key, value) SELECT m.pk, x.k, x.v FROM m, unnest(${tags.map((t) => t.key)}::text[], ${tags.map((t) => t.value)}::text[]) AS x(k, v)),
    p AS (INSERT INTO logged_model_param (model_pk, key, value) SELECT m.pk, x.k, x.v FROM m, unnest(${params.map((p) => p.key)}::text[], ${params.map((p) => p.value)}::text[]) AS x(k, v)),
    a AS (${auditInsertSql(ctx, { action: "logged_model.create", resourceType: "logged_model", resourceId: Prisma.sql`${id}`, after: Prisma.sql`${after}::jsonb`, from: Prisma.sql`m` })})
    SELECT 1`;
  return {
    info: {
      model_id: id,
      experiment_id: String(exp.id),
      name,
      creation_timestamp_ms: now,
      last_updated_timestamp_ms: now,
      artifact_uri: artifactLocation,
      status: "LOGGED_MODEL_PENDING",
      model_type: modelType,
      source_run_id: sourceRunId,
      ...(tags.length ? { tags: tags.map((t) => ({ key: t.key, value: t.value })) } : {}),
    },
    data: params.length ? { params } : {},
  };
}

/** READ on the model's experiment; one round trip (the model, its data and the access facts together). */
export async function getLoggedModel(ctx: Ctx, modelId: string): Promise<LoggedModelView> {
  const found = queryableModelId(modelId) ? await loadLoggedModelWithAccess(ctx, modelId) : null;
  assertLoggedModelLevel(ctx, modelId, found?.facts ?? null, "READ");
  return found!.view;
}

const FINAL_STATUSES: Record<string, "READY" | "UPLOAD_FAILED"> = {
  LOGGED_MODEL_READY: "READY",
  LOGGED_MODEL_UPLOAD_FAILED: "UPLOAD_FAILED",
  "2": "READY",
  "3": "UPLOAD_FAILED",
};

/**
 * PATCH logged-models/{id}: READY or UPLOAD_FAILED (the proto enum's name or number). One
 * statement updates and audits, and says whether versions registered meanwhile wait for this
 * model; only then are they completed (rare: the client registers after finalizing).
 */
export async function finalizeLoggedModel(ctx: Ctx, input: { model_id: string; status: string | number }): Promise<LoggedModelView> {
  const status = FINAL_STATUSES[String(input.status)];
  if (!status) {
    throw invalid(`Invalid value ${JSON.stringify(input.status)} for parameter 'status': a model is finalized as LOGGED_MODEL_READY or LOGGED_MODEL_UPLOAD_FAILED.`);
  }
  const m = await findLoggedModel(ctx, input.model_id, "EDIT");
  const [row] = await ctx.db.$queryRaw<{ waiting: boolean }[]>`
    WITH u AS (UPDATE logged_model SET status = ${status}::"LoggedModelStatus", last_updated_timestamp = ${Date.now()} WHERE pk = ${m.pk} RETURNING pk),
    a AS (${auditInsertSql(ctx, {
      action: "logged_model.finalize",
      resourceType: "logged_model",
      resourceId: Prisma.sql`${m.id}`,
      after: Prisma.sql`jsonb_build_object('status', ${status}::text, 'before', ${m.status}::text)`,
      from: Prisma.sql`u`,
    })})
    SELECT EXISTS (SELECT 1 FROM model_version v WHERE v.logged_model_id = ${m.id} AND v.status = 'PENDING_REGISTRATION' AND v.deleted_timestamp IS NULL) AS waiting`;
  // versions registered while the files were uploading become READY (or fail) with the model
  if (row?.waiting) await ctx.db.$transaction((tx) => completePendingRegistrations(tx, m.id, status));
  return viewOf(ctx, m.pk);
}

/** Soft delete (MANAGE): the model disappears from get and search; its files and registered versions stay. */
export async function deleteLoggedModel(ctx: Ctx, modelId: string): Promise<void> {
  const m = await findLoggedModel(ctx, modelId, "MANAGE");
  await ctx.db.$transaction(async (tx) => {
    const n = await tx.loggedModel.updateMany({ where: { pk: m.pk, lifecycleStage: "active" }, data: { lifecycleStage: "deleted", lastUpdatedTimestamp: BigInt(Date.now()) } });
    if (n.count === 0) throw loggedModelNotFound(modelId); // deleted by a concurrent call
    await recordAudit(ctx, tx, { action: "logged_model.delete", resourceType: "logged_model", resourceId: m.id, before: { name: m.name, status: m.status } });
  });
}

/** Last write wins per key; keys sorted so concurrent writers lock rows in one order. One statement with its audit event. */
export async function setLoggedModelTags(ctx: Ctx, input: { model_id: string; tags: TagView[] }): Promise<void> {
  const tags = dedupeTags(input.tags).sort(byKey);
  tags.forEach(validateTag);
  const m = await findLoggedModel(ctx, input.model_id, "EDIT");
  if (!tags.length) return;
  await ctx.db.$executeRaw`
    WITH t AS (
      INSERT INTO logged_model_tag (model_pk, key, value)
      SELECT ${m.pk}, k, v FROM unnest(${tags.map((t) => t.key)}::text[], ${tags.map((t) => t.value)}::text[]) AS x(k, v)
      ON CONFLICT (model_pk, key) DO UPDATE SET value = excluded.value RETURNING key),
    a AS (${auditInsertSql(ctx, {
      action: "logged_model.tag_set",
      resourceType: "logged_model",
      resourceId: Prisma.sql`${m.id}`,
      after: Prisma.sql`${JSON.stringify({ tags })}::jsonb`,
      from: Prisma.sql`(SELECT 1 FROM t LIMIT 1) AS one`,
    })})
    SELECT 1`;
}

export async function deleteLoggedModelTag(ctx: Ctx, input: { model_id: string; key: string }): Promise<void> {
  const m = await findLoggedModel(ctx, input.model_id, "EDIT");
  await ctx.db.$transaction(async (tx) => {
    const n = await tx.loggedModelTag.deleteMany({ where: { modelPk: m.pk, key: input.key } });
    if (n.count === 0) throw notFound(`No tag with key '${input.key}' found for model with ID '${m.id}'.`);
    await recordAudit(ctx, tx, { action: "logged_model.tag_delete", resourceType: "logged_model", resourceId: m.id, before: { key: input.key } });
  });
}

/** More params (the client sends those past the first 100 here). The same value again is a no-op; another value is refused and nothing is written. */
export async function logLoggedModelParams(ctx: Ctx, input: { model_id: string; params: TagView[] }): Promise<void> {
  const sorted = checkParams(input.params).sort(byKey);
  const m = await findLoggedModel(ctx, input.model_id, "EDIT");
  if (!sorted.length) return;
  await ctx.db.$transaction(async (tx) => {
    const stored = await tx.$queryRaw<TagView[]>`
      INSERT INTO logged_model_param AS p (model_pk, key, value)
      SELECT ${m.pk}, k, v FROM unnest(${sorted.map((p) => p.key)}::text[], ${sorted.map((p) => p.value)}::text[]) AS x(k, v)
      ON CONFLICT (model_pk, key) DO UPDATE SET value = p.value RETURNING p.key, p.value`;
    const given = new Map(sorted.map((p) => [p.key, p.value]));
    const clash = stored.find((s) => given.get(s.key) !== s.value);
    if (clash) {
      throw invalid(`Changing param values is not allowed. Param with key='${clash.key}' was already logged with value='${clash.value}' for model ID='${m.id}'. Attempted logging new value '${given.get(clash.key)}'.`);
    }
    await recordAudit(ctx, tx, { action: "logged_model.params_log", resourceType: "logged_model", resourceId: m.id, after: { params: sorted } });
  });
}
