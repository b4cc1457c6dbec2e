import crypto from "node:crypto";
import type { Db, Prisma } from "@modelgate/db";
import { webhookConfig, type RetryPolicy } from "./config.ts";
import { decryptSecret } from "./secrets.ts";
import { sendWebhook, type SendResult } from "./send.ts";
import { deliveryHeaders } from "./signature.ts";

type Webhook = Prisma.WebhookModel;

// Delivering one webhook_delivery: called by the queue's worker for each job. Each attempt is
// recorded (webhook_attempt) with the delivery's new status in one transaction, and a retry is
// queued in that same transaction, so a crash between attempts loses nothing. Delivery is at
// least once: receivers deduplicate on X-MLflow-Delivery-Id.

export type DeliveryOutcome = "delivered" | "retry" | "failed" | "skipped";

const isRetryable = (r: SendResult) => !r.refused && (r.statusCode === null || r.statusCode === 429 || r.statusCode >= 500);
const isSuccess = (r: SendResult) => r.statusCode !== null && r.statusCode >= 200 && r.statusCode < 300;

/**
 * Milliseconds before the next attempt after `attempts` attempts: base·2^(attempts−1), capped,
 * plus up to 25 % jitter (still capped); a Retry-After longer than that wins, up to its own cap.
 */
export function retryDelayMs(attempts: number, retryAfterSeconds: number | null, policy: RetryPolicy, random = Math.random()): number {
  const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempts - 1));
  const jittered = Math.min(policy.maxDelayMs, Math.round(backoff * (1 + 0.25 * random)));
  if (retryAfterSeconds === null) return jittered;
  return Math.max(jittered, Math.min(policy.maxRetryAfterMs, retryAfterSeconds * 1000));
}

function secretsOf(w: Webhook) {
  return {
    secret: w.secretEnc ? decryptSecret(w.secretEnc, w.id) : null,
    authorization: w.authorizationEnc ? decryptSecret(w.authorizationEnc, w.id) : null,
  };
}

/** Sends `payload` for delivery `deliveryId` once (signed when the webhook has a secret). */
export async function sendDelivery(w: Webhook, deliveryId: string, payload: unknown, timeoutMs: number): Promise<SendResult> {
  const body = JSON.stringify(payload);
  const headers = deliveryHeaders({ deliveryId, body, ...secretsOf(w) });
  return sendWebhook({ url: w.url, enableSslVerification: w.enableSslVerification, allowPrivate: w.allowPrivate }, headers, body, timeoutMs);
}

const attemptError = (r: SendResult) => r.error ?? (isSuccess(r) ? null : `HTTP ${r.statusCode}`);

export async function processDelivery(db: Db, deliveryId: string): Promise<DeliveryOutcome> {
  const policy = webhookConfig().retry;
  const d = await db.webhookDelivery.findUnique({ where: { id: deliveryId }, include: { webhook: true } });
  if (!d || d.status !== "PENDING") return "skipped";
  let result: SendResult;
  if (d.webhook.status !== "ACTIVE") {
    result = { statusCode: null, body: "", error: `Webhook is ${d.webhook.status}`, retryAfterSeconds: null, durationMs: 0, refused: true };
  } else {
    result = await sendDelivery(d.webhook, d.id, d.payload, policy.timeoutMs);
  }
  const attempts = d.attempts + 1;
  const outcome: DeliveryOutcome = isSuccess(result) ? "delivered" : isRetryable(result) && attempts < policy.maxAttempts ? "retry" : "failed";
  const now = Date.now();
  return db.$transaction(async (tx) => {
    // the attempt count guards against two workers settling the same attempt
    const updated = await tx.webhookDelivery.updateMany({
      where: { id: d.id, status: "PENDING", attempts: d.attempts },
      data: { attempts, status: outcome === "delivered" ? "DELIVERED" : outcome === "failed" ? "FAILED" : "PENDING", deliveredAt: outcome === "delivered" ? BigInt(now) : null },
    });
    if (updated.count === 0) return "skipped";
    await tx.webhookAttempt.create({ data: { deliveryId: d.id, at: BigInt(now), statusCode: result.statusCode, error: attemptError(result), durationMs: result.durationMs } });
    if (outcome === "retry") {
      const queue = webhookConfig().queue;
      if (queue) await queue.enqueue(tx, [{ deliveryId: d.id, delayMs: retryDelayMs(attempts, result.retryAfterSeconds, policy) }]);
    }
    return outcome;
  });
}

/** Deliveries still to be sent, oldest first (the worker queues them at start: none is lost). */
export async function pendingDeliveryIds(db: Db, limit = 10_000): Promise<string[]> {
  const rows = await db.webhookDelivery.findMany({ where: { status: "PENDING" }, select: { id: true }, orderBy: { createdAt: "asc" }, take: limit });
  return rows.map((r) => r.id);
}

/** A one-off delivery sent now and recorded (the test button): no retries. */
export async function sendRecordedOnce(db: Db, w: Webhook, event: string, payload: Prisma.InputJsonValue): Promise<SendResult & { deliveryId: string }> {
  const id = crypto.randomUUID();
  const createdAt = BigInt(Date.now());
  await db.webhookDelivery.create({ data: { id, webhookId: w.id, event, payload, createdAt } });
  const result = await sendDelivery(w, id, payload, webhookConfig().retry.timeoutMs);
  const now = BigInt(Date.now());
  await db.$transaction([
    db.webhookAttempt.create({ data: { deliveryId: id, at: now, statusCode: result.statusCode, error: attemptError(result), durationMs: result.durationMs } }),
    db.webhookDelivery.update({ where: { id }, data: { attempts: 1, status: isSuccess(result) ? "DELIVERED" : "FAILED", deliveredAt: isSuccess(result) ? now : null } }),
  ]);
  return { ...result, deliveryId: id };
}
