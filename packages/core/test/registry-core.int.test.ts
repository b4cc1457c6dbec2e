import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "@modelgate/db";
import { useTestDatabase } from "@modelgate/db/test-db";
import { configureRegistry, configureTracking, createExperiment, createModelVersion, createRegisteredModel, createRun, deleteModelVersion, deleteRegisteredModelAlias, getLatestVersions, getModelHistory, getModelStateAt, getModelVersionDetail, listModelPermissions, myModelAccess, setModelPermission, setRegisteredModelAlias, transitionModelVersionStage, type Ctx, setPolicy, systemActor } from "../src/index.ts";
import { makeUser } from "./helpers.ts";

// The registry's core functions against a real Postgres: MLmodel read at registration (through a
// fake artifact reader), the portal's version detail, stage and alias history, state at a past
// instant, and per-model access.

let db: Db;
const files = new Map<string, string>();

beforeAll(async () => {
  db = (await useTestDatabase()).db;
  // the registry's own rules: no target protected by the approval workflow (tested on its own)
  await setPolicy({ db, actor: systemActor("test") }, { rules: [] });
});
afterEach(() => {
  configureRegistry({ defaultModelPermission: "READ", readArtifact: null });
  files.clear();
});

/** Serves `files` as the artifact store; missing paths are null, as the real reader answers. */
function useFakeStore() {
  configureRegistry({
    readArtifact: async (path, maxBytes) => {
      const text = files.get(path);
      return text === undefined ? null : Buffer.from(text, "utf8").subarray(0, maxBytes);
    },
  });
}

const SKLEARN = `artifact_path: model
flavors:
  python_function:
    loader_module: mlflow.sklearn
    model_path: model.pkl
    python_version: 3.11.4
  sklearn:
    pickled_model: model.pkl
    sklearn_version: 1.3.0
mlflow_version: 2.12.1
model_uuid: 3c5f1f0e2a8b4c55a0c8e2f1d4b6a7c9
run_id: 8a1d2f3e4b5c6d7e8f9a0b1c2d3e4f5a
saved_input_example_info:
  artifact_path: input_example.json
  pandas_orient: split
  type: dataframe
signature:
  inputs: '[{"type": "double", "name": "sepal length (cm)", "required": true}, {"type": "string", "name": "s"}]'
  outputs: '[{"type": "long", "required": true}]'
  params: null
`;

async function runOf(ctx: Ctx) {
  const { experiment_id } = await createExperiment(ctx, { name: `exp-${crypto.randomUUID()}` });
  const run = await createRun(ctx, { experiment_id });
  const storePath = `${run.info.artifact_uri.replace(/^mlflow-artifacts:\/+/, "")}/model`;
  return { runId: run.info.run_id, source: `${run.info.artifact_uri}/model`, storePath };
}

async function newModel(ctx: Ctx) {
  const name = `m-${crypto.randomUUID()}`;
  await createRegisteredModel(ctx, { name });
  return name;
}

