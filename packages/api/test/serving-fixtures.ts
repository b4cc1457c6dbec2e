// Shared by the serving integration tests: a data plane with a real ONNX runtime over a local
// artifact store, and models logged and registered through the REST API as the mlflow client does.
import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import { createLocalArtifactStore } from "@modelgate/artifacts";
import type { Db } from "@modelgate/db";
import { createModelRuntime } from "@modelgate/serving";
import { linearOnnxModel, type TestOnnxModel } from "../../serving/src/testing.ts";
import { createDataPlaneApp } from "../src/rest/index.ts";
import { createServingService, storeFileReader, type ServingService } from "../src/serving/index.ts";
import { experimentAndRun, uniq, type RegistryClient } from "./registry-fixtures.ts";

export const A = "/api/2.0/mlflow-artifacts/artifacts";
export const SE = "/api/2.0/serving-endpoints";

export interface ServingHarness {
  app: FastifyInstance;
  serving: ServingService;
  close(): Promise<void>;
}

export async function servingHarness(db: Db, opts: { servingBodyLimit?: number } = {}): Promise<ServingHarness> {
  const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), "mg-serving-"));
  const store = createLocalArtifactStore({ root: path.join(tmp, "root") });
  const serving = createServingService({ db, runtime: createModelRuntime({ readFile: storeFileReader(store) }), log: () => {} });
  const app = await createDataPlaneApp({ db, version: "t", artifacts: store, serving, ...(opts.servingBodyLimit ? { servingBodyLimit: opts.servingBodyLimit } : {}) });
  return {
    app,
    serving,
    async close() {
      await app.close();
      serving.close();
      await fsp.rm(tmp, { recursive: true, force: true });
    },
  };
}

/** Uploads the model's files under a new run's `model/` dir; returns the source to register. */
export async function logModel(app: FastifyInstance, c: RegistryClient, files: Record<string, string | Uint8Array>) {
  const run = await experimentAndRun(c);
  for (const [file, body] of Object.entries(files)) {
    const r = await app.inject({ method: "PUT", url: `${A}/${run.experimentId}/${run.runId}/artifacts/model/${file}`, headers: c.headers, payload: Buffer.from(body) });
    if (r.statusCode !== 200) throw new Error(`upload ${file}: ${r.body}`);
  }
  return { source: `${run.artifactUri}/model`, runId: run.runId };
}

export const onnxFiles = (m: TestOnnxModel) => ({ "model.onnx": m.bytes, MLmodel: m.mlmodel, "input_example.json": m.inputExample });

/** Registers a new version of `name` (created when missing) from the files. */
export async function registerVersion(app: FastifyInstance, c: RegistryClient, name: string, files: Record<string, string | Uint8Array>): Promise<string> {
  const { source, runId } = await logModel(app, c, files);
  const existing = await c.call("GET", "/registered-models/get", { name });
  if (existing.status !== 200) await c.call("POST", "/registered-models/create", { name });
  const v = await c.call("POST", "/model-versions/create", { name, source, run_id: runId });
  if (v.status !== 200 || v.body.model_version.status !== "READY") throw new Error(`model-versions/create: ${v.raw}`);
  return v.body.model_version.version as string;
}

/** A model with v1 and v2 (different weights) and `champion` → v1. */
export async function championModel(app: FastifyInstance, c: RegistryClient) {
  const name = uniq("fraud");
  const v1 = linearOnnxModel({ features: 3, weights: [1, 2, 3], bias: 0.5 });
  const v2 = linearOnnxModel({ features: 3, weights: [-1, 0.5, 10], bias: -2 });
  await registerVersion(app, c, name, onnxFiles(v1));
  await registerVersion(app, c, name, onnxFiles(v2));
  const alias = await c.call("POST", "/registered-models/alias", { name, alias: "champion", version: "1" });
  if (alias.status !== 200) throw new Error(`alias: ${alias.raw}`);
  return { name, v1, v2 };
}

/** Predictions as plain numbers, whichever MLflow shape the runtime answers with. */
export function flat(predictions: unknown): number[] {
  const one = (p: unknown): number => {
    if (typeof p === "number") return p;
    if (Array.isArray(p) && p.length === 1) return one(p[0]);
    if (p && typeof p === "object") {
      const values = Object.values(p);
      if (values.length === 1) return one(values[0]);
    }
    throw new Error(`unexpected prediction ${JSON.stringify(p)}`);
  };
  if (Array.isArray(predictions)) return predictions.map(one);
  if (predictions && typeof predictions === "object") {
    const values = Object.values(predictions);
    if (values.length === 1 && Array.isArray(values[0])) return (values[0] as unknown[]).map(one);
  }
  throw new Error(`unexpected predictions ${JSON.stringify(predictions)}`);
}

export function expectClose(actual: number[], expected: number[]) {
  if (actual.length !== expected.length) throw new Error(`got ${actual.length} predictions, expected ${expected.length}`);
  actual.forEach((a, i) => {
    if (Math.abs(a - expected[i]!) > 1e-4 * Math.max(1, Math.abs(expected[i]!))) throw new Error(`prediction ${i}: ${a} ≠ ${expected[i]}`);
  });
}
