import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createLocalArtifactStore } from "@modelgate/artifacts";
import { configureRegistry, configureTracking, createModelVersion, createRegisteredModel, setModelPermission, setModelVersionTag, setRegisteredModelAlias, setRegisteredModelTag, transitionModelVersionStage, type ModelPermissionLevel, setPolicy, systemActor } from "@modelgate/core";
import type { Db } from "@modelgate/db";
import { useTestDatabase } from "@modelgate/db/test-db";
import { createDataPlaneApp } from "../src/rest/index.ts";
import { experimentAndRun, registryClient, uniq, type RegistryClient, type Reply } from "./registry-fixtures.ts";

// Databricks' model permission matrix (mlflow-compat.md) through the REST edge: every level against
// every registry action, the configurable default, grants kept across a rename, and READ on a model
// opening its registered files (only those) in the artifact proxy.

let db: Db;
let app: FastifyInstance;
let root: string;
let owner: RegistryClient;
let admin: RegistryClient;
let stranger: RegistryClient;
const granted = new Map<ModelPermissionLevel, RegistryClient>();

const A = "/api/2.0/mlflow-artifacts/artifacts";

beforeAll(async () => {
  db = (await useTestDatabase()).db;
  // the registry's own rules: no target protected by the approval workflow (tested on its own)
  await setPolicy({ db, actor: systemActor("test") }, { rules: [] });
  root = path.join(await fsp.mkdtemp(path.join(os.tmpdir(), "mg-registry-perm-")), "root");
  app = await createDataPlaneApp({ db, version: "t", artifacts: createLocalArtifactStore({ root }) });
  owner = await registryClient(app, db);
  admin = await registryClient(app, db, "ADMIN");
  stranger = await registryClient(app, db);
  for (const level of ["READ", "EDIT", "MANAGE_STAGING_VERSIONS", "MANAGE_PRODUCTION_VERSIONS", "MANAGE"] as const) {
    granted.set(level, await registryClient(app, db));
  }
});
afterEach(() => {
  configureRegistry({ defaultModelPermission: "READ" });
  configureTracking({ defaultExperimentPermission: "READ" });
});
afterAll(async () => {
  await app?.close();
  await fsp.rm(path.dirname(root), { recursive: true, force: true });
});

/** A model owned by `owner` with v1 in None, v2 in Staging, v3 in Production; every level granted. */
async function matrixModel(): Promise<string> {
  const name = uniq("perm");
  await createRegisteredModel(owner.ctx, { name });
  for (let i = 0; i < 3; i++) await createModelVersion(owner.ctx, { name, source: "s3://bucket/models/m" });
  await transitionModelVersionStage(owner.ctx, { name, version: "2", stage: "Staging", archive_existing_versions: false });
  await transitionModelVersionStage(owner.ctx, { name, version: "3", stage: "Production", archive_existing_versions: false });
  await setRegisteredModelAlias(owner.ctx, { name, alias: "stable", version: "1" });
  await setRegisteredModelTag(owner.ctx, { name, key: "team", value: "ml" });
  await setModelVersionTag(owner.ctx, { name, version: "1", key: "team", value: "ml" });
  for (const [level, c] of granted) await setModelPermission(owner.ctx, { name, username: c.user.username, level });
  return name;
}

type Action = (c: RegistryClient, name: string) => Promise<Reply>;

const transition = (version: string, stage: string): Action => (c, name) =>
  c.call("POST", "/model-versions/transition-stage", { name, version, stage, archive_existing_versions: false });

