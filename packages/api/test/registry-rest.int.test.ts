import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase } from "@modelgate/db/test-db";
import { configureTracking, setPolicy, systemActor } from "@modelgate/core";
import type { Db } from "@modelgate/db";
import { createDataPlaneApp } from "../src/rest/index.ts";
import { experimentAndRun, modelWithVersions, registryClient, uniq, type RegistryClient } from "./registry-fixtures.ts";

// The MLflow registry protocol over HTTP (model_registry.proto and the behaviours observed on a real
// MLflow 2.12 server, mlflow-compat.md): exact shapes, codes and messages, and nothing written on a
// refused request.

let db: Db;
let app: FastifyInstance;
let c: RegistryClient;

beforeAll(async () => {
  db = (await useTestDatabase()).db;
  // the registry's own rules: no target protected by the approval workflow (tested on its own)
  await setPolicy({ db, actor: systemActor("test") }, { rules: [] });
  app = await createDataPlaneApp({ db, version: "test" });
  c = await registryClient(app, db);
});
afterAll(() => app.close());

const ts = expect.any(Number);

/** The version view MLflow prints for a fresh version (proto defaults emitted, empty lists omitted). */
function freshVersion(name: string, version: string, source: string, runId: string, username: string) {
  return {
    name,
    version,
    creation_timestamp: ts,
    last_updated_timestamp: ts,
    user_id: username,
    current_stage: "None",
    description: "",
    source,
    run_id: runId,
    status: "READY",
    status_message: "",
    run_link: "",
  };
}

async function versionCount(name: string): Promise<{ live: number; next: number }> {
  const m = await db.registeredModel.findUniqueOrThrow({ where: { name }, select: { id: true, nextVersion: true } });
  const live = await db.modelVersion.count({ where: { modelId: m.id } });
  return { live, next: m.nextVersion };
}

function expectError(r: { status: number; body: { error_code?: string; message?: string } }, status: number, code: string, message?: string | RegExp) {
  expect({ status: r.status, code: r.body?.error_code }).toEqual({ status, code });
  if (message !== undefined) expect(r.body.message).toMatch(message);
}

describe("registered models", () => {
  it("create, get (both prefixes), update, rename, tags and delete with MLflow's shapes", async () => {
    const name = uniq("rm");
    const created = await c.call("POST", "/registered-models/create", { name, tags: [{ key: "team", value: "ml" }], description: "first" });
    expect(created.status).toBe(200);
    expect(created.body).toEqual({
      registered_model: { name, creation_timestamp: ts, last_updated_timestamp: ts, description: "first", tags: [{ key: "team", value: "ml" }] },
    });
    const got = await c.call("GET", "/registered-models/get", { name });
    expect(got.body).toEqual(created.body);
    const ajax = await c.call("GET", "/registered-models/get", { name }, "/ajax-api/2.0/mlflow");
    expect(ajax.status).toBe(200);
    expect(ajax.body).toEqual(created.body);

    const updated = await c.call("PATCH", "/registered-models/update", { name, description: "second" });
    expect(updated.body.registered_model.description).toBe("second");

    expect((await c.call("POST", "/registered-models/set-tag", { name, key: "k", value: "v" })).body).toEqual({});
    expect((await c.call("DELETE", "/registered-models/delete-tag", { name, key: "team" })).body).toEqual({});
    // removing a tag that is not set is a no-op
    expect((await c.call("DELETE", "/registered-models/delete-tag", { name, key: "never" })).status).toBe(200);
    expect((await c.call("GET", "/registered-models/get", { name })).body.registered_model.tags).toEqual([{ key: "k", value: "v" }]);

    const newName = uniq("renamed");
    const renamed = await c.call("POST", "/registered-models/rename", { name, new_name: newName });
    expect(renamed.status).toBe(200);
    expect(renamed.body.registered_model.name).toBe(newName);
    expectError(await c.call("GET", "/registered-models/get", { name }), 404, "RESOURCE_DOES_NOT_EXIST", `Registered Model with name=${name} not found`);

    expect((await c.call("DELETE", "/registered-models/delete", { name: newName })).body).toEqual({});
    expectError(await c.call("GET", "/registered-models/get", { name: newName }), 404, "RESOURCE_DOES_NOT_EXIST");
    expectError(await c.call("DELETE", "/registered-models/delete", { name: newName }), 404, "RESOURCE_DOES_NOT_EXIST");
  });

  it("a model with no tags, versions or aliases has no such keys; description defaults to ''", async () => {
    const name = uniq("bare");
    const r = await c.call("POST", "/registered-models/create", { name });
    expect(r.raw).not.toContain("tags");
    expect(r.raw).not.toContain("latest_versions");
    expect(r.raw).not.toContain("aliases");
    expect(r.body.registered_model.description).toBe("");
  });

  it("duplicate create and rename onto an existing name are 400 RESOURCE_ALREADY_EXISTS", async () => {
    const a = uniq("a");
    const b = uniq("b");
    await c.call("POST", "/registered-models/create", { name: a });
    await c.call("POST", "/registered-models/create", { name: b });
    expectError(await c.call("POST", "/registered-models/create", { name: a }), 400, "RESOURCE_ALREADY_EXISTS", `Registered Model (name=${a}) already exists.`);
    expectError(await c.call("POST", "/registered-models/rename", { name: a, new_name: b }), 400, "RESOURCE_ALREADY_EXISTS");
    expect((await c.call("GET", "/registered-models/get", { name: a })).status).toBe(200);
  });

  it("latest_versions holds one READY version per stage (the highest)", async () => {
    const m = await modelWithVersions(c, 4);
    await c.call("POST", "/model-versions/transition-stage", { name: m.name, version: "1", stage: "Production", archive_existing_versions: false });
    await c.call("POST", "/model-versions/transition-stage", { name: m.name, version: "2", stage: "Production", archive_existing_versions: false });
    await c.call("POST", "/model-versions/transition-stage", { name: m.name, version: "3", stage: "staging", archive_existing_versions: false });
    const got = await c.call("GET", "/registered-models/get", { name: m.name });
    const latest = got.body.registered_model.latest_versions as { version: string; current_stage: string }[];
    expect(latest.map((v) => [v.current_stage, v.version])).toEqual([
      ["None", "4"],
      ["Staging", "3"],
      ["Production", "2"],
    ]);
  });
});

