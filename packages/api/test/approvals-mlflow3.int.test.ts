import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase } from "@modelgate/db/test-db";
import type { Db } from "@modelgate/db";
import { setModelPermission, setPolicy } from "@modelgate/core";
import { createDataPlaneApp } from "../src/rest/index.ts";
import { experimentAndRun, registryClient, uniq, type RegistryClient } from "./registry-fixtures.ts";

// Approvals over MLflow 3's objects: a gate on the metrics of the version's logged model (per
// dataset), and a protected alias on a prompt (a registered model tagged as one).

let db: Db;
let app: FastifyInstance;

beforeAll(async () => {
  db = (await useTestDatabase()).db;
  app = await createDataPlaneApp({ db, version: "test" });
});
afterAll(() => app.close());

const ok = (r: { status: number; raw: string }) => expect(r.status, r.raw).toBe(200);

/** A READY logged model in a fresh experiment of `c`, with accuracy logged on two datasets, registered as version 1 of a new model. */
async function registeredLoggedModel(c: RegistryClient, accuracy: { test: number; train: number }) {
  const run = await experimentAndRun(c);
  const created = await c.call("POST", "/logged-models", { experiment_id: run.experimentId, name: "clf", source_run_id: run.runId });
  ok(created);
  const modelId = created.body.model.info.model_id as string;
  const metrics = [
    { key: "accuracy", value: accuracy.test, timestamp: 10, step: 0, model_id: modelId, dataset_name: "test", dataset_digest: "d1" },
    { key: "accuracy", value: accuracy.train, timestamp: 10, step: 0, model_id: modelId, dataset_name: "train", dataset_digest: "d2" },
  ];
  ok(await c.call("POST", "/runs/log-batch", { run_id: run.runId, metrics }));
  ok(await c.call("PATCH", `/logged-models/${modelId}`, { status: "LOGGED_MODEL_READY" }));
  const name = uniq("clf");
  ok(await c.call("POST", "/registered-models/create", { name }));
  const v = await c.call("POST", "/model-versions/create", { name, source: `models:/${modelId}`, model_id: modelId });
  ok(v);
  expect(v.body.model_version).toMatchObject({ version: "1", model_id: modelId, run_id: run.runId, status: "READY" });
  return { name, modelId, run };
}

describe("a gate on the version's logged model", () => {
  it("counts only the named dataset's metrics, blocks approval while they fail and lets it through once they pass", async () => {
    const owner = await registryClient(app, db);
    const reviewer = await registryClient(app, db);
    // 0.95 on train would pass; the gate looks at the test set only, where it is 0.85
    const m = await registeredLoggedModel(owner, { test: 0.85, train: 0.95 });
    await setModelPermission(owner.ctx, { name: m.name, username: reviewer.user.username, level: "MANAGE_PRODUCTION_VERSIONS" });
    await setPolicy(owner.ctx, {
      name: m.name,
      rules: [{ target: { kind: "stage", stage: "Production" }, gates: { model_filter: "metrics.accuracy >= 0.9", model_dataset: "test" } }],
    });

    ok(await owner.call("POST", "/transition-requests/create", { name: m.name, version: "1", stage: "Production" }));
    const blocked = await reviewer.call("POST", "/transition-requests/approve", { name: m.name, version: "1", stage: "Production", archive_existing_versions: false });
    expect(blocked.status).toBe(400);
    expect(blocked.body.error_code).toBe("INVALID_STATE");
    expect(blocked.body.message).toContain("logged model matches metrics.accuracy >= 0.9 on dataset test");
    expect(blocked.body.message).toContain(`logged model ${m.modelId} does not match`);

    // a better evaluation on the test set, logged later: the model now has a passing point there
    ok(await owner.call("POST", "/runs/log-batch", { run_id: m.run.runId, metrics: [{ key: "accuracy", value: 0.93, timestamp: 20, step: 1, model_id: m.modelId, dataset_name: "test", dataset_digest: "d1" }] }));
    const approved = await reviewer.call("POST", "/transition-requests/approve", { name: m.name, version: "1", stage: "Production", archive_existing_versions: false });
    expect(approved.status, approved.raw).toBe(200);
    expect((await owner.call("GET", "/model-versions/get", { name: m.name, version: "1" })).body.model_version.current_stage).toBe("Production");
  });

  it("fails for a version that was not registered from a logged model, and a bad gate filter is refused when the policy is set", async () => {
    const owner = await registryClient(app, db);
    const run = await experimentAndRun(owner);
    const name = uniq("plain");
    ok(await owner.call("POST", "/registered-models/create", { name }));
    ok(await owner.call("POST", "/model-versions/create", { name, source: `runs:/${run.runId}/model` }));
    await setPolicy(owner.ctx, { name, rules: [{ target: { kind: "alias", pattern: "champion" }, allow_self_approval: true, approver_level: "MANAGE", gates: { model_filter: "metrics.accuracy > 0.5" } }] });
    ok(await owner.call("POST", "/transition-requests/create", { name, version: "1", alias: "champion" }));
    const blocked = await owner.call("POST", "/transition-requests/approve", { name, version: "1", alias: "champion" });
    expect(blocked.status).toBe(400);
    expect(blocked.body.message).toContain("the version was not registered from a logged model");

    await expect(setPolicy(owner.ctx, { name, rules: [{ target: { kind: "alias", pattern: "x" }, gates: { model_filter: "metrics.accuracy >>> 1" } }] })).rejects.toMatchObject({
      code: "INVALID_PARAMETER_VALUE",
      message: expect.stringContaining("logged model gate filter 'metrics.accuracy >>> 1'"),
    });
  });
});

