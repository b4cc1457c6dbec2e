import crypto from "node:crypto";
import { webhookTx } from "./events.ts";
import { z } from "zod";
import type { Prisma } from "@modelgate/db";
import { type Ctx, actorUserId } from "../context.ts";
import { authorize } from "../auth/permissions.ts";
import { recordAudit } from "../audit/record-audit.ts";
import { denied, invalid } from "../errors.ts";
import { parseInput } from "../validation.ts";
import { loadModel } from "../registry/models.ts";
import { resolveTarget, TargetRefused } from "./addresses.ts";
import { isAdmin } from "../auth/permissions.ts";
import { loadWebhookAccess, managedModelIds } from "./access.ts";
import { WEBHOOK_EVENTS, type WebhookEvent } from "./events.ts";
import { encryptSecret } from "./secrets.ts";
import { parseWebhookUrl } from "./send.ts";

// Registry webhooks (Databricks' registry-webhooks): create, list, update, delete. A webhook on a
// model needs MANAGE on it; a registry-wide one needs an admin, and so does allow_private.
// Secrets and authorization headers are stored encrypted and never returned. MLflow 3 webhooks
// share the table (api = MLFLOW) but are managed by mlflow-webhooks.ts only: this API does not see them.

export const WEBHOOK_STATUSES = ["ACTIVE", "DISABLED", "TEST_MODE"] as const;
export type WebhookStatus = (typeof WEBHOOK_STATUSES)[number];

/** Databricks' RegistryWebhook, plus what our portal needs (never the secret itself). */
export interface WebhookView {
  id: string;
  events: WebhookEvent[];
  description: string;
  status: WebhookStatus;
  model_name?: string | undefined;
  http_url_spec: { url: string; enable_ssl_verification: boolean };
  allow_private: boolean;
  has_secret: boolean;
  has_authorization: boolean;
  creation_timestamp: number;
  last_updated_timestamp: number;
}

const eventList = z.array(z.string()).min(1, "At least one event is required").max(WEBHOOK_EVENTS.length * 2);

export const createWebhookInput = z.object({
  events: eventList,
  url: z.string().min(1, "A URL is required"),
  description: z.string().max(1000).optional(),
  secret: z.string().max(1024).optional(),
  authorization: z.string().max(4096).optional(),
  enableSslVerification: z.boolean().optional(),
  allowPrivate: z.boolean().optional(),
  modelName: z.string().min(1).optional(),
  status: z.enum(WEBHOOK_STATUSES).optional(),
});
export type CreateWebhookInput = z.input<typeof createWebhookInput>;

export const updateWebhookInput = z.object({
  id: z.string(),
  events: eventList.optional(),
  url: z.string().min(1).optional(),
  description: z.string().max(1000).optional(),
  /** A new secret; "" or null removes it. */
  secret: z.string().max(1024).nullable().optional(),
  authorization: z.string().max(4096).nullable().optional(),
  enableSslVerification: z.boolean().optional(),
  allowPrivate: z.boolean().optional(),
  status: z.enum(WEBHOOK_STATUSES).optional(),
});
export type UpdateWebhookInput = z.input<typeof updateWebhookInput>;

const newWebhookId = () => crypto.randomBytes(16).toString("hex");

function checkEvents(events: string[], modelScoped: boolean): WebhookEvent[] {
  const unique = [...new Set(events)];
  for (const e of unique) {
    if (!(WEBHOOK_EVENTS as readonly string[]).includes(e)) throw invalid(`Unknown webhook event '${e}'. Known events: ${WEBHOOK_EVENTS.join(", ")}`);
  }
  if (modelScoped && unique.includes("REGISTERED_MODEL_CREATED")) throw invalid("REGISTERED_MODEL_CREATED can only be used by a registry-wide webhook (without model_name)");
  return unique as WebhookEvent[];
}

/** https only; the host must resolve to public addresses unless an admin allowed private ones. */
export async function checkUrl(url: string, allowPrivate: boolean): Promise<string> {
  const u = parseWebhookUrl(url);
  if (!u) throw invalid(`Invalid webhook URL '${url.slice(0, 200)}': it must be an https:// URL without credentials, at most 2048 characters`);
  if (!allowPrivate) {
    try {
      await resolveTarget(u.hostname, false);
    } catch (e) {
      if (e instanceof TargetRefused) throw invalid(e.message);
      throw e;
    }
  }
  return u.toString();
}

