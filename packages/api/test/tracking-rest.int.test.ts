import crypto from "node:crypto";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase } from "@modelgate/db/test-db";
import type { Db } from "@modelgate/db";
import { createToken, createUser, systemActor } from "@modelgate/core";
import { createDataPlaneApp } from "../src/rest/index.ts";

let db: Db;
let app: FastifyInstance;

beforeAll(async () => {
  db = (await useTestDatabase()).db;
  app = await createDataPlaneApp({ db, version: "test" });
});
afterAll(() => app.close());

/** A fresh user with a bearer token; `call` sends MLflow requests as them. */
async function client(role: "ADMIN" | "USER" = "USER") {
  const ctx = { db, actor: systemActor("test") };
  const u = await createUser(ctx, { username: `t-${crypto.randomBytes(4).toString("hex")}`, password: "correct horse battery staple", role });
  const { secret } = await createToken({ db, actor: { kind: "user", userId: u.id, username: u.username, role: u.role } }, { name: "t" });
  const headers = { authorization: `Bearer ${secret}` };
  async function call(method: "GET" | "POST", path: string, body?: Record<string, unknown>) {
    const url = `/api/2.0/mlflow${path}`;
    const r =
      method === "GET"
        ? await app.inject({ method, url, query: (body ?? {}) as Record<string, string | string[]>, headers })
        : await app.inject({ method, url, payload: body ?? {}, headers });
    return { status: r.statusCode, body: r.json(), raw: r.body };
  }
  return { user: u, call, headers };
}

const uniq = (p: string) => `${p}-${crypto.randomBytes(4).toString("hex")}`;

async function experimentAndRun(c: Awaited<ReturnType<typeof client>>) {
  const { body } = await c.call("POST", "/experiments/create", { name: uniq("exp") });
  const run = await c.call("POST", "/runs/create", { experiment_id: body.experiment_id, start_time: 1700000000000 });
  return { experimentId: body.experiment_id as string, runId: run.body.run.info.run_id as string };
}

