import { Prisma, sqlQuery, isUniqueViolation } from "@modelgate/db";
import { type Ctx, actorUserId } from "../context.ts";
import { authorize } from "../auth/permissions.ts";
import { recordAudit, type DbOrTx } from "../audit/record-audit.ts";
import { alreadyExists } from "../errors.ts";
import { assertModelLevel, modelGrantSql, modelNotFound, resolveModelLevel } from "./access.ts";
import type { ModelPermissionLevel, ModelRef, RegisteredModelView, RegistryTagView } from "./types.ts";
import { dedupeTags } from "../tracking/validate.ts";
import { validateDescription, validateModelName, validateRegistryTag } from "./validate.ts";
import { loadModelViews } from "./views.ts";
import { emitRegistryEvent } from "../webhooks/events.ts";

// Registered models: create, get, rename, update, delete, tags. Every function checks the actor's
// level on the model (one place: loadModel) and writes the audit log in the same transaction.

interface ModelAccessRow {
  id: number;
  name: string;
  owner_id: string | null;
  grant_level: string | null;
}

/** The model (by name) and the actor's level on it, null level below READ; null when missing. */
async function modelAccess(ctx: Ctx, name: string, db: DbOrTx, forUpdate: boolean): Promise<{ ref: Omit<ModelRef, "level">; level: ModelPermissionLevel | null } | null> {
  const rows = await sqlQuery<ModelAccessRow>(
    db,
    Prisma.sql`SELECT m.id, m.name, m.owner_id::text AS owner_id, ${modelGrantSql(ctx.actor)} AS grant_level
    FROM registered_model m WHERE m.name = ${name} ${forUpdate ? Prisma.sql`FOR UPDATE` : Prisma.empty}`,
    { prepare: true },
  );
  const row = rows[0];
  if (!row) return null;
  return { ref: { id: row.id, name: row.name, ownerId: row.owner_id }, level: resolveModelLevel(ctx.actor, { ownerId: row.owner_id, grant: row.grant_level }) };
}

/**
 * The model and the actor's level on it; 404 (MLflow's message) when missing or unreadable, 403
 * below `needed`. With `forUpdate` (inside a transaction) the row is locked: writes to one model's
 * stages and aliases are serialised through it.
 */
export async function loadModel(ctx: Ctx, name: string, needed: ModelPermissionLevel, db: DbOrTx = ctx.db, forUpdate = false): Promise<ModelRef> {
  validateModelName(name);
  const found = await modelAccess(ctx, name, db, forUpdate);
  if (!found) throw modelNotFound(name);
  assertModelLevel(found.level, needed, name);
  return { ...found.ref, level: found.level! };
}

/** The actor's level on a model, or null when they may not read it (or it does not exist). */
export async function modelLevel(ctx: Ctx, name: string): Promise<ModelPermissionLevel | null> {
  return (await modelAccess(ctx, name, ctx.db, false))?.level ?? null;
}

async function modelView(ctx: Ctx, id: number): Promise<RegisteredModelView> {
  const [view] = await loadModelViews(ctx.db, [id]);
  return view!;
}

const modelExists = (name: string) => alreadyExists(`Registered Model (name=${name}) already exists.`);

export interface CreateRegisteredModelInput {
  name: string;
  tags?: RegistryTagView[] | undefined;
  description?: string | undefined;
}

