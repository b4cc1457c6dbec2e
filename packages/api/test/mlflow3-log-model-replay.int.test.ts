import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLocalArtifactStore } from "@modelgate/artifacts";
import { getModelVersionDetail, setPolicy, systemActor } from "@modelgate/core";
import type { Db } from "@modelgate/db";
import { useTestDatabase } from "@modelgate/db/test-db";
import { createDataPlaneApp } from "../src/rest/index.ts";
import { registryClient, uniq, type Method, type RegistryClient, type Reply } from "./registry-fixtures.ts";

// A replay of what the real MLflow 3.6 client sends for
//
//   with mlflow.start_run():
//       mlflow.log_param("alpha", "0.1")
//       for s in range(3): mlflow.log_metric("acc", 0.5 + s/10, step=s)
//       mlflow.sklearn.log_model(model, name="model", registered_model_name=..., input_example=X[:2])
//
// as recorded against MLflow's own 3.6 server (30 calls, in this order, with these bodies; ids,
// names and the files' contents are substituted, timestamps kept). The expected answers are the
// ones MLflow's server gave, and Modelgate's extras are named where they are allowed. Variants: the
// client registering before it finalizes the model, and a model whose upload failed.

let db: Db;
let app: FastifyInstance;
let root: string;

beforeAll(async () => {
  db = (await useTestDatabase()).db;
  // the registry's own rules: no target protected by the approval workflow (tested on its own)
  await setPolicy({ db, actor: systemActor("test") }, { rules: [] });
  root = path.join(await fsp.mkdtemp(path.join(os.tmpdir(), "mg-mlflow3-replay-")), "root");
  app = await createDataPlaneApp({ db, version: "t", artifacts: createLocalArtifactStore({ root }) });
});
afterAll(async () => {
  await app?.close();
  await fsp.rm(path.dirname(root), { recursive: true, force: true });
});

const ts = expect.any(Number);
const START = 1796585723496;
const ACC = [
  { key: "acc", value: 0.5, timestamp: 1796585723522, step: 0 },
  { key: "acc", value: 0.6, timestamp: 1796585723535, step: 1 },
  { key: "acc", value: 0.7, timestamp: 1796585723545, step: 2 },
];
const CLIENT_TAGS = [
  { key: "mlflow.user", value: "root" },
  { key: "mlflow.source.name", value: "logmodel.py" },
  { key: "mlflow.source.type", value: "LOCAL" },
];
/** The same tags as MLflow's server answers them: sorted by key. */
const SORTED_TAGS = [
  { key: "mlflow.source.name", value: "logmodel.py" },
  { key: "mlflow.source.type", value: "LOCAL" },
  { key: "mlflow.user", value: "root" },
];