function assertMayAllowPrivate(ctx: Ctx, allowPrivate: boolean | undefined) {
  if (allowPrivate && !isAdmin(ctx.actor)) throw denied("Permission denied: only an admin may allow a private webhook target");
}

export function toWebhookView(w: Prisma.WebhookModel, modelName: string | null): WebhookView {
  return {
    id: w.id,
    events: w.events as WebhookEvent[],
    description: w.description,
    status: w.status,
    ...(modelName !== null ? { model_name: modelName } : {}),
    http_url_spec: { url: w.url, enable_ssl_verification: w.enableSslVerification },
    allow_private: w.allowPrivate,
    has_secret: w.secretEnc !== null,
    has_authorization: w.authorizationEnc !== null,
    creation_timestamp: Number(w.createdAt),
    last_updated_timestamp: Number(w.updatedAt),
  };
}

/** What the audit log keeps of a webhook: never the secret or authorization. */
const auditView = (v: WebhookView) => ({ ...v, http_url_spec: { ...v.http_url_spec } });

export async function createWebhook(ctx: Ctx, raw: CreateWebhookInput): Promise<WebhookView> {
  authorize(ctx.actor, "mlflow:use");
  const input = parseInput(createWebhookInput, raw);
  let model: { id: number; name: string } | null = null;
  if (input.modelName !== undefined) model = await loadModel(ctx, input.modelName, "MANAGE");
  else if (!isAdmin(ctx.actor)) throw denied("Permission denied: a registry-wide webhook (without model_name) needs an admin");
  assertMayAllowPrivate(ctx, input.allowPrivate);
  const events = checkEvents(input.events, model !== null);
  const url = await checkUrl(input.url, input.allowPrivate ?? false);
  const id = newWebhookId();
  const now = BigInt(Date.now());
  const view = await webhookTx(ctx.db, async (tx) => {
    const w = await tx.webhook.create({
      data: {
        id,
        modelId: model?.id ?? null,
        events,
        description: input.description ?? "",
        url,
        secretEnc: input.secret ? encryptSecret(input.secret, id) : null,
        authorizationEnc: input.authorization ? encryptSecret(input.authorization, id) : null,
        enableSslVerification: input.enableSslVerification ?? true,
        allowPrivate: input.allowPrivate ?? false,
        status: input.status ?? "ACTIVE",
        createdBy: actorUserId(ctx.actor),
        createdAt: now,
        updatedAt: now,
      },
    });
    const v = toWebhookView(w, model?.name ?? null);
    await recordAudit(ctx, tx, { action: "webhook.create", resourceType: "webhook", resourceId: id, after: auditView(v) });
    return v;
  });
  return view;
}

export async function getWebhook(ctx: Ctx, input: { id: string }): Promise<WebhookView> {
  const access = await loadWebhookAccess(ctx, input.id, ctx.db, "DATABRICKS");
  const w = await ctx.db.webhook.findUniqueOrThrow({ where: { id: access.id } });
  return toWebhookView(w, access.modelName);
}

