import { pyJson } from "../py-json.ts";
import { Prisma, sqlQuery } from "@modelgate/db";
import { type Ctx, actorName, actorUserId } from "../context.ts";
import { auditInsertSql, recordAudit, type DbOrTx } from "../audit/record-audit.ts";
import { invalid, isDomainError } from "../errors.ts";
import { findRun } from "../tracking/run-access.ts";
import { dedupeTags, validateValue } from "../tracking/validate.ts";
import { versionNotFound, versionResourceId } from "./access.ts";
import type { MlmodelView } from "./mlmodel.ts";
import { readMlmodel, type RegistrationResult } from "./registration.ts";
import { loadModel } from "./models.ts";
import { resolveSource, type ModelUriRef, type ResolvedSource } from "./source.ts";
import { PROMPT_TAG, type ModelPermissionLevel, type Stage, type ModelVersionDetail, type ModelVersionView, type RegistryTagView, type VersionRef } from "./types.ts";
import { canonicalStage, parseVersion, validateDescription, validateRegistryTag } from "./validate.ts";
import { latestVersionViews, loadVersionViews } from "./views.ts";
import { closeRequestsOfVersion } from "../approvals/close.ts";
import { applyAliasRemoval } from "./aliases.ts";
import { emitRegistryEvent, hasSubscribedWebhooks } from "../webhooks/events.ts";

// Model versions: numbered under the model's row lock, sources checked and resolved, MLmodel read
// at registration, soft-deleted so numbers are never reused.

/** A live (not deleted) version and the actor's level on its model; 404 when missing or unreadable. */
export async function loadVersion(ctx: Ctx, name: string, version: string | number, needed: ModelPermissionLevel, db: DbOrTx = ctx.db, forUpdate = false): Promise<VersionRef> {
  const n = parseVersion(version);
  const model = await loadModel(ctx, name, needed, db, forUpdate);
  const [v] = await sqlQuery<{ pk: bigint; stage: Stage; storage_location: string }>(
    db,
    Prisma.sql`SELECT pk, current_stage::text AS stage, storage_location FROM model_version WHERE model_id = ${model.id}::int AND version = ${n}::int AND deleted_timestamp IS NULL`,
    { prepare: true },
  );
  if (!v) throw versionNotFound(name, n);
  return { pk: v.pk, version: n, model, stage: v.stage, storageLocation: v.storage_location };
}

async function versionView(ctx: Ctx, pk: bigint): Promise<ModelVersionView> {
  const [view] = await loadVersionViews(ctx.db, [pk]);
  return view!;
}

/** The version a models:/ URI names (READ on its model). */
export async function resolveModelUri(ctx: Ctx, ref: ModelUriRef): Promise<{ pk: bigint; storageLocation: string; storePath: string | null }> {
  const model = await loadModel(ctx, ref.name, "READ");
  const where = { modelId: model.id, deletedTimestamp: null };
  let row: { pk: bigint; storageLocation: string; storePath: string | null } | null = null;
  const select = { pk: true, storageLocation: true, storePath: true } as const;
  if (ref.ref.kind === "version") row = await ctx.db.modelVersion.findFirst({ where: { ...where, version: ref.ref.version }, select });
  else if (ref.ref.kind === "alias") {
    const a = await ctx.db.registeredModelAlias.findUnique({ where: { modelId_alias: { modelId: model.id, alias: ref.ref.alias } }, select: { version: { select } } });
    if (!a) throw invalid(`Registered model alias ${ref.ref.alias} not found.`);
    row = a.version;
  } else {
    const stage = ref.ref.kind === "stage" ? canonicalStage(ref.ref.stage) : undefined;
    row = await ctx.db.modelVersion.findFirst({ where: { ...where, status: "READY", ...(stage ? { currentStage: stage } : {}) }, orderBy: { version: "desc" }, select });
  }
  if (!row) throw invalid(`No model version matches the URI 'models:/${ref.name}${ref.ref.kind === "alias" ? "@" + ref.ref.alias : ""}'.`);
  return row;
}

export interface CreateModelVersionInput {
  name: string;
  source: string;
  run_id?: string | undefined;
  tags?: RegistryTagView[] | undefined;
  run_link?: string | undefined;
  description?: string | undefined;
  /** MLflow 3: the logged model being registered (also implied by a models:/<model_id> source). */
  model_id?: string | undefined;
}