describe("registered-models/search", () => {
  it("filters by name LIKE and tags, orders, pages with tokens, and caps max_results", async () => {
    const prefix = uniq("srch");
    for (const [i, team] of [
      [3, "a"],
      [1, "b"],
      [2, "a"],
    ] as const) {
      await c.call("POST", "/registered-models/create", { name: `${prefix}-${i}`, tags: [{ key: "team", value: team }] });
    }
    const names = (r: { body: { registered_models?: { name: string }[] } }) => (r.body.registered_models ?? []).map((m) => m.name);

    const byName = await c.call("GET", "/registered-models/search", { filter: `name LIKE '${prefix}-%'` });
    expect(names(byName)).toEqual([`${prefix}-1`, `${prefix}-2`, `${prefix}-3`]);
    expect(byName.body.next_page_token).toBeUndefined();

    const byTag = await c.call("GET", "/registered-models/search", { filter: `name LIKE '${prefix}%' AND tags.team = 'a'` });
    expect(names(byTag)).toEqual([`${prefix}-2`, `${prefix}-3`]);

    const desc = await c.call("GET", "/registered-models/search", { filter: `name LIKE '${prefix}%'`, order_by: ["name DESC"] });
    expect(names(desc)).toEqual([`${prefix}-3`, `${prefix}-2`, `${prefix}-1`]);

    const page1 = await c.call("GET", "/registered-models/search", { filter: `name LIKE '${prefix}%'`, max_results: "2" });
    expect(names(page1)).toEqual([`${prefix}-1`, `${prefix}-2`]);
    expect(page1.body.next_page_token).toEqual(expect.any(String));
    const page2 = await c.call("GET", "/registered-models/search", { filter: `name LIKE '${prefix}%'`, max_results: "2", page_token: page1.body.next_page_token });
    expect(names(page2)).toEqual([`${prefix}-3`]);
    expect(page2.body.next_page_token).toBeUndefined();

    const none = await c.call("GET", "/registered-models/search", { filter: `name = '${prefix}-nope'` });
    expect(none.status).toBe(200);
    expect(none.body).toEqual({});

    expectError(await c.call("GET", "/registered-models/search", { max_results: "1001" }), 400, "INVALID_PARAMETER_VALUE");
    expectError(await c.call("GET", "/registered-models/search", { filter: "bogus = 'x'" }), 400, "INVALID_PARAMETER_VALUE");
    expectError(await c.call("GET", "/registered-models/search", { page_token: "!!garbage" }), 400, "INVALID_PARAMETER_VALUE");
  });

  it("max_results defaults to 100", async () => {
    const prefix = uniq("many");
    await db.registeredModel.createMany({
      data: Array.from({ length: 101 }, (_, i) => ({ name: `${prefix}-${String(i).padStart(3, "0")}`, creationTimestamp: 1n, lastUpdatedTimestamp: 1n })),
    });
    const r = await c.call("GET", "/registered-models/search", { filter: `name LIKE '${prefix}%'` });
    expect(r.body.registered_models).toHaveLength(100);
    expect(r.body.next_page_token).toEqual(expect.any(String));
  });
});