/** The files the 3.6 client wrote for a LogisticRegression, byte for byte (MLmodel with this model's ids). */
function modelFiles(exp: string, modelId: string, runId: string): [string, Buffer][] {
  const mlmodel = `artifact_path: mlflow-artifacts:/${exp}/models/${modelId}/artifacts
flavors:
  python_function:
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.sklearn
    model_path: model.pkl
    predict_fn: predict
    python_version: 3.11.2
  sklearn:
    code: null
    pickled_model: model.pkl
    serialization_format: cloudpickle
    sklearn_version: 1.2.1
is_signature_from_type_hint: false
mlflow_version: 3.6.1.dev0
model_id: ${modelId}
model_size_bytes: 836
model_uuid: ${modelId}
prompts: null
run_id: ${runId}
saved_input_example_info:
  artifact_path: input_example.json
  serving_input_path: serving_input_example.json
  type: ndarray
signature:
  inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 2]}}]'
  outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]'
  params: null
type_hint_from_example: false
utc_time_created: '2026-12-06 19:35:23.643104'
`;
  const requirements = [
    "mlflow==3.6.0",
    "cloudpickle==2.2.0",
    "joblib==1.2.0",
    "lz4==4.0.2",
    "packaging==23.0",
    "psutil==5.9.4",
    "pyyaml==6.0",
    "scikit-learn==1.2.1",
    "scipy==1.10.1",
    "threadpoolctl==3.1.0",
    "typing-extensions==4.15.0",
  ];
  const pythonEnv = "python: 3.11.2\nbuild_dependencies:\n- pip==23.0.1\n- setuptools==66.1.1\n- wheel==0.38.4\ndependencies:\n- -r requirements.txt\n";
  const conda = `channels:\n- conda-forge\ndependencies:\n- python=3.11.2\n- pip<=23.0.1\n- pip:\n${requirements.map((r) => `  - ${r}\n`).join("")}name: mlflow-env\n`;
  const serving = '{\n  "inputs": [\n    [\n      0.0,\n      1.0\n    ],\n    [\n      1.0,\n      0.0\n    ]\n  ]\n}';
  // the pickled LogisticRegression the client uploaded (binary: not valid UTF-8)
  const pickle = Buffer.from(
    "gASVyQIAAAAAAACMHnNrbGVhcm4ubGluZWFyX21vZGVsLl9sb2dpc3RpY5SMEkxvZ2lzdGljUmVncmVzc2lvbpSTlCmBlH2UKIwHcGVuYWx0eZSMAmwylIwE" +
      "ZHVhbJSJjAN0b2yURz8aNuLrHEMtjAFDlEc/8AAAAAAAAIwNZml0X2ludGVyY2VwdJSIjBFpbnRlcmNlcHRfc2NhbGluZ5RLAYwMY2xhc3Nfd2VpZ2h0lE6M" +
      "DHJhbmRvbV9zdGF0ZZROjAZzb2x2ZXKUjAVsYmZnc5SMCG1heF9pdGVylEtkjAttdWx0aV9jbGFzc5SMBGF1dG+UjAd2ZXJib3NllEsAjAp3YXJtX3N0YXJ0" +
      "lImMBm5fam9ic5ROjAhsMV9yYXRpb5ROjA5uX2ZlYXR1cmVzX2luX5RLAowIY2xhc3Nlc1+UjBVudW1weS5jb3JlLm11bHRpYXJyYXmUjAxfcmVjb25zdHJ1" +
      "Y3SUk5SMBW51bXB5lIwHbmRhcnJheZSTlEsAhZRDAWKUh5RSlChLAUsChZRoHIwFZHR5cGWUk5SMAmk4lImIh5RSlChLA4wBPJROTk5K/////0r/////SwB0" +
      "lGKJQxAAAAAAAAAAAAEAAAAAAAAAlHSUYowHbl9pdGVyX5RoG2geSwCFlGggh5RSlChLAUsBhZRoJYwCaTSUiYiHlFKUKEsDaClOTk5K/////0r/////SwB0" +
      "lGKJQwQHAAAAlHSUYowFY29lZl+UaBtoHksAhZRoIIeUUpQoSwFLAUsChpRoJYwCZjiUiYiHlFKUKEsDaClOTk5K/////0r/////SwB0lGKJQxBo/ghR4qrp" +
      "P4D7k56zxtO+lHSUYowKaW50ZXJjZXB0X5RoG2geSwCFlGggh5RSlChLAUsBhZRoP4lDCBEjwqblqtm/lHSUYowQX3NrbGVhcm5fdmVyc2lvbpSMBTEuMi4x" +
      "lHViLg==",
    "base64",
  );
  // in the order the client uploaded them
  return [
    ["requirements.txt", Buffer.from(requirements.join("\n"))],
    ["MLmodel", Buffer.from(mlmodel)],
    ["python_env.yaml", Buffer.from(pythonEnv)],
    ["serving_input_example.json", Buffer.from(serving)],
    ["conda.yaml", Buffer.from(conda)],
    ["input_example.json", Buffer.from("[[0.0, 1.0], [1.0, 0.0]]")],
    ["model.pkl", pickle],
  ];
}

/** Python's json.dumps of a list of flat objects (", " and ": "), as the client writes mlflow.modelVersions. */
function pyDumps(list: Record<string, unknown>[]): string {
  return `[${list.map((e) => `{${Object.entries(e).map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(", ")}}`).join(", ")}]`;
}

type Variant = "finalize-then-register" | "register-then-finalize" | "upload-failed";