/** The logged model's list of its registered versions, as MLflow's server and client keep it. */
export const MODEL_VERSIONS_TAG = "mlflow.modelVersions";

/**
 * A version made from a logged model is as complete as the model: a model still uploading makes a
 * PENDING_REGISTRATION version (the client waits on it; finalizing the model completes it), a model
 * whose upload failed a FAILED_REGISTRATION one.
 */
async function registrationOf(resolved: ResolvedSource): Promise<RegistrationResult> {
  const model = resolved.loggedModel;
  if (model?.status === "PENDING") {
    return { status: "PENDING_REGISTRATION", statusMessage: `Waiting for logged model ${model.id} to be finalized: its files are still being uploaded.`, mlmodel: null };
  }
  if (model?.status === "UPLOAD_FAILED") {
    return { status: "FAILED_REGISTRATION", statusMessage: `The files of logged model ${model.id} failed to upload (LOGGED_MODEL_UPLOAD_FAILED).`, mlmodel: null };
  }
  return readMlmodel(resolved.storePath);
}

/** The logged model's key and its mlflow.modelVersions tag as it is now (null: no tag yet). */
interface RegistrationTag {
  pk: bigint;
  value: string | null;
}

async function registrationTagOf(db: DbOrTx, modelId: string): Promise<RegistrationTag | null> {
  const [row] = await db.$queryRaw<{ pk: bigint; value: string | null }[]>`
    SELECT lm.pk, t.value FROM logged_model lm LEFT JOIN logged_model_tag t ON t.model_pk = lm.pk AND t.key = ${MODEL_VERSIONS_TAG} WHERE lm.id = ${modelId}`;
  return row ?? null;
}

/** The tag's entries as a list (a value that is not a JSON list starts the list again). */
function registrationEntries(value: string | null): unknown[] {
  try {
    const parsed: unknown = value ? JSON.parse(value) : [];
    return Array.isArray(parsed) ? parsed : [];
  } catch {
    return [];
  }
}

/**
 * Adds the version to the logged model's mlflow.modelVersions tag (a JSON list of {name, version}),
 * as MLflow's server does when a version is created from a logged model (the version as a number;
 * the client then appends its own entry). A write lands only on the value it was computed from,
 * so concurrent registrations each keep their entry; a lost race reads again. `read` is the tag as
 * read before the version was inserted (in parallel with the MLmodel), for the first attempt.
 */
async function recordRegistrationTag(db: DbOrTx, modelId: string, name: string, version: number, read: Promise<RegistrationTag | null>) {
  const entry = { name, version };
  let tag = await read;
  for (let attempt = 0; tag && attempt < 50; attempt++, tag = await registrationTagOf(db, modelId)) {
    const list = registrationEntries(tag.value);
    if (list.some((e) => JSON.stringify(e) === JSON.stringify(entry))) return;
    list.push(entry);
    // Python's json.dumps layout, as MLflow writes this tag
    const value = `[${list.map((e) => pyJson(e)).join(", ")}]`;
    const unchanged = tag.value === null ? Prisma.sql`FALSE` : Prisma.sql`t.value = ${tag.value}`;
    const written = await db.$queryRaw<unknown[]>`
      INSERT INTO logged_model_tag AS t (model_pk, key, value) VALUES (${tag.pk}, ${MODEL_VERSIONS_TAG}, ${value})
      ON CONFLICT (model_pk, key) DO UPDATE SET value = excluded.value WHERE ${unchanged} RETURNING 1`;
    if (written.length) return;
  }
}

/**
 * Creates the next version of a model. The number comes from the model's counter row, taken by
 * the same single statement that inserts the version, its tags, its first stage event and the
 * audit event: the row lock is held only for that statement and its commit, so concurrent
 * creators get distinct, gap-free numbers without retries.
 */
