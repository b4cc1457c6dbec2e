import crypto from "node:crypto";
import { fromPrisma, type PgBoss } from "pg-boss";
import type { ArtifactStore } from "@modelgate/artifacts";
import { batchQueue, configureBatchScoring, unfinishedBatchJobIds, type BatchQueue } from "@modelgate/core";
import type { Db } from "@modelgate/db";
import type { ModelRuntime } from "@modelgate/serving";
import { attachJobQueue, type JobQueueSource } from "../jobs/queue.ts";
import { runBatchJob, type BatchRunResult } from "./batch-run.ts";

// Batch scoring jobs through pg-boss, the same design as webhook delivery (../webhooks/worker.ts):
// core's createBatchJob writes the job row and, through the BatchQueue registered here, the
// pg-boss job (its id is the job's id) in one transaction with pg-boss's fromPrisma(tx) adapter.
// At start the worker queues again every QUEUED or RUNNING job pg-boss no longer holds (see
// requeueUnfinished): jobs created by a process with no worker are picked up.
//
// Restarts: a job whose process died stops sending pg-boss heartbeats; pg-boss then retries it
// (retryLimit), and the re-run starts over from the first row (claimBatchJob resets the
// progress; predictions.csv is rewritten whole). Scoring is deterministic, so this is safe.
// Stopping the worker (server shutdown) interrupts a running job at its next chunk: the pg-boss
// job fails and is retried, the job row stays RUNNING until then.

const BATCH_QUEUE = "batch-scoring";

/** `jobs`: the process's queue (startJobQueue); `connectionString`: a queue of its own. */
export type BatchScoringOptions = JobQueueSource & {
  db: Db;
  store: ArtifactStore;
  /** The serving runtime (share the endpoints' one: a version's session is loaded once). */
  runtime: ModelRuntime;
  /** Consume jobs here (default true); false only queues them. */
  work?: boolean;
  /** Jobs scored at once in this process (default 1: scoring is CPU-bound). */
  concurrency?: number;
  pollingIntervalSeconds?: number;
  chunkRows?: number;
  progressMs?: number;
  onError?: (error: unknown) => void;
  /** Called after each job (tests, logs). */
  onJobDone?: (jobId: string, result: BatchRunResult) => void;
};

export interface BatchScoring {
  stop: () => Promise<void>;
}

function queueOf(boss: PgBoss): BatchQueue {
  return {
    async enqueue(tx, jobIds) {
      if (jobIds.length === 0) return;
      await boss.insert(BATCH_QUEUE, jobIds.map((id) => ({ id, data: { jobId: id } })), { db: fromPrisma(tx) });
    },
  };
}

const LIVE = new Set(["created", "retry", "active"]);

/**
 * Queues again every QUEUED or RUNNING job that has no live pg-boss job: one created while no
 * worker ran, or one whose attempts pg-boss gave up on (the process died or stopped mid-job more
 * often than retryLimit). A job pg-boss still holds (waiting, retrying, or active in a process
 * whose heartbeat will lapse) is left to pg-boss, so no job runs twice at once.
 */
async function requeueUnfinished(boss: PgBoss, db: Db) {
  for (const jobId of await unfinishedBatchJobIds(db)) {
    const attempts = await boss.findJobs<{ jobId: string }>(BATCH_QUEUE, { data: { jobId } });
    if (attempts.some((j) => LIVE.has(j.state))) continue;
    await boss.insert(BATCH_QUEUE, [{ id: attempts.length ? crypto.randomUUID() : jobId, data: { jobId } }]);
  }
}

export async function startBatchScoring(opts: BatchScoringOptions): Promise<BatchScoring> {
  const onError = opts.onError ?? ((e: unknown) => console.error("[modelgate] batch scoring:", e));
  const { boss, detach } = await attachJobQueue(opts, onError);
  // a job may run for hours (a big file): liveness is the heartbeat, not the expiry
  await boss.createQueue(BATCH_QUEUE, { retryLimit: 2, retryDelay: 5, heartbeatSeconds: 30, expireInSeconds: 24 * 3600, deleteAfterSeconds: 7 * 24 * 3600 });
  const queue = queueOf(boss);
  const stopping = new AbortController();
  configureBatchScoring({ queue });
  await requeueUnfinished(boss, opts.db);
  if (opts.work !== false) {
    await boss.work<{ jobId: string }>(
      BATCH_QUEUE,
      { pollingIntervalSeconds: opts.pollingIntervalSeconds ?? 1, batchSize: 1, localConcurrency: opts.concurrency ?? 1 },
      async ([job]) => {
        if (!job) return;
        const result = await runBatchJob(
          { db: opts.db, store: opts.store, runtime: opts.runtime, signal: stopping.signal, ...(opts.chunkRows ? { chunkRows: opts.chunkRows } : {}), ...(opts.progressMs !== undefined ? { progressMs: opts.progressMs } : {}) },
          job.data.jobId,
        );
        opts.onJobDone?.(job.data.jobId, result);
      },
    );
  }
  let stopped: Promise<void> | undefined;
  return {
    stop: () =>
      (stopped ??= (async () => {
        if (batchQueue() === queue) configureBatchScoring({ queue: null });
        // a running job stops at its next chunk and is re-run (from the start) by pg-boss later
        stopping.abort();
        if (opts.work !== false) await boss.offWork(BATCH_QUEUE, { wait: true });
        await detach();
      })()),
  };
}
