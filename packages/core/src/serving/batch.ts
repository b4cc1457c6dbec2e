import crypto from "node:crypto";
import { z } from "zod";
import { Prisma } from "@modelgate/db";
import { recordAudit } from "../audit/record-audit.ts";
import { type Ctx, actorName, actorUserId } from "../context.ts";
import { DomainError, invalid, notFound } from "../errors.ts";
import { modelGrantSql, modelLevelAtLeast, readableModelsSql, resolveModelLevel } from "../registry/access.ts";
import { loadModel } from "../registry/models.ts";
import type { ModelPermissionLevel } from "../registry/types.ts";
import { parseVersion } from "../registry/validate.ts";
import { artifactStorePath, authorizeArtifactPath } from "../tracking/artifact-access.ts";
import { assertExperimentActive, loadExperiment } from "../tracking/experiments.ts";
import { createRun, getRun } from "../tracking/runs.ts";
import { parseInput } from "../validation.ts";
import { assertServable, resolveTarget } from "./endpoints.ts";

// Batch scoring: score a CSV or JSON-lines file with one servable version, in the background,
// writing `predictions.csv` to a new run of a chosen experiment. Creating needs READ on the model
// and EDIT on the experiment; cancelling, the creator or MANAGE on the model; reading, READ.
//
// The input is a store path the caller may read, given as either
//  - `{ run_id, path }`: an artifact of a run, or
//  - `{ upload_path }`: a file uploaded through the artifact proxy
//    (`PUT /api/2.0/mlflow-artifacts/artifacts/<upload_path>`). There is no separate staging
//    namespace: uploads go under a run's artifact root like any artifact (conventionally a run
//    named e.g. "batch inputs" in the target experiment), so the one artifact access rule covers
//    them and they are listed, downloaded and deleted like any other artifact.
//
// The job row and its queue job are written in one transaction (the queue is registered by the
// worker in packages/api, as for webhooks); the worker side (start, progress, finish) is below.

export const BATCH_FORMATS = ["csv", "jsonl"] as const;
export type BatchFormat = (typeof BATCH_FORMATS)[number];
export const BATCH_OUTPUT_FILE = "predictions.csv";
export const BATCH_JOB_STATUSES = ["QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"] as const;
export type BatchJobStatus = (typeof BATCH_JOB_STATUSES)[number];

/** Where batch jobs go: the worker's pg-boss queue, written through the caller's transaction. */
export interface BatchQueue {
  enqueue(tx: Prisma.TransactionClient, jobIds: string[]): Promise<void>;
}

// One per process on globalThis (Next.js bundles its own copy of core for the portal plane).
const KEY = Symbol.for("modelgate.batchQueue");
const store = globalThis as unknown as Record<symbol, { queue: BatchQueue | null } | undefined>;
const config = (store[KEY] ??= { queue: null });

/** Without a queue (no worker in this process) jobs stay QUEUED until a worker starts and queues them. */
export function configureBatchScoring(opts: { queue: BatchQueue | null }) {
  config.queue = opts.queue;
}
export const batchQueue = () => config.queue;

export interface BatchJobView {
  id: string;
  model_name: string;
  version: number;
  /** Store path of the input (`<experiment>/<run>/artifacts/...`). */
  input_path: string;
  input_format: BatchFormat;
  experiment_id: string;
  /** The run that receives the predictions (created with the job). */
  run_id: string | null;
  /** Store path of predictions.csv. */
  output_path: string | null;
  status: BatchJobStatus;
  rows_done: number;
  /** Exact once SUCCEEDED; while RUNNING an estimate from the bytes read (rows_total_estimated). */
  rows_total: number | null;
  rows_total_estimated: boolean;
  error: string | null;
  cancel_requested: boolean;
  creator: string;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  /** The caller's level on the model (the portal shows the cancel action by it). */
  permission_level: ModelPermissionLevel;
  can_cancel: boolean;
}

const include = { model: { select: { name: true } }, version: { select: { version: true } } } as const;
type JobRow = Prisma.BatchScoringJobGetPayload<{ include: typeof include }>;

