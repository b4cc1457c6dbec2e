import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLocalArtifactStore } from "@modelgate/artifacts";
import { configureRegistry, configureTracking, setExperimentPermission, setModelPermission, setPolicy, systemActor, type PermissionLevel } from "@modelgate/core";
import type { Db } from "@modelgate/db";
import { useTestDatabase } from "@modelgate/db/test-db";
import { createDataPlaneApp } from "../src/rest/index.ts";
import { experimentAndRun, registryClient, uniq, type RegistryClient } from "./registry-fixtures.ts";

// Logged models are governed by their experiment's permissions (DEFAULT_EXPERIMENT_PERMISSION=NONE,
// as tracking-permissions.int.test.ts): READ sees them and their files, EDIT creates and changes
// them (and links metrics to them), MANAGE deletes them; without access they do not exist. A
// registered version made from a logged model opens that model's files to whoever may read the
// registered model, and nothing else of the experiment.

let db: Db;
let app: FastifyInstance;
let root: string;

const A = "/api/2.0/mlflow-artifacts/artifacts";
const denied = { status: 403, body: { error_code: "PERMISSION_DENIED" } };
const MLMODEL = "flavors:\n  python_function:\n    loader_module: mlflow.sklearn\n    model_path: model.pkl\n";

beforeAll(async () => {
  db = (await useTestDatabase()).db;
  await setPolicy({ db, actor: systemActor("test") }, { rules: [] });
  root = path.join(await fsp.mkdtemp(path.join(os.tmpdir(), "mg-logged-models-perm-")), "root");
  app = await createDataPlaneApp({ db, version: "t", artifacts: createLocalArtifactStore({ root }) });
  configureTracking({ defaultExperimentPermission: "NONE" });
  configureRegistry({ defaultModelPermission: "NONE" });
});
afterAll(async () => {
  configureTracking({ defaultExperimentPermission: "READ" });
  configureRegistry({ defaultModelPermission: "READ" });
  await app?.close();
  await fsp.rm(path.dirname(root), { recursive: true, force: true });
});

/** PUT through the artifact proxy as `c`. */
const put = (c: RegistryClient, file: string, body: string) => app.inject({ method: "PUT", url: `${A}/${file}`, headers: c.headers, payload: body });
const download = (c: RegistryClient, file: string) => app.inject({ url: `${A}/${file}`, headers: c.headers });

/** An experiment owned by a fresh user, with a run and a READY logged model holding an MLmodel. */
async function ownedModel() {
  const owner = await registryClient(app, db);
  const { experimentId, runId } = await experimentAndRun(owner);
  const created = await owner.call("POST", "/logged-models", { experiment_id: experimentId, name: "model", source_run_id: runId, params: [{ key: "p", value: "1" }] });
  expect(created.status, created.raw).toBe(200);
  const modelId = created.body.model.info.model_id as string;
  const dir = `${experimentId}/models/${modelId}/artifacts`;
  expect((await put(owner, `${dir}/MLmodel`, MLMODEL)).statusCode).toBe(200);
  expect((await owner.call("PATCH", `/logged-models/${modelId}`, { status: "LOGGED_MODEL_READY" })).status).toBe(200);
  return { owner, experimentId, runId, modelId, dir };
}

/** A fresh user granted `level` on the experiment (null: nothing, the default NONE). */
async function userWith(owner: RegistryClient, experimentId: string, level: PermissionLevel | null) {
  const u = await registryClient(app, db);
  if (level) await setExperimentPermission(owner.ctx, { experiment_id: experimentId, username: u.user.username, level });
  return u;
}

/** A run of the user's own (EDIT on it), to log metrics that name someone else's model. */
async function ownRun(u: RegistryClient) {
  return (await experimentAndRun(u)).runId;
}

