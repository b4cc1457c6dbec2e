import crypto from "node:crypto";
import { z } from "zod";
import type { Prisma } from "@modelgate/db";
import { type Ctx, actorUserId } from "../context.ts";
import { authorize, isAdmin } from "../auth/permissions.ts";
import { recordAudit, type DbOrTx } from "../audit/record-audit.ts";
import { denied, invalid, notFound } from "../errors.ts";
import { parseInput } from "../validation.ts";
import { sendRecordedOnce } from "./deliver.ts";
import { webhookTx } from "./events.ts";
import { checkUrl } from "./manage-webhooks.ts";
import { mlflowEnvelope, mlflowExampleData, parseMlflowWebhookEvent, type MlflowWebhookEvent } from "./mlflow-events.ts";
import { encryptSecret } from "./secrets.ts";

// MLflow 3's webhooks (/mlflow/webhooks, MLflow 3.3+): a name, a URL, entity.action events
// (mlflow-events.ts), an optional signing secret, ACTIVE or DISABLED. They are `webhook` rows with
// api = MLFLOW, registry-wide, delivered by the same queue as Databricks' registry webhooks.
// Registry-wide means admins only, for reading too. The URL rules are the Databricks API's: https,
// public addresses unless an admin allows a private one for this webhook. Secrets are encrypted at
// rest and never returned. Modelgate adds `allow_private` and `enable_ssl_verification`.

export const MLFLOW_WEBHOOK_STATUSES = ["ACTIVE", "DISABLED"] as const;
export type MlflowWebhookStatus = (typeof MLFLOW_WEBHOOK_STATUSES)[number];

export interface MlflowWebhookView {
  webhook_id: string;
  name: string;
  description: string;
  url: string;
  events: MlflowWebhookEvent[];
  status: MlflowWebhookStatus;
  creation_timestamp: number;
  last_updated_timestamp: number;
  allow_private: boolean;
  enable_ssl_verification: boolean;
  has_secret: boolean;
}

// MLflow's rule: 1 to 63 characters, letters, digits, '.', '_' and '-', a letter or digit at both ends
const NAME = /^(?=.{1,63}$)[a-z0-9]([a-z0-9._-]*[a-z0-9])?$/i;

const fields = {
  name: z.string(),
  url: z.string(),
  events: z.array(z.string()).max(100),
  description: z.string().max(1000),
  status: z.enum(MLFLOW_WEBHOOK_STATUSES),
  allowPrivate: z.boolean(),
  enableSslVerification: z.boolean(),
};

export const createMlflowWebhookInput = z.object({
  ...fields,
  description: fields.description.optional(),
  secret: z.string().max(1024).optional(),
  status: fields.status.optional(),
  allowPrivate: fields.allowPrivate.optional(),
  enableSslVerification: fields.enableSslVerification.optional(),
});
export type CreateMlflowWebhookInput = z.input<typeof createMlflowWebhookInput>;

export const updateMlflowWebhookInput = z.object({
  id: z.string(),
  name: fields.name.optional(),
  url: fields.url.optional(),
  events: fields.events.optional(),
  description: fields.description.optional(),
  /** A new secret; "" or null removes it. */
  secret: z.string().max(1024).nullable().optional(),
  status: fields.status.optional(),
  allowPrivate: fields.allowPrivate.optional(),
  enableSslVerification: fields.enableSslVerification.optional(),
});
export type UpdateMlflowWebhookInput = z.input<typeof updateMlflowWebhookInput>;

export const listMlflowWebhooksInput = z.object({ maxResults: z.number().int().optional(), pageToken: z.string().optional() });
export const mlflowWebhookIdInput = z.object({ id: z.string() });
export const testMlflowWebhookInput = z.object({ id: z.string(), event: z.string().optional() });

function assertAdmin(ctx: Ctx) {
  authorize(ctx.actor, "mlflow:use");
  if (!isAdmin(ctx.actor)) throw denied("Permission denied: MLflow webhooks are registry-wide; only an admin may see or change them");
}

function checkName(name: string): string {
  if (!NAME.test(name)) {
    throw invalid(`Webhook name '${name.slice(0, 100)}' is invalid. It must start and end with a letter or digit, be less than 63 characters long, and contain only letters, digits, dots (.), underscores (_), and hyphens (-).`);
  }
  return name;
}