const TERMINAL: readonly BatchJobStatus[] = ["SUCCEEDED", "FAILED", "CANCELLED"];
const isCreator = (ctx: Ctx, r: { createdBy: string | null }) => ctx.actor.kind === "user" && r.createdBy === ctx.actor.userId;

function toView(ctx: Ctx, r: JobRow, level: ModelPermissionLevel): BatchJobView {
  return {
    id: r.id,
    model_name: r.model.name,
    version: r.version.version,
    input_path: r.inputPath,
    input_format: r.inputFormat as BatchFormat,
    experiment_id: String(r.experimentId),
    run_id: r.runId,
    output_path: r.outputPath,
    status: r.status,
    rows_done: Number(r.rowsDone),
    rows_total: r.rowsTotal === null ? null : Number(r.rowsTotal),
    rows_total_estimated: r.status === "RUNNING" && r.rowsTotal !== null,
    error: r.error,
    cancel_requested: r.cancelRequested,
    creator: r.creatorName,
    created_at: Number(r.createdAt),
    started_at: r.startedAt === null ? null : Number(r.startedAt),
    finished_at: r.finishedAt === null ? null : Number(r.finishedAt),
    permission_level: level,
    can_cancel: !TERMINAL.includes(r.status) && (isCreator(ctx, r) || modelLevelAtLeast(level, "MANAGE")),
  };
}

/** A relative store path: no empty, `.` or `..` segments, no backslashes (the store checks again). */
function cleanPath(raw: string, field: string): string {
  const p = raw.replace(/^\/+/, "").replace(/\/+$/, "");
  if (!p || p.includes("\\") || p.includes("\0") || p.split("/").some((s) => s === "" || s === "." || s === "..")) throw invalid(`Invalid ${field} '${raw}'`);
  return p;
}

function formatOf(path: string, given: BatchFormat | undefined): BatchFormat {
  if (given) return given;
  if (/\.csv$/i.test(path)) return "csv";
  if (/\.(jsonl|ndjson)$/i.test(path)) return "jsonl";
  throw invalid(`Cannot tell the format of '${path}' from its name: set format to 'csv' or 'jsonl'.`);
}

export const createBatchJobInput = z.object({
  model_name: z.string().min(1),
  version: z.union([z.string().min(1), z.number().int()]),
  input: z.union([z.object({ run_id: z.string().min(1), path: z.string().min(1) }).strict(), z.object({ upload_path: z.string().min(1) }).strict()]),
  /** Inferred from the file name (.csv, .jsonl, .ndjson) when left out. */
  format: z.enum(BATCH_FORMATS).optional(),
  experiment_id: z.string().min(1),
  run_name: z.string().min(1).max(250).optional(),
});
export type CreateBatchJobInput = z.input<typeof createBatchJobInput>;

/** The store path of the input, after checking that the caller may read it. */
async function inputPathOf(ctx: Ctx, input: z.output<typeof createBatchJobInput>["input"]): Promise<string> {
  let path: string;
  if ("upload_path" in input) path = cleanPath(input.upload_path, "upload_path");
  else {
    const run = await getRun(ctx, input.run_id);
    const root = artifactStorePath(run.info.artifact_uri);
    if (root === null) throw invalid(`The artifacts of run ${input.run_id} are not in Modelgate's artifact store (${run.info.artifact_uri}), so they cannot be batch scored.`);
    path = `${root}/${cleanPath(input.path, "path")}`;
  }
  await authorizeArtifactPath(ctx, path, "READ");
  return path;
}