describe("experiments", () => {
  it("create, get, get-by-name, update, tags, delete and restore with MLflow's shapes", async () => {
    const c = await client();
    const name = uniq("exp");
    const created = await c.call("POST", "/experiments/create", { name, tags: [{ key: "team", value: "ml" }] });
    expect(created.status).toBe(200);
    expect(created.body).toEqual({ experiment_id: expect.stringMatching(/^\d+$/) });
    const id = created.body.experiment_id as string;
    const got = await c.call("GET", "/experiments/get", { experiment_id: id });
    expect(got.body).toEqual({
      experiment: {
        experiment_id: id,
        name,
        artifact_location: `mlflow-artifacts:/${id}`,
        lifecycle_stage: "active",
        last_update_time: expect.any(Number),
        creation_time: expect.any(Number),
        tags: [{ key: "team", value: "ml" }],
      },
    });
    expect((await c.call("GET", "/experiments/get-by-name", { experiment_name: name })).body.experiment.experiment_id).toBe(id);
    // the ajax prefix serves the same routes
    const ajax = await app.inject({ url: `/ajax-api/2.0/mlflow/experiments/get?experiment_id=${id}`, headers: c.headers });
    expect(ajax.statusCode).toBe(200);

    expect((await c.call("POST", "/experiments/set-experiment-tag", { experiment_id: id, key: "k", value: "v" })).body).toEqual({});
    expect((await c.call("POST", "/experiments/delete-experiment-tag", { experiment_id: id, key: "team" })).body).toEqual({});
    expect((await c.call("GET", "/experiments/get", { experiment_id: id })).body.experiment.tags).toEqual([{ key: "k", value: "v" }]);

    const renamed = uniq("renamed");
    expect((await c.call("POST", "/experiments/update", { experiment_id: id, new_name: renamed })).body).toEqual({});
    expect((await c.call("GET", "/experiments/get", { experiment_id: id })).body.experiment.name).toBe(renamed);

    expect((await c.call("POST", "/experiments/delete", { experiment_id: id })).body).toEqual({});
    expect((await c.call("GET", "/experiments/get", { experiment_id: id })).body.experiment.lifecycle_stage).toBe("deleted");
    const inDeleted = await c.call("POST", "/runs/create", { experiment_id: id });
    expect(inDeleted.status).toBe(400);
    expect(inDeleted.body.error_code).toBe("INVALID_PARAMETER_VALUE");
    expect((await c.call("POST", "/experiments/restore", { experiment_id: id })).body).toEqual({});
    expect((await c.call("GET", "/experiments/get", { experiment_id: id })).body.experiment.lifecycle_stage).toBe("active");
    const audit = await db.auditEvent.findMany({ where: { resourceType: "experiment", resourceId: id }, orderBy: { id: "asc" } });
    expect(audit.map((a) => a.action)).toEqual(["experiment.create", "experiment.rename", "experiment.delete", "experiment.restore"]);
  });

  it("answers errors as MLflow does", async () => {
    const c = await client();
    const name = uniq("dup");
    await c.call("POST", "/experiments/create", { name });
    expect(await c.call("POST", "/experiments/create", { name })).toMatchObject({
      status: 400,
      body: { error_code: "RESOURCE_ALREADY_EXISTS", message: `Experiment(name=${name}) already exists.` },
    });
    expect(await c.call("POST", "/experiments/create", { name: "" })).toMatchObject({
      status: 400,
      body: { error_code: "INVALID_PARAMETER_VALUE", message: expect.stringContaining("Missing value for required parameter 'name'") },
    });
    expect((await c.call("POST", "/experiments/create", { name: 123 })).body.message).toContain("Invalid value 123 for parameter 'name' supplied");
    expect((await c.call("POST", "/experiments/create", { name: "x".repeat(501) })).status).toBe(400);
    expect(await c.call("GET", "/experiments/get", { experiment_id: "abc" })).toMatchObject({
      status: 404,
      body: { error_code: "RESOURCE_DOES_NOT_EXIST", message: "No Experiment with id=abc exists" },
    });
    expect((await c.call("GET", "/experiments/get", { experiment_id: "999999" })).status).toBe(404);
    expect((await c.call("GET", "/experiments/get-by-name", { experiment_name: uniq("nope") })).status).toBe(404);
    const other = (await c.call("POST", "/experiments/create", { name: uniq("other") })).body.experiment_id as string;
    expect(await c.call("POST", "/experiments/update", { experiment_id: other, new_name: name })).toMatchObject({
      status: 400,
      body: { error_code: "RESOURCE_ALREADY_EXISTS" },
    });
  });
});

