import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLocalArtifactStore } from "@modelgate/artifacts";
import { getModelVersionDetail } from "@modelgate/core";
import type { Db } from "@modelgate/db";
import { useTestDatabase } from "@modelgate/db/test-db";
import { createDataPlaneApp } from "../src/rest/index.ts";
import { experimentAndRun, registryClient, uniq, type RegistryClient } from "./registry-fixtures.ts";

// MLmodel read at registration from a real local artifact store, files uploaded through the proxy
// exactly as the mlflow client uploads them.

let db: Db;
let app: FastifyInstance;
let root: string;
let c: RegistryClient;

const A = "/api/2.0/mlflow-artifacts/artifacts";

beforeAll(async () => {
  db = (await useTestDatabase()).db;
  root = path.join(await fsp.mkdtemp(path.join(os.tmpdir(), "mg-registry-mlmodel-")), "root");
  app = await createDataPlaneApp({ db, version: "t", artifacts: createLocalArtifactStore({ root }) });
  c = await registryClient(app, db);
});
afterAll(async () => {
  await app?.close();
  await fsp.rm(path.dirname(root), { recursive: true, force: true });
});

const SKLEARN = `artifact_path: model
flavors:
  python_function:
    loader_module: mlflow.sklearn
    model_path: model.pkl
  sklearn:
    pickled_model: model.pkl
    sklearn_version: 1.4.2
mlflow_version: 2.12.1
model_uuid: 0f1e2d3c4b5a69788796a5b4c3d2e1f0
saved_input_example_info:
  artifact_path: input_example.json
  pandas_orient: split
  type: dataframe
signature:
  inputs: '[{"type": "double", "name": "x", "required": true}]'
  outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]'
  params: '[{"name": "temperature", "type": "float", "default": 0.5, "shape": null}]'
`;

/** Uploads `files` under the run's artifact dir and registers `<dir>/<sub>` as a new model's version 1. */
async function register(files: Record<string, string>, sub = "model") {
  const run = await experimentAndRun(c);
  const dir = `${run.experimentId}/${run.runId}/artifacts`;
  for (const [file, body] of Object.entries(files)) {
    expect((await app.inject({ method: "PUT", url: `${A}/${dir}/${file}`, headers: c.headers, payload: body })).statusCode).toBe(200);
  }
  const name = uniq("mlm");
  await c.call("POST", "/registered-models/create", { name });
  const created = await c.call("POST", "/model-versions/create", { name, source: `${run.artifactUri}/${sub}`, run_id: run.runId });
  return { name, run, created };
}

describe("MLmodel at registration (local store)", () => {
  it("a valid MLmodel with an input example: READY, and the detail shows flavors, signature and example", async () => {
    const { name, created } = await register({ "model/MLmodel": SKLEARN, "model/input_example.json": '{"columns": ["x"], "data": [[1.5]]}' });
    expect(created.status).toBe(200);
    expect(created.body.model_version).toMatchObject({ status: "READY", status_message: "" });
    const detail = await getModelVersionDetail(c.ctx, { name, version: "1" });
    expect(detail.mlmodel?.flavor_names).toEqual(["python_function", "sklearn"]);
    expect(detail.mlmodel?.signature).toEqual({
      inputs: { kind: "columns", specs: [{ kind: "column", name: "x", type: "double", required: true }] },
      outputs: { kind: "tensors", specs: [{ kind: "tensor", name: null, dtype: "int64", shape: [-1] }] },
      params: [{ name: "temperature", type: "float", default: 0.5, shape: null }],
    });
    expect(detail.input_example).toEqual({ columns: ["x"], data: [[1.5]] });
  });

  it("a malformed MLmodel answers 200 with FAILED_REGISTRATION and a clear status_message", async () => {
    const { name, created } = await register({ "model/MLmodel": "flavors:\n  - a\n - b: [" });
    expect(created.status).toBe(200);
    expect(created.body.model_version.status).toBe("FAILED_REGISTRATION");
    expect(created.body.model_version.status_message).toMatch(/^MLmodel is not valid YAML/);
    expect((await c.call("GET", "/model-versions/get", { name, version: "1" })).body.model_version.status).toBe("FAILED_REGISTRATION");
    // not READY, so not "latest" and absent from latest_versions
    expect((await c.call("POST", "/registered-models/get-latest-versions", { name })).body).toEqual({});
  });

  it("an MLmodel over 1 MB fails registration instead of being read whole", async () => {
    const { created } = await register({ "model/MLmodel": `flavors:\n  sklearn: {}\npadding: "${"x".repeat(1024 * 1024)}"\n` });
    expect(created.body.model_version).toMatchObject({ status: "FAILED_REGISTRATION", status_message: expect.stringContaining("too large") });
  });

  it("no MLmodel: READY with mlmodel null", async () => {
    const { name, created } = await register({ "model/model.pkl": "w" });
    expect(created.body.model_version.status).toBe("READY");
    expect((await getModelVersionDetail(c.ctx, { name, version: "1" })).mlmodel).toBeNull();
  });

  it("a source the store cannot address (';', '#', '?', encoded or not) is a 400, not a crash", async () => {
    for (const sub of ["model;x", "model#x", "model?x", "model%3Bx", "model%253bx"]) {
      const { created } = await register({ "model/MLmodel": SKLEARN }, sub);
      expect({ sub, status: created.status, code: created.body.error_code }).toEqual({ sub, status: 400, code: "INVALID_PARAMETER_VALUE" });
    }
  });

  it("a source with empty segments is stored normalised, so the MLmodel is found and READ on the model opens it", async () => {
    for (const sub of ["model/", "/model", "model//"]) {
      const { name, run } = await register({ "model/MLmodel": SKLEARN }, sub);
      const row = await db.modelVersion.findFirstOrThrow({ where: { model: { name } }, select: { storePath: true, status: true } });
      expect(row).toEqual({ storePath: `${run.experimentId}/${run.runId}/artifacts/model`, status: "READY" });
      expect((await getModelVersionDetail(c.ctx, { name, version: "1" })).mlmodel?.flavor_names).toEqual(["python_function", "sklearn"]);
    }
  });
});