describe("logged models follow their experiment's permissions", () => {
  it("READ: get, search and list files; 403 on every write, and on linking metrics to the model", async () => {
    const { owner, experimentId, modelId, dir } = await ownedModel();
    const reader = await userWith(owner, experimentId, "READ");
    const before = (await owner.call("GET", `/logged-models/${modelId}`)).body;

    expect(await reader.call("GET", `/logged-models/${modelId}`)).toMatchObject({ status: 200, body: before });
    expect((await reader.call("POST", "/logged-models/search", { experiment_ids: [experimentId] })).body).toEqual({ models: [before.model] });
    expect((await reader.call("GET", `/logged-models/${modelId}/artifacts/directories`)).body).toEqual({
      root_uri: `mlflow-artifacts:/${dir}`,
      files: [{ path: "MLmodel", is_dir: false, file_size: MLMODEL.length }],
    });
    expect((await download(reader, `${dir}/MLmodel`)).body).toBe(MLMODEL);

    expect(await reader.call("POST", "/logged-models", { experiment_id: experimentId })).toMatchObject(denied);
    expect(await reader.call("PATCH", `/logged-models/${modelId}`, { status: "LOGGED_MODEL_UPLOAD_FAILED" })).toMatchObject(denied);
    expect(await reader.call("PATCH", `/logged-models/${modelId}/tags`, { tags: [{ key: "k", value: "v" }] })).toMatchObject(denied);
    expect(await reader.call("DELETE", `/logged-models/${modelId}/tags/mlflow.user`)).toMatchObject(denied);
    expect(await reader.call("POST", `/logged-models/${modelId}/params`, { params: [{ key: "q", value: "2" }] })).toMatchObject(denied);
    expect(await reader.call("DELETE", `/logged-models/${modelId}`)).toMatchObject(denied);
    const upload = await put(reader, `${dir}/evil.txt`, "x");
    expect(upload.statusCode).toBe(403);
    expect(upload.json().error_code).toBe("PERMISSION_DENIED");
    expect((await app.inject({ method: "DELETE", url: `${A}/${dir}/MLmodel`, headers: reader.headers })).statusCode).toBe(403);
    // the reader's own run, the owner's model: linking a metric changes the model (EDIT), refused whole
    const runId = await ownRun(reader);
    expect(
      await reader.call("POST", "/runs/log-batch", {
        run_id: runId,
        metrics: [
          { key: "plain", value: 1, timestamp: 1 },
          { key: "acc", value: 1, timestamp: 1, model_id: modelId },
        ],
      }),
    ).toMatchObject(denied);
    expect(await reader.call("POST", "/runs/log-metric", { run_id: runId, key: "acc", value: 1, timestamp: 1, model_id: modelId })).toMatchObject(denied);
    expect((await reader.call("GET", "/metrics/get-history", { run_id: runId, metric_key: "plain" })).body).toEqual({});

    // nothing changed
    expect((await owner.call("GET", `/logged-models/${modelId}`)).body).toEqual(before);
    expect((await owner.call("GET", `/logged-models/${modelId}/artifacts/directories`)).body.files).toEqual([{ path: "MLmodel", is_dir: false, file_size: MLMODEL.length }]);
  });

  it("EDIT: create, finalize, tags, params, uploads and linked metrics; delete is 403", async () => {
    const { owner, experimentId, modelId } = await ownedModel();
    const editor = await userWith(owner, experimentId, "EDIT");

    const created = await editor.call("POST", "/logged-models", { experiment_id: experimentId, name: "mine" });
    expect(created.status).toBe(200);
    const own = created.body.model.info.model_id as string;
    expect((await put(editor, `${experimentId}/models/${own}/artifacts/MLmodel`, MLMODEL)).statusCode).toBe(200);
    expect((await editor.call("PATCH", `/logged-models/${own}`, { status: "LOGGED_MODEL_READY" })).body.model.info.status).toBe("LOGGED_MODEL_READY");
    // the owner's model too
    expect(await editor.call("PATCH", `/logged-models/${modelId}/tags`, { tags: [{ key: "k", value: "v" }] })).toMatchObject({ status: 200, body: {} });
    expect(await editor.call("DELETE", `/logged-models/${modelId}/tags/k`)).toMatchObject({ status: 200, body: {} });
    expect(await editor.call("POST", `/logged-models/${modelId}/params`, { params: [{ key: "q", value: "2" }] })).toMatchObject({ status: 200, body: {} });
    expect((await put(editor, `${experimentId}/models/${modelId}/artifacts/extra.txt`, "e")).statusCode).toBe(200);
    const runId = await ownRun(editor);
    expect(await editor.call("POST", "/runs/log-batch", { run_id: runId, metrics: [{ key: "acc", value: 0.5, timestamp: 7, step: 0, model_id: modelId }] })).toMatchObject({
      status: 200,
      body: {},
    });
    expect((await owner.call("GET", `/logged-models/${modelId}`)).body.model.data).toEqual({
      params: [
        { key: "p", value: "1" },
        { key: "q", value: "2" },
      ],
      metrics: [{ key: "acc", value: 0.5, timestamp: 7, step: 0, model_id: modelId, run_id: runId }],
    });

    expect(await editor.call("DELETE", `/logged-models/${modelId}`)).toMatchObject(denied);
    expect(await editor.call("DELETE", `/logged-models/${own}`)).toMatchObject(denied);
    expect((await owner.call("GET", `/logged-models/${modelId}`)).status).toBe(200);
  });

  it("MANAGE (the owner, or a grant) deletes", async () => {
    const { owner, experimentId, modelId } = await ownedModel();
    const manager = await userWith(owner, experimentId, "MANAGE");
    const second = (await owner.call("POST", "/logged-models", { experiment_id: experimentId })).body.model.info.model_id as string;
    expect(await manager.call("DELETE", `/logged-models/${second}`)).toMatchObject({ status: 200, body: {} });
    expect(await owner.call("DELETE", `/logged-models/${modelId}`)).toMatchObject({ status: 200, body: {} });
    for (const id of [modelId, second]) expect((await owner.call("GET", `/logged-models/${id}`)).status).toBe(404);
  });

  it("no access (default NONE): the model does not exist (404), search is empty, files are 404", async () => {
    const { owner, experimentId, modelId, dir } = await ownedModel();
    const stranger = await userWith(owner, experimentId, null);
    const nf = { status: 404, body: { error_code: "RESOURCE_DOES_NOT_EXIST", message: `Logged model with ID '${modelId}' not found.` } };
    expect(await stranger.call("GET", `/logged-models/${modelId}`)).toMatchObject(nf);
    expect(await stranger.call("POST", "/logged-models/search", { experiment_ids: [experimentId] })).toMatchObject({ status: 200, body: {} });
    expect((await stranger.call("POST", "/logged-models/search", { experiment_ids: [experimentId] })).body).toEqual({});
    expect(await stranger.call("GET", `/logged-models/${modelId}/artifacts/directories`)).toMatchObject(nf);
    // writes answer as for a missing model, never 403: ids cannot be probed
    expect(await stranger.call("PATCH", `/logged-models/${modelId}`, { status: "LOGGED_MODEL_READY" })).toMatchObject(nf);
    expect(await stranger.call("PATCH", `/logged-models/${modelId}/tags`, { tags: [{ key: "k", value: "v" }] })).toMatchObject(nf);
    expect(await stranger.call("POST", `/logged-models/${modelId}/params`, { params: [{ key: "q", value: "2" }] })).toMatchObject(nf);
    expect(await stranger.call("DELETE", `/logged-models/${modelId}`)).toMatchObject(nf);
    expect((await stranger.call("POST", "/logged-models", { experiment_id: experimentId })).status).toBe(404);
    expect(await stranger.call("POST", "/runs/log-batch", { run_id: await ownRun(stranger), metrics: [{ key: "a", value: 1, timestamp: 1, model_id: modelId }] })).toMatchObject(nf);
    const file = await download(stranger, `${dir}/MLmodel`);
    expect(file.statusCode).toBe(404);
    expect(file.body).not.toContain("flavors");
    expect((await app.inject({ url: `${A}?path=${dir}`, headers: stranger.headers })).statusCode).toBe(404);
    expect((await put(stranger, `${dir}/evil.txt`, "x")).statusCode).toBe(404);
  });
});

