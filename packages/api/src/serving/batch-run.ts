import { once } from "node:events";
import { PassThrough } from "node:stream";
import { isNotFound, type ArtifactStore } from "@modelgate/artifacts";
import { batchJobCancelRequested, claimBatchJob, finishBatchJob, reportBatchProgress, type BatchWork } from "@modelgate/core";
import type { Db } from "@modelgate/db";
import { ModelLoadError, ScoringInputError, versionKey, type LoadedModel, type MlmodelLike, type ModelRuntime } from "@modelgate/serving";
import { BatchInputError, readRecordBatches, type RecordBatch } from "./batch-reader.ts";

// Runs one batch scoring job: stream the input from the store, score it in chunks with the
// version's loaded model, stream `predictions.csv` (one `prediction` column, input order) into
// the job's run. Progress (rows_done, and rows_total estimated from the bytes read) is written
// at most every `progressMs`; a cancel is looked for after every chunk. The job ends SUCCEEDED,
// FAILED (with the reason, naming the input line when a row is at fault) or CANCELLED; a partial
// predictions file is deleted. A job re-run after a crash starts over (claimBatchJob resets it).

export interface BatchRunOptions {
  db: Db;
  store: ArtifactStore;
  runtime: ModelRuntime;
  /** Rows per predictRecords call (default 10 000). */
  chunkRows?: number;
  /** Least time between two progress writes (default 500 ms). */
  progressMs?: number;
  /** Aborted when the process shuts down: the job stops at the next chunk and stays RUNNING (re-run later). */
  signal?: AbortSignal;
}

export type BatchRunResult = { status: "SUCCEEDED" | "CANCELLED" | "FAILED" | "SKIPPED"; rows: number; ms: number };

class Cancelled extends Error {}

/** The worker is stopping: the job is left RUNNING for pg-boss to run again. */
export class BatchInterrupted extends Error {
  override readonly name = "BatchInterrupted";
}

export async function runBatchJob(opts: BatchRunOptions, jobId: string): Promise<BatchRunResult> {
  const t0 = performance.now();
  const work = await claimBatchJob(opts.db, jobId);
  if (!work) return { status: "SKIPPED", rows: 0, ms: 0 };
  const state = { rows: 0 };
  try {
    await score(opts, work, state);
    await finishBatchJob(opts.db, jobId, { status: "SUCCEEDED", rowsDone: state.rows });
    return { status: "SUCCEEDED", rows: state.rows, ms: performance.now() - t0 };
  } catch (e) {
    await opts.store.delete(work.outputPath).catch(() => undefined);
    if (e instanceof BatchInterrupted) throw e;
    if (e instanceof Cancelled) {
      await finishBatchJob(opts.db, jobId, { status: "CANCELLED", rowsDone: state.rows });
      return { status: "CANCELLED", rows: state.rows, ms: performance.now() - t0 };
    }
    await finishBatchJob(opts.db, jobId, { status: "FAILED", error: reasonOf(e, work), rowsDone: state.rows });
    return { status: "FAILED", rows: state.rows, ms: performance.now() - t0 };
  }
}

function reasonOf(e: unknown, work: BatchWork): string {
  if (e instanceof BatchInputError || e instanceof ScoringInputError) return e.message;
  if (isNotFound(e)) return `The input file ${work.inputPath} does not exist in the artifact store`;
  if (e instanceof ModelLoadError) return `Version ${work.version} of '${work.modelName}' could not be loaded: ${e.message}`;
  // database errors may carry SQL text: logged here, never shown to users
  if (e instanceof Error && !e.name.startsWith("Prisma")) return `Scoring failed: ${e.message}`;
  console.error(`[modelgate] batch scoring job ${work.id}:`, e);
  return "Scoring failed: an internal error occurred (see the server log)";
}