describe("prompts", () => {
  it("a protected production alias on a prompt needs an approval like any other alias", async () => {
    const owner = await registryClient(app, db);
    const reviewer = await registryClient(app, db);
    const name = uniq("prompt");
    ok(await owner.call("POST", "/registered-models/create", { name, tags: [{ key: "mlflow.prompt.is_prompt", value: "true" }], description: "first" }));
    const tags = [
      { key: "mlflow.prompt.is_prompt", value: "true" },
      { key: "_mlflow_prompt_type", value: "text" },
      { key: "mlflow.prompt.text", value: "Summarize: {{text}}" },
    ];
    // the 3.x client's placeholder source for prompt versions
    const v = await owner.call("POST", "/model-versions/create", { name, source: "dummy-source", tags, description: "first" });
    ok(v);
    expect(v.body.model_version).toMatchObject({ source: "dummy-source", status: "READY", run_id: "" });
    // a prompt version's source is never a file: paths and file URIs are still refused
    for (const source of ["/etc/passwd", "file:///etc/passwd", "../x", "dummy/../../etc"]) {
      const bad = await owner.call("POST", "/model-versions/create", { name, source, tags });
      expect(bad.status, `${source}: ${bad.raw}`).toBe(400);
    }
    await setModelPermission(owner.ctx, { name, username: reviewer.user.username, level: "MANAGE" });
    await setPolicy(owner.ctx, { name, rules: [{ target: { kind: "alias", pattern: "production" }, approver_level: "MANAGE" }] });

    const direct = await owner.call("POST", "/registered-models/alias", { name, alias: "production", version: "1" });
    expect(direct.status).toBe(403);
    expect(direct.body.error_code).toBe("PERMISSION_DENIED");

    ok(await owner.call("POST", "/transition-requests/create", { name, version: "1", alias: "production" }));
    ok(await reviewer.call("POST", "/transition-requests/approve", { name, version: "1", alias: "production" }));
    // what load_prompt("prompts:/<name>@production") reads
    const loaded = await owner.call("GET", "/registered-models/alias", { name, alias: "production" });
    ok(loaded);
    expect(loaded.body.model_version.tags).toEqual(expect.arrayContaining([{ key: "mlflow.prompt.text", value: "Summarize: {{text}}" }]));

    // search_prompts: a backtick-quoted tag key
    const found = await owner.call("GET", "/registered-models/search", { filter: "tags.`mlflow.prompt.is_prompt` = 'true'", max_results: "100" });
    ok(found);
    expect(found.body.registered_models.map((m: { name: string }) => m.name)).toContain(name);
  });
});