export async function createBatchJob(ctx: Ctx, raw: CreateBatchJobInput): Promise<BatchJobView> {
  const input = parseInput(createBatchJobInput, raw);
  const model = await loadModel(ctx, input.model_name, "READ");
  const target = { kind: "VERSION" as const, version: parseVersion(input.version) };
  const resolved = await resolveTarget(ctx.db, model.id, target);
  assertServable(model.name, resolved, target);
  const inputPath = await inputPathOf(ctx, input.input);
  const format = formatOf(inputPath, input.format);
  const exp = await loadExperiment(ctx, input.experiment_id, "EDIT");
  assertExperimentActive(exp);
  if (artifactStorePath(exp.artifactLocation) === null) {
    throw invalid(`Experiment ${exp.id} keeps its artifacts outside Modelgate's artifact store (${exp.artifactLocation}): choose an experiment whose predictions Modelgate can write.`);
  }
  const id = crypto.randomUUID();
  // the run exists from the start, so the job links to where its predictions will be
  const run = await createRun(ctx, {
    experiment_id: input.experiment_id,
    start_time: Date.now(),
    run_name: input.run_name ?? `batch-${model.name}-v${resolved!.version}`,
    tags: [
      { key: "modelgate.batch.job_id", value: id },
      { key: "modelgate.batch.model_name", value: model.name },
      { key: "modelgate.batch.model_version", value: String(resolved!.version) },
      { key: "modelgate.batch.input_path", value: inputPath },
    ],
  });
  const root = artifactStorePath(run.info.artifact_uri)!;
  const now = BigInt(Date.now());
  try {
    const row = await ctx.db.$transaction(async (tx) => {
      const r = await tx.batchScoringJob.create({
        data: {
          id,
          modelId: model.id,
          versionPk: resolved!.pk,
          inputPath,
          inputFormat: format,
          experimentId: exp.id,
          runId: run.info.run_id,
          outputPath: `${root}/${BATCH_OUTPUT_FILE}`,
          createdBy: actorUserId(ctx.actor),
          creatorName: actorName(ctx.actor),
          createdAt: now,
        },
        include,
      });
      await recordAudit(ctx, tx, {
        action: "serving.batch_create",
        resourceType: "batch_job",
        resourceId: id,
        after: { model: model.name, version: resolved!.version, input_path: inputPath, format, experiment_id: String(exp.id), run_id: run.info.run_id },
      });
      await config.queue?.enqueue(tx, [id]);
      return r;
    });
    return toView(ctx, row, model.level);
  } catch (e) {
    await ctx.db.run.update({ where: { id: run.info.run_id }, data: { status: "FAILED", endTime: BigInt(Date.now()) } }).catch(() => {});
    throw e;
  }
}

const jobNotFound = (id: string) => notFound(`Batch scoring job '${id}' does not exist`);

/** The job and the caller's level on its model; a job of a model the caller may not read is not found. */
async function loadJob(ctx: Ctx, id: string): Promise<{ row: JobRow; level: ModelPermissionLevel }> {
  if (!z.uuid().safeParse(id).success) throw jobNotFound(id);
  const row = await ctx.db.batchScoringJob.findUnique({ where: { id }, include });
  if (!row) throw jobNotFound(id);
  const model = await loadModel(ctx, row.model.name, "READ").catch(() => {
    throw jobNotFound(id);
  });
  return { row, level: model.level };
}

export async function getBatchJob(ctx: Ctx, input: { id: string }): Promise<BatchJobView> {
  const { row, level } = await loadJob(ctx, input.id);
  return toView(ctx, row, level);
}

export const listBatchJobsInput = z.object({
  model_name: z.string().min(1).optional(),
  status: z.enum(BATCH_JOB_STATUSES).optional(),
  max_results: z.coerce.number().int().min(1).max(1000).optional(),
  page_token: z.string().optional(),
});
export type ListBatchJobsInput = z.input<typeof listBatchJobsInput>;