async function score(opts: BatchRunOptions, work: BatchWork, state: { rows: number }) {
  const { db, store } = opts;
  const chunkRows = opts.chunkRows ?? 10_000;
  const progressMs = opts.progressMs ?? 500;
  const key = versionKey(work.modelId, work.version);
  const model = await opts.runtime.acquire({ key, storePath: work.storePath, mlmodel: work.mlmodel as MlmodelLike });
  const input = await store.get(work.inputPath).catch((e: unknown) => {
    opts.runtime.release(key);
    throw e;
  });
  const out = new PassThrough({ highWaterMark: 1 << 20 });
  const writing = store.put(work.outputPath, out);
  // a failed put must not go unobserved while we are still scoring
  writing.catch(() => undefined);
  const progress = { bytes: 0 };
  let lastReport = performance.now();
  try {
    await write(out, writing, "prediction\n");
    for await (const batch of readRecordBatches(input.stream, work.inputFormat, chunkRows, progress)) {
      const predictions = await predict(model, batch);
      await write(out, writing, csvLines(predictions));
      state.rows += batch.rows.length;
      const now = performance.now();
      let cancel: boolean;
      if (now - lastReport >= progressMs) {
        lastReport = now;
        const estimate = progress.bytes > 0 && input.size > 0 ? (state.rows * input.size) / progress.bytes : null;
        cancel = (await reportBatchProgress(db, work.id, { rowsDone: state.rows, rowsTotalEstimate: estimate })).cancelRequested;
      } else {
        cancel = await batchJobCancelRequested(db, work.id);
      }
      if (cancel) throw new Cancelled();
      if (opts.signal?.aborted) throw new BatchInterrupted(`Batch scoring job ${work.id} interrupted: the worker is stopping`);
    }
    out.end();
    await writing;
  } catch (e) {
    input.stream.destroy();
    out.destroy();
    await writing.catch(() => undefined);
    throw e;
  } finally {
    opts.runtime.release(key);
  }
}

/** Writes with backpressure; a store that fails while we wait ends the wait with its error. */
async function write(out: PassThrough, writing: Promise<void>, text: string) {
  if (out.write(text)) return;
  await Promise.race([once(out, "drain"), writing]);
}

/**
 * Scores a chunk. When the model refuses it (a row breaks the signature), the first bad row is
 * found by bisection (only on this failure path) and the error names its input line.
 */
async function predict(model: LoadedModel, batch: RecordBatch): Promise<unknown[]> {
  try {
    return await model.predictRecords(batch.rows);
  } catch (e) {
    if (!(e instanceof ScoringInputError)) throw e;
    let lo = 0;
    let hi = batch.rows.length;
    let error: Error = e;
    // invariant: rows[lo, hi) hold a bad row
    while (hi - lo > 1) {
      const mid = (lo + hi) >>> 1;
      const err = await model.predictRecords(batch.rows.slice(lo, mid)).then(
        () => null,
        (x: unknown) => (x instanceof ScoringInputError ? x : null),
      );
      if (err) {
        hi = mid;
        error = err;
      } else lo = mid;
    }
    // the row found, scored alone, gives the clearest message
    const alone = await model.predictRecords([batch.rows[lo]!]).then(
      () => null,
      (x: unknown) => (x instanceof ScoringInputError ? x : null),
    );
    if (alone) error = alone;
    throw new ScoringInputError(`Line ${batch.lines[lo]}: ${error.message}`);
  }
}

/** One CSV line per prediction: a scalar as is, a one-element array as its element, else JSON. */
export function csvLines(predictions: unknown[]): string {
  let s = "";
  for (const p of predictions) s += csvField(Array.isArray(p) && p.length === 1 ? p[0] : p) + "\n";
  return s;
}

function csvField(v: unknown): string {
  if (typeof v === "number") return String(v);
  if (v === null || v === undefined) return "";
  if (typeof v === "boolean" || typeof v === "bigint") return String(v);
  const text = typeof v === "string" ? v : JSON.stringify(v);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
