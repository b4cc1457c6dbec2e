// Shared by the batch scoring tests: a data plane over a local artifact store, the pg-boss batch
// worker with a real ONNX runtime, a linear model logged and registered through REST, and input
// files uploaded through the artifact proxy.
import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { FastifyInstance } from "fastify";
import { createLocalArtifactStore, type ArtifactStore } from "@modelgate/artifacts";
import type { BatchJobView } from "@modelgate/core";
import type { Db } from "@modelgate/db";
import { createModelRuntime } from "@modelgate/serving";
import { linearOnnxModel, type TestOnnxModel } from "../../serving/src/testing.ts";
import { createDataPlaneApp } from "../src/rest/index.ts";
import { startJobQueue } from "../src/jobs/queue.ts";
import { startBatchScoring, type BatchScoring } from "../src/serving/batch-worker.ts";
import { storeFileReader } from "../src/store-readers.ts";
import { experimentAndRun, uniq, type RegistryClient } from "./registry-fixtures.ts";
import { A, onnxFiles, registerVersion } from "./serving-fixtures.ts";

export const J = "/api/2.0/serving-jobs";

export interface BatchHarness {
  app: FastifyInstance;
  store: ArtifactStore;
  worker: BatchScoring | null;
  startWorker(opts?: { chunkRows?: number }): Promise<BatchScoring>;
  stopWorker(): Promise<void>;
  close(): Promise<void>;
}

export async function batchHarness(db: Db, dbUrl: string): Promise<BatchHarness> {
  const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), "mg-batch-"));
  const store = createLocalArtifactStore({ root: path.join(tmp, "root") });
  const runtime = createModelRuntime({ readFile: storeFileReader(store) });
  const app = await createDataPlaneApp({ db, version: "t", artifacts: store });
  const jobs = await startJobQueue({ connectionString: dbUrl, onError: () => {} });
  const h: BatchHarness = {
    app,
    store,
    worker: null,
    async startWorker(opts = {}) {
      h.worker = await startBatchScoring({ db, jobs, store, runtime, pollingIntervalSeconds: 0.5, progressMs: 50, chunkRows: opts.chunkRows ?? 2000, onError: () => {} });
      return h.worker;
    },
    async stopWorker() {
      await h.worker?.stop();
      h.worker = null;
    },
    async close() {
      await h.stopWorker();
      await jobs.stop();
      await app.close();
      await fsp.rm(tmp, { recursive: true, force: true });
    },
  };
  return h;
}

/** A 3-feature linear model registered as version 1 of a new model owned by `c`. */
export async function linearModel(app: FastifyInstance, c: RegistryClient): Promise<{ name: string; model: TestOnnxModel }> {
  const name = uniq("batch");
  const model = linearOnnxModel({ features: 3, weights: [0.5, -2, 3], bias: 1.25 });
  await registerVersion(app, c, name, onnxFiles(model));
  return { name, model };
}

/** Row i of the generated inputs. */
export const rowOf = (i: number): number[] => [(i % 97) / 10, (i % 13) - 6, i / 100_000];

export function csvOf(rows: number, bad?: { row: number; text: string }): string {
  const lines = ["f0,f1,f2"];
  for (let i = 0; i < rows; i++) lines.push(bad?.row === i ? bad.text : rowOf(i).join(","));
  return lines.join("\n") + "\n";
}

export function jsonlOf(rows: number): string {
  let s = "";
  for (let i = 0; i < rows; i++) {
    const [f0, f1, f2] = rowOf(i);
    s += JSON.stringify({ f0, f1, f2 }) + "\n";
  }
  return s;
}

/** Uploads `body` through the artifact proxy under a new run of `c`; returns where it went. */
export async function uploadInput(app: FastifyInstance, c: RegistryClient, file: string, body: string) {
  const run = await experimentAndRun(c);
  const storePath = `${run.experimentId}/${run.runId}/artifacts/${file}`;
  const r = await app.inject({ method: "PUT", url: `${A}/${storePath}`, headers: c.headers, payload: Buffer.from(body) });
  if (r.statusCode !== 200) throw new Error(`upload ${file}: ${r.body}`);
  return { ...run, storePath, path: file };
}

/** Polls the job (as `c`, over REST) until `done` says so; every state seen is kept. */
export async function waitForJob(c: RegistryClient, id: string, done: (j: BatchJobView) => boolean = (j) => ["SUCCEEDED", "FAILED", "CANCELLED"].includes(j.status), timeoutMs = 60_000) {
  const seen: BatchJobView[] = [];
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = await c.call("GET", "/get", { id }, J);
    if (r.status !== 200) throw new Error(`serving-jobs/get: ${r.raw}`);
    const job = r.body.job as BatchJobView;
    seen.push(job);
    if (done(job)) return { job, seen };
    if (Date.now() > until) throw new Error(`job ${id} still ${job.status} after ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** The predictions file of a job, downloaded through the artifact proxy, as numbers. */
export async function predictionsOf(app: FastifyInstance, c: RegistryClient, job: BatchJobView): Promise<number[]> {
  const r = await app.inject({ method: "GET", url: `${A}/${job.output_path}`, headers: c.headers });
  if (r.statusCode !== 200) throw new Error(`download predictions: ${r.body}`);
  const lines = r.body.split("\n");
  if (lines[0] !== "prediction") throw new Error(`unexpected header ${lines[0]}`);
  if (lines.at(-1) === "") lines.pop();
  return lines.slice(1).map(Number);
}