describe("MLmodel at registration", () => {
  it("a valid MLmodel makes a READY version whose detail has flavors, signature and input example", async () => {
    const { ctx } = await makeUser(db);
    useFakeStore();
    const run = await runOf(ctx);
    files.set(`${run.storePath}/MLmodel`, SKLEARN);
    files.set(`${run.storePath}/input_example.json`, JSON.stringify({ columns: ["sepal length (cm)", "s"], data: [[5.1, "a"]] }));
    const name = await newModel(ctx);
    const v = await createModelVersion(ctx, { name, source: run.source, run_id: run.runId });
    expect(v).toMatchObject({ status: "READY", status_message: "" });

    const detail = await getModelVersionDetail(ctx, { name, version: "1" });
    expect(detail.storage_location).toBe(run.source);
    expect(detail.mlmodel?.flavor_names).toEqual(["python_function", "sklearn"]);
    expect(detail.mlmodel?.flavors.sklearn).toEqual({ pickled_model: "model.pkl", sklearn_version: "1.3.0" });
    expect(detail.mlmodel?.signature?.inputs).toEqual({
      kind: "columns",
      specs: [
        { kind: "column", name: "sepal length (cm)", type: "double", required: true },
        { kind: "column", name: "s", type: "string", required: true },
      ],
    });
    expect(detail.mlmodel?.signature?.outputs?.specs).toEqual([{ kind: "column", name: null, type: "long", required: true }]);
    expect(detail.mlmodel).toMatchObject({ model_uuid: "3c5f1f0e2a8b4c55a0c8e2f1d4b6a7c9", mlflow_version: "2.12.1", saved_input_example_info: { artifact_path: "input_example.json" } });
    expect(detail.mlmodel).not.toHaveProperty("input_example");
    expect(detail.input_example).toEqual({ columns: ["sepal length (cm)", "s"], data: [[5.1, "a"]] });
    expect(detail.experiment_id).toMatch(/^\d+$/);

    // a model reader who may not read the run is not told its experiment
    const reader = await makeUser(db);
    configureTracking({ defaultExperimentPermission: "NONE" });
    try {
      const seen = await getModelVersionDetail(reader.ctx, { name, version: "1" });
      expect({ experiment_id: seen.experiment_id, flavors: seen.mlmodel?.flavor_names }).toEqual({ experiment_id: null, flavors: ["python_function", "sklearn"] });
    } finally {
      configureTracking({ defaultExperimentPermission: "READ" });
    }
  });

  it("a malformed MLmodel makes a FAILED_REGISTRATION version with a clear message; no MLmodel is READY with mlmodel null", async () => {
    const { ctx } = await makeUser(db);
    useFakeStore();
    const run = await runOf(ctx);
    const name = await newModel(ctx);
    files.set(`${run.storePath}/MLmodel`, "flavors: [unclosed\n  : :");
    const bad = await createModelVersion(ctx, { name, source: run.source });
    expect(bad.status).toBe("FAILED_REGISTRATION");
    expect(bad.status_message).toMatch(/^MLmodel is not valid YAML/);
    expect((await getModelVersionDetail(ctx, { name, version: "1" })).mlmodel).toBeNull();

    files.clear();
    const none = await createModelVersion(ctx, { name, source: run.source });
    expect(none).toMatchObject({ version: "2", status: "READY", status_message: "" });
    const detail = await getModelVersionDetail(ctx, { name, version: "2" });
    expect({ mlmodel: detail.mlmodel, input_example: detail.input_example }).toEqual({ mlmodel: null, input_example: null });

    // a failed version is never "latest"
    expect((await getLatestVersions(ctx, { name })).map((v) => v.version)).toEqual(["2"]);
  });

  it("text Postgres cannot store (NUL) in MLmodel or its input example does not crash the registration", async () => {
    const { ctx } = await makeUser(db);
    useFakeStore();
    const run = await runOf(ctx);
    const name = await newModel(ctx);
    files.set(`${run.storePath}/MLmodel`, 'flavors:\n  sklearn:\n    note: "a\\0b"\n');
    const v1 = await createModelVersion(ctx, { name, source: run.source });
    expect(v1).toMatchObject({ status: "FAILED_REGISTRATION", status_message: "MLmodel contains a NUL character (U+0000), which cannot be stored" });
    files.set(`${run.storePath}/MLmodel`, SKLEARN);
    files.set(`${run.storePath}/input_example.json`, '{"a": "x\\u0000y"}');
    const v2 = await createModelVersion(ctx, { name, source: run.source });
    expect(v2.status).toBe("READY");
    const detail = await getModelVersionDetail(ctx, { name, version: "2" });
    expect(detail.mlmodel?.flavor_names).toEqual(["python_function", "sklearn"]);
    // the example is not kept; an escaped backslash-u in text is ordinary text and is kept
    expect(detail.input_example).toBeNull();
    files.set(`${run.storePath}/input_example.json`, '{"a": "x\\\\u0000y"}');
    await createModelVersion(ctx, { name, source: run.source });
    expect((await getModelVersionDetail(ctx, { name, version: "3" })).input_example).toEqual({ a: "x\\u0000y" });
  });

  it("an input example path pointing outside the model directory is not read", async () => {
    const { ctx } = await makeUser(db);
    useFakeStore();
    const run = await runOf(ctx);
    const name = await newModel(ctx);
    files.set(`${run.storePath}/MLmodel`, SKLEARN.replace("artifact_path: input_example.json", "artifact_path: ../secret.json"));
    files.set(`${run.storePath.replace(/\/model$/, "")}/secret.json`, '{"secret": true}');
    await createModelVersion(ctx, { name, source: run.source });
    expect((await getModelVersionDetail(ctx, { name, version: "1" })).input_example).toBeNull();
  });

  it("a models:/ source carries the referenced version's files and MLmodel", async () => {
    const { ctx } = await makeUser(db);
    useFakeStore();
    const run = await runOf(ctx);
    files.set(`${run.storePath}/MLmodel`, SKLEARN);
    const a = await newModel(ctx);
    const b = await newModel(ctx);
    await createModelVersion(ctx, { name: a, source: run.source });
    await setRegisteredModelAlias(ctx, { name: a, alias: "champion", version: "1" });
    const v = await createModelVersion(ctx, { name: b, source: `models:/${a}@champion` });
    expect(v.source).toBe(`models:/${a}@champion`);
    const detail = await getModelVersionDetail(ctx, { name: b, version: "1" });
    expect(detail.storage_location).toBe(run.source);
    expect(detail.mlmodel?.flavor_names).toEqual(["python_function", "sklearn"]);
    const row = await db.modelVersion.findFirstOrThrow({ where: { model: { name: b } }, select: { storePath: true } });
    expect(row.storePath).toBe(run.storePath);
  });
});

