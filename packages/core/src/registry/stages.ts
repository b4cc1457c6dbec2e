import type { Prisma } from "@modelgate/db";
import { type Ctx, actorIdentity } from "../context.ts";
import { recordAudit } from "../audit/record-audit.ts";
import { invalid } from "../errors.ts";
import { versionResourceId } from "./access.ts";
import type { Stage } from "./types.ts";
import type { VersionRef } from "./types.ts";
import { emitRegistryEvents, type RegistryEvent } from "../webhooks/events.ts";
import { stageEvent } from "../webhooks/event-types.ts";

// Stage transitions. `applyTransition` is the one write path for a version's stage: the REST and
// tRPC edges call it through transitionModelVersionStage (approvals/direct.ts, which first applies
// the approval policy), and the approval workflow calls it when a
// request has its approvals. Every change, side effects included, lands in stage_transition.

export interface TransitionOptions {
  archiveExistingVersions: boolean;
  /** Recorded with the transition (e.g. "approved request 12"). */
  reason?: string | undefined;
}

export interface TransitionResult {
  from: Stage;
  to: Stage;
  /** Versions moved to Archived as a side effect. */
  archived: number[];
}

/**
 * Moves a version to `to` inside `tx`. The caller has loaded the version with its model row locked
 * (loadVersion(..., tx, true)), so transitions on one model are serialised, and has checked
 * permissions.
 */
/** archive_existing_versions only makes sense for a move into Staging or Production (MLflow answers a 500; we a 400). */
export function assertArchiveTarget(to: Stage | null, archiveExistingVersions: boolean | undefined) {
  if (archiveExistingVersions && to !== "Staging" && to !== "Production") {
    throw invalid(`archive_existing_versions can only be used with the target stage Staging or Production, not ${to ?? "an alias"}.`);
  }
}

export async function applyTransition(ctx: Ctx, tx: Prisma.TransactionClient, v: VersionRef, to: Stage, opts: TransitionOptions): Promise<TransitionResult> {
  assertArchiveTarget(to, opts.archiveExistingVersions);
  const now = BigInt(Date.now());
  const actor = actorIdentity(ctx.actor);
  const archived: number[] = [];
  if (opts.archiveExistingVersions) {
    const others = await tx.modelVersion.findMany({
      where: { modelId: v.model.id, currentStage: to, deletedTimestamp: null, pk: { not: v.pk } },
      select: { pk: true, version: true },
      orderBy: { version: "asc" },
    });
    if (others.length) {
      await tx.modelVersion.updateMany({ where: { pk: { in: others.map((o) => o.pk) } }, data: { currentStage: "Archived", lastUpdatedTimestamp: now } });
      await tx.stageTransition.createMany({
        data: others.map((o) => ({
          modelId: v.model.id,
          versionPk: o.pk,
          fromStage: to,
          toStage: "Archived" as const,
          at: now,
          ...actor,
          system: true,
          reason: `archive_existing_versions: version ${v.version} moved to ${to}`,
        })),
      });
      archived.push(...others.map((o) => o.version));
    }
  }
  if (v.stage !== to) {
    await tx.stageTransition.create({ data: { modelId: v.model.id, versionPk: v.pk, fromStage: v.stage, toStage: to, at: now, ...actor, reason: opts.reason ?? null } });
  }
  await tx.modelVersion.update({ where: { pk: v.pk }, data: { currentStage: to, lastUpdatedTimestamp: now } });
  await tx.registeredModel.update({ where: { id: v.model.id }, data: { lastUpdatedTimestamp: now } });
  await recordAudit(ctx, tx, {
    action: "model_version.transition",
    resourceType: "model_version",
    resourceId: versionResourceId(v),
    before: { stage: v.stage },
    after: { stage: to, archived_versions: archived, ...(opts.reason ? { reason: opts.reason } : {}) },
  });
  // webhook events: the transition, and each system transition it caused (archiving)
  const events: RegistryEvent[] = [];
  const transitioned = (version: number, from: Stage, toStage: Stage, system: boolean) => {
    const data = { version: String(version), from_stage: from, to_stage: toStage, ...(system ? { system: true } : {}), ...(opts.reason ? { reason: opts.reason } : {}) };
    const base = { modelId: v.model.id, modelName: v.model.name, data };
    events.push({ ...base, event: "MODEL_VERSION_TRANSITIONED_STAGE" });
    const perStage = stageEvent("transitioned", toStage);
    if (perStage) events.push({ ...base, event: perStage });
  };
  for (const version of archived) transitioned(version, to, "Archived", true);
  if (v.stage !== to) transitioned(v.version, v.stage, to, false);
  await emitRegistryEvents(ctx, tx, events);
  return { from: v.stage, to, archived };
}