describe("runs", () => {
  it("create, get, update, tags, delete and restore with MLflow's shapes", async () => {
    const c = await client();
    const { experimentId } = await experimentAndRun(c);
    const created = await c.call("POST", "/runs/create", { experiment_id: experimentId, run_name: "first", start_time: 5, tags: [{ key: "a", value: "b" }] });
    expect(created.status).toBe(200);
    const run = created.body.run;
    const runId = run.info.run_id as string;
    expect(runId).toMatch(/^[0-9a-f]{32}$/);
    expect(run).toEqual({
      info: {
        run_id: runId,
        run_uuid: runId,
        run_name: "first",
        experiment_id: experimentId,
        user_id: c.user.username,
        status: "RUNNING",
        start_time: 5,
        artifact_uri: `mlflow-artifacts:/${experimentId}/${runId}/artifacts`,
        lifecycle_stage: "active",
      },
      data: { tags: [{ key: "a", value: "b" }, { key: "mlflow.runName", value: "first" }] },
      inputs: {},
    });
    const got = await c.call("GET", "/runs/get", { run_id: runId, run_uuid: runId });
    expect(got.body).toEqual({ run });

    const updated = await c.call("POST", "/runs/update", { run_uuid: runId, status: "FINISHED", end_time: 10 });
    expect(updated.body).toEqual({ run_info: { ...run.info, status: "FINISHED", end_time: 10 } });
    expect((await c.call("POST", "/runs/update", { run_id: runId, status: "BOGUS" })).body.run_info.status).toBe("FINISHED");
    expect((await c.call("POST", "/runs/update", { run_id: runId, run_name: "second" })).body.run_info.run_name).toBe("second");
    expect((await c.call("POST", "/runs/set-tag", { run_id: runId, key: "mlflow.runName", value: "third" })).body).toEqual({});
    expect((await c.call("POST", "/runs/delete-tag", { run_id: runId, key: "a" })).body).toEqual({});
    const after = (await c.call("GET", "/runs/get", { run_id: runId })).body.run;
    expect(after.info.run_name).toBe("third");
    expect(after.data.tags).toEqual([{ key: "mlflow.runName", value: "third" }]);

    expect((await c.call("POST", "/runs/delete", { run_id: runId })).body).toEqual({});
    expect((await c.call("POST", "/runs/delete", { run_id: runId })).status).toBe(200);
    expect((await c.call("GET", "/runs/get", { run_id: runId })).body.run.info.lifecycle_stage).toBe("deleted");
    expect(await c.call("POST", "/runs/log-metric", { run_id: runId, key: "m", value: 1, timestamp: 1 })).toMatchObject({
      status: 400,
      body: { error_code: "INVALID_PARAMETER_VALUE", message: `The run ${runId} must be in the 'active' state. Current state is deleted.` },
    });
    expect((await c.call("POST", "/runs/restore", { run_id: runId })).body).toEqual({});
    expect((await c.call("POST", "/runs/restore", { run_id: runId })).status).toBe(200);
  });

  it("defaults to the Default experiment with a generated name; unknown runs are 404", async () => {
    const admin = await client("ADMIN");
    const r = await admin.call("POST", "/runs/create", {});
    expect(r.body.run.info.experiment_id).toBe("0");
    expect(r.body.run.info.start_time).toBe(0);
    expect(r.body.run.info.run_name).toMatch(/^[a-z]+-[a-z]+-\d{1,3}$/);
    expect(r.body.run.data.tags).toEqual([{ key: "mlflow.runName", value: r.body.run.info.run_name }]);
    const missingId = "0".repeat(32);
    expect(await admin.call("GET", "/runs/get", { run_id: missingId })).toMatchObject({
      status: 404,
      body: { error_code: "RESOURCE_DOES_NOT_EXIST", message: `Run with id=${missingId} not found` },
    });
    expect((await admin.call("GET", "/runs/get", {})).status).toBe(400);
    // the Default experiment is a shared space: any user may log there, but not delete it
    const user = await client();
    const mine = await user.call("POST", "/runs/create", { experiment_id: "0" });
    expect(mine.status).toBe(200);
    expect((await user.call("POST", "/runs/log-metric", { run_id: mine.body.run.info.run_id, key: "m", value: 1, timestamp: 1 })).status).toBe(200);
    expect((await user.call("POST", "/experiments/delete", { experiment_id: "0" })).status).toBe(403);
  });

  it("logs metrics, params and tags with MLflow's validation", async () => {
    const c = await client();
    const { runId } = await experimentAndRun(c);
    expect((await c.call("POST", "/runs/log-metric", { run_id: runId, key: "loss", value: 0.5, timestamp: 10 })).body).toEqual({});
    expect((await c.call("POST", "/runs/log-metric", { run_id: runId, key: "nan", value: "NaN", timestamp: 10, step: 3 })).status).toBe(200);
    expect((await c.call("POST", "/runs/log-metric", { run_id: runId, key: "inf", value: "Infinity", timestamp: 10 })).status).toBe(200);
    expect((await c.call("POST", "/runs/log-metric", { run_id: runId, key: "loss", value: 1 })).body.message).toContain("Missing value for required parameter 'timestamp'");
    expect((await c.call("POST", "/runs/log-metric", { run_id: runId, key: "loss", value: "abc", timestamp: 1 })).status).toBe(400);
    expect((await c.call("POST", "/runs/log-metric", { run_id: runId, key: "loss", value: 1, timestamp: -1 })).status).toBe(400);
    expect(await c.call("POST", "/runs/log-metric", { run_id: runId, key: "a/../b", value: 1, timestamp: 1 })).toMatchObject({
      status: 400,
      body: { message: expect.stringMatching(/^Invalid metric name: 'a\/\.\.\/b'/) },
    });
    expect((await c.call("POST", "/runs/log-metric", { run_id: runId, key: "/abs", value: 1, timestamp: 1 })).body.message).toMatch(/^Invalid metric name/);
    expect((await c.call("POST", "/runs/log-metric", { run_id: runId, key: "bad!", value: 1, timestamp: 1 })).body.message).toMatch(/^Invalid metric name/);
    expect((await c.call("POST", "/runs/log-metric", { run_id: runId, key: "k".repeat(251), value: 1, timestamp: 1 })).status).toBe(400);

    expect((await c.call("POST", "/runs/log-parameter", { run_id: runId, key: "lr", value: "0.1" })).body).toEqual({});
    expect((await c.call("POST", "/runs/log-parameter", { run_id: runId, key: "lr", value: "0.1" })).status).toBe(200);
    expect(await c.call("POST", "/runs/log-parameter", { run_id: runId, key: "lr", value: "0.2" })).toMatchObject({
      status: 400,
      body: { error_code: "INVALID_PARAMETER_VALUE", message: expect.stringContaining("Changing param values is not allowed") },
    });
    const long = "x".repeat(7000);
    expect((await c.call("POST", "/runs/log-parameter", { run_id: runId, key: "long", value: long })).status).toBe(200);
    expect((await c.call("POST", "/runs/log-parameter", { run_id: runId, key: "huge", value: "x".repeat(64 * 1024 + 1) })).status).toBe(400);
    expect((await c.call("POST", "/runs/log-parameter", { run_id: runId, key: "nul", value: "a\u0000b" })).status).toBe(400);
    expect((await c.call("POST", "/runs/set-tag", { run_id: runId, key: "t", value: "1" })).status).toBe(200);
    expect((await c.call("POST", "/runs/set-tag", { run_id: runId, key: "t", value: "2" })).status).toBe(200);

    const got = await app.inject({ url: `/api/2.0/mlflow/runs/get?run_id=${runId}`, headers: c.headers });
    expect(got.body).toContain('"value":"NaN"');
    expect(got.body).toContain('"value":"Infinity"');
    const data = got.json().run.data;
    expect(data.metrics.find((m: { key: string }) => m.key === "nan")).toEqual({ key: "nan", value: "NaN", timestamp: 10, step: 3 });
    expect(data.params).toEqual([{ key: "long", value: long }, { key: "lr", value: "0.1" }]);
    expect(data.tags).toContainEqual({ key: "t", value: "2" });
  });

  it("log-batch: limits, duplicates, size, and nothing written on failure", async () => {
    const c = await client();
    const { runId } = await experimentAndRun(c);
    const metrics = (n: number) => Array.from({ length: n }, (_, i) => ({ key: "m", value: i, timestamp: 1, step: i }));
    expect(await c.call("POST", "/runs/log-batch", { run_id: runId, metrics: metrics(1001) })).toMatchObject({
      status: 400,
      body: {
        error_code: "INVALID_PARAMETER_VALUE",
        message: "A batch logging request can contain at most 1000 metrics. Got 1001 metrics. Please split up metrics across multiple requests and try again.",
      },
    });
    const params = (n: number) => Array.from({ length: n }, (_, i) => ({ key: `p${i}`, value: "v" }));
    expect((await c.call("POST", "/runs/log-batch", { run_id: runId, params: params(101) })).body.message).toContain("at most 100 params");
    expect((await c.call("POST", "/runs/log-batch", { run_id: runId, metrics: metrics(950), params: params(51) })).body.message).toContain("at most 1000");
    expect(await c.call("POST", "/runs/log-batch", { run_id: runId, params: [{ key: "a", value: "1" }, { key: "a", value: "1" }] })).toMatchObject({
      status: 400,
      body: { message: expect.stringContaining("Duplicate parameter keys have been submitted") },
    });
    const big = await c.call("POST", "/runs/log-batch", { run_id: runId, tags: [{ key: "t", value: "x".repeat(1_000_001) }] });
    expect(big.status).toBe(400);
    expect(big.body.message).toContain("Batched logging API requests must be at most 1000000 bytes");

    await c.call("POST", "/runs/log-parameter", { run_id: runId, key: "fixed", value: "1" });
    const failing = await c.call("POST", "/runs/log-batch", {
      run_id: runId,
      metrics: metrics(10),
      params: [{ key: "new", value: "x" }, { key: "fixed", value: "2" }],
      tags: [{ key: "tag", value: "x" }],
    });
    expect(failing.status).toBe(400);
    const after = (await c.call("GET", "/runs/get", { run_id: runId })).body.run;
    expect(after.data.metrics).toBeUndefined();
    expect(after.data.params).toEqual([{ key: "fixed", value: "1" }]);
    expect(after.data.tags.map((t: { key: string }) => t.key)).toEqual(["mlflow.runName"]);
    const { pk } = await db.run.findUniqueOrThrow({ where: { id: runId } });
    expect(await db.metric.count({ where: { runPk: pk } })).toBe(0);

    const ok = await c.call("POST", "/runs/log-batch", {
      run_id: runId,
      metrics: [...metrics(1000).slice(0, 900), { key: "m", value: 5, timestamp: 1 }],
      params: [{ key: "new", value: "x" }],
      tags: [{ key: "tag", value: "1" }, { key: "tag", value: "2" }],
    });
    expect(ok).toMatchObject({ status: 200, body: {} });
    const run = (await c.call("GET", "/runs/get", { run_id: runId })).body.run;
    expect(run.data.metrics).toEqual([{ key: "m", value: 899, timestamp: 1, step: 899 }]);
    expect(run.data.tags).toContainEqual({ key: "tag", value: "2" });
  });

  it("log-inputs links datasets shown by runs/get", async () => {
    const c = await client();
    const { runId } = await experimentAndRun(c);
    const datasets = [
      { tags: [{ key: "mlflow.data.context", value: "training" }], dataset: { name: "iris", digest: "d1", source_type: "local", source: '{"uri":"x"}', schema: "{}" } },
    ];
    expect((await c.call("POST", "/runs/log-inputs", { run_id: runId, datasets })).body).toEqual({});
    expect((await c.call("POST", "/runs/log-inputs", { run_id: runId, datasets })).status).toBe(200);
    expect((await c.call("GET", "/runs/get", { run_id: runId })).body.run.inputs).toEqual({ dataset_inputs: datasets });
    expect((await c.call("POST", "/runs/log-inputs", { run_id: runId, datasets: [{ dataset: { name: "x" } }] })).status).toBe(400);
  });

  it("log-model appends to the mlflow.log-model.history tag; concurrent calls lose nothing; bad JSON is 400", async () => {
    const c = await client();
    const { runId } = await experimentAndRun(c);
    const model = (i: number) => JSON.stringify({ run_id: runId, artifact_path: `model-${i}`, utc_time_created: "2026-11-25 10:00:00.000000", flavors: { python_function: { loader_module: "mlflow.sklearn" } } });
    const results = await Promise.all([0, 1, 2, 3].map((i) => c.call("POST", "/runs/log-model", { run_id: runId, model_json: model(i) })));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    const tags = (await c.call("GET", "/runs/get", { run_id: runId })).body.run.data.tags as { key: string; value: string }[];
    const history = JSON.parse(tags.find((t) => t.key === "mlflow.log-model.history")!.value) as { artifact_path: string }[];
    expect(history.map((h) => h.artifact_path).sort()).toEqual(["model-0", "model-1", "model-2", "model-3"]);
    const bad = await c.call("POST", "/runs/log-model", { run_id: runId, model_json: "{not json" });
    expect(bad.status).toBe(400);
    expect(bad.body.error_code).toBe("INVALID_PARAMETER_VALUE");
    expect((await c.call("POST", "/runs/log-model", { run_id: runId })).body.message).toMatch(/Missing value for required parameter 'model_json'/);
  });
});

