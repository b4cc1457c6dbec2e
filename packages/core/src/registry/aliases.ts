import type { Prisma } from "@modelgate/db";
import type { Ctx } from "../context.ts";
import { recordAudit } from "../audit/record-audit.ts";
import { invalid } from "../errors.ts";
import { loadModel } from "./models.ts";
import type { ModelVersionView } from "./types.ts";
import { validateAlias } from "./validate.ts";
import { actorOf, type VersionRef } from "./versions.ts";
import { loadVersionViews } from "./views.ts";

// Aliases: one row per (model, alias); every set, move and removal is written to alias_event.
// `applyAliasMove` is the one write path (the approval workflow calls it too).

/** Points `alias` at version `v` inside `tx` (the model row locked by the caller). */
export async function applyAliasMove(ctx: Ctx, tx: Prisma.TransactionClient, v: VersionRef, alias: string, reason?: string): Promise<{ from: number | null }> {
  const key = { modelId_alias: { modelId: v.model.id, alias } };
  const current = await tx.registeredModelAlias.findUnique({ where: key, select: { version: { select: { version: true } } } });
  const from = current?.version.version ?? null;
  if (from === v.version) return { from };
  const now = BigInt(Date.now());
  await tx.registeredModelAlias.upsert({ where: key, create: { modelId: v.model.id, alias, versionPk: v.pk }, update: { versionPk: v.pk } });
  await tx.aliasEvent.create({ data: { modelId: v.model.id, alias, fromVersion: from, toVersion: v.version, at: now, ...actorOf(ctx), reason: reason ?? null } });
  await tx.registeredModel.update({ where: { id: v.model.id }, data: { lastUpdatedTimestamp: now } });
  await recordAudit(ctx, tx, {
    action: "registered_model.alias_set",
    resourceType: "registered_model",
    resourceId: String(v.model.id),
    before: { alias, version: from },
    after: { alias, version: v.version, ...(reason ? { reason } : {}) },
  });
  return { from };
}

/** Removing an alias that is not set is a no-op (200), as in MLflow. */
export async function deleteRegisteredModelAlias(ctx: Ctx, input: { name: string; alias: string }): Promise<void> {
  validateAlias(input.alias);
  await ctx.db.$transaction(async (tx) => {
    const m = await loadModel(ctx, input.name, "EDIT", tx, true);
    const key = { modelId_alias: { modelId: m.id, alias: input.alias } };
    const current = await tx.registeredModelAlias.findUnique({ where: key, select: { version: { select: { version: true } } } });
    if (!current) return;
    const now = BigInt(Date.now());
    await tx.registeredModelAlias.delete({ where: key });
    await tx.aliasEvent.create({ data: { modelId: m.id, alias: input.alias, fromVersion: current.version.version, toVersion: null, at: now, ...actorOf(ctx) } });
    await tx.registeredModel.update({ where: { id: m.id }, data: { lastUpdatedTimestamp: now } });
    await recordAudit(ctx, tx, { action: "registered_model.alias_delete", resourceType: "registered_model", resourceId: String(m.id), before: { alias: input.alias, version: current.version.version } });
  });
}

/** A missing alias is a 400 INVALID_PARAMETER_VALUE, as MLflow answers (the client relies on it). */
export async function getModelVersionByAlias(ctx: Ctx, input: { name: string; alias: string }): Promise<ModelVersionView> {
  const m = await loadModel(ctx, input.name, "READ");
  const a = await ctx.db.registeredModelAlias.findUnique({ where: { modelId_alias: { modelId: m.id, alias: input.alias } }, select: { versionPk: true } });
  if (!a) throw invalid(`Registered model alias ${input.alias} not found.`);
  const [view] = await loadVersionViews(ctx.db, [a.versionPk]);
  return view!;
}
