import { purgeExpiredTraces, systemActor, type PurgeResult } from "@modelgate/core";
import type { Db } from "@modelgate/db";
import { attachJobQueue, type JobQueueSource } from "./queue.ts";

// Trace retention: a pg-boss schedule fires the purge on one replica at a time (pg-boss keeps one
// schedule per name for the whole cluster and hands each job to one worker); each run deletes the
// traces older than their experiment's retention (core purgeExpiredTraces) and audits it.

export const TRACE_RETENTION_QUEUE = "trace-retention";

export type TraceRetentionOptions = JobQueueSource & {
  db: Db;
  /** Minutes between runs (1 to 1440). */
  intervalMinutes?: number;
  onPurge?: (result: PurgeResult) => void;
  onError?: (error: unknown) => void;
};

export interface TraceRetention {
  /** One purge now, outside the schedule (tests, operators). */
  runOnce(): Promise<PurgeResult>;
  stop(): Promise<void>;
}

/** A cron expression firing every `minutes` (whole hours above 59, daily at 1440). */
export function retentionCron(minutes: number): string {
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > 1440) throw new Error(`Trace retention interval must be 1 to 1440 minutes, got ${minutes}`);
  if (minutes < 60) return `*/${minutes} * * * *`;
  const hours = Math.round(minutes / 60);
  return hours >= 24 ? "0 0 * * *" : `0 */${hours} * * *`;
}

export async function startTraceRetention(opts: TraceRetentionOptions): Promise<TraceRetention> {
  const onError = opts.onError ?? ((e: unknown) => console.error("[modelgate] trace retention:", e));
  const { boss, detach } = await attachJobQueue(opts, onError);
  const runOnce = () => purgeExpiredTraces({ db: opts.db, actor: systemActor("trace retention") });
  await boss.createQueue(TRACE_RETENTION_QUEUE, { retryLimit: 1, expireInSeconds: 3600, deleteAfterSeconds: 24 * 3600 });
  await boss.schedule(TRACE_RETENTION_QUEUE, retentionCron(opts.intervalMinutes ?? 60));
  await boss.work(TRACE_RETENTION_QUEUE, { pollingIntervalSeconds: 30, batchSize: 1 }, async () => {
    const result = await runOnce();
    if (result.traces) opts.onPurge?.(result);
  });
  let stopped: Promise<void> | undefined;
  return {
    runOnce,
    stop: () =>
      (stopped ??= (async () => {
        await boss.offWork(TRACE_RETENTION_QUEUE, { wait: true });
        await detach();
      })()),
  };
}