const ACTIONS: Record<string, { needs: ModelPermissionLevel; run: Action }> = {
  get: { needs: "READ", run: (c, name) => c.call("GET", "/registered-models/get", { name }) },
  "get version": { needs: "READ", run: (c, name) => c.call("GET", "/model-versions/get", { name, version: "1" }) },
  "download uri": { needs: "READ", run: (c, name) => c.call("GET", "/model-versions/get-download-uri", { name, version: "1" }) },
  "create version": { needs: "EDIT", run: (c, name) => c.call("POST", "/model-versions/create", { name, source: "s3://bucket/models/m" }) },
  "edit model description": { needs: "EDIT", run: (c, name) => c.call("PATCH", "/registered-models/update", { name, description: "x" }) },
  "edit version description": { needs: "EDIT", run: (c, name) => c.call("PATCH", "/model-versions/update", { name, version: "1", description: "x" }) },
  "set model tag": { needs: "EDIT", run: (c, name) => c.call("POST", "/registered-models/set-tag", { name, key: "k", value: "v" }) },
  "set version tag": { needs: "EDIT", run: (c, name) => c.call("POST", "/model-versions/set-tag", { name, version: "1", key: "k", value: "v" }) },
  "set alias": { needs: "EDIT", run: (c, name) => c.call("POST", "/registered-models/alias", { name, alias: "champion", version: "1" }) },
  "get alias": { needs: "READ", run: (c, name) => c.call("GET", "/registered-models/alias", { name, alias: "stable" }) },
  "latest versions": { needs: "READ", run: (c, name) => c.call("POST", "/registered-models/get-latest-versions", { name, stages: ["Production"] }) },
  "delete model tag": { needs: "EDIT", run: (c, name) => c.call("DELETE", "/registered-models/delete-tag", { name, key: "team" }) },
  "delete version tag": { needs: "EDIT", run: (c, name) => c.call("DELETE", "/model-versions/delete-tag", { name, version: "1", key: "team" }) },
  "delete alias": { needs: "EDIT", run: (c, name) => c.call("DELETE", "/registered-models/alias", { name, alias: "stable" }) },
  "None→Staging": { needs: "MANAGE_STAGING_VERSIONS", run: transition("1", "Staging") },
  "Staging→Archived": { needs: "MANAGE_STAGING_VERSIONS", run: transition("2", "Archived") },
  "None→Production": { needs: "MANAGE_PRODUCTION_VERSIONS", run: transition("1", "Production") },
  "Staging→Production": { needs: "MANAGE_PRODUCTION_VERSIONS", run: transition("2", "Production") },
  "Production→Archived": { needs: "MANAGE_PRODUCTION_VERSIONS", run: transition("3", "Archived") },
  rename: { needs: "MANAGE", run: (c, name) => c.call("POST", "/registered-models/rename", { name, new_name: uniq("renamed") }) },
  "delete version": { needs: "MANAGE", run: (c, name) => c.call("DELETE", "/model-versions/delete", { name, version: "1" }) },
  "delete model": { needs: "MANAGE", run: (c, name) => c.call("DELETE", "/registered-models/delete", { name }) },
};

const ORDER: ModelPermissionLevel[] = ["READ", "EDIT", "MANAGE_STAGING_VERSIONS", "MANAGE_PRODUCTION_VERSIONS", "MANAGE"];
const allows = (has: ModelPermissionLevel, needs: ModelPermissionLevel) => ORDER.indexOf(has) >= ORDER.indexOf(needs);

const PRINCIPALS: { who: string; level: ModelPermissionLevel; client: () => RegistryClient }[] = [
  ...ORDER.map((level) => ({ who: `grant ${level}`, level, client: () => granted.get(level)! })),
  { who: "owner", level: "MANAGE", client: () => owner },
  { who: "admin", level: "MANAGE", client: () => admin },
  { who: "stranger (default READ)", level: "READ", client: () => stranger },
];

