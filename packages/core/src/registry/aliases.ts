import type { Prisma } from "@modelgate/db";
import { type Ctx, actorIdentity } from "../context.ts";
import { recordAudit } from "../audit/record-audit.ts";
import { invalid } from "../errors.ts";
import { emitRegistryEvent } from "../webhooks/events.ts";
import { loadModel } from "./models.ts";
import type { ModelVersionView } from "./types.ts";
import type { VersionRef } from "./types.ts";
import { loadVersionViews } from "./views.ts";

// Aliases: one row per (model, alias); every set, move and removal is written to alias_event.
// `applyAliasMove` and `applyAliasRemoval` are the write paths (direct moves, approvals and version
// deletion all come through them), so they also emit the alias webhook events.

/** Points `alias` at version `v` inside `tx` (the model row locked by the caller). */
export async function applyAliasMove(ctx: Ctx, tx: Prisma.TransactionClient, v: VersionRef, alias: string, reason?: string): Promise<{ from: number | null }> {
  const key = { modelId_alias: { modelId: v.model.id, alias } };
  const current = await tx.registeredModelAlias.findUnique({ where: key, select: { version: { select: { version: true } } } });
  const from = current?.version.version ?? null;
  if (from === v.version) return { from };
  const now = BigInt(Date.now());
  await tx.registeredModelAlias.upsert({ where: key, create: { modelId: v.model.id, alias, versionPk: v.pk }, update: { versionPk: v.pk } });
  await tx.aliasEvent.create({ data: { modelId: v.model.id, alias, fromVersion: from, toVersion: v.version, at: now, ...actorIdentity(ctx.actor), reason: reason ?? null } });
  await tx.registeredModel.update({ where: { id: v.model.id }, data: { lastUpdatedTimestamp: now } });
  await recordAudit(ctx, tx, {
    action: "registered_model.alias_set",
    resourceType: "registered_model",
    resourceId: String(v.model.id),
    before: { alias, version: from },
    after: { alias, version: v.version, ...(reason ? { reason } : {}) },
  });
  await emitRegistryEvent(ctx, tx, { event: "MODEL_VERSION_ALIAS_CREATED", modelId: v.model.id, modelName: v.model.name, data: { alias, version: String(v.version) } });
  return { from };
}

/**
 * Removes `alias` of model `m` inside `tx` (the model row locked by the caller); the version it
 * pointed to, or null when it was not set.
 */
export async function applyAliasRemoval(ctx: Ctx, tx: Prisma.TransactionClient, m: { id: number; name: string }, alias: string, reason?: string): Promise<{ from: number | null }> {
  const key = { modelId_alias: { modelId: m.id, alias } };
  const current = await tx.registeredModelAlias.findUnique({ where: key, select: { version: { select: { version: true } } } });
  if (!current) return { from: null };
  const from = current.version.version;
  const now = BigInt(Date.now());
  await tx.registeredModelAlias.delete({ where: key });
  await tx.aliasEvent.create({ data: { modelId: m.id, alias, fromVersion: from, toVersion: null, at: now, ...actorIdentity(ctx.actor), reason: reason ?? null } });
  await tx.registeredModel.update({ where: { id: m.id }, data: { lastUpdatedTimestamp: now } });
  await recordAudit(ctx, tx, {
    action: "registered_model.alias_delete",
    resourceType: "registered_model",
    resourceId: String(m.id),
    before: { alias, version: from },
    ...(reason ? { after: { reason } } : {}),
  });
  await emitRegistryEvent(ctx, tx, { event: "MODEL_VERSION_ALIAS_DELETED", modelId: m.id, modelName: m.name, data: { alias } });
  return { from };
}

/** A missing alias is a 400 INVALID_PARAMETER_VALUE, as MLflow answers (the client relies on it). */
export async function getModelVersionByAlias(ctx: Ctx, input: { name: string; alias: string }): Promise<ModelVersionView> {
  const m = await loadModel(ctx, input.name, "READ");
  const a = await ctx.db.registeredModelAlias.findUnique({ where: { modelId_alias: { modelId: m.id, alias: input.alias } }, select: { versionPk: true } });
  if (!a) throw invalid(`Registered model alias ${input.alias} not found.`);
  const [view] = await loadVersionViews(ctx.db, [a.versionPk]);
  return view!;
}