export async function createModelVersion(ctx: Ctx, input: CreateModelVersionInput): Promise<ModelVersionView> {
  const tags = dedupeTags(input.tags ?? []);
  tags.forEach((t) => validateRegistryTag(t.key, t.value));
  if (input.description) validateDescription(input.description);
  if (input.run_link) validateValue("Run link", input.run_link);
  const isPrompt = tags.some((t) => t.key === PROMPT_TAG);
  // the model and the source are found at once (two round trips overlapped); the model's error,
  // when there is one, is the answer, as if it had been checked first
  const modelFound = loadModel(ctx, input.name, "EDIT");
  const resolving = resolveSource(
    ctx,
    input.source,
    input.run_id || undefined,
    async (ref) => {
      const target = await resolveModelUri(ctx, ref);
      return { storageLocation: target.storageLocation, storePath: target.storePath };
    },
    { isPrompt, modelId: input.model_id || undefined },
  );
  const [modelResult, sourceResult] = await Promise.allSettled([modelFound, resolving]);
  if (modelResult.status === "rejected") throw modelResult.reason;
  if (sourceResult.status === "rejected") throw sourceResult.reason;
  const model = modelResult.value;
  const resolved = sourceResult.value;
  // the event costs a transaction only when a webhook listens (a webhook created between this check
  // and the insert may miss this one version: it raced it)
  const hooked = hasSubscribedWebhooks(ctx.db, model.id, "MODEL_VERSION_CREATED");
  hooked.catch(() => undefined); // awaited below; no unhandled rejection if reading the MLmodel throws first
  const loggedModelId = resolved.loggedModel?.id ?? null;
  const tagRead = loggedModelId ? registrationTagOf(ctx.db, loggedModelId) : null;
  tagRead?.catch(() => undefined); // awaited after the insert; no unhandled rejection before it
  const registration = await registrationOf(resolved);
  const now = Date.now();
  const userId = ctx.actor.kind === "user" ? ctx.actor.username : "";
  const ownerId = actorUserId(ctx.actor);
  const recordedBy = actorName(ctx.actor);
  const mlmodel = registration.mlmodel === null ? null : JSON.stringify(registration.mlmodel);
  // prepared: a fixed text (tags as arrays), planned once per connection
  const insert = (db: DbOrTx) =>
    sqlQuery<{ pk: bigint; version: number }>(
      db,
      Prisma.sql`
    WITH n AS (
      UPDATE registered_model SET next_version = next_version + 1, last_updated_timestamp = ${now}
      WHERE id = ${model.id} RETURNING next_version - 1 AS version),
    v AS (
      INSERT INTO model_version (model_id, version, creation_timestamp, last_updated_timestamp, user_id, owner_id, description, source,
        storage_location, store_path, run_id, logged_model_id, run_link, status, status_message, mlmodel)
      SELECT ${model.id}, n.version, ${now}, ${now}, ${userId}, ${ownerId}::uuid, ${input.description ?? ""}, ${input.source},
        ${resolved.storageLocation}, ${resolved.storePath}, ${resolved.runId}, ${loggedModelId}, ${input.run_link ?? ""}, ${registration.status}::"ModelVersionStatus",
        ${registration.statusMessage}, ${mlmodel}::jsonb
      FROM n RETURNING pk, version),
    t AS (
      INSERT INTO model_version_tag (version_pk, key, value)
      SELECT v.pk, x.key, x.value FROM v, unnest(${tags.map((t) => t.key)}::text[], ${tags.map((t) => t.value)}::text[]) AS x(key, value)),
    s AS (
      INSERT INTO stage_transition (model_id, version_pk, from_stage, to_stage, at, actor_id, actor_name)
      SELECT ${model.id}, v.pk, NULL, 'None', ${now}, ${ownerId}::uuid, ${recordedBy} FROM v),
    a AS (${auditInsertSql(ctx, {
      action: "model_version.create",
      resourceType: "model_version",
      resourceId: Prisma.sql`${String(model.id)} || '/' || v.version`,
      after: Prisma.sql`jsonb_build_object('name', ${model.name}::text, 'version', v.version, 'source', ${input.source}::text, 'run_id', ${resolved.runId}::text, 'status', ${registration.status}::text)`,
      from: Prisma.sql`v`,
    })})
    SELECT pk, version FROM v`,
      { prepare: true },
    );
  const emit = await hooked;
  const rows = !emit
    ? await insert(ctx.db)
    : await ctx.db.$transaction(async (tx) => {
        const r = await insert(tx);
        const v = r[0];
        if (v && emit) {
          const data = { version: String(v.version), source: input.source, run_id: resolved.runId, status: registration.status, description: input.description ?? "", tags };
          await emitRegistryEvent(ctx, tx, { event: "MODEL_VERSION_CREATED", modelId: model.id, modelName: model.name, data });
        }
        return r;
      });
  const created = rows[0];
  if (!created) throw versionNotFound(input.name, "new"); // the model was deleted meanwhile
  if (loggedModelId && tagRead) await recordRegistrationTag(ctx.db, loggedModelId, model.name, created.version, tagRead);
  // the new version's view from what was just written (no aliases yet): one round trip fewer
  // on the registry's hottest write
  return {
    name: model.name,
    version: String(created.version),
    creation_timestamp: now,
    last_updated_timestamp: now,
    user_id: userId,
    current_stage: "None",
    description: input.description ?? "",
    source: input.source,
    run_id: resolved.runId,
    status: registration.status,
    status_message: registration.statusMessage,
    ...(loggedModelId ? { model_id: loggedModelId } : {}),
    ...(tags.length ? { tags: [...tags].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map((t) => ({ key: t.key, value: t.value })) } : {}),
    run_link: input.run_link ?? "",
  };
}

