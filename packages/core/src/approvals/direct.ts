import type { Ctx } from "../context.ts";
import { denied } from "../errors.ts";
import { modelLevelAtLeast, transitionLevel } from "../registry/access.ts";
import { applyAliasMove, applyAliasRemoval } from "../registry/aliases.ts";
import { loadModel } from "../registry/models.ts";
import { applyTransition } from "../registry/stages.ts";
import type { ModelVersionView } from "../registry/types.ts";
import { canonicalStage, validateAlias } from "../registry/validate.ts";
import { loadVersion } from "../registry/versions.ts";
import type { VersionRef } from "../registry/types.ts";
import { loadVersionViews } from "../registry/views.ts";
import { recordActivity, recordTransitionActivities } from "./activities.ts";
import { closeRequestsHeldBy } from "./close.ts";
import { guardDirectMove, validateComment } from "./requests.ts";

// Direct moves (MLflow's transition-stage and alias endpoints, alias removal, the portal's buttons): the
// registry's permission rules, then the approval policy: a protected target is refused for
// everyone but admins, whose override is recorded. Open requests the move fulfils close as stale.

export interface TransitionInput {
  name: string;
  version: string;
  stage: string;
  archive_existing_versions: boolean;
  comment?: string | undefined;
}

/** A direct transition: needs the stage's manage level (Production ↔ MANAGE_PRODUCTION_VERSIONS) and an unprotected target. */
export async function transitionModelVersionStage(ctx: Ctx, input: TransitionInput): Promise<ModelVersionView> {
  const to = canonicalStage(input.stage);
  validateComment(input.comment);
  const pk = await ctx.db.$transaction(async (tx) => {
    const v = await loadVersion(ctx, input.name, input.version, "READ", tx, true);
    const needed = transitionLevel(v.stage, to);
    if (!modelLevelAtLeast(v.model.level, needed)) {
      throw denied(`Permission denied: moving version ${v.version} of '${v.model.name}' from ${v.stage} to ${to} requires ${needed}`);
    }
    const { override } = await guardDirectMove(ctx, tx, v, { kind: "stage", stage: to });
    const result = await applyTransition(ctx, tx, v, to, { archiveExistingVersions: input.archive_existing_versions, reason: override ?? undefined });
    if (result.from !== result.to || result.archived.length) {
      await recordTransitionActivities(ctx, tx, v, result, { comment: input.comment, systemComment: override ?? undefined });
    }
    await closeRequestsHeldBy(ctx, tx, v.pk, { kind: "stage", stage: to }, `version ${v.version} moved to ${to} directly`);
    return v.pk;
  });
  const [view] = await loadVersionViews(ctx.db, [pk]);
  return view!;
}

/** Points an alias at a version (EDIT on the model, and an unprotected alias). */
export async function setRegisteredModelAlias(ctx: Ctx, input: { name: string; alias: string; version: string }): Promise<void> {
  validateAlias(input.alias);
  await ctx.db.$transaction(async (tx) => {
    const v = await loadVersion(ctx, input.name, input.version, "EDIT", tx, true);
    const target = { kind: "alias" as const, alias: input.alias };
    const { override } = await guardDirectMove(ctx, tx, v, target);
    const { from } = await applyAliasMove(ctx, tx, v, input.alias, override ?? undefined);
    if (from !== v.version) {
      await recordActivity(ctx, tx, { versionPk: v.pk, modelId: v.model.id, type: "ALIAS_MOVED", alias: input.alias, fromVersion: from, systemComment: override });
    }
    await closeRequestsHeldBy(ctx, tx, v.pk, target, `@${input.alias} moved to version ${v.version} directly`);
  });
}

/**
 * Removes an alias (EDIT on the model). Taking a protected alias away changes what its users get
 * just as moving it does, so the same policy applies. Removing an alias that is not set is a
 * no-op (200), as in MLflow.
 */
export async function deleteRegisteredModelAlias(ctx: Ctx, input: { name: string; alias: string }): Promise<void> {
  validateAlias(input.alias);
  await ctx.db.$transaction(async (tx) => {
    const model = await loadModel(ctx, input.name, "EDIT", tx, true);
    const held = await tx.registeredModelAlias.findUnique({
      where: { modelId_alias: { modelId: model.id, alias: input.alias } },
      select: { version: { select: { pk: true, version: true, currentStage: true, storageLocation: true } } },
    });
    if (!held) return;
    const v: VersionRef = { pk: held.version.pk, version: held.version.version, model, stage: held.version.currentStage, storageLocation: held.version.storageLocation };
    const { override } = await guardDirectMove(ctx, tx, v, { kind: "alias", alias: input.alias });
    await applyAliasRemoval(ctx, tx, model, input.alias, override ?? undefined);
  });
}