/** Jobs of models the caller may read, newest first; page_token is the offset of the next page. */
export async function listBatchJobs(ctx: Ctx, raw: ListBatchJobsInput = {}): Promise<{ jobs: BatchJobView[]; next_page_token?: string }> {
  const input = parseInput(listBatchJobsInput, raw);
  const limit = input.max_results ?? 100;
  const offset = input.page_token ? Number.parseInt(Buffer.from(input.page_token, "base64url").toString(), 10) : 0;
  if (!Number.isSafeInteger(offset) || offset < 0) throw invalid("Invalid page_token");
  const rows = await ctx.db.$queryRaw<{ id: string; owner_id: string | null; grant_level: string | null }[]>`
    SELECT j.id::text AS id, m.owner_id::text AS owner_id, ${modelGrantSql(ctx.actor)} AS grant_level
    FROM batch_scoring_job j JOIN registered_model m ON m.id = j.model_id
    WHERE ${readableModelsSql(ctx)}
      ${input.model_name ? Prisma.sql`AND m.name = ${input.model_name}` : Prisma.empty}
      ${input.status ? Prisma.sql`AND j.status = ${input.status}::"BatchJobStatus"` : Prisma.empty}
    ORDER BY j.created_at DESC, j.id LIMIT ${limit + 1} OFFSET ${offset}`;
  const page = rows.slice(0, limit);
  const levels = new Map(page.map((r) => [r.id, resolveModelLevel(ctx.actor, { ownerId: r.owner_id, grant: r.grant_level })]));
  const full = new Map((await ctx.db.batchScoringJob.findMany({ where: { id: { in: page.map((r) => r.id) } }, include })).map((r) => [r.id, r]));
  const jobs = page.flatMap((r) => {
    const row = full.get(r.id);
    const level = levels.get(r.id);
    return row && level ? [toView(ctx, row, level)] : [];
  });
  return rows.length > limit ? { jobs, next_page_token: Buffer.from(String(offset + limit)).toString("base64url") } : { jobs };
}

/**
 * A QUEUED job is cancelled at once; a RUNNING one gets cancel_requested and its worker stops at
 * the next chunk. Cancelling a cancelled job is a no-op; a finished one cannot be cancelled.
 */
export async function cancelBatchJob(ctx: Ctx, input: { id: string }): Promise<BatchJobView> {
  const { row, level } = await loadJob(ctx, input.id);
  if (!isCreator(ctx, row) && !modelLevelAtLeast(level, "MANAGE")) await loadModel(ctx, row.model.name, "MANAGE"); // throws the 403
  if (row.status === "CANCELLED" || (row.cancelRequested && row.status === "RUNNING")) return toView(ctx, row, level);
  if (row.status === "SUCCEEDED" || row.status === "FAILED") throw new DomainError("INVALID_STATE", `Batch scoring job '${row.id}' already ${row.status === "SUCCEEDED" ? "succeeded" : "failed"}.`);
  const updated = await ctx.db.$transaction(async (tx) => {
    const now = BigInt(Date.now());
    // QUEUED → CANCELLED directly; RUNNING → flag for the worker (the WHERE guards against a race with it)
    await tx.batchScoringJob.updateMany({ where: { id: row.id, status: "QUEUED" }, data: { status: "CANCELLED", cancelRequested: true, finishedAt: now } });
    await tx.batchScoringJob.updateMany({ where: { id: row.id, status: "RUNNING" }, data: { cancelRequested: true } });
    const r = await tx.batchScoringJob.findUniqueOrThrow({ where: { id: row.id }, include });
    if (r.status === "CANCELLED" && r.runId) await tx.run.updateMany({ where: { id: r.runId, status: "RUNNING" }, data: { status: "KILLED", endTime: now } });
    await recordAudit(ctx, tx, { action: "serving.batch_cancel", resourceType: "batch_job", resourceId: row.id, before: { status: row.status }, after: { status: r.status, cancel_requested: true } });
    return r;
  });
  return toView(ctx, updated, level);
}

// ---- the worker's side (system, no actor): claim, progress, finish -------------------------------

export interface BatchWork {
  id: string;
  modelId: number;
  modelName: string;
  version: number;
  /** The version's store path and MLmodel (checked servable when claimed). */
  storePath: string;
  mlmodel: unknown;
  inputPath: string;
  inputFormat: BatchFormat;
  outputPath: string;
}

/**
 * Marks the job RUNNING (again, after a restart: progress starts over) and returns what to do, or
 * null when there is nothing to do (finished, cancelled: a cancel requested before the start ends it here).
 */
