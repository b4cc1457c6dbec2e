import { PgBoss } from "pg-boss";

// One pg-boss instance per process: one connection pool and one maintenance loop, on which each
// worker (webhook delivery, batch scoring) creates its queue and registers its handler.

export interface JobQueue {
  readonly boss: PgBoss;
  /** Stops every worker on it (running jobs get `timeoutMs` to finish) and closes its pool. */
  stop(): Promise<void>;
}

export interface JobQueueOptions {
  connectionString: string;
  onError?: (error: unknown) => void;
}

export async function startJobQueue(opts: JobQueueOptions): Promise<JobQueue> {
  const boss = new PgBoss({ connectionString: opts.connectionString, max: 5, instanceName: "modelgate" });
  boss.on("error", opts.onError ?? ((e: unknown) => console.error("[modelgate] job queue:", e)));
  await boss.start();
  let stopped: Promise<void> | undefined;
  return { boss, stop: () => (stopped ??= boss.stop({ graceful: true, timeout: 10_000 })) };
}

/** Where a worker runs: the process's queue, or (a worker started alone) a queue of its own. */
export type JobQueueSource = { jobs: JobQueue } | { connectionString: string };

/** The queue to register on, and how the worker lets go of it when it stops. */
export async function attachJobQueue(source: JobQueueSource, onError: (error: unknown) => void): Promise<{ boss: PgBoss; detach: () => Promise<void> }> {
  if ("jobs" in source) return { boss: source.jobs.boss, detach: async () => {} };
  const own = await startJobQueue({ connectionString: source.connectionString, onError });
  return { boss: own.boss, detach: own.stop };
}