export async function getModelVersion(ctx: Ctx, input: { name: string; version: string }): Promise<ModelVersionView> {
  const v = await loadVersion(ctx, input.name, input.version, "READ");
  return versionView(ctx, v.pk);
}

/** The source run's experiment, only when the caller may read the run (READ on a model does not open its experiment). */
async function readableExperimentOf(ctx: Ctx, runId: string): Promise<string | null> {
  if (!runId) return null;
  try {
    return String((await findRun(ctx, runId, "READ")).experimentId);
  } catch (e) {
    if (isDomainError(e)) return null;
    throw e;
  }
}

/** The portal's view: the wire shape plus MLmodel metadata, input example and storage location. */
export async function getModelVersionDetail(ctx: Ctx, input: { name: string; version: string }): Promise<ModelVersionDetail> {
  const v = await loadVersion(ctx, input.name, input.version, "READ");
  const [view, row] = await Promise.all([
    versionView(ctx, v.pk),
    ctx.db.modelVersion.findUniqueOrThrow({ where: { pk: v.pk }, select: { storageLocation: true, mlmodel: true, runId: true } }),
  ]);
  const files = await filesLocation(ctx, row.storageLocation);
  const stored = row.mlmodel as (MlmodelView & { input_example?: unknown }) | null;
  const { input_example, ...mlmodel } = stored ?? { input_example: undefined };
  const experimentId = await readableExperimentOf(ctx, row.runId);
  return {
    ...view,
    storage_location: files,
    mlmodel: stored ? (mlmodel as MlmodelView) : null,
    input_example: input_example ?? null,
    experiment_id: experimentId,
  };
}

/** Where a version's files are, for people: a runs:/ source (answered verbatim on the wire) resolved against its run. */
async function filesLocation(ctx: Ctx, location: string): Promise<string> {
  const m = /^runs:\/+([^/]+)(?:\/(.*))?$/.exec(location);
  if (!m) return location;
  const run = await ctx.db.run.findUnique({ where: { id: m[1]! }, select: { artifactUri: true } });
  if (!run) return location;
  const sub = (m[2] ?? "").replace(/\/+$/, "");
  return sub ? `${run.artifactUri.replace(/\/+$/, "")}/${sub}` : run.artifactUri;
}

export async function updateModelVersion(ctx: Ctx, input: { name: string; version: string; description?: string | undefined }): Promise<ModelVersionView> {
  const v = await loadVersion(ctx, input.name, input.version, "EDIT");
  if (input.description !== undefined) {
    const description = input.description;
    validateDescription(description);
    await ctx.db.$transaction(async (tx) => {
      const before = await tx.modelVersion.findUniqueOrThrow({ where: { pk: v.pk }, select: { description: true } });
      await tx.modelVersion.update({ where: { pk: v.pk }, data: { description, lastUpdatedTimestamp: BigInt(Date.now()) } });
      await recordAudit(ctx, tx, { action: "model_version.update", resourceType: "model_version", resourceId: versionResourceId(v), before, after: { description } });
    });
  }
  return versionView(ctx, v.pk);
}

/**
 * Soft delete: the version disappears everywhere, its aliases are removed (each removal in the
 * alias history), and its number is never given out again.
 */