describe("s3:// sources inside our own bucket", () => {
  it("are held to the run-root rule and record their store path; other buckets are external", async () => {
    const { ctx } = await makeUser(db);
    configureRegistry({ s3Destination: "s3://ourbucket/root/" });
    try {
      const run = await runOf(ctx);
      const name = await newModel(ctx);
      const inside = `s3://ourbucket/root/${run.storePath}`;
      await createModelVersion(ctx, { name, source: inside });
      const row = await db.modelVersion.findFirstOrThrow({ where: { model: { name }, version: 1 }, select: { storePath: true, runId: true, storageLocation: true } });
      expect(row).toEqual({ storePath: run.storePath, runId: run.runId, storageLocation: inside });
      for (const source of ["s3://ourbucket/root/1/notarun", "s3://ourbucket/root/x.pkl"]) {
        await expect(createModelVersion(ctx, { name, source })).rejects.toMatchObject({ code: "INVALID_PARAMETER_VALUE" });
      }
      const outside = await createModelVersion(ctx, { name, source: "s3://otherbucket/root/1/notarun" });
      expect(outside).toMatchObject({ version: "2", run_id: "" });
    } finally {
      configureRegistry({ s3Destination: null });
    }
  });
});

describe("history", () => {
  it("records every stage change and alias move, and answers the state at a past instant", async () => {
    const { ctx, user } = await makeUser(db);
    const name = await newModel(ctx);
    for (let i = 0; i < 3; i++) await createModelVersion(ctx, { name, source: "s3://bucket/m" });
    await transitionModelVersionStage(ctx, { name, version: "1", stage: "Production", archive_existing_versions: false });
    await setRegisteredModelAlias(ctx, { name, alias: "champion", version: "1" });
    await new Promise((r) => setTimeout(r, 5));
    const before = Date.now();
    await new Promise((r) => setTimeout(r, 5));
    await transitionModelVersionStage(ctx, { name, version: "2", stage: "Production", archive_existing_versions: true });
    await setRegisteredModelAlias(ctx, { name, alias: "champion", version: "2" });
    await deleteRegisteredModelAlias(ctx, { name, alias: "champion" });
    await setRegisteredModelAlias(ctx, { name, alias: "beta", version: "3" });
    await deleteModelVersion(ctx, { name, version: "3" });

    const h = await getModelHistory(ctx, { name });
    expect(h.stages.slice(0, 3).map((s) => [s.version, s.from_stage, s.to_stage, s.system])).toEqual(
      expect.arrayContaining([
        [2, "None", "Production", false],
        [1, "Production", "Archived", true],
      ]),
    );
    expect(h.stages.filter((s) => s.from_stage === null).map((s) => s.version).sort()).toEqual([1, 2, 3]);
    expect(h.stages.every((s) => s.actor === user.username)).toBe(true);
    expect(h.aliases.map((a) => [a.alias, a.from_version, a.to_version])).toEqual([
      ["beta", 3, null],
      ["beta", null, 3],
      ["champion", 2, null],
      ["champion", 1, 2],
      ["champion", null, 1],
    ]);
    expect(h.aliases[0]!.reason).toBe("version 3 deleted");

    const v1 = await getModelHistory(ctx, { name, version: "1" });
    expect(v1.stages.map((s) => s.to_stage)).toEqual(["Archived", "Production", "None"]);

    const then = await getModelStateAt(ctx, { name, at: before });
    expect(then.stages).toEqual({ None: [2, 3], Staging: [], Production: [1], Archived: [] });
    expect(then.aliases).toEqual([{ alias: "champion", version: 1 }]);
    const now = await getModelStateAt(ctx, { name, at: Date.now() + 1 });
    expect(now.stages).toEqual({ None: [], Staging: [], Production: [2], Archived: [1] });
    expect(now.aliases).toEqual([]);
  });
});

