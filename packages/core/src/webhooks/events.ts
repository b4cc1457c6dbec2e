import crypto from "node:crypto";
import type { Prisma } from "@modelgate/db";
import type { Ctx } from "../context.ts";
import type { DbOrTx } from "../audit/record-audit.ts";
import { webhookConfig } from "./config.ts";
import { WEBHOOK_EVENTS, type RegistryEvent, type WebhookEvent } from "./event-types.ts";
import { buildPayload } from "./payload.ts";

// Registry events that webhooks subscribe to (Databricks' registry-webhook events). Core calls
// `emitRegistryEvent` inside the transaction of the change it reports, so an event exists exactly
// when its change does; delivery happens later, from a job queue.

export { WEBHOOK_EVENTS, type WebhookEvent };

export type { RegistryEvent };

/** Records deliveries for every active webhook subscribed to the event (registry-wide or on its model). */
export async function emitRegistryEvent(ctx: Ctx, tx: Prisma.TransactionClient, event: RegistryEvent): Promise<void> {
  await emitRegistryEvents(ctx, tx, [event]);
}

/**
 * Several events of one change (a transition and its side effects) with one look-up of the
 * webhooks. Inside the caller's transaction: one webhook_delivery row per (webhook, event), and
 * their delivery jobs through the queue in the same transaction (see config.ts), so a committed
 * change always has its deliveries and a rolled-back one never does.
 */
export async function emitRegistryEvents(ctx: Ctx, tx: Prisma.TransactionClient, events: RegistryEvent[]): Promise<void> {
  // the common case, nobody listening, is answered from a fresh snapshot without touching the
  // table; never refreshed from here: a second pool connection taken while this transaction
  // holds row locks can deadlock the pool under load
  if (events.every((e) => snapshotSays(e.modelId, e.event) === false)) return;
  const modelIds = [...new Set(events.map((e) => e.modelId))];
  const hooks = await tx.webhook.findMany({
    where: { status: "ACTIVE", events: { hasSome: [...new Set(events.map((e) => e.event))] }, OR: [{ modelId: null }, { modelId: { in: modelIds } }] },
    select: { id: true, modelId: true, events: true },
  });
  if (hooks.length === 0) return;
  const now = Date.now();
  const rows: Prisma.WebhookDeliveryCreateManyInput[] = [];
  for (const e of events) {
    for (const h of hooks) {
      if (!h.events.includes(e.event) || (h.modelId !== null && h.modelId !== e.modelId)) continue;
      rows.push({ id: crypto.randomUUID(), webhookId: h.id, event: e.event, payload: buildPayload(e, h.id, now) as Prisma.InputJsonValue, createdAt: BigInt(now) });
    }
  }
  if (rows.length === 0) return;
  await tx.webhookDelivery.createMany({ data: rows });
  await webhookConfig().queue?.enqueue(tx, rows.map((r) => ({ deliveryId: r.id! })));
}

// The hot path asks "does anyone listen?" on every version created. The answer comes from a
// snapshot of the active subscriptions, read at most once a second per process and dropped at once
// when this process changes a webhook (kept on globalThis: Next.js bundles its own copy of core).
// Another replica's new webhook is seen within SUBSCRIPTIONS_TTL_MS, the same race a webhook
// created a moment before a version always has.
const SUBSCRIPTIONS_TTL_MS = 1_000;
type Hooks = { modelId: number | null; events: string[] }[];
interface Subscriptions {
  at: number;
  hooks: Promise<Hooks> | null;
  /** The settled value of `hooks`, for synchronous reads. */
  loaded: Hooks | null;
}
const KEY = Symbol.for("modelgate.webhookSubscriptions");
const store = globalThis as unknown as Record<symbol, Subscriptions | undefined>;
const subscriptions: Subscriptions = (store[KEY] ??= { at: 0, hooks: null, loaded: null });

/** Called after any webhook is created, changed or deleted in this process. */
export function invalidateWebhookSubscriptions() {
  subscriptions.hooks = null;
  subscriptions.loaded = null;
}

/** What a fresh, already loaded snapshot says (undefined when there is none). */
function snapshotSays(modelId: number, event: WebhookEvent): boolean | undefined {
  if (!subscriptions.loaded || Date.now() - subscriptions.at > SUBSCRIPTIONS_TTL_MS) return undefined;
  return subscriptions.loaded.some((h) => (h.modelId === null || h.modelId === modelId) && h.events.includes(event));
}

/** Whether any active webhook listens for `event` on this model (from the snapshot, read outside any transaction). */
export async function hasSubscribedWebhooks(db: DbOrTx, modelId: number, event: WebhookEvent): Promise<boolean> {
  const now = Date.now();
  if (!subscriptions.hooks || now - subscriptions.at > SUBSCRIPTIONS_TTL_MS) {
    subscriptions.at = now;
    const hooks = db.webhook.findMany({ where: { status: "ACTIVE" }, select: { modelId: true, events: true } });
    subscriptions.hooks = hooks.then(
      (loaded) => {
        if (subscriptions.hooks === pending) subscriptions.loaded = loaded;
        return loaded;
      },
      (e: unknown) => {
        if (subscriptions.hooks === pending) subscriptions.hooks = null;
        throw e;
      },
    );
    const pending = subscriptions.hooks;
  }
  const hooks = await subscriptions.hooks;
  return hooks.some((h) => (h.modelId === null || h.modelId === modelId) && h.events.includes(event));
}
