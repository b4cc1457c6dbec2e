import { fromPrisma, type PgBoss } from "pg-boss";
import { configureWebhooks, pendingDeliveryIds, processDelivery, webhookConfig, type DeliveryJob, type WebhookQueue } from "@modelgate/core";
import type { Db } from "@modelgate/db";
import { attachJobQueue, type JobQueueSource } from "../jobs/queue.ts";

// Webhook delivery through pg-boss, a Postgres-backed job queue.
//
// Why jobs are written in the caller's transaction (and not an outbox drained later): core's
// emitRegistryEvent inserts the webhook_delivery rows and, through the WebhookQueue registered
// here, the pg-boss jobs with pg-boss's own `fromPrisma(tx)` adapter (its documented way to send
// through a caller's executor: `{ executeSql(text, values) }` over tx.$queryRawUnsafe). The job
// commits or rolls back with the change it reports, so nothing is lost if the process dies after
// the commit. The first job of a delivery has the delivery's id as its job id, which makes
// queueing idempotent (pg-boss inserts with ON CONFLICT DO NOTHING): at start the worker queues
// every PENDING delivery again, which covers deliveries written by a process that had no queue
// (no worker started there) and costs nothing for those already queued.
//
// Retries are ours, not pg-boss's: each attempt settles the delivery and queues the next job
// (startAfter = backoff with jitter, or Retry-After) in one transaction (core/webhooks/deliver.ts).
// pg-boss's own retry (retryLimit) only covers a worker that crashed mid-job.

export const WEBHOOK_QUEUE = "webhook-delivery";

/** `jobs`: the process's queue (startJobQueue); `connectionString`: a queue of its own. */
export type WebhookDeliveryOptions = JobQueueSource & {
  db: Db;
  /** Consume jobs here (default true); false only queues them (another process delivers). */
  work?: boolean;
  /** How often an idle worker looks for jobs, in seconds (pg-boss minimum 0.5). */
  pollingIntervalSeconds?: number;
  concurrency?: number;
  onError?: (error: unknown) => void;
};

export interface WebhookDelivery {
  stop: () => Promise<void>;
}

function queueOf(boss: PgBoss): WebhookQueue {
  return {
    async enqueue(tx, jobs: DeliveryJob[]) {
      if (jobs.length === 0) return;
      await boss.insert(
        WEBHOOK_QUEUE,
        jobs.map((j) => ({
          // a retry gets its own job id; the first job's is the delivery's (idempotent re-queueing)
          ...(j.delayMs === undefined ? { id: j.deliveryId } : { startAfter: new Date(Date.now() + j.delayMs) }),
          data: { deliveryId: j.deliveryId },
        })),
        { db: fromPrisma(tx) },
      );
    },
  };
}

export async function startWebhookDelivery(opts: WebhookDeliveryOptions): Promise<WebhookDelivery> {
  const onError = opts.onError ?? ((e: unknown) => console.error("[modelgate] webhook delivery:", e));
  const { boss, detach } = await attachJobQueue(opts, onError);
  await boss.createQueue(WEBHOOK_QUEUE, { retryLimit: 3, retryDelay: 30, retryBackoff: true, expireInSeconds: 120, deleteAfterSeconds: 7 * 24 * 3600 });
  const queue = queueOf(boss);
  configureWebhooks({ queue });
  const pending = await pendingDeliveryIds(opts.db);
  if (pending.length) await opts.db.$transaction((tx) => queue.enqueue(tx, pending.map((deliveryId) => ({ deliveryId }))));
  if (opts.work !== false) {
    await boss.work<{ deliveryId: string }>(
      WEBHOOK_QUEUE,
      { pollingIntervalSeconds: opts.pollingIntervalSeconds ?? 1, batchSize: 1, localConcurrency: opts.concurrency ?? 4 },
      async ([job]) => {
        if (job) await processDelivery(opts.db, job.data.deliveryId);
      },
    );
  }
  let stopped: Promise<void> | undefined;
  return {
    stop: () =>
      (stopped ??= (async () => {
        if (webhookConfig().queue === queue) configureWebhooks({ queue: null });
        if (opts.work !== false) await boss.offWork(WEBHOOK_QUEUE, { wait: true });
        await detach();
      })()),
  };
}
