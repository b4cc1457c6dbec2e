export * from "./trpc/index.ts";
export * from "./rest/index.ts";
export * from "./webhooks/index.ts";
export * from "./serving/index.ts";
export { startJobQueue, type JobQueue, type JobQueueOptions } from "./jobs/queue.ts";
export { startBatchScoring, type BatchScoring, type BatchScoringOptions } from "./serving/batch-worker.ts";
export type { BatchRunResult } from "./serving/batch-run.ts";
export { startTraceRetention, retentionCron, TRACE_RETENTION_QUEUE, type TraceRetention, type TraceRetentionOptions } from "./jobs/trace-retention.ts";
