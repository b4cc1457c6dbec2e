import type { Prisma } from "@modelgate/db";
import { type Ctx, actorIdentity } from "../context.ts";
import { loadVersion } from "../registry/versions.ts";
import type { VersionRef } from "../registry/types.ts";
import type { TransitionResult } from "../registry/stages.ts";
import type { Stage } from "../registry/types.ts";

// A version's activity feed (Databricks' Activity): requests, decisions, applied and system
// transitions, alias moves and comments, one row per event, written in the transaction of the
// event itself.

export const ACTIVITY_TYPES = [
  "APPLIED_TRANSITION",
  "REQUESTED_TRANSITION",
  "CANCELLED_REQUEST",
  "APPROVED_REQUEST",
  "REJECTED_REQUEST",
  "SYSTEM_TRANSITION",
  "NEW_COMMENT",
  "ALIAS_MOVED",
  "SERVING_SWITCHED",
] as const;
export type ActivityType = (typeof ACTIVITY_TYPES)[number];

export interface ActivityInput {
  versionPk: bigint;
  modelId: number;
  type: ActivityType;
  fromStage?: Stage | null;
  toStage?: Stage | null;
  alias?: string | null;
  fromVersion?: number | null;
  comment?: string | null;
  systemComment?: string | null;
  requestId?: bigint | null;
  commentId?: bigint | null;
  /** Overrides the context's actor (system transitions are attributed to "system"). */
  system?: boolean;
}

export async function recordActivity(ctx: Ctx, tx: Prisma.TransactionClient, a: ActivityInput): Promise<bigint> {
  const now = BigInt(Date.now());
  const actor = a.system ? { actorId: null, actorName: "system" } : actorIdentity(ctx.actor);
  const row = await tx.activity.create({
    data: {
      modelId: a.modelId,
      versionPk: a.versionPk,
      type: a.type,
      fromStage: a.fromStage ?? null,
      toStage: a.toStage ?? null,
      alias: a.alias ?? null,
      fromVersion: a.fromVersion ?? null,
      comment: a.comment ?? null,
      systemComment: a.systemComment ?? null,
      userId: actor.actorId,
      userName: actor.actorName,
      requestId: a.requestId ?? null,
      commentId: a.commentId ?? null,
      createdAt: now,
      updatedAt: now,
    },
    select: { id: true },
  });
  return row.id;
}

/** A comment's NEW_COMMENT activity follows the comment: edited with it, gone with it. */
export async function syncCommentActivity(tx: Prisma.TransactionClient, commentId: bigint, comment: { text: string; updatedAt: bigint } | null) {
  if (comment === null) await tx.activity.deleteMany({ where: { commentId } });
  else await tx.activity.updateMany({ where: { commentId }, data: { comment: comment.text, updatedAt: comment.updatedAt } });
}

/** The activities a transition produced: the applied one, and a system one per archived version. */
export async function recordTransitionActivities(
  ctx: Ctx,
  tx: Prisma.TransactionClient,
  v: VersionRef,
  result: TransitionResult,
  opts: { comment?: string | undefined; systemComment?: string | undefined; requestId?: bigint | undefined },
): Promise<bigint> {
  const id = await recordActivity(ctx, tx, {
    versionPk: v.pk,
    modelId: v.model.id,
    type: "APPLIED_TRANSITION",
    fromStage: result.from,
    toStage: result.to,
    comment: opts.comment ?? null,
    systemComment: opts.systemComment ?? null,
    requestId: opts.requestId ?? null,
  });
  if (result.archived.length) {
    const archived = await tx.modelVersion.findMany({ where: { modelId: v.model.id, version: { in: result.archived } }, select: { pk: true, version: true } });
    for (const a of archived) {
      await recordActivity(ctx, tx, {
        versionPk: a.pk,
        modelId: v.model.id,
        type: "SYSTEM_TRANSITION",
        fromStage: result.to,
        toStage: "Archived",
        systemComment: `Archived because version ${v.version} moved to ${result.to} (archive_existing_versions)`,
        system: true,
      });
    }
  }
  return id;
}

/** Databricks' Activity JSON (ids and stages as strings), plus `alias`/`from_version` for alias events. */
export interface ActivityView {
  id: string;
  activity_type: ActivityType;
  comment?: string;
  system_comment?: string;
  from_stage?: Stage;
  to_stage?: Stage;
  to_alias?: string;
  from_version?: string;
  user_id: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  request_id?: string;
}

type ActivityRow = Prisma.ActivityGetPayload<object>;

export function toActivityView(a: ActivityRow): ActivityView {
  return {
    id: String(a.id),
    activity_type: a.type,
    ...(a.comment !== null ? { comment: a.comment } : {}),
    ...(a.systemComment !== null ? { system_comment: a.systemComment } : {}),
    ...(a.fromStage ? { from_stage: a.fromStage } : {}),
    ...(a.toStage ? { to_stage: a.toStage } : {}),
    ...(a.alias ? { to_alias: a.alias } : {}),
    ...(a.fromVersion !== null ? { from_version: String(a.fromVersion) } : {}),
    user_id: a.userName,
    creation_timestamp: Number(a.createdAt),
    last_updated_timestamp: Number(a.updatedAt),
    ...(a.requestId !== null ? { request_id: String(a.requestId) } : {}),
  };
}

/** A version's activity feed, oldest first (READ on the model). */
export async function listActivities(ctx: Ctx, input: { name: string; version: string }): Promise<ActivityView[]> {
  const v = await loadVersion(ctx, input.name, input.version, "READ");
  const rows = await ctx.db.activity.findMany({ where: { versionPk: v.pk }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] });
  return rows.map(toActivityView);
}