/** Any user may create a model; the creator gets MANAGE. */
export async function createRegisteredModel(ctx: Ctx, input: CreateRegisteredModelInput): Promise<RegisteredModelView> {
  authorize(ctx.actor, "mlflow:use");
  validateModelName(input.name);
  const tags = dedupeTags(input.tags ?? []);
  tags.forEach((t) => validateRegistryTag(t.key, t.value));
  if (input.description) validateDescription(input.description);
  const now = BigInt(Date.now());
  let id: number;
  try {
    id = await ctx.db.$transaction(async (tx) => {
      const m = await tx.registeredModel.create({
        data: {
          name: input.name,
          description: input.description ?? "",
          creationTimestamp: now,
          lastUpdatedTimestamp: now,
          ownerId: actorUserId(ctx.actor),
          tags: { create: tags },
        },
      });
      await recordAudit(ctx, tx, { action: "registered_model.create", resourceType: "registered_model", resourceId: String(m.id), after: { name: m.name, tags, description: m.description } });
      await emitRegistryEvent(ctx, tx, { event: "REGISTERED_MODEL_CREATED", modelId: m.id, modelName: m.name, data: { description: m.description, tags } });
      return m.id;
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw modelExists(input.name);
    throw e;
  }
  return modelView(ctx, id);
}

export async function getRegisteredModel(ctx: Ctx, name: string): Promise<RegisteredModelView> {
  const m = await loadModel(ctx, name, "READ");
  return modelView(ctx, m.id);
}

export async function renameRegisteredModel(ctx: Ctx, input: { name: string; new_name: string }): Promise<RegisteredModelView> {
  validateModelName(input.new_name);
  const m = await loadModel(ctx, input.name, "MANAGE");
  if (input.new_name !== m.name) {
    try {
      await ctx.db.$transaction(async (tx) => {
        await tx.registeredModel.update({ where: { id: m.id }, data: { name: input.new_name, lastUpdatedTimestamp: BigInt(Date.now()) } });
        await recordAudit(ctx, tx, { action: "registered_model.rename", resourceType: "registered_model", resourceId: String(m.id), before: { name: m.name }, after: { name: input.new_name } });
      });
    } catch (e) {
      if (isUniqueViolation(e)) throw modelExists(input.new_name);
      throw e;
    }
  }
  return modelView(ctx, m.id);
}

export async function updateRegisteredModel(ctx: Ctx, input: { name: string; description?: string | undefined }): Promise<RegisteredModelView> {
  const m = await loadModel(ctx, input.name, "EDIT");
  if (input.description !== undefined) {
    const description = input.description;
    validateDescription(description);
    await ctx.db.$transaction(async (tx) => {
      const before = await tx.registeredModel.findUniqueOrThrow({ where: { id: m.id }, select: { description: true } });
      await tx.registeredModel.update({ where: { id: m.id }, data: { description, lastUpdatedTimestamp: BigInt(Date.now()) } });
      await recordAudit(ctx, tx, { action: "registered_model.update", resourceType: "registered_model", resourceId: String(m.id), before, after: { description } });
    });
  }
  return modelView(ctx, m.id);
}

/** Deletes the model with its versions, aliases, tags, grants and history (the audit log keeps the record). */
export async function deleteRegisteredModel(ctx: Ctx, input: { name: string }): Promise<void> {
  const m = await loadModel(ctx, input.name, "MANAGE");
  await ctx.db.$transaction(async (tx) => {
    const versions = await tx.modelVersion.count({ where: { modelId: m.id, deletedTimestamp: null } });
    const { count } = await tx.registeredModel.deleteMany({ where: { id: m.id } });
    if (count === 0) throw modelNotFound(input.name); // deleted concurrently
    await recordAudit(ctx, tx, { action: "registered_model.delete", resourceType: "registered_model", resourceId: String(m.id), before: { name: m.name, versions } });
  });
}

export async function setRegisteredModelTag(ctx: Ctx, input: { name: string; key: string; value: string }): Promise<void> {
  validateRegistryTag(input.key, input.value);
  const m = await loadModel(ctx, input.name, "EDIT");
  await ctx.db.$transaction(async (tx) => {
    const key = { modelId_key: { modelId: m.id, key: input.key } };
    const before = await tx.registeredModelTag.findUnique({ where: key });
    await tx.registeredModelTag.upsert({ where: key, create: { modelId: m.id, key: input.key, value: input.value }, update: { value: input.value } });
    await tx.registeredModel.update({ where: { id: m.id }, data: { lastUpdatedTimestamp: BigInt(Date.now()) } });
    await recordAudit(ctx, tx, {
      action: "registered_model.tag_set",
      resourceType: "registered_model",
      resourceId: String(m.id),
      before: { key: input.key, value: before?.value ?? null },
      after: { key: input.key, value: input.value },
    });
    await emitRegistryEvent(ctx, tx, { event: "REGISTERED_MODEL_TAG_SET", modelId: m.id, modelName: m.name, data: { key: input.key, value: input.value } });
  });
}

/** Removing a tag that is not set is a no-op (200), as in MLflow. */
export async function deleteRegisteredModelTag(ctx: Ctx, input: { name: string; key: string }): Promise<void> {
  validateRegistryTag(input.key, "");
  const m = await loadModel(ctx, input.name, "EDIT");
  await ctx.db.$transaction(async (tx) => {
    const deleted = await tx.registeredModelTag.deleteMany({ where: { modelId: m.id, key: input.key } });
    if (deleted.count === 0) return;
    await tx.registeredModel.update({ where: { id: m.id }, data: { lastUpdatedTimestamp: BigInt(Date.now()) } });
    await recordAudit(ctx, tx, { action: "registered_model.tag_delete", resourceType: "registered_model", resourceId: String(m.id), before: { key: input.key } });
    await emitRegistryEvent(ctx, tx, { event: "REGISTERED_MODEL_TAG_DELETED", modelId: m.id, modelName: m.name, data: { key: input.key } });
  });
}