export async function claimBatchJob(db: Ctx["db"], id: string): Promise<BatchWork | null> {
  const row = await db.batchScoringJob.findUnique({ where: { id }, include: { ...include, version: { select: { version: true, storePath: true, mlmodel: true, status: true, pk: true } } } });
  if (!row || TERMINAL.includes(row.status)) return null;
  if (row.cancelRequested) {
    await finishBatchJob(db, id, { status: "CANCELLED" });
    return null;
  }
  const v = row.version;
  const target = { kind: "VERSION" as const, version: v.version };
  try {
    assertServable(row.model.name, { pk: v.pk, version: v.version, storePath: v.storePath, status: v.status, mlmodel: v.mlmodel as never }, target);
    if (!row.outputPath) throw new Error("The job has no output path");
  } catch (e) {
    await failBatchJob(db, id, (e as Error).message);
    return null;
  }
  const { count } = await db.batchScoringJob.updateMany({
    where: { id, status: { in: ["QUEUED", "RUNNING"] }, cancelRequested: false },
    data: { status: "RUNNING", startedAt: BigInt(Date.now()), rowsDone: 0, rowsTotal: null, error: null },
  });
  if (count === 0) return claimBatchJob(db, id); // cancelled in between: settle it
  return {
    id,
    modelId: row.modelId,
    modelName: row.model.name,
    version: v.version,
    storePath: v.storePath!,
    mlmodel: v.mlmodel,
    inputPath: row.inputPath,
    inputFormat: row.inputFormat as BatchFormat,
    outputPath: row.outputPath!,
  };
}

/** Writes progress; returns whether a cancel was requested (checked in the same statement). */
export async function reportBatchProgress(db: Ctx["db"], id: string, p: { rowsDone: number; rowsTotalEstimate: number | null }): Promise<{ cancelRequested: boolean }> {
  const rows = await db.$queryRaw<{ cancel_requested: boolean }[]>`
    UPDATE batch_scoring_job SET rows_done = ${p.rowsDone}, rows_total = ${p.rowsTotalEstimate === null ? null : Math.round(p.rowsTotalEstimate)}::bigint
    WHERE id = ${id}::uuid AND status = 'RUNNING' RETURNING cancel_requested`;
  // a row no longer RUNNING (cancelled while queued, deleted with its model) stops the worker too
  return { cancelRequested: rows[0]?.cancel_requested ?? true };
}

/** Whether a running job should stop: a cancel was requested, or it is no longer RUNNING (or gone). */
export async function batchJobCancelRequested(db: Ctx["db"], id: string): Promise<boolean> {
  const row = await db.batchScoringJob.findUnique({ where: { id }, select: { cancelRequested: true, status: true } });
  return !row || row.cancelRequested || row.status !== "RUNNING";
}

export type BatchOutcome = { status: "SUCCEEDED"; rowsDone: number } | { status: "FAILED"; error: string; rowsDone?: number } | { status: "CANCELLED"; rowsDone?: number };

/** Settles the job and its run (FINISHED, FAILED or KILLED) together. */
export async function finishBatchJob(db: Ctx["db"], id: string, outcome: BatchOutcome): Promise<void> {
  const now = BigInt(Date.now());
  await db.$transaction(async (tx) => {
    const { count } = await tx.batchScoringJob.updateMany({
      where: { id, status: { in: ["QUEUED", "RUNNING"] } },
      data: {
        status: outcome.status,
        finishedAt: now,
        ...(outcome.rowsDone !== undefined ? { rowsDone: outcome.rowsDone } : {}),
        ...(outcome.status === "SUCCEEDED" ? { rowsTotal: outcome.rowsDone } : outcome.status === "FAILED" ? { error: outcome.error.slice(0, 4000) } : {}),
      },
    });
    const job = await tx.batchScoringJob.findUnique({ where: { id }, select: { runId: true } });
    if (count && job?.runId) {
      const runStatus = outcome.status === "SUCCEEDED" ? "FINISHED" : outcome.status === "FAILED" ? "FAILED" : "KILLED";
      await tx.run.updateMany({ where: { id: job.runId }, data: { status: runStatus, endTime: now } });
    }
  });
}

export const failBatchJob = (db: Ctx["db"], id: string, error: string) => finishBatchJob(db, id, { status: "FAILED", error });

/** Jobs a worker should (re)queue at start: QUEUED ones written without a queue, RUNNING ones of a dead process. */
export async function unfinishedBatchJobIds(db: Ctx["db"]): Promise<string[]> {
  const rows = await db.batchScoringJob.findMany({ where: { status: { in: ["QUEUED", "RUNNING"] } }, select: { id: true }, orderBy: { createdAt: "asc" } });
  return rows.map((r) => r.id);
}