function checkEvents(events: string[]): MlflowWebhookEvent[] {
  if (events.length === 0) throw invalid("Webhook events must be a non-empty list of events.");
  return [...new Set(events.map(parseMlflowWebhookEvent))];
}

export function toMlflowWebhookView(w: Prisma.WebhookModel): MlflowWebhookView {
  return {
    webhook_id: w.id,
    name: w.name ?? "",
    description: w.description,
    url: w.url,
    events: w.events as MlflowWebhookEvent[],
    status: w.status === "ACTIVE" ? "ACTIVE" : "DISABLED",
    creation_timestamp: Number(w.createdAt),
    last_updated_timestamp: Number(w.updatedAt),
    allow_private: w.allowPrivate,
    enable_ssl_verification: w.enableSslVerification,
    has_secret: w.secretEnc !== null,
  };
}

/** What the audit log keeps (the view has no secret). */
const auditView = (v: MlflowWebhookView) => ({ api: "MLFLOW", ...v });

const webhookNotFound = (id: string) => notFound(`Webhook with ID ${id.slice(0, 100)} not found.`);

async function loadMlflowWebhook(db: DbOrTx, id: string): Promise<Prisma.WebhookModel> {
  const w = /^[0-9a-f]{32}$/.test(id) ? await db.webhook.findFirst({ where: { id, api: "MLFLOW" } }) : null;
  if (!w) throw webhookNotFound(id);
  return w;
}

export async function createMlflowWebhook(ctx: Ctx, raw: CreateMlflowWebhookInput): Promise<MlflowWebhookView> {
  assertAdmin(ctx);
  const input = parseInput(createMlflowWebhookInput, raw);
  const name = checkName(input.name);
  const events = checkEvents(input.events);
  const url = await checkUrl(input.url, input.allowPrivate ?? false);
  const id = crypto.randomBytes(16).toString("hex");
  const now = BigInt(Date.now());
  const view = await webhookTx(ctx.db, async (tx) => {
    const w = await tx.webhook.create({
      data: {
        id,
        api: "MLFLOW",
        name,
        modelId: null,
        events,
        description: input.description ?? "",
        url,
        secretEnc: input.secret ? encryptSecret(input.secret, id) : null,
        enableSslVerification: input.enableSslVerification ?? true,
        allowPrivate: input.allowPrivate ?? false,
        status: input.status ?? "ACTIVE",
        createdBy: actorUserId(ctx.actor),
        createdAt: now,
        updatedAt: now,
      },
    });
    const v = toMlflowWebhookView(w);
    await recordAudit(ctx, tx, { action: "webhook.create", resourceType: "webhook", resourceId: id, after: auditView(v) });
    return v;
  });
  return view;
}

export async function getMlflowWebhook(ctx: Ctx, raw: z.input<typeof mlflowWebhookIdInput>): Promise<MlflowWebhookView> {
  assertAdmin(ctx);
  const input = parseInput(mlflowWebhookIdInput, raw);
  return toMlflowWebhookView(await loadMlflowWebhook(ctx.db, input.id));
}

// MLflow's page token: base64 of {"offset": n}
const pageToken = (offset: number) => Buffer.from(JSON.stringify({ offset })).toString("base64");

function offsetOf(token: string | undefined): number {
  if (!token) return 0;
  let offset: unknown;
  try {
    offset = (JSON.parse(Buffer.from(token, "base64").toString("utf8")) as { offset?: unknown }).offset;
  } catch {
    throw invalid("Invalid page token");
  }
  if (typeof offset !== "number" || !Number.isSafeInteger(offset) || offset < 0) throw invalid("Invalid page token");
  return offset;
}

/** Newest first, as MLflow lists them; `maxResults` 1 to 1000, 100 when not given. */
export async function listMlflowWebhooks(ctx: Ctx, raw: z.input<typeof listMlflowWebhooksInput> = {}): Promise<{ webhooks: MlflowWebhookView[]; next_page_token?: string }> {
  assertAdmin(ctx);
  const input = parseInput(listMlflowWebhooksInput, raw);
  const max = input.maxResults || 100;
  if (max < 1 || max > 1000) throw invalid("max_results must be between 1 and 1000.");
  const offset = offsetOf(input.pageToken);
  const rows = await ctx.db.webhook.findMany({ where: { api: "MLFLOW" }, orderBy: [{ createdAt: "desc" }, { id: "asc" }], skip: offset, take: max + 1 });
  const page = rows.slice(0, max).map(toMlflowWebhookView);
  return { webhooks: page, ...(rows.length > max ? { next_page_token: pageToken(offset + max) } : {}) };
}

