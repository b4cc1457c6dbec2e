export * from "./trpc/index.ts";
export * from "./rest/index.ts";
export * from "./webhooks/index.ts";
export * from "./serving/index.ts";
export { startBatchScoring, BATCH_QUEUE, type BatchScoring, type BatchScoringOptions } from "./serving/batch-worker.ts";
export { runBatchJob, type BatchRunResult } from "./serving/batch-run.ts";