interface Replay {
  c: RegistryClient;
  exp: string;
  runId: string;
  modelId: string;
  name: string;
  files: [string, Buffer][];
  /** Every answer, in call order. */
  log: { method: Method; path: string; reply: Reply }[];
}

/** Drives the recorded sequence against Modelgate; each answer is checked against MLflow's as it comes. */
async function replay(variant: Variant): Promise<Replay> {
  const c = await registryClient(app, db);
  const log: Replay["log"] = [];
  async function call(method: Method, p: string, body?: Record<string, unknown>): Promise<Reply> {
    const reply = await c.call(method, p, body);
    log.push({ method, path: p, reply });
    // every call of the recorded sequence succeeded on MLflow's server
    expect(reply.status, `${method} ${p}: ${reply.raw}`).toBe(200);
    return reply;
  }
  const name = uniq("trace-model");
  const expName = uniq("trace-exp");
  // (the experiment existed: mlflow.set_experiment only looked it up)
  await c.call("POST", "/experiments/create", { name: expName });

  // 1-2: set_experiment, start_run
  const exp = (await call("GET", "/experiments/get-by-name", { experiment_name: expName })).body.experiment.experiment_id as string;
  const created = await call("POST", "/runs/create", { experiment_id: exp, user_id: "root", start_time: START, tags: CLIENT_TAGS });
  const runId = created.body.run.info.run_id as string;
  expect(created.body.run).toEqual({
    info: {
      run_uuid: runId,
      experiment_id: exp,
      run_name: expect.any(String),
      user_id: "root",
      status: "RUNNING",
      start_time: START,
      artifact_uri: `mlflow-artifacts:/${exp}/${runId}/artifacts`,
      lifecycle_stage: "active",
      run_id: runId,
    },
    data: { tags: expect.arrayContaining([...CLIENT_TAGS, { key: "mlflow.runName", value: created.body.run.info.run_name }]) },
    inputs: {},
  });

  // 3-6: log_param, log_metric x3 (the client sends run_uuid and run_id)
  await call("POST", "/runs/log-parameter", { run_uuid: runId, key: "alpha", value: "0.1", run_id: runId });
  for (const m of ACC) expect((await call("POST", "/runs/log-metric", { run_uuid: runId, ...m, run_id: runId })).body).toEqual({});

  // 7-8: log_model reads the active run, then creates the logged model
  const before = await call("GET", "/runs/get", { run_uuid: runId, run_id: runId });
  expect(before.body.run.data.metrics).toEqual([ACC[2]]);
  // MLflow's runs/get shows `"outputs": {}` here; ours leaves the empty message out (the client reads both alike)
  expect(before.body.run).not.toHaveProperty("outputs");
  const lm = await call("POST", "/logged-models", {
    experiment_id: exp,
    name: "model",
    source_run_id: runId,
    params: [{ key: "alpha", value: "0.1" }],
    tags: CLIENT_TAGS,
  });
  const modelId = lm.body.model.info.model_id as string;
  expect(modelId).toMatch(/^m-[0-9a-f]{32}$/);
  const info = {
    model_id: modelId,
    experiment_id: exp,
    name: "model",
    creation_timestamp_ms: ts,
    last_updated_timestamp_ms: ts,
    artifact_uri: `mlflow-artifacts:/${exp}/models/${modelId}/artifacts`,
    status: "LOGGED_MODEL_PENDING",
    model_type: "",
    source_run_id: runId,
    tags: SORTED_TAGS,
  };
  const params = [{ key: "alpha", value: "0.1" }];
  // exactly MLflow's answer
  expect(lm.body).toEqual({ model: { info, data: { params } } });

  // 9-12: the run produced the model; its metrics are re-sent with the model's id
  expect((await call("POST", "/runs/outputs", { run_id: runId, models: [{ model_id: modelId, step: 0 }] })).body).toEqual({});
  expect((await call("GET", "/runs/get", { run_uuid: runId, run_id: runId })).body.run.outputs).toEqual({ model_outputs: [{ model_id: modelId, step: 0 }] });
  const history = await call("GET", "/metrics/get-history", { run_uuid: runId, metric_key: "acc", run_id: runId, max_results: "25000" });
  expect(history.body).toEqual({ metrics: ACC });
  expect((await call("POST", "/runs/log-batch", { run_id: runId, metrics: [{ ...ACC[0], model_id: modelId }] })).body).toEqual({});
  const metrics = [{ ...ACC[0], model_id: modelId, run_id: runId }];
  expect((await call("GET", `/logged-models/${modelId}`)).body).toEqual({ model: { info, data: { params, metrics } } });

  // 14-20: the files, through the artifact proxy (no content type: the client streams the file)
  const files = modelFiles(exp, modelId, runId);
  for (const [file, bytes] of files) {
    const p = `/api/2.0/mlflow-artifacts/artifacts/${exp}/models/${modelId}/artifacts/${file}`;
    const r = await app.inject({ method: "PUT", url: p, headers: c.headers, payload: bytes });
    log.push({ method: "PUT", path: p, reply: { status: r.statusCode, body: r.json(), raw: r.body } });
    expect(r.statusCode, `PUT ${file}`).toBe(200);
    expect(r.json()).toEqual({});
  }

  const finalStatus = variant === "upload-failed" ? "LOGGED_MODEL_UPLOAD_FAILED" : "LOGGED_MODEL_READY";
  const finalize = async () => {
    const r = await call("PATCH", `/logged-models/${modelId}`, { model_id: modelId, status: finalStatus });
    expect(r.body.model.info).toMatchObject({ status: finalStatus, model_id: modelId });
  };
  // 21: finalize (the recorded order); the variant registers first
  if (variant !== "register-then-finalize") await finalize();

  // 22-23: registered_model_name=
  // (MLflow 3.6 leaves the empty description out; Modelgate writes description "", as 2.x servers did)
  expect((await call("POST", "/registered-models/create", { name })).body).toMatchObject({
    registered_model: { name, creation_timestamp: ts, last_updated_timestamp: ts },
  });
  const mv = await call("POST", "/model-versions/create", { name, source: `models:/${modelId}`, model_id: modelId });
  const createdStatus = variant === "finalize-then-register" ? "READY" : variant === "upload-failed" ? "FAILED_REGISTRATION" : "PENDING_REGISTRATION";
  // MLflow's answer, plus the fields Modelgate always writes (model_id, user_id, status_message)
  expect(mv.body.model_version).toMatchObject({
    name,
    version: "1",
    creation_timestamp: ts,
    last_updated_timestamp: ts,
    current_stage: "None",
    description: "",
    source: `models:/${modelId}`,
    run_id: runId,
    status: createdStatus,
    run_link: "",
    model_id: modelId,
  });

  if (variant === "register-then-finalize") {
    // the version waits for the files (the client would poll model-versions/get)
    expect((await c.call("GET", "/model-versions/get", { name, version: "1" })).body.model_version.status).toBe("PENDING_REGISTRATION");
    expect((await c.call("GET", "/model-versions/get-download-uri", { name, version: "1" })).body).toEqual({ artifact_uri: info.artifact_uri });
    await finalize();
  }

  // 24-26: the client appends the version to the model's mlflow.modelVersions tag, which MLflow's server already set
  const serverTag = pyDumps([{ name, version: 1 }]);
  for (let i = 0; i < 2; i++) {
    const got = await call("GET", `/logged-models/${modelId}`);
    expect(got.body.model.info.tags).toEqual([{ key: "mlflow.modelVersions", value: serverTag }, ...SORTED_TAGS]);
  }
  const current = JSON.parse((await c.call("GET", `/logged-models/${modelId}`)).body.model.info.tags[0].value as string) as Record<string, unknown>[];
  const clientTag = pyDumps([...current, { name, version: "1" }]);
  expect((await call("PATCH", `/logged-models/${modelId}/tags`, { tags: [{ key: "mlflow.modelVersions", value: clientTag }] })).body).toEqual({});

  // 27-28: end_run
  expect((await call("GET", "/runs/get", { run_uuid: runId, run_id: runId })).body.run.outputs).toEqual({ model_outputs: [{ model_id: modelId, step: 0 }] });
  const ended = await call("POST", "/runs/update", { run_uuid: runId, status: "FINISHED", end_time: 1796585726166, run_id: runId });
  expect(ended.body.run_info).toMatchObject({ run_id: runId, status: "FINISHED", end_time: 1796585726166 });

  // 29-30: mlflow.get_logged_model(), mlflow.search_logged_models()
  const final = await call("GET", `/logged-models/${modelId}`);
  const finalModel = {
    info: {
      ...info,
      status: finalStatus,
      tags: [{ key: "mlflow.modelVersions", value: clientTag }, ...SORTED_TAGS],
      // Modelgate's extra: LoggedModelInfo.registrations (in MLflow's proto; its server leaves it empty)
      registrations: [{ name, version: "1" }],
    },
    data: { params, metrics },
  };
  expect(final.body).toEqual({ model: finalModel });
  expect((await call("POST", "/logged-models/search", { experiment_ids: [exp] })).body).toEqual({ models: [finalModel] });
  expect(log).toHaveLength(30);
  return { c, exp, runId, modelId, name, files, log };
}