export async function updateMlflowWebhook(ctx: Ctx, raw: UpdateMlflowWebhookInput): Promise<MlflowWebhookView> {
  assertAdmin(ctx);
  const input = parseInput(updateMlflowWebhookInput, raw);
  const before = await loadMlflowWebhook(ctx.db, input.id);
  const data: Prisma.WebhookUpdateInput = { updatedAt: BigInt(Date.now()) };
  if (input.name !== undefined) data.name = checkName(input.name);
  if (input.events !== undefined) data.events = checkEvents(input.events);
  if (input.description !== undefined) data.description = input.description;
  if (input.status !== undefined) data.status = input.status;
  if (input.enableSslVerification !== undefined) data.enableSslVerification = input.enableSslVerification;
  if (input.secret !== undefined) data.secretEnc = input.secret ? encryptSecret(input.secret, before.id) : null;
  const allowPrivate = input.allowPrivate ?? before.allowPrivate;
  if (allowPrivate !== before.allowPrivate) data.allowPrivate = allowPrivate;
  // a new URL, or a private target no longer allowed, is checked again
  if ((input.url !== undefined && input.url !== before.url) || (before.allowPrivate && !allowPrivate)) data.url = await checkUrl(input.url ?? before.url, allowPrivate);
  const updated = await webhookTx(ctx.db, async (tx) => {
    const w = await tx.webhook.update({ where: { id: before.id }, data });
    const v = toMlflowWebhookView(w);
    await recordAudit(ctx, tx, {
      action: "webhook.update",
      resourceType: "webhook",
      resourceId: before.id,
      before: auditView(toMlflowWebhookView(before)),
      after: { ...auditView(v), ...(input.secret !== undefined ? { secret_changed: true } : {}) },
    });
    return v;
  });
  return updated;
}

export async function deleteMlflowWebhook(ctx: Ctx, raw: z.input<typeof mlflowWebhookIdInput>): Promise<void> {
  assertAdmin(ctx);
  const input = parseInput(mlflowWebhookIdInput, raw);
  await webhookTx(ctx.db, async (tx) => {
    const w = await loadMlflowWebhook(tx, input.id);
    await tx.webhook.delete({ where: { id: w.id } });
    await recordAudit(ctx, tx, { action: "webhook.delete", resourceType: "webhook", resourceId: w.id, before: auditView(toMlflowWebhookView(w)) });
  });
}

export interface MlflowWebhookTestResult {
  deliveryId: string;
  event: MlflowWebhookEvent;
  /** MLflow's rule: any answer below 400. */
  success: boolean;
  statusCode: number | null;
  body: string;
  error: string | null;
}

/**
 * Sends an example of `event` (any event, as MLflow allows; the webhook's first when not given)
 * now, whatever the webhook's status, and records it in the webhook's delivery log.
 */
export async function testMlflowWebhook(ctx: Ctx, raw: z.input<typeof testMlflowWebhookInput>): Promise<MlflowWebhookTestResult> {
  assertAdmin(ctx);
  const input = parseInput(testMlflowWebhookInput, raw);
  const w = await loadMlflowWebhook(ctx.db, input.id);
  const event = input.event !== undefined ? parseMlflowWebhookEvent(input.event) : (w.events[0] as MlflowWebhookEvent);
  const payload = mlflowEnvelope(event, mlflowExampleData(event), Date.now());
  const r = await sendRecordedOnce(ctx.db, w, event, payload as Prisma.InputJsonValue);
  await recordAudit(ctx, ctx.db, { action: "webhook.test", resourceType: "webhook", resourceId: w.id, after: { event, status_code: r.statusCode, error: r.error } });
  return { deliveryId: r.deliveryId, event, success: r.statusCode !== null && r.statusCode < 400, statusCode: r.statusCode, body: r.body, error: r.error };
}