describe("model versions", () => {
  it("create, get, update, tags, search, delete with exact shapes; numbers are never reused", async () => {
    const name = uniq("mv");
    await c.call("POST", "/registered-models/create", { name });
    const run = await experimentAndRun(c);
    const source = `${run.artifactUri}/model`;
    const v1 = await c.call("POST", "/model-versions/create", { name, source, run_id: run.runId, tags: [{ key: "t", value: "1" }] });
    expect(v1.status).toBe(200);
    expect(v1.body).toEqual({ model_version: { ...freshVersion(name, "1", source, run.runId, c.user.username), tags: [{ key: "t", value: "1" }] } });
    const v2 = await c.call("POST", "/model-versions/create", { name, source });
    // the run comes from the source when run_id is not sent
    expect(v2.body.model_version).toEqual(freshVersion(name, "2", source, run.runId, c.user.username));
    const v3 = await c.call("POST", "/model-versions/create", { name, source: "s3://bucket/models/x" });
    expect(v3.body.model_version).toEqual(freshVersion(name, "3", "s3://bucket/models/x", "", c.user.username));

    expect((await c.call("GET", "/model-versions/get", { name, version: "1" })).body).toEqual(v1.body);
    const upd = await c.call("PATCH", "/model-versions/update", { name, version: "1", description: "d" });
    expect(upd.body.model_version.description).toBe("d");
    expect((await c.call("POST", "/model-versions/set-tag", { name, version: "2", key: "k", value: "v" })).body).toEqual({});
    expect((await c.call("GET", "/model-versions/get", { name, version: "2" })).body.model_version.tags).toEqual([{ key: "k", value: "v" }]);
    expect((await c.call("DELETE", "/model-versions/delete-tag", { name, version: "2", key: "k" })).body).toEqual({});
    expect((await c.call("GET", "/model-versions/get", { name, version: "2" })).raw).not.toContain('"tags"');

    expect((await c.call("DELETE", "/model-versions/delete", { name, version: "3" })).body).toEqual({});
    expectError(await c.call("GET", "/model-versions/get", { name, version: "3" }), 404, "RESOURCE_DOES_NOT_EXIST", `Model Version (name=${name}, version=3) not found`);
    expectError(await c.call("DELETE", "/model-versions/delete", { name, version: "3" }), 404, "RESOURCE_DOES_NOT_EXIST");
    const v4 = await c.call("POST", "/model-versions/create", { name, source });
    expect(v4.body.model_version.version).toBe("4");
    // the deleted version is gone from the model's latest_versions and from search
    const s = await c.call("GET", "/model-versions/search", { filter: `name = '${name}'` });
    expect(s.body.model_versions.map((v: { version: string }) => v.version).sort()).toEqual(["1", "2", "4"]);
  });

  it("creating a version of an unknown model is 404", async () => {
    expectError(await c.call("POST", "/model-versions/create", { name: uniq("nope"), source: "s3://b/x" }), 404, "RESOURCE_DOES_NOT_EXIST");
  });

  it("model-versions/search filters by name, run_id, version_number, source_path and tags; default order and order_by", async () => {
    const a = await modelWithVersions(c, 3);
    const b = await modelWithVersions(c, 1);
    await c.call("POST", "/model-versions/set-tag", { name: a.name, version: "2", key: "env", value: "prod" });
    const pairs = (r: { body: { model_versions?: { name: string; version: string }[] } }) => (r.body.model_versions ?? []).map((v) => `${v.name === a.name ? "a" : "b"}${v.version}`);

    // default: last_updated_timestamp DESC (v2 was tagged last), then name ASC, version DESC
    const def = await c.call("GET", "/model-versions/search", { filter: `name = '${a.name}'` });
    expect(pairs(def)[0]).toBe("a2");
    expect(pairs(def)).toHaveLength(3);
    expect(def.body.model_versions[0].tags).toEqual([{ key: "env", value: "prod" }]);
    expect(def.body.model_versions[1]).not.toHaveProperty("tags");

    const byRun = await c.call("GET", "/model-versions/search", { filter: `run_id = '${b.runId}'` });
    expect(pairs(byRun)).toEqual(["b1"]);
    const byNumber = await c.call("GET", "/model-versions/search", { filter: `name = '${a.name}' AND version_number >= 2`, order_by: ["version_number ASC"] });
    expect(pairs(byNumber)).toEqual(["a2", "a3"]);
    const inList = await c.call("GET", "/model-versions/search", { filter: `name = '${a.name}' AND version_number IN (1, '3')`, order_by: ["version_number"] });
    expect(pairs(inList)).toEqual(["a1", "a3"]);
    const runIn = await c.call("GET", "/model-versions/search", { filter: `run_id IN ('${a.runId}', '${b.runId}') AND version_number = 1`, order_by: ["name"] });
    expect(pairs(runIn).sort()).toEqual(["a1", "b1"]);
    expectError(await c.call("GET", "/model-versions/search", { filter: `version_number > 'x'` }), 400, "INVALID_PARAMETER_VALUE");
    expectError(await c.call("GET", "/model-versions/search", { order_by: ["bogus"] }), 400, "INVALID_PARAMETER_VALUE");
    const bySource = await c.call("GET", "/model-versions/search", { filter: `source_path = '${b.source}'` });
    expect(pairs(bySource)).toEqual(["b1"]);
    const byTag = await c.call("GET", "/model-versions/search", { filter: `tags.env = 'prod'` });
    expect(pairs(byTag)).toEqual(["a2"]);
    const ordered = await c.call("GET", "/model-versions/search", { filter: `name IN ('${a.name}', '${b.name}')`, order_by: ["version_number DESC"] });
    expect(pairs(ordered)).toHaveLength(4);
    expect(pairs(ordered)[0]).toBe("a3");
    const paged = await c.call("GET", "/model-versions/search", { filter: `name = '${a.name}'`, max_results: "2", order_by: ["version_number ASC"] });
    expect(pairs(paged)).toEqual(["a1", "a2"]);
    const rest = await c.call("GET", "/model-versions/search", { filter: `name = '${a.name}'`, max_results: "2", order_by: ["version_number ASC"], page_token: paged.body.next_page_token });
    expect(pairs(rest)).toEqual(["a3"]);
    expectError(await c.call("GET", "/model-versions/search", { max_results: "200001" }), 400, "INVALID_PARAMETER_VALUE");
  });
});