describe("metrics", () => {
  it("get-history pages with opaque tokens; unknown key gives {}", async () => {
    const c = await client();
    const { runId } = await experimentAndRun(c);
    await c.call("POST", "/runs/log-batch", { run_id: runId, metrics: Array.from({ length: 30 }, (_, i) => ({ key: "m", value: i, timestamp: 100 + i, step: i })) });
    const first = await c.call("GET", "/metrics/get-history", { run_id: runId, run_uuid: runId, metric_key: "m", max_results: "20" });
    expect(first.body.metrics).toHaveLength(20);
    expect(first.body.metrics[0]).toEqual({ key: "m", value: 0, timestamp: 100, step: 0 });
    expect(typeof first.body.next_page_token).toBe("string");
    const second = await c.call("GET", "/metrics/get-history", { run_id: runId, metric_key: "m", max_results: "20", page_token: first.body.next_page_token });
    expect(second.body.metrics.map((m: { step: number }) => m.step)).toEqual(Array.from({ length: 10 }, (_, i) => 20 + i));
    expect(second.body.next_page_token).toBeUndefined();
    expect((await c.call("GET", "/metrics/get-history", { run_id: runId, metric_key: "nope" })).body).toEqual({});
    expect(await c.call("GET", "/metrics/get-history", { run_id: runId, metric_key: "m", page_token: "%%%" })).toMatchObject({
      status: 400,
      body: { message: "Invalid page token, could not base64-decode" },
    });
    expect((await c.call("GET", "/metrics/get-history", { run_id: "f".repeat(32), metric_key: "m" })).status).toBe(404);
  });

  it("get-history-bulk-interval returns sampled points with run ids", async () => {
    const c = await client();
    const a = await experimentAndRun(c);
    const b = await experimentAndRun(c);
    await c.call("POST", "/runs/log-batch", { run_id: a.runId, metrics: Array.from({ length: 50 }, (_, i) => ({ key: "m", value: i, timestamp: 1, step: i })) });
    await c.call("POST", "/runs/log-metric", { run_id: b.runId, key: "m", value: 7, timestamp: 2, step: 3 });
    const r = await app.inject({
      url: `/api/2.0/mlflow/metrics/get-history-bulk-interval?run_ids=${a.runId}&run_ids=${b.runId}&metric_key=m&max_results=5`,
      headers: c.headers,
    });
    expect(r.statusCode).toBe(200);
    const metrics = r.json().metrics as { run_id: string; step: number }[];
    const stepsA = metrics.filter((m) => m.run_id === a.runId).map((m) => m.step);
    expect(stepsA[0]).toBe(0);
    expect(stepsA.at(-1)).toBe(49);
    expect(stepsA.length).toBeLessThanOrEqual(8);
    expect(metrics.filter((m) => m.run_id === b.runId)).toEqual([{ key: "m", value: 7, timestamp: 2, step: 3, run_id: b.runId }]);
    expect((await c.call("GET", "/metrics/get-history-bulk-interval", { run_ids: a.runId, metric_key: "m", start_step: "5" })).body.message).toBe(
      "If either start step or end step are specified, both must be specified.",
    );
    expect((await c.call("GET", "/metrics/get-history-bulk-interval", { run_ids: a.runId, metric_key: "m", max_results: "2501" })).status).toBe(400);
  });
});

describe("permissions", () => {
  it("a user with the default READ can read another's runs but not write them (403)", async () => {
    const owner = await client();
    const other = await client();
    const { experimentId, runId } = await experimentAndRun(owner);
    expect((await other.call("GET", "/runs/get", { run_id: runId })).status).toBe(200);
    expect((await other.call("GET", "/experiments/get", { experiment_id: experimentId })).status).toBe(200);
    for (const [path, body] of [
      ["/runs/log-metric", { run_id: runId, key: "m", value: 1, timestamp: 1 }],
      ["/runs/log-batch", { run_id: runId, params: [{ key: "p", value: "1" }] }],
      ["/runs/set-tag", { run_id: runId, key: "t", value: "1" }],
      ["/runs/create", { experiment_id: experimentId }],
      ["/experiments/update", { experiment_id: experimentId, new_name: uniq("x") }],
      ["/experiments/delete", { experiment_id: experimentId }],
    ] as const) {
      const r = await other.call("POST", path, body);
      expect(r.status, path).toBe(403);
      expect(r.body.error_code).toBe("PERMISSION_DENIED");
    }
  });
});
