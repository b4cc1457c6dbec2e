import { isAdmin } from "../auth/permissions.ts";
import type { Ctx } from "../context.ts";
import type { DbOrTx } from "../audit/record-audit.ts";
import { notFound } from "../errors.ts";
import { modelGrantSql, modelLevelAtLeast, resolveModelLevel } from "../registry/access.ts";

// Who may see and change a webhook: a registry-wide one, admins only; a model's, whoever holds
// MANAGE on the model (Databricks: CAN MANAGE). Anyone else is told it does not exist, so ids
// cannot be probed.


export const webhookNotFound = (id: string) => notFound(`Webhook with id '${id}' not found`);

const ID = /^[0-9a-f]{32}$/;

export type WebhookApi = "DATABRICKS" | "MLFLOW";

export interface WebhookRow {
  id: string;
  modelId: number | null;
  modelName: string | null;
}

/**
 * The webhook when the actor may manage it; 404 otherwise (missing, malformed id, or no access).
 * With `api`, a webhook of the other API is missing too (each API manages its own webhooks).
 */
export async function loadWebhookAccess(ctx: Ctx, id: string, db: DbOrTx = ctx.db, api?: WebhookApi): Promise<WebhookRow> {
  if (typeof id !== "string" || !ID.test(id)) throw webhookNotFound(String(id));
  const rows = await db.$queryRaw<{ id: string; api: WebhookApi; model_id: number | null; name: string | null; owner_id: string | null; grant_level: string | null }[]>`
    SELECT w.id, w.api::text AS api, w.model_id, m.name, m.owner_id::text AS owner_id, ${modelGrantSql(ctx.actor)} AS grant_level
    FROM webhook w LEFT JOIN registered_model m ON m.id = w.model_id WHERE w.id = ${id}`;
  const row = rows[0];
  if (!row || (api !== undefined && row.api !== api)) throw webhookNotFound(id);
  if (!isAdmin(ctx.actor)) {
    if (row.model_id === null) throw webhookNotFound(id);
    const level = resolveModelLevel(ctx.actor, { ownerId: row.owner_id, grant: row.grant_level });
    if (!modelLevelAtLeast(level, "MANAGE")) throw webhookNotFound(id);
  }
  return { id: row.id, modelId: row.model_id, modelName: row.name };
}

/** Ids of the models (among `modelIds`) the actor manages. */
export async function managedModelIds(ctx: Ctx, modelIds: number[]): Promise<Set<number>> {
  if (isAdmin(ctx.actor)) return new Set(modelIds);
  if (modelIds.length === 0) return new Set();
  const rows = await ctx.db.$queryRaw<{ id: number; owner_id: string | null; grant_level: string | null }[]>`
    SELECT m.id, m.owner_id::text AS owner_id, ${modelGrantSql(ctx.actor)} AS grant_level FROM registered_model m WHERE m.id = ANY(${modelIds}::int[])`;
  return new Set(rows.filter((r) => modelLevelAtLeast(resolveModelLevel(ctx.actor, { ownerId: r.owner_id, grant: r.grant_level }), "MANAGE")).map((r) => r.id));
}