export async function deleteModelVersion(ctx: Ctx, input: { name: string; version: string }): Promise<void> {
  const now = BigInt(Date.now());
  await ctx.db.$transaction(async (tx) => {
    const v = await loadVersion(ctx, input.name, input.version, "MANAGE", tx, true);
    const aliases = await tx.registeredModelAlias.findMany({ where: { versionPk: v.pk }, select: { alias: true } });
    for (const a of aliases) await applyAliasRemoval(ctx, tx, v.model, a.alias, `version ${v.version} deleted`);
    // its open approval requests can no longer be fulfilled
    await closeRequestsOfVersion(ctx, tx, v.pk, `version ${v.version} deleted`);
    await tx.modelVersion.update({ where: { pk: v.pk }, data: { deletedTimestamp: now, lastUpdatedTimestamp: now } });
    await tx.registeredModel.update({ where: { id: v.model.id }, data: { lastUpdatedTimestamp: now } });
    await recordAudit(ctx, tx, {
      action: "model_version.delete",
      resourceType: "model_version",
      resourceId: versionResourceId(v),
      before: { stage: v.stage, aliases: aliases.map((a) => a.alias) },
    });
  });
}

export async function setModelVersionTag(ctx: Ctx, input: { name: string; version: string; key: string; value: string }): Promise<void> {
  validateRegistryTag(input.key, input.value);
  const v = await loadVersion(ctx, input.name, input.version, "EDIT");
  await ctx.db.$transaction(async (tx) => {
    const key = { versionPk_key: { versionPk: v.pk, key: input.key } };
    const before = await tx.modelVersionTag.findUnique({ where: key });
    await tx.modelVersionTag.upsert({ where: key, create: { versionPk: v.pk, key: input.key, value: input.value }, update: { value: input.value } });
    await tx.modelVersion.update({ where: { pk: v.pk }, data: { lastUpdatedTimestamp: BigInt(Date.now()) } });
    await recordAudit(ctx, tx, {
      action: "model_version.tag_set",
      resourceType: "model_version",
      resourceId: versionResourceId(v),
      before: { key: input.key, value: before?.value ?? null },
      after: { key: input.key, value: input.value },
    });
    await emitRegistryEvent(ctx, tx, { event: "MODEL_VERSION_TAG_SET", modelId: v.model.id, modelName: v.model.name, data: { version: String(v.version), key: input.key, value: input.value } });
  });
}

export async function deleteModelVersionTag(ctx: Ctx, input: { name: string; version: string; key: string }): Promise<void> {
  validateRegistryTag(input.key, "");
  const v = await loadVersion(ctx, input.name, input.version, "EDIT");
  await ctx.db.$transaction(async (tx) => {
    const deleted = await tx.modelVersionTag.deleteMany({ where: { versionPk: v.pk, key: input.key } });
    if (deleted.count === 0) return;
    await tx.modelVersion.update({ where: { pk: v.pk }, data: { lastUpdatedTimestamp: BigInt(Date.now()) } });
    await recordAudit(ctx, tx, { action: "model_version.tag_delete", resourceType: "model_version", resourceId: versionResourceId(v), before: { key: input.key } });
    await emitRegistryEvent(ctx, tx, { event: "MODEL_VERSION_TAG_DELETED", modelId: v.model.id, modelName: v.model.name, data: { version: String(v.version), key: input.key } });
  });
}

/** What MLflow's server answers: the source as given, except that a models:/ source comes back resolved (to the logged model's location or the referenced version's download URI). */
export async function getModelVersionDownloadUri(ctx: Ctx, input: { name: string; version: string }): Promise<{ artifact_uri: string }> {
  const v = await loadVersion(ctx, input.name, input.version, "READ");
  return { artifact_uri: v.storageLocation };
}

/** The highest READY version in each requested stage (every stage when none is given). */
export async function getLatestVersions(ctx: Ctx, input: { name: string; stages?: readonly string[] | undefined }): Promise<ModelVersionView[]> {
  const m = await loadModel(ctx, input.name, "READ");
  const stages = input.stages?.length ? [...new Set(input.stages.map(canonicalStage))] : undefined;
  const latest = await latestVersionViews(ctx.db, [m.id], stages);
  return latest.get(m.id) ?? [];
}