export async function updateWebhook(ctx: Ctx, raw: UpdateWebhookInput): Promise<WebhookView> {
  authorize(ctx.actor, "mlflow:use");
  const input = parseInput(updateWebhookInput, raw);
  const access = await loadWebhookAccess(ctx, input.id, ctx.db, "DATABRICKS");
  assertMayAllowPrivate(ctx, input.allowPrivate);
  const before = await ctx.db.webhook.findUniqueOrThrow({ where: { id: access.id } });
  const data: Prisma.WebhookUpdateInput = { updatedAt: BigInt(Date.now()) };
  if (input.events !== undefined) data.events = checkEvents(input.events, access.modelId !== null);
  if (input.description !== undefined) data.description = input.description;
  if (input.enableSslVerification !== undefined) data.enableSslVerification = input.enableSslVerification;
  if (input.status !== undefined) data.status = input.status;
  if (input.secret !== undefined) data.secretEnc = input.secret ? encryptSecret(input.secret, access.id) : null;
  if (input.authorization !== undefined) data.authorizationEnc = input.authorization ? encryptSecret(input.authorization, access.id) : null;
  // allow_private is granted for one URL: a new URL from a non-admin drops it
  const urlChanges = input.url !== undefined && input.url !== before.url;
  const allowPrivate = input.allowPrivate ?? (urlChanges && !isAdmin(ctx.actor) ? false : before.allowPrivate);
  if (allowPrivate !== before.allowPrivate) data.allowPrivate = allowPrivate;
  if (urlChanges || (before.allowPrivate && !allowPrivate)) data.url = await checkUrl(input.url ?? before.url, allowPrivate);
  const updated = await webhookTx(ctx.db, async (tx) => {
    const w = await tx.webhook.update({ where: { id: access.id }, data });
    const v = toWebhookView(w, access.modelName);
    await recordAudit(ctx, tx, {
      action: "webhook.update",
      resourceType: "webhook",
      resourceId: access.id,
      before: auditView(toWebhookView(before, access.modelName)),
      after: { ...auditView(v), ...(input.secret !== undefined ? { secret_changed: true } : {}), ...(input.authorization !== undefined ? { authorization_changed: true } : {}) },
    });
    return v;
  });
  return updated;
}

export async function deleteWebhook(ctx: Ctx, input: { id: string }): Promise<void> {
  const access = await loadWebhookAccess(ctx, input.id, ctx.db, "DATABRICKS");
  await webhookTx(ctx.db, async (tx) => {
    const w = await tx.webhook.findUnique({ where: { id: access.id } });
    if (!w) return;
    await tx.webhook.delete({ where: { id: access.id } });
    await recordAudit(ctx, tx, { action: "webhook.delete", resourceType: "webhook", resourceId: access.id, before: auditView(toWebhookView(w, access.modelName)) });
  });
}

export const listWebhooksInput = z.object({
  modelName: z.string().min(1).optional(),
  events: z.array(z.string()).optional(),
  maxResults: z.number().int().min(1).max(1000).optional(),
  pageToken: z.string().optional(),
});
export type ListWebhooksInput = z.input<typeof listWebhooksInput>;

function decodeToken(token: string | undefined): number {
  if (!token) return 0;
  const n = Number(Buffer.from(token, "base64url").toString("utf8"));
  if (!Number.isInteger(n) || n < 0) throw invalid("Invalid page_token");
  return n;
}

/**
 * The webhooks the actor manages, newest first: all of them for an admin; for anyone else those
 * on models they hold MANAGE on. With `modelName`, that model's (MANAGE needed).
 */
export async function listWebhooks(ctx: Ctx, raw: ListWebhooksInput = {}): Promise<{ webhooks: WebhookView[]; next_page_token?: string }> {
  authorize(ctx.actor, "mlflow:use");
  const input = parseInput(listWebhooksInput, raw);
  const where: Prisma.WebhookWhereInput = { api: "DATABRICKS" };
  if (input.modelName !== undefined) where.modelId = (await loadModel(ctx, input.modelName, "MANAGE")).id;
  else if (!isAdmin(ctx.actor)) where.modelId = { not: null };
  if (input.events?.length) where.events = { hasSome: checkEvents(input.events, false) };
  const rows = await ctx.db.webhook.findMany({ where, include: { model: { select: { name: true } } }, orderBy: [{ createdAt: "desc" }, { id: "asc" }] });
  const managed = await managedModelIds(ctx, [...new Set(rows.flatMap((r) => (r.modelId === null ? [] : [r.modelId])))]);
  const visible = rows.filter((r) => r.modelId === null || managed.has(r.modelId));
  const offset = decodeToken(input.pageToken);
  const max = input.maxResults ?? 100;
  const page = visible.slice(offset, offset + max);
  const next = offset + max < visible.length ? Buffer.from(String(offset + max)).toString("base64url") : undefined;
  return { webhooks: page.map((w) => toWebhookView(w, w.model?.name ?? null)), ...(next ? { next_page_token: next } : {}) };
}