describe("stages", () => {
  it("canonicalises, validates and archives the others", async () => {
    const m = await modelWithVersions(c, 3);
    const t = await c.call("POST", "/model-versions/transition-stage", { name: m.name, version: "1", stage: "production", archive_existing_versions: false });
    expect(t.status).toBe(200);
    expect(t.body.model_version.current_stage).toBe("Production");
    expectError(
      await c.call("POST", "/model-versions/transition-stage", { name: m.name, version: "1", stage: "Bogus", archive_existing_versions: false }),
      400,
      "INVALID_PARAMETER_VALUE",
      "Invalid Model Version stage: Bogus. Value must be one of None, Staging, Production, Archived.",
    );
    await c.call("POST", "/model-versions/transition-stage", { name: m.name, version: "2", stage: "Production", archive_existing_versions: false });
    const t3 = await c.call("POST", "/model-versions/transition-stage", { name: m.name, version: "3", stage: "PRODUCTION", archive_existing_versions: true });
    expect(t3.body.model_version.current_stage).toBe("Production");
    const stages = await Promise.all(["1", "2", "3"].map(async (v) => (await c.call("GET", "/model-versions/get", { name: m.name, version: v })).body.model_version.current_stage));
    expect(stages).toEqual(["Archived", "Archived", "Production"]);

    for (const stage of ["Archived", "None"]) {
      const r = await c.call("POST", "/model-versions/transition-stage", { name: m.name, version: "1", stage, archive_existing_versions: true });
      expectError(r, 400, "INVALID_PARAMETER_VALUE");
    }
    expectError(await c.call("POST", "/model-versions/transition-stage", { name: m.name, version: "1", stage: "Staging" }), 400, "INVALID_PARAMETER_VALUE", "archive_existing_versions");
  });

  it("get-latest-versions (POST and GET): canonical stages, READY only, one per stage", async () => {
    const m = await modelWithVersions(c, 4);
    await c.call("POST", "/model-versions/transition-stage", { name: m.name, version: "1", stage: "Production", archive_existing_versions: false });
    await c.call("POST", "/model-versions/transition-stage", { name: m.name, version: "2", stage: "Production", archive_existing_versions: false });
    await c.call("POST", "/model-versions/transition-stage", { name: m.name, version: "3", stage: "Staging", archive_existing_versions: false });
    // a FAILED_REGISTRATION version in Production is never "latest"
    const failed = await db.modelVersion.findFirstOrThrow({ where: { model: { name: m.name }, version: 4 } });
    await db.modelVersion.update({ where: { pk: failed.pk }, data: { status: "FAILED_REGISTRATION", currentStage: "Production" } });

    const post = await c.call("POST", "/registered-models/get-latest-versions", { name: m.name, stages: ["production"] });
    expect(post.body.model_versions.map((v: { version: string }) => v.version)).toEqual(["2"]);
    const get = await c.call("GET", "/registered-models/get-latest-versions", { name: m.name, stages: "Staging" });
    expect(get.body.model_versions.map((v: { version: string }) => v.version)).toEqual(["3"]);
    const all = await c.call("POST", "/registered-models/get-latest-versions", { name: m.name });
    expect(all.body.model_versions.map((v: { current_stage: string; version: string }) => `${v.current_stage}:${v.version}`)).toEqual(["Staging:3", "Production:2"]);
    expectError(await c.call("POST", "/registered-models/get-latest-versions", { name: m.name, stages: ["bogus"] }), 400, "INVALID_PARAMETER_VALUE");
  });
});