describe("mlflow.sklearn.log_model(model, name=\"model\", registered_model_name=...) as MLflow 3.6 sends it", () => {
  it("the recorded order (finalize, then register): the version is READY, its files are the model's, the state matches MLflow's server", async () => {
    const { c, exp, runId, modelId, name, files } = await replay("finalize-then-register");
    const dir = `${exp}/models/${modelId}/artifacts`;

    // the mlflow.modelVersions tag as MLflow's server leaves it after the client's own PATCH
    const model = (await c.call("GET", `/logged-models/${modelId}`)).body.model;
    expect(model.info.tags[0]).toEqual({ key: "mlflow.modelVersions", value: `[{"name": "${name}", "version": 1}, {"name": "${name}", "version": "1"}]` });
    expect(model.info.registrations).toEqual([{ name, version: "1" }]);
    // the re-sent metric is the model's, with its run
    expect(model.data.metrics).toEqual([{ key: "acc", value: 0.5, timestamp: 1796585723522, step: 0, model_id: modelId, run_id: runId }]);

    // the version: its model and run, READY, files under the model's artifact root
    const v = (await c.call("GET", "/model-versions/get", { name, version: "1" })).body.model_version;
    expect(v).toMatchObject({ name, version: "1", source: `models:/${modelId}`, model_id: modelId, run_id: runId, status: "READY", status_message: "" });
    expect((await c.call("GET", "/model-versions/get-download-uri", { name, version: "1" })).body).toEqual({ artifact_uri: `mlflow-artifacts:/${dir}` });

    // every file comes back through the proxy byte for byte (MLmodel and the binary pickle included)
    for (const [file, bytes] of files) {
      const r = await app.inject({ url: `/api/2.0/mlflow-artifacts/artifacts/${dir}/${file}`, headers: c.headers });
      expect(r.statusCode, file).toBe(200);
      expect(Buffer.compare(r.rawPayload, bytes), file).toBe(0);
    }
    // listed in code point order, as MLflow lists them ("MLmodel" before "conda.yaml")
    const byPath = (a: { path: string }, b: { path: string }) => (a.path < b.path ? -1 : 1);
    const listed = (await c.call("GET", `/logged-models/${modelId}/artifacts/directories`)).body;
    expect(listed.root_uri).toBe(`mlflow-artifacts:/${dir}`);
    expect(listed.files).toEqual(files.map(([file, bytes]) => ({ path: file, is_dir: false, file_size: bytes.length })).sort(byPath));
    expect(listed.files[0].path).toBe("MLmodel");

    // MLmodel was read at registration: the portal's detail has the flavors, signature and input example
    const detail = await getModelVersionDetail(c.ctx, { name, version: "1" });
    expect(detail.storage_location).toBe(`mlflow-artifacts:/${dir}`);
    expect(detail.experiment_id).toBe(exp);
    expect(detail.mlmodel?.flavor_names).toEqual(["python_function", "sklearn"]);
    expect(detail.mlmodel?.run_id).toBe(runId);
    expect(detail.mlmodel?.signature).toEqual({
      inputs: { kind: "tensors", specs: [{ kind: "tensor", name: null, dtype: "float64", shape: [-1, 2] }] },
      outputs: { kind: "tensors", specs: [{ kind: "tensor", name: null, dtype: "int64", shape: [-1] }] },
      params: null,
    });
    expect(detail.input_example).toEqual([
      [0, 1],
      [1, 0],
    ]);

    // the run: history not duplicated by the re-sent point, the model among its outputs
    expect((await c.call("GET", "/metrics/get-history", { run_id: runId, metric_key: "acc" })).body).toEqual({ metrics: ACC });
    const run = (await c.call("GET", "/runs/get", { run_id: runId })).body.run;
    expect(run.outputs).toEqual({ model_outputs: [{ model_id: modelId, step: 0 }] });
    expect(run.data.metrics).toEqual([ACC[2]]);
    expect(run.info.status).toBe("FINISHED");
  });

  it("registering before finalizing: the version is PENDING_REGISTRATION until the model is READY, then READY with its MLmodel", async () => {
    const { c, exp, modelId, name, runId } = await replay("register-then-finalize");
    const v = (await c.call("GET", "/model-versions/get", { name, version: "1" })).body.model_version;
    expect(v).toMatchObject({ status: "READY", status_message: "", model_id: modelId, run_id: runId });
    const detail = await getModelVersionDetail(c.ctx, { name, version: "1" });
    expect(detail.mlmodel?.signature?.inputs).toEqual({ kind: "tensors", specs: [{ kind: "tensor", name: null, dtype: "float64", shape: [-1, 2] }] });
    expect(detail.input_example).toEqual([
      [0, 1],
      [1, 0],
    ]);
    expect((await c.call("GET", "/model-versions/get-download-uri", { name, version: "1" })).body).toEqual({ artifact_uri: `mlflow-artifacts:/${exp}/models/${modelId}/artifacts` });
    const mlmodel = await app.inject({ url: `/api/2.0/mlflow-artifacts/artifacts/${exp}/models/${modelId}/artifacts/MLmodel`, headers: c.headers });
    expect(mlmodel.body).toContain(`model_id: ${modelId}`);
  });

  it("a model whose upload failed: its version is FAILED_REGISTRATION, whichever comes first", async () => {
    const failed = await replay("upload-failed");
    const v = (await failed.c.call("GET", "/model-versions/get", { name: failed.name, version: "1" })).body.model_version;
    expect(v).toMatchObject({ status: "FAILED_REGISTRATION", model_id: failed.modelId });
    expect(v.status_message).toContain("LOGGED_MODEL_UPLOAD_FAILED");
    expect((await getModelVersionDetail(failed.c.ctx, { name: failed.name, version: "1" })).mlmodel).toBeNull();

    // registered while the upload was still running, then the upload fails: the waiting version fails with it
    const c = failed.c;
    const { experimentId, runId, modelId } = await (async () => {
      const e = (await c.call("POST", "/experiments/create", { name: uniq("trace-exp") })).body.experiment_id as string;
      const r = (await c.call("POST", "/runs/create", { experiment_id: e, start_time: START })).body.run.info.run_id as string;
      const m = (await c.call("POST", "/logged-models", { experiment_id: e, name: "model", source_run_id: r })).body.model.info.model_id as string;
      return { experimentId: e, runId: r, modelId: m };
    })();
    const name = uniq("trace-model");
    await c.call("POST", "/registered-models/create", { name });
    expect((await c.call("POST", "/model-versions/create", { name, source: `models:/${modelId}`, model_id: modelId })).body.model_version).toMatchObject({
      status: "PENDING_REGISTRATION",
      run_id: runId,
    });
    expect((await c.call("PATCH", `/logged-models/${modelId}`, { model_id: modelId, status: "LOGGED_MODEL_UPLOAD_FAILED" })).status).toBe(200);
    const after = (await c.call("GET", "/model-versions/get", { name, version: "1" })).body.model_version;
    expect(after).toMatchObject({ status: "FAILED_REGISTRATION", model_id: modelId });
    expect((await c.call("GET", "/model-versions/get-download-uri", { name, version: "1" })).body).toEqual({ artifact_uri: `mlflow-artifacts:/${experimentId}/models/${modelId}/artifacts` });
  });
});
