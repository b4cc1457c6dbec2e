import crypto from "node:crypto";
import type { Prisma } from "@modelgate/db";

/** A delivery job to queue: now, or after a delay (a retry). */
export interface DeliveryJob {
  deliveryId: string;
  delayMs?: number;
}

/**
 * Where delivery jobs go. The delivery worker (packages/api/src/webhooks) registers its pg-boss
 * queue here; jobs are written through `tx`, the caller's transaction, so a job exists exactly
 * when its delivery row does. Without a queue (no worker in this process) deliveries stay PENDING
 * and the worker enqueues them when it starts.
 */
export interface WebhookQueue {
  enqueue(tx: Prisma.TransactionClient, jobs: DeliveryJob[]): Promise<void>;
}

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** The delay before the first retry; doubled for each further retry. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** The longest Retry-After honoured. */
  maxRetryAfterMs: number;
  /** Per attempt: connect, send and read the answer. */
  timeoutMs: number;
}

export interface WebhookConfig {
  /** 32 bytes: the AES-256-GCM key for webhook secrets and authorization headers. */
  secretKey: Buffer | null;
  queue: WebhookQueue | null;
  retry: RetryPolicy;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 1000, maxDelayMs: 60_000, maxRetryAfterMs: 300_000, timeoutMs: 30_000 };

// One object per process, kept on globalThis: Next.js bundles its own copy of this package for the
// portal plane, and both copies must see what the server configured at startup.
const KEY = Symbol.for("modelgate.webhookConfig");
const store = globalThis as unknown as Record<symbol, WebhookConfig | undefined>;
const config: WebhookConfig = (store[KEY] ??= { secretKey: null, queue: null, retry: { ...DEFAULT_RETRY } });

export function configureWebhooks(opts: { secretKey?: Buffer; queue?: WebhookQueue | null; retry?: Partial<RetryPolicy> }) {
  if (opts.secretKey !== undefined) {
    if (opts.secretKey.length !== 32) throw new Error("The webhook secret key must be 32 bytes");
    config.secretKey = opts.secretKey;
  }
  if (opts.queue !== undefined) config.queue = opts.queue;
  if (opts.retry) config.retry = { ...config.retry, ...opts.retry };
}

export function webhookConfig(): Readonly<WebhookConfig> {
  return config;
}

/**
 * The key from WEBHOOK_SECRET_KEY (64 hex characters or base64 of 32 bytes) or, without one,
 * derived from AUTH_SECRET with HKDF-SHA256 (so a zero-setup install encrypts too; rotating
 * AUTH_SECRET then makes stored webhook secrets unreadable: set WEBHOOK_SECRET_KEY to decouple).
 */
export function webhookSecretKey(opts: { webhookSecretKey?: string | undefined; authSecret: string }): Buffer {
  const raw = opts.webhookSecretKey?.trim();
  if (raw) {
    const key = /^[0-9a-f]{64}$/i.test(raw) ? Buffer.from(raw, "hex") : Buffer.from(raw, "base64");
    if (key.length !== 32) throw new Error("WEBHOOK_SECRET_KEY must be 32 bytes, as 64 hex characters or base64");
    return key;
  }
  return Buffer.from(crypto.hkdfSync("sha256", opts.authSecret, "modelgate", "webhook-secrets/v1", 32));
}