describe("registering a logged model", () => {
  it("models:/<model_id> of a model in an experiment the caller cannot read: 403 PERMISSION_DENIED, no version written", async () => {
    const { modelId, dir } = await ownedModel();
    const other = await registryClient(app, db);
    const name = uniq("reg");
    expect((await other.call("POST", "/registered-models/create", { name })).status).toBe(200);
    const count = () => db.modelVersion.count({ where: { model: { name } } });
    const attempts: Record<string, unknown>[] = [
      { name, source: `models:/${modelId}`, model_id: modelId },
      { name, source: `models:/${modelId}` },
      { name, source: `mlflow-artifacts:/${dir}` },
    ];
    for (const body of attempts) {
      const r = await other.call("POST", "/model-versions/create", body);
      expect(r, JSON.stringify(body)).toMatchObject(denied);
    }
    expect(await count()).toBe(0);
    // the model's files were not opened by the attempts
    expect((await download(other, `${dir}/MLmodel`)).statusCode).toBe(404);
    // the next version a permitted caller makes is still 1
    const { runId } = await experimentAndRun(other);
    const ok = await other.call("POST", "/model-versions/create", { name, source: `runs:/${runId}/model` });
    expect(ok.body.model_version.version).toBe("1");
    expect(await count()).toBe(1);
  });

  it("READ on the registered model opens that version's files (under <exp>/models/<id>/artifacts), nothing else of the experiment", async () => {
    const { owner, experimentId, runId, modelId, dir } = await ownedModel();
    const sibling = (await owner.call("POST", "/logged-models", { experiment_id: experimentId })).body.model.info.model_id as string;
    const siblingDir = `${experimentId}/models/${sibling}/artifacts`;
    expect((await put(owner, `${siblingDir}/MLmodel`, "sibling")).statusCode).toBe(200);
    expect((await put(owner, `${experimentId}/${runId}/artifacts/run.txt`, "run")).statusCode).toBe(200);
    expect((await put(owner, `${dir}/sub/weights.bin`, "weights")).statusCode).toBe(200);
    const name = uniq("reg");
    await owner.call("POST", "/registered-models/create", { name });
    const v = await owner.call("POST", "/model-versions/create", { name, source: `models:/${modelId}`, model_id: modelId });
    expect(v.status, v.raw).toBe(200);
    expect(v.body.model_version).toMatchObject({ version: "1", model_id: modelId, status: "READY" });

    const consumer = await registryClient(app, db);
    // nothing granted yet (default model permission NONE, experiment NONE)
    expect((await download(consumer, `${dir}/MLmodel`)).statusCode).toBe(404);
    expect((await consumer.call("GET", "/model-versions/get-download-uri", { name, version: "1" })).status).toBe(404);

    await setModelPermission(owner.ctx, { name, username: consumer.user.username, level: "READ" });
    expect(await consumer.call("GET", "/model-versions/get-download-uri", { name, version: "1" })).toMatchObject({
      status: 200,
      body: { artifact_uri: `mlflow-artifacts:/${dir}` },
    });
    const file = await download(consumer, `${dir}/MLmodel`);
    expect(file.statusCode).toBe(200);
    expect(file.body).toBe(MLMODEL);
    expect((await download(consumer, `${dir}/sub/weights.bin`)).body).toBe("weights");
    expect((await app.inject({ url: `${A}?path=${dir}`, headers: consumer.headers })).json()).toEqual({
      files: [
        { path: "MLmodel", is_dir: false, file_size: MLMODEL.length },
        { path: "sub", is_dir: true },
      ],
    });
    // only reading, and only that model's files: not the sibling model, not the run, not the model itself
    expect((await put(consumer, `${dir}/evil.txt`, "x")).statusCode).toBe(404);
    expect((await download(consumer, `${siblingDir}/MLmodel`)).statusCode).toBe(404);
    expect((await download(consumer, `${experimentId}/${runId}/artifacts/run.txt`)).statusCode).toBe(404);
    expect((await consumer.call("GET", `/logged-models/${modelId}`)).status).toBe(404);
    expect((await consumer.call("GET", `/logged-models/${modelId}/artifacts/directories`)).status).toBe(404);

    // the version deleted: the files close again
    await owner.call("DELETE", "/model-versions/delete", { name, version: "1" });
    expect((await download(consumer, `${dir}/MLmodel`)).statusCode).toBe(404);
  });
});