describe("aliases", () => {
  it("set, get, move, delete; names on the version, {alias, version} on the model", async () => {
    const m = await modelWithVersions(c, 2);
    expect((await c.call("POST", "/registered-models/alias", { name: m.name, alias: "champion", version: "1" })).body).toEqual({});
    await c.call("POST", "/registered-models/alias", { name: m.name, alias: "beta", version: "1" });
    const got = await c.call("GET", "/registered-models/alias", { name: m.name, alias: "champion" });
    expect(got.body.model_version.version).toBe("1");
    expect(got.body.model_version.aliases).toEqual(["beta", "champion"]);
    expect((await c.call("GET", "/registered-models/get", { name: m.name })).body.registered_model.aliases).toEqual([
      { alias: "beta", version: "1" },
      { alias: "champion", version: "1" },
    ]);
    await c.call("POST", "/registered-models/alias", { name: m.name, alias: "champion", version: 2 });
    expect((await c.call("GET", "/registered-models/alias", { name: m.name, alias: "champion" })).body.model_version.version).toBe("2");

    expect((await c.call("DELETE", "/registered-models/alias", { name: m.name, alias: "beta" })).body).toEqual({});
    expectError(await c.call("GET", "/registered-models/alias", { name: m.name, alias: "beta" }), 400, "INVALID_PARAMETER_VALUE", `Registered model alias beta not found`);
    // deleting an alias that is not set is fine
    expect((await c.call("DELETE", "/registered-models/alias", { name: m.name, alias: "beta" })).status).toBe(200);
  });

  it("refuses reserved names and missing versions; deleting a version deletes its aliases", async () => {
    const m = await modelWithVersions(c, 2);
    for (const alias of ["latest", "LATEST"]) {
      expectError(await c.call("POST", "/registered-models/alias", { name: m.name, alias, version: "1" }), 400, "INVALID_PARAMETER_VALUE", "'latest' alias name (case insensitive) is reserved.");
    }
    expectError(await c.call("POST", "/registered-models/alias", { name: m.name, alias: "v1", version: "1" }), 400, "INVALID_PARAMETER_VALUE", "Version alias name 'v1' is reserved.");
    expectError(await c.call("POST", "/registered-models/alias", { name: m.name, alias: "x", version: "9" }), 404, "RESOURCE_DOES_NOT_EXIST");
    expect(await db.registeredModelAlias.count({ where: { model: { name: m.name } } })).toBe(0);

    await c.call("POST", "/registered-models/alias", { name: m.name, alias: "champion", version: "2" });
    await c.call("DELETE", "/model-versions/delete", { name: m.name, version: "2" });
    expectError(await c.call("GET", "/registered-models/alias", { name: m.name, alias: "champion" }), 400, "INVALID_PARAMETER_VALUE");
    expect((await c.call("GET", "/registered-models/get", { name: m.name })).raw).not.toContain("aliases");
  });
});

describe("get-download-uri and the client's models:/ flows", () => {
  // Issue #14: MLflow's server (2.12 and 3.6) answers a runs:/ source verbatim (the client resolves
  // it); Modelgate used to answer the resolved location here.
  it("answers mlflow-artifacts:/ and runs:/ verbatim, models:/ resolved to the version", async () => {
    const name = uniq("dl");
    await c.call("POST", "/registered-models/create", { name });
    const run = await experimentAndRun(c);
    await c.call("POST", "/model-versions/create", { name, source: `${run.artifactUri}/model`, run_id: run.runId });
    await c.call("POST", "/model-versions/create", { name, source: `runs:/${run.runId}/model` });
    await c.call("POST", "/model-versions/create", { name, source: `models:/${name}/1` });
    const uri = async (version: string) => (await c.call("GET", "/model-versions/get-download-uri", { name, version })).body;
    expect(await uri("1")).toEqual({ artifact_uri: `${run.artifactUri}/model` });
    expect(await uri("2")).toEqual({ artifact_uri: `runs:/${run.runId}/model` });
    expect(await uri("3")).toEqual({ artifact_uri: `${run.artifactUri}/model` });
    // the version keeps its source verbatim
    expect((await c.call("GET", "/model-versions/get", { name, version: "2" })).body.model_version).toMatchObject({ source: `runs:/${run.runId}/model`, run_id: run.runId });
  });

  it("models:/n/<v>, models:/n@alias, models:/n/Production and models:/n/latest resolve as the client does", async () => {
    const m = await modelWithVersions(c, 3);
    await c.call("POST", "/registered-models/alias", { name: m.name, alias: "champion", version: "2" });
    await c.call("POST", "/model-versions/transition-stage", { name: m.name, version: "1", stage: "Production", archive_existing_versions: false });
    const downloadUri = async (version: string) => (await c.call("GET", "/model-versions/get-download-uri", { name: m.name, version })).body.artifact_uri as string;

    // models:/n/3
    expect(await downloadUri("3")).toBe(m.source);
    // models:/n@champion
    const alias = await c.call("GET", "/registered-models/alias", { name: m.name, alias: "champion" });
    expect(alias.body.model_version.version).toBe("2");
    expect(await downloadUri(alias.body.model_version.version)).toBe(m.source);
    // models:/n/production
    const prod = await c.call("POST", "/registered-models/get-latest-versions", { name: m.name, stages: ["Production"] });
    const maxOf = (vs: { version: string }[]) => String(Math.max(...vs.map((v) => Number(v.version))));
    expect(maxOf(prod.body.model_versions)).toBe("1");
    // models:/n/latest
    const latest = await c.call("POST", "/registered-models/get-latest-versions", { name: m.name });
    expect(maxOf(latest.body.model_versions)).toBe("3");
  });
});