describe("per-model access", () => {
  it("myModelAccess follows the matrix; permissions need MANAGE; levels are validated and audited", async () => {
    const owner = await makeUser(db);
    const other = await makeUser(db);
    const name = await newModel(owner.ctx);
    expect((await myModelAccess(owner.ctx, name)).level).toBe("MANAGE");
    const readerAccess = await myModelAccess(other.ctx, name);
    expect(readerAccess.level).toBe("READ");
    expect(readerAccess.can).toMatchObject({ read: true, createVersion: false, rename: false });
    expect(readerAccess.transitions.None).toEqual([]);

    await setModelPermission(owner.ctx, { name, username: other.user.username, level: "MANAGE_STAGING_VERSIONS" });
    const staging = await myModelAccess(other.ctx, name);
    expect(staging.transitions).toEqual({ None: ["Staging", "Archived"], Staging: ["None", "Archived"], Production: [], Archived: ["None", "Staging"] });
    expect(staging.can).toMatchObject({ createVersion: true, setAlias: true, delete: false });
    await expect(listModelPermissions(other.ctx, name)).rejects.toMatchObject({ code: "PERMISSION_DENIED" });
    await expect(setModelPermission(other.ctx, { name, username: other.user.username, level: "MANAGE" })).rejects.toMatchObject({ code: "PERMISSION_DENIED" });
    // @ts-expect-error an unknown level is refused at runtime too
    await expect(setModelPermission(owner.ctx, { name, username: other.user.username, level: "OWNER" })).rejects.toMatchObject({ code: "INVALID_PARAMETER_VALUE" });
    expect(await listModelPermissions(owner.ctx, name)).toEqual([{ user_id: other.user.id, username: other.user.username, level: "MANAGE_STAGING_VERSIONS" }]);

    await setModelPermission(owner.ctx, { name, username: other.user.username, level: null });
    expect(await listModelPermissions(owner.ctx, name)).toEqual([]);
    configureRegistry({ defaultModelPermission: "NONE" });
    expect((await myModelAccess(other.ctx, name)).level).toBeNull();

    const audit = await db.auditEvent.findMany({ where: { action: "registered_model.permission_set" }, orderBy: { id: "asc" } });
    expect(audit.slice(-2).map((a) => [a.before, a.after])).toEqual([
      [
        { username: other.user.username, level: null },
        { username: other.user.username, level: "MANAGE_STAGING_VERSIONS" },
      ],
      [
        { username: other.user.username, level: "MANAGE_STAGING_VERSIONS" },
        { username: other.user.username, level: null },
      ],
    ]);
  });
});
