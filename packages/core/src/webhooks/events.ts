import crypto from "node:crypto";
import type { Db, Prisma } from "@modelgate/db";
import type { Ctx } from "../context.ts";
import type { DbOrTx } from "../audit/record-audit.ts";
import { webhookConfig } from "./config.ts";
import { isDatabricksEvent, WEBHOOK_EVENTS, type RegistryEvent, type RegistryEventName, type WebhookEvent } from "./event-types.ts";
import { PROMPT_TAG } from "../registry/types.ts";
import { decidedByOwnTags, mlflowCandidates, mlflowEnvelope, toMlflowDelivery } from "./mlflow-events.ts";
import { buildPayload } from "./payload.ts";
import { transactionThen, type Tx } from "../transaction.ts";

// Registry events that webhooks subscribe to. Core calls `emitRegistryEvent` inside the
// transaction of the change it reports, so an event exists exactly when its change does; delivery
// happens later, from a job queue. A Databricks-API webhook subscribes to the event's own name
// and gets the combined envelope (payload.ts); an MLflow-API webhook subscribes to MLflow's name
// for it ("model_version.created", or "prompt_version.created" for a prompt: mlflow-events.ts)
// and gets MLflow's envelope.

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
    where: { status: "ACTIVE", events: { hasSome: [...new Set(events.flatMap((e) => subscriptionNames(e.event)))] }, OR: [{ modelId: null }, { modelId: { in: modelIds } }] },
    select: { id: true, modelId: true, events: true, api: true },
  });
  if (hooks.length === 0) return;
  const mlflowHooks = hooks.some((h) => h.api === "MLFLOW");
  const prompts = mlflowHooks ? await promptModelIds(tx, events) : new Set<number>();
  const now = Date.now();
  const rows: Prisma.WebhookDeliveryCreateManyInput[] = [];
  const row = (webhookId: string, event: string, payload: unknown) => ({ id: crypto.randomUUID(), webhookId, event, payload: payload as Prisma.InputJsonValue, createdAt: BigInt(now) });
  for (const e of events) {
    const mlflow = mlflowHooks ? toMlflowDelivery(e, prompts.has(e.modelId)) : null;
    for (const h of hooks) {
      if (h.modelId !== null && h.modelId !== e.modelId) continue;
      if (h.api === "MLFLOW") {
        if (mlflow && h.events.includes(mlflow.event)) rows.push(row(h.id, mlflow.event, mlflowEnvelope(mlflow.event, mlflow.data, now)));
      } else if (isDatabricksEvent(e.event) && h.events.includes(e.event)) {
        rows.push(row(h.id, e.event, buildPayload({ ...e, event: e.event }, h.id, now)));
      }
    }
  }
  if (rows.length === 0) return;
  await tx.webhookDelivery.createMany({ data: rows });
  await webhookConfig().queue?.enqueue(tx, rows.map((r) => ({ deliveryId: r.id! })));
}

/** Every name a webhook may subscribe to this event by: its own (Databricks) and MLflow's. */
const subscriptionNames = (name: RegistryEventName): string[] => [name, ...mlflowCandidates(name)];

/** The models among the events' that are prompts (MLflow's test: the tag's value is "true"). */
async function promptModelIds(tx: Prisma.TransactionClient, events: RegistryEvent[]): Promise<Set<number>> {
  const ids = [...new Set(events.filter((e) => !decidedByOwnTags(e.event)).map((e) => e.modelId))];
  if (ids.length === 0) return new Set();
  const tags = await tx.registeredModelTag.findMany({ where: { modelId: { in: ids }, key: PROMPT_TAG }, select: { modelId: true, value: true } });
  return new Set(tags.filter((t) => t.value.toLowerCase() === "true").map((t) => t.modelId));
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

/** After any webhook is created, changed or deleted in this process (webhookTx). */
function invalidateWebhookSubscriptions() {
  subscriptions.hooks = null;
  subscriptions.loaded = null;
}

/** A transaction that creates, changes or deletes webhooks; this process's snapshot is dropped once it ends. */
export const webhookTx = <T>(db: Db, fn: (tx: Tx) => Promise<T>): Promise<T> => transactionThen(db, fn, invalidateWebhookSubscriptions);

/** What a fresh, already loaded snapshot says (undefined when there is none). */
function snapshotSays(modelId: number, event: RegistryEventName): boolean | undefined {
  if (!subscriptions.loaded || Date.now() - subscriptions.at > SUBSCRIPTIONS_TTL_MS) return undefined;
  return listens(subscriptions.loaded, modelId, event);
}

function listens(hooks: Hooks, modelId: number, event: RegistryEventName): boolean {
  const names = subscriptionNames(event);
  return hooks.some((h) => (h.modelId === null || h.modelId === modelId) && h.events.some((n) => names.includes(n)));
}

/** Whether any active webhook listens for `event` on this model (from the snapshot, read outside any transaction). */
export async function hasSubscribedWebhooks(db: DbOrTx, modelId: number, event: RegistryEventName): Promise<boolean> {
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
  return listens(await subscriptions.hooks, modelId, event);
}