describe("sources", () => {
  const refused = async (name: string, body: Record<string, unknown>) => {
    const before = await versionCount(name);
    const r = await c.call("POST", "/model-versions/create", { name, ...body });
    expectError(r, 400, "INVALID_PARAMETER_VALUE");
    expect(await versionCount(name)).toEqual(before);
  };

  it("refuses local paths, file:, relative references in any encoding, other schemes and paths outside a run", async () => {
    const m = await modelWithVersions(c, 1);
    const run = await experimentAndRun(c);
    const base = `mlflow-artifacts:/${run.experimentId}/${run.runId}/artifacts`;
    for (const source of [
      "/srv/models/x",
      "file:///tmp/x",
      "relative/path",
      `${base}/../../2/x`,
      `${base}/%2e%2e/%2e%2e/x`,
      `${base}/%252e%252e/%252e%252e/x`,
      `${base}\\..\\x`,
      `runs:/${run.runId}/../x`,
      `mlflow-artifacts:/${run.experimentId}/notarun`,
      `mlflow-artifacts:/${run.experimentId}/${run.runId}`,
      "http://x/y",
      "s3://bucket",
    ]) {
      await refused(m.name, { source });
    }
    // run_id must be the source's run
    const other = await experimentAndRun(c);
    await refused(m.name, { source: `${base}/model`, run_id: other.runId });
    await refused(m.name, { source: `runs:/${run.runId}/model`, run_id: other.runId });
    // a run under another experiment's path is outside that experiment's root
    await refused(m.name, { source: `mlflow-artifacts:/${other.experimentId}/${run.runId}/artifacts/model` });
    // an unknown run is refused like an unreadable one
    await refused(m.name, { source: `runs:/${"0".repeat(32)}/model` });
    // models:/ naming a missing model, version or alias
    await refused(m.name, { source: `models:/${uniq("nope")}/1` });
    await refused(m.name, { source: `models:/${m.name}/7` });
    await refused(m.name, { source: `models:/${m.name}@nobody` });
    await refused(m.name, { source: `models:/${m.name}/Bogus` });
    // next number unchanged: the next accepted version is 2
    const ok = await c.call("POST", "/model-versions/create", { name: m.name, source: `${base}/model` });
    expect(ok.body.model_version.version).toBe("2");
  });

  it("refuses a source inside a run the caller cannot read", async () => {
    const stranger = await registryClient(app, db);
    const run = await experimentAndRun(c);
    const name = uniq("mine");
    await stranger.call("POST", "/registered-models/create", { name });
    configureTracking({ defaultExperimentPermission: "NONE" });
    try {
      expectError(await stranger.call("POST", "/model-versions/create", { name, source: `${run.artifactUri}/model` }), 400, "INVALID_PARAMETER_VALUE");
      expectError(await stranger.call("POST", "/model-versions/create", { name, source: `runs:/${run.runId}/model` }), 400, "INVALID_PARAMETER_VALUE");
      expectError(await stranger.call("POST", "/model-versions/create", { name, source: "s3://bucket/x", run_id: run.runId }), 400, "INVALID_PARAMETER_VALUE");
      expect((await versionCount(name)).live).toBe(0);
    } finally {
      configureTracking({ defaultExperimentPermission: "READ" });
    }
  });

  it("accepts runs:/, mlflow-artifacts:/ inside a run, external s3:// and models:/", async () => {
    const m = await modelWithVersions(c, 1);
    const run = await experimentAndRun(c);
    for (const source of [`runs:/${run.runId}/model`, `${run.artifactUri}/model`, "s3://bucket/path/model", `models:/${m.name}/1`, `models:/${m.name}/latest`]) {
      const r = await c.call("POST", "/model-versions/create", { name: m.name, source });
      expect({ source, status: r.status }).toEqual({ source, status: 200 });
    }
  });
});

