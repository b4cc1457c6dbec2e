import type { Ctx } from "../context.ts";
import { recordAudit } from "../audit/record-audit.ts";
import { denied, invalid, notFound } from "../errors.ts";
import { loadVersion } from "../registry/versions.ts";
import { loadModel } from "../registry/models.ts";
import { emitRegistryEvent } from "../webhooks/events.ts";
import { recordActivity, syncCommentActivity } from "./activities.ts";
import { validateComment } from "./requests.ts";

// Comments on a version (Databricks' comments API): anyone who may read the model may comment;
// only the author edits or deletes. Each comment is also a NEW_COMMENT activity in the feed.

export interface CommentView {
  id: string;
  comment: string;
  user_id: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  available_actions: ("EDIT_COMMENT" | "DELETE_COMMENT")[];
}

type CommentRow = { id: bigint; comment: string; userName: string; userId: string | null; createdAt: bigint; updatedAt: bigint };

function toCommentView(ctx: Ctx, c: CommentRow): CommentView {
  const mine = ctx.actor.kind === "user" && c.userId === ctx.actor.userId;
  return {
    id: String(c.id),
    comment: c.comment,
    user_id: c.userName,
    creation_timestamp: Number(c.createdAt),
    last_updated_timestamp: Number(c.updatedAt),
    available_actions: mine ? ["EDIT_COMMENT", "DELETE_COMMENT"] : [],
  };
}

function requireText(comment: string | undefined): string {
  if (comment === undefined || comment.trim() === "") throw invalid("Missing value for required parameter 'comment'. See the API docs for more information about request parameters.");
  validateComment(comment);
  return comment;
}

export async function createComment(ctx: Ctx, input: { name: string; version: string; comment: string }): Promise<CommentView> {
  const text = requireText(input.comment);
  if (ctx.actor.kind !== "user") throw denied("Only a user can comment");
  const actor = ctx.actor;
  const row = await ctx.db.$transaction(async (tx) => {
    const v = await loadVersion(ctx, input.name, input.version, "READ", tx);
    const now = BigInt(Date.now());
    const c = await tx.versionComment.create({ data: { modelId: v.model.id, versionPk: v.pk, userId: actor.userId, userName: actor.username, comment: text, createdAt: now, updatedAt: now } });
    await recordActivity(ctx, tx, { versionPk: v.pk, modelId: v.model.id, type: "NEW_COMMENT", comment: text, commentId: c.id });
    await recordAudit(ctx, tx, { action: "comment.create", resourceType: "comment", resourceId: String(c.id), after: { model: v.model.name, version: v.version, comment: text } });
    await emitRegistryEvent(ctx, tx, { event: "COMMENT_CREATED", modelId: v.model.id, modelName: v.model.name, data: { version: String(v.version), comment: text, text } });
    return c;
  });
  return toCommentView(ctx, row);
}

/** The comment, if it exists and its model is readable; only its author may change it. */
async function ownComment(ctx: Ctx, id: string) {
  const c = /^\d{1,18}$/.test(id) ? await ctx.db.versionComment.findUnique({ where: { id: BigInt(id) }, include: { version: { select: { version: true, deletedTimestamp: true, model: { select: { name: true } } } } } }) : null;
  if (!c || c.version.deletedTimestamp !== null) throw notFound(`Comment ${id} does not exist`);
  await loadModel(ctx, c.version.model.name, "READ").catch(() => {
    throw notFound(`Comment ${id} does not exist`);
  });
  if (ctx.actor.kind !== "user" || c.userId !== ctx.actor.userId) throw denied("Permission denied: only the author of a comment may change or delete it");
  return c;
}

export async function updateComment(ctx: Ctx, input: { id: string; comment: string }): Promise<CommentView> {
  const text = requireText(input.comment);
  const c = await ownComment(ctx, input.id);
  const row = await ctx.db.$transaction(async (tx) => {
    const updated = await tx.versionComment.update({ where: { id: c.id }, data: { comment: text, updatedAt: BigInt(Date.now()) } });
    await syncCommentActivity(tx, c.id, { text, updatedAt: updated.updatedAt });
    await recordAudit(ctx, tx, { action: "comment.update", resourceType: "comment", resourceId: String(c.id), before: { comment: c.comment }, after: { comment: text } });
    return updated;
  });
  return toCommentView(ctx, row);
}

export async function deleteComment(ctx: Ctx, input: { id: string }): Promise<void> {
  const c = await ownComment(ctx, input.id);
  await ctx.db.$transaction(async (tx) => {
    await syncCommentActivity(tx, c.id, null);
    await tx.versionComment.delete({ where: { id: c.id } });
    await recordAudit(ctx, tx, { action: "comment.delete", resourceType: "comment", resourceId: String(c.id), before: { comment: c.comment } });
  });
}

/** A version's comments, oldest first. */
export async function listComments(ctx: Ctx, input: { name: string; version: string }): Promise<CommentView[]> {
  const v = await loadVersion(ctx, input.name, input.version, "READ");
  const rows = await ctx.db.versionComment.findMany({ where: { versionPk: v.pk }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] });
  return rows.map((c) => toCommentView(ctx, c));
}