describe("the Databricks model permission matrix over REST", () => {
  for (const p of PRINCIPALS) {
    it(`${p.who}: each action allowed or refused (403) as the matrix says`, async () => {
      const outcome: Record<string, string> = {};
      const expected: Record<string, string> = {};
      for (const [action, { needs, run }] of Object.entries(ACTIONS)) {
        const name = await matrixModel();
        const r = await run(p.client(), name);
        outcome[action] = r.status === 200 ? "allowed" : `${r.status} ${r.body?.error_code}`;
        expected[action] = allows(p.level, needs) ? "allowed" : "403 PERMISSION_DENIED";
      }
      expect(outcome).toEqual(expected);
    });
  }

  it("a refused action writes nothing", async () => {
    const name = await matrixModel();
    const reader = granted.get("READ")!;
    const before = await db.modelVersion.findMany({ where: { model: { name } }, orderBy: { version: "asc" }, select: { version: true, currentStage: true, description: true } });
    for (const action of Object.values(ACTIONS)) if (action.needs !== "READ") await action.run(reader, name);
    expect(await db.modelVersion.findMany({ where: { model: { name } }, orderBy: { version: "asc" }, select: { version: true, currentStage: true, description: true } })).toEqual(before);
    const m = await db.registeredModel.findUniqueOrThrow({ where: { name }, select: { nextVersion: true, description: true, id: true } });
    expect(m.nextVersion).toBe(4);
    expect(m.description).toBe("");
    expect(await db.registeredModelAlias.findMany({ where: { modelId: m.id }, select: { alias: true } })).toEqual([{ alias: "stable" }]);
    expect(await db.registeredModelTag.findMany({ where: { modelId: m.id }, select: { key: true, value: true } })).toEqual([{ key: "team", value: "ml" }]);
    expect(await db.modelVersionTag.count({ where: { version: { modelId: m.id } } })).toBe(1);
  });

  it("every model is visible in search to each level, the owner, admins and (by default) strangers", async () => {
    const name = await matrixModel();
    for (const p of PRINCIPALS) {
      const r = await p.client().call("GET", "/registered-models/search", { filter: `name = '${name}'` });
      expect({ who: p.who, names: (r.body.registered_models ?? []).map((m: { name: string }) => m.name) }).toEqual({ who: p.who, names: [name] });
    }
  });

  it("with the default NONE a stranger gets 404 and sees nothing; grantees still see the model", async () => {
    const name = await matrixModel();
    configureRegistry({ defaultModelPermission: "NONE" });
    const r = await stranger.call("GET", "/registered-models/get", { name });
    expect({ status: r.status, code: r.body.error_code, message: r.body.message }).toEqual({ status: 404, code: "RESOURCE_DOES_NOT_EXIST", message: `Registered Model with name=${name} not found` });
    // writes are 404 too: nothing tells a stranger the model exists
    expect((await stranger.call("POST", "/model-versions/create", { name, source: "s3://b/x" })).status).toBe(404);
    expect((await stranger.call("GET", "/model-versions/get-download-uri", { name, version: "1" })).status).toBe(404);
    expect((await stranger.call("GET", "/registered-models/search", { filter: `name = '${name}'` })).body).toEqual({});
    expect((await stranger.call("GET", "/model-versions/search", { filter: `name = '${name}'` })).body).toEqual({});
    expect((await granted.get("READ")!.call("GET", "/registered-models/get", { name })).status).toBe(200);
    expect((await granted.get("READ")!.call("GET", "/model-versions/search", { filter: `name = '${name}'` })).body.model_versions).toHaveLength(3);
    expect((await owner.call("GET", "/registered-models/search", { filter: `name = '${name}'` })).body.registered_models).toHaveLength(1);
    expect((await admin.call("GET", "/registered-models/get", { name })).status).toBe(200);
    // nor may a stranger point a version of their own model at it
    const own = uniq("own");
    await stranger.call("POST", "/registered-models/create", { name: own });
    const r2 = await stranger.call("POST", "/model-versions/create", { name: own, source: `models:/${name}/1` });
    expect({ status: r2.status, code: r2.body.error_code }).toEqual({ status: 400, code: "INVALID_PARAMETER_VALUE" });
    expect(await db.modelVersion.count({ where: { model: { name: own } } })).toBe(0);
  });

  it("a grant survives a rename (grants are keyed by the model's id)", async () => {
    const name = await matrixModel();
    const newName = uniq("renamed");
    expect((await owner.call("POST", "/registered-models/rename", { name, new_name: newName })).status).toBe(200);
    configureRegistry({ defaultModelPermission: "NONE" });
    const editor = granted.get("EDIT")!;
    expect((await editor.call("POST", "/model-versions/create", { name: newName, source: "s3://bucket/m" })).body.model_version.version).toBe("4");
    expect((await editor.call("DELETE", "/registered-models/delete", { name: newName })).status).toBe(403);
    // a new model under the old name has no grants
    await createRegisteredModel(owner.ctx, { name });
    expect((await editor.call("GET", "/registered-models/get", { name })).status).toBe(404);
  });
});