describe("bad input", () => {
  it("invalid names: empty, too long, control characters, wrong JSON type; nothing written", async () => {
    const before = await db.registeredModel.count();
    expectError(await c.call("POST", "/registered-models/create", { name: "" }), 400, "INVALID_PARAMETER_VALUE", "Missing value for required parameter 'name'");
    expectError(await c.call("POST", "/registered-models/create", { name: "x".repeat(257) }), 400, "INVALID_PARAMETER_VALUE");
    expectError(await c.call("POST", "/registered-models/create", { name: "a\u0001b" }), 400, "INVALID_PARAMETER_VALUE");
    expectError(await c.call("POST", "/registered-models/create", { name: 123 }), 400, "INVALID_PARAMETER_VALUE", /^Invalid value 123 for parameter 'name' supplied\. Hint: Value was of type 'int'/);
    expect(await db.registeredModel.count()).toBe(before);
    // 256 characters is fine
    expect((await c.call("POST", "/registered-models/create", { name: uniq("y").padEnd(256, "y") })).status).toBe(200);
  });

  it("tags: value over 5000, key with '..'; versions that are not positive integers", async () => {
    const m = await modelWithVersions(c, 1);
    const n = uniq("t");
    expectError(await c.call("POST", "/registered-models/create", { name: n, tags: [{ key: "k", value: "x".repeat(5001) }] }), 400, "INVALID_PARAMETER_VALUE");
    expectError(await c.call("POST", "/registered-models/create", { name: n, tags: [{ key: "a/../b", value: "x" }] }), 400, "INVALID_PARAMETER_VALUE");
    expect(await db.registeredModel.count({ where: { name: n } })).toBe(0);
    expectError(await c.call("POST", "/registered-models/set-tag", { name: m.name, key: "k", value: "x".repeat(5001) }), 400, "INVALID_PARAMETER_VALUE");
    expect((await c.call("POST", "/registered-models/set-tag", { name: m.name, key: "k", value: "x".repeat(5000) })).status).toBe(200);
    expectError(await c.call("POST", "/registered-models/set-tag", { name: m.name, key: "k".repeat(251), value: "x" }), 400, "INVALID_PARAMETER_VALUE");
    expect((await c.call("POST", "/registered-models/set-tag", { name: m.name, key: "k".repeat(250), value: "x" })).status).toBe(200);
    expectError(await c.call("POST", "/registered-models/set-tag", { name: m.name, key: "k", value: 5 }), 400, "INVALID_PARAMETER_VALUE", "Invalid value 5 for parameter 'value' supplied");
    expectError(await c.call("POST", "/model-versions/set-tag", { name: m.name, version: "1", key: "..", value: "x" }), 400, "INVALID_PARAMETER_VALUE");
    expectError(await c.call("POST", "/model-versions/create", { name: m.name, source: m.source, tags: [{ key: "k", value: "x".repeat(5001) }] }), 400, "INVALID_PARAMETER_VALUE");
    expect((await versionCount(m.name)).next).toBe(2);
    for (const version of ["abc", "1.5", "-1", "0"]) {
      expectError(await c.call("GET", "/model-versions/get", { name: m.name, version }), 400, "INVALID_PARAMETER_VALUE");
    }
    expectError(await c.call("POST", "/model-versions/set-tag", { name: m.name, version: 1.5, key: "k", value: "v" }), 400, "INVALID_PARAMETER_VALUE");
    expectError(await c.call("GET", "/model-versions/get", { name: m.name, version: "2" }), 404, "RESOURCE_DOES_NOT_EXIST");
    expect(await db.modelVersionTag.count({ where: { version: { model: { name: m.name } } } })).toBe(0);
  });
});

describe("audit", () => {
  it("create, transition and alias moves write audit events", async () => {
    const m = await modelWithVersions(c, 2);
    await c.call("POST", "/model-versions/transition-stage", { name: m.name, version: "1", stage: "Staging", archive_existing_versions: false });
    await c.call("POST", "/registered-models/alias", { name: m.name, alias: "champ", version: "1" });
    await c.call("POST", "/registered-models/alias", { name: m.name, alias: "champ", version: "2" });
    const model = await db.registeredModel.findUniqueOrThrow({ where: { name: m.name } });
    // versions are keyed by the model's id, so a rename keeps their trail together
    const events = await db.auditEvent.findMany({
      where: { OR: [{ resourceType: "registered_model", resourceId: String(model.id) }, { resourceType: "model_version", resourceId: { startsWith: `${model.id}/` } }] },
      orderBy: { id: "asc" },
    });
    expect(events.map((e) => [e.action, e.resourceId, e.actorName])).toEqual([
      ["registered_model.create", String(model.id), c.user.username],
      ["model_version.create", `${model.id}/1`, c.user.username],
      ["model_version.create", `${model.id}/2`, c.user.username],
      ["model_version.transition", `${model.id}/1`, c.user.username],
      ["registered_model.alias_set", String(model.id), c.user.username],
      ["registered_model.alias_set", String(model.id), c.user.username],
    ]);
    expect(events[3]!.after).toMatchObject({ stage: "Staging" });
    expect(events[5]!.before).toEqual({ alias: "champ", version: 1 });
    expect(events[5]!.after).toEqual({ alias: "champ", version: 2 });
  });
});

