import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServingService, storeFileReader, type ServingService } from "../src/serving/index.ts";
import { getModelVersionDetail, setModelPermission, setPolicy } from "@modelgate/core";
import type { Db } from "@modelgate/db";
import { useTestDatabase } from "@modelgate/db/test-db";
import { createModelRuntime } from "@modelgate/serving";
import { linearOnnxModel } from "../../serving/src/testing.ts";
import { batchHarness, csvOf, J, predictionsOf, rowOf, uploadInput, waitForJob, type BatchHarness } from "./batch-fixtures.ts";
import { experimentAndRun, registryClient, uniq, type RegistryClient } from "./registry-fixtures.ts";
import { A, expectClose, flat, onnxFiles, SE } from "./serving-fixtures.ts";
import { createDataPlaneApp } from "../src/rest/index.ts";
import type { FastifyInstance } from "fastify";

// Issue #14's end to end: an ONNX model logged the MLflow 3 way (a logged model with its metrics,
// files under <exp>/models/<id>/artifacts), registered from models:/<model_id>, approved into
// Production through a policy that gates on the signature and the logged model's metrics, then
// served by an endpoint that follows Production, and used by a batch scoring job.

let db: Db;
let batch: BatchHarness;
let app: FastifyInstance;
let serving: ServingService;
let owner: RegistryClient;
let reviewer: RegistryClient;

beforeAll(async () => {
  const t = await useTestDatabase();
  db = t.db;
  batch = await batchHarness(db, t.url);
  // a scoring data plane over the batch harness's store, so both read the same files
  serving = createServingService({ db, runtime: createModelRuntime({ readFile: storeFileReader(batch.store) }), log: () => {} });
  app = await createDataPlaneApp({ db, version: "t", artifacts: batch.store, serving });
  owner = await registryClient(app, db);
  reviewer = await registryClient(app, db);
  await batch.startWorker();
});
afterAll(async () => {
  await app?.close();
  serving?.close();
  await batch?.close();
});

const ok = (r: { status: number; raw: string }) => expect(r.status, r.raw).toBe(200);

describe("a logged ONNX model from registration to scoring", () => {
  it("is registered from models:/<model_id>, approved into Production through its gates, served and batch-scored", async () => {
    const onnx = linearOnnxModel({ features: 3, weights: [0.5, -2, 3], bias: 1.25 });
    const run = await experimentAndRun(owner);

    // log_model as the 3.x client sends it
    const created = await owner.call("POST", "/logged-models", { experiment_id: run.experimentId, name: "model", source_run_id: run.runId, params: [{ key: "C", value: "1.0" }] });
    ok(created);
    const modelId = created.body.model.info.model_id as string;
    ok(await owner.call("POST", "/runs/outputs", { run_id: run.runId, models: [{ model_id: modelId, step: 0 }] }));
    ok(await owner.call("POST", "/runs/log-batch", { run_id: run.runId, metrics: [{ key: "auc", value: 0.94, timestamp: 1, step: 0, model_id: modelId, dataset_name: "holdout", dataset_digest: "h1" }] }));
    for (const [file, body] of Object.entries(onnxFiles(onnx))) {
      const put = await app.inject({ method: "PUT", url: `${A}/${run.experimentId}/models/${modelId}/artifacts/${file}`, headers: owner.headers, payload: Buffer.from(body) });
      expect(put.statusCode, put.body).toBe(200);
    }
    ok(await owner.call("PATCH", `/logged-models/${modelId}`, { status: "LOGGED_MODEL_READY" }));

    const name = uniq("fraud");
    ok(await owner.call("POST", "/registered-models/create", { name }));
    const v = await owner.call("POST", "/model-versions/create", { name, source: `models:/${modelId}`, model_id: modelId });
    ok(v);
    expect(v.body.model_version).toMatchObject({ version: "1", status: "READY", model_id: modelId, run_id: run.runId, source: `models:/${modelId}` });
    // the MLmodel was read from the logged model's files: the version page's card has the signature
    const detail = await getModelVersionDetail(owner.ctx, { name, version: "1" });
    expect(detail.mlmodel?.flavors).toHaveProperty("onnx");
    expect(detail.mlmodel?.signature?.inputs).toBeTruthy();
    expect((await owner.call("GET", "/model-versions/get-download-uri", { name, version: "1" })).body).toEqual({
      artifact_uri: `mlflow-artifacts:/${run.experimentId}/models/${modelId}/artifacts`,
    });

    // Production is protected by a policy that gates on the signature and the model's holdout AUC
    await setModelPermission(owner.ctx, { name, username: reviewer.user.username, level: "MANAGE_PRODUCTION_VERSIONS" });
    await setPolicy(owner.ctx, {
      name,
      rules: [{ target: { kind: "stage", stage: "Production" }, gates: { require_ready: true, require_signature: true, model_filter: "metrics.auc >= 0.9", model_dataset: "holdout" } }],
    });
    const direct = await owner.call("POST", "/model-versions/transition-stage", { name, version: "1", stage: "Production", archive_existing_versions: false });
    expect(direct.status).toBe(403);
    ok(await owner.call("POST", "/transition-requests/create", { name, version: "1", stage: "Production", comment: "holdout AUC 0.94" }));
    const approved = await reviewer.call("POST", "/transition-requests/approve", { name, version: "1", stage: "Production", archive_existing_versions: true });
    ok(approved);
    const request = await db.approvalRequest.findFirstOrThrow({ where: { model: { name } } });
    expect((request.gateResults as { gate: string; passed: boolean }[]).map((g) => [g.gate, g.passed])).toEqual([
      ["status is READY", true],
      ["has a signature", true],
      ["logged model matches metrics.auc >= 0.9 on dataset holdout", true],
    ]);

    // an endpoint following Production serves the logged model's ONNX file
    const ep = uniq("ep");
    ok(await owner.call("POST", "", { name: ep, config: { served_entities: [{ entity_name: name, entity_stage: "Production" }] } }, SE));
    const rows = [rowOf(1), rowOf(2), rowOf(3)];
    const scored = await app.inject({
      method: "POST",
      url: `/serving-endpoints/${ep}/invocations`,
      headers: { ...owner.headers, "content-type": "application/json" },
      payload: JSON.stringify({ dataframe_split: { columns: onnx.columns, data: rows } }),
    });
    expect(scored.statusCode, scored.body).toBe(200);
    expectClose(flat(scored.json().predictions), rows.map((r) => onnx.predict(r)));

    // and a batch job scores a CSV with the same version
    const out = await owner.call("POST", "/experiments/create", { name: uniq("batch-out") });
    const input = await uploadInput(app, owner, "data/input.csv", csvOf(500));
    const job = await owner.call("POST", "/create", { model_name: name, version: "1", experiment_id: out.body.experiment_id, input: { run_id: input.runId, path: "data/input.csv" } }, J);
    ok(job);
    const done = (await waitForJob(owner, job.body.job.id as string)).job;
    expect(done.status, done.error ?? "").toBe("SUCCEEDED");
    expectClose(await predictionsOf(app, owner, done), Array.from({ length: 500 }, (_, i) => onnx.predict(rowOf(i))));
  });
});