describe("READ on a model opens its registered files in the artifact proxy", () => {
  it("downloads and lists the version's files without access to the experiment, but no other file of the run", async () => {
    const run = await experimentAndRun(owner);
    const dir = `${run.experimentId}/${run.runId}/artifacts`;
    for (const [file, body] of [
      ["model/MLmodel", "flavors:\n  python_function:\n    loader_module: x\n"],
      ["model/model.pkl", "weights"],
      ["model2/secret", "no"],
      ["secret.txt", "no"],
    ]) {
      const put = await app.inject({ method: "PUT", url: `${A}/${dir}/${file}`, headers: owner.headers, payload: body });
      expect(put.statusCode).toBe(200);
    }
    const name = uniq("dl");
    await owner.call("POST", "/registered-models/create", { name });
    const v = await owner.call("POST", "/model-versions/create", { name, source: `${run.artifactUri}/model`, run_id: run.runId });
    expect(v.body.model_version.status).toBe("READY");
    const reader = await registryClient(app, db);
    await setModelPermission(owner.ctx, { name, username: reader.user.username, level: "READ" });

    configureTracking({ defaultExperimentPermission: "NONE" });
    configureRegistry({ defaultModelPermission: "NONE" });
    const get = (c: RegistryClient, file: string) => app.inject({ url: `${A}/${dir}/${file}`, headers: c.headers });

    // what the client does for models:/name/1: get-download-uri, list the dir, download each file
    const uri = await reader.call("GET", "/model-versions/get-download-uri", { name, version: "1" });
    expect(uri.body.artifact_uri).toBe(`mlflow-artifacts:/${dir}/model`);
    const list = await app.inject({ url: `${A}?path=${dir}/model`, headers: reader.headers });
    expect(list.json()).toEqual({
      files: [
        { path: "MLmodel", is_dir: false, file_size: 49 },
        { path: "model.pkl", is_dir: false, file_size: 7 },
      ],
    });
    expect((await get(reader, "model/model.pkl")).body).toBe("weights");
    expect((await get(reader, "model/MLmodel")).statusCode).toBe(200);

    // other files of the same run stay closed (a sibling dir sharing the prefix too)
    for (const file of ["secret.txt", "model2/secret"]) expect({ file, status: (await get(reader, file)).statusCode }).toEqual({ file, status: 404 });
    expect((await app.inject({ url: `${A}?path=${dir}`, headers: reader.headers })).statusCode).toBe(404);
    // writing is never opened by a model grant
    expect((await app.inject({ method: "PUT", url: `${A}/${dir}/model/evil`, headers: reader.headers, payload: "x" })).statusCode).toBe(404);
    // a user without READ on the model gets nothing
    expect((await get(stranger, "model/model.pkl")).statusCode).toBe(404);

    // a runs:/ source opens the same files
    const byRun = uniq("byrun");
    await owner.call("POST", "/registered-models/create", { name: byRun });
    await owner.call("POST", "/model-versions/create", { name: byRun, source: `runs:/${run.runId}/model` });
    const runReader = await registryClient(app, db);
    await setModelPermission(owner.ctx, { name: byRun, username: runReader.user.username, level: "READ" });
    expect((await get(runReader, "model/model.pkl")).body).toBe("weights");
    expect((await get(runReader, "secret.txt")).statusCode).toBe(404);

    // once the version is deleted its files close again
    await owner.call("DELETE", "/model-versions/delete", { name, version: "1" });
    expect((await get(reader, "model/model.pkl")).statusCode).toBe(404);
  });
});