describe("transport", () => {
  it("both prefixes, JSON only, authentication required, MLflow's missing-field message", async () => {
    const name = uniq("ajax");
    const created = await c.call("POST", "/registered-models/create", { name }, "/ajax-api/2.0/mlflow");
    expect(created.status).toBe(200);
    const found = await c.call("GET", "/registered-models/search", { filter: `name = '${name}'` }, "/ajax-api/2.0/mlflow");
    expect(found.body.registered_models.map((m: { name: string }) => m.name)).toEqual([name]);

    // MLflow says "Content-Type must be one of ['application/json']"; the shared route layer (not the
    // registry's) answers with its own message, so only the code is pinned here
    const textName = uniq("t");
    const text = await app.inject({ method: "POST", url: "/api/2.0/mlflow/registered-models/create", headers: { ...c.headers, "content-type": "text/plain" }, payload: `{"name":"${textName}"}` });
    expect({ status: text.statusCode, code: text.json().error_code }).toEqual({ status: 400, code: "INVALID_PARAMETER_VALUE" });
    expect(await db.registeredModel.count({ where: { name: textName } })).toBe(0);
    const anon = await app.inject({ method: "GET", url: `/api/2.0/mlflow/registered-models/get?name=${name}` });
    expect(anon.statusCode).toBe(401);

    expectError(await c.call("GET", "/registered-models/get", {}), 400, "INVALID_PARAMETER_VALUE", "Missing value for required parameter 'name'");
    expectError(await c.call("POST", "/model-versions/create", { name }), 400, "INVALID_PARAMETER_VALUE", "Missing value for required parameter 'source'");
    expectError(await c.call("GET", "/model-versions/get", { name }), 400, "INVALID_PARAMETER_VALUE", "Missing value for required parameter 'version'");
  });

  it("malformed aliases and an external s3:// source's download uri", async () => {
    const m = await modelWithVersions(c, 1);
    for (const alias of ["a b", "a/b", "x".repeat(256)]) {
      expectError(await c.call("POST", "/registered-models/alias", { name: m.name, alias, version: "1" }), 400, "INVALID_PARAMETER_VALUE");
    }
    expect((await c.call("POST", "/registered-models/alias", { name: m.name, alias: "x".repeat(255), version: "1" })).status).toBe(200);
    const s3 = await c.call("POST", "/model-versions/create", { name: m.name, source: "s3://bucket/a/b" });
    expect((await c.call("GET", "/model-versions/get-download-uri", { name: m.name, version: s3.body.model_version.version })).body).toEqual({ artifact_uri: "s3://bucket/a/b" });
  });

  it("registered-models/search: ILIKE, numeric timestamps and order_by on timestamps", async () => {
    const prefix = uniq("Case");
    await c.call("POST", "/registered-models/create", { name: `${prefix}-a` });
    await new Promise((r) => setTimeout(r, 3));
    await c.call("POST", "/registered-models/create", { name: `${prefix}-b` });
    const names = (r: { body: { registered_models?: { name: string }[] } }) => (r.body.registered_models ?? []).map((m) => m.name);
    expect(names(await c.call("GET", "/registered-models/search", { filter: `name ILIKE '${prefix.toLowerCase()}%'` }))).toEqual([`${prefix}-a`, `${prefix}-b`]);
    expect(names(await c.call("GET", "/registered-models/search", { filter: `name LIKE '${prefix.toLowerCase()}%'` }))).toEqual([]);
    expect(names(await c.call("GET", "/registered-models/search", { filter: `name LIKE '${prefix}%'`, order_by: ["creation_timestamp DESC"] }))).toEqual([`${prefix}-b`, `${prefix}-a`]);
    const first = await c.call("GET", "/registered-models/get", { name: `${prefix}-b` });
    expect(names(await c.call("GET", "/registered-models/search", { filter: `name LIKE '${prefix}%' AND creation_timestamp >= ${first.body.registered_model.creation_timestamp}` }))).toEqual([`${prefix}-b`]);
  });
});
