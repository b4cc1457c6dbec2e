import crypto from "node:crypto";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase } from "@modelgate/db/test-db";
import type { Db } from "@modelgate/db";
import { createExperiment, createRun, createToken, createUser, deleteExperiment, logBatch, setExperimentTag, systemActor, type Actor, type Ctx } from "@modelgate/core";
import { createDataPlaneApp } from "../src/rest/index.ts";

let db: Db;
let app: FastifyInstance;
let owner: Ctx;
let headers: Record<string, string>;
let exp: string;
const runIds: string[] = [];

async function user() {
  const u = await createUser({ db, actor: systemActor("test") }, { username: `search-${crypto.randomBytes(4).toString("hex")}`, password: "correct horse battery staple" });
  const actor: Actor = { kind: "user", userId: u.id, username: u.username, role: u.role };
  const ctx: Ctx = { db, actor };
  const { secret } = await createToken(ctx, { name: "t" });
  return { ctx, headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" } };
}

const post = (path: string, body: unknown, h = headers) => app.inject({ method: "POST", url: `/api/2.0/mlflow${path}`, headers: h, payload: JSON.stringify(body) });

beforeAll(async () => {
  db = (await useTestDatabase()).db;
  app = await createDataPlaneApp({ db, version: "test" });
  ({ ctx: owner, headers } = await user());
  exp = (await createExperiment(owner, { name: `rest-search-${crypto.randomUUID()}` })).experiment_id;
  for (const [i, value] of [0.3, NaN, 0.9].entries()) {
    const run = await createRun(owner, { experiment_id: exp, run_name: `r${i}`, start_time: 1000 + i });
    runIds.push(run.info.run_id);
    await logBatch(owner, { run_id: run.info.run_id, metrics: [{ key: "acc", value, timestamp: 5 }], params: [{ key: "lr", value: String(i) }] });
  }
  await createRun(owner, { experiment_id: exp, run_name: "no-metrics", start_time: 999 });
});
afterAll(() => app.close());

describe("POST/GET runs/search", () => {
  it("returns runs in MLflow's shape, NaN written as \"NaN\", missing metrics last", async () => {
    const r = await post("/runs/search", { experiment_ids: [exp], order_by: ["metrics.acc DESC"] });
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(Object.keys(body)).toEqual(["runs"]);
    expect(body.runs.map((x: { info: { run_name: string } }) => x.info.run_name)).toEqual(["r2", "r0", "r1", "no-metrics"]);
    expect(r.body).toContain('"value":"NaN"');
    expect(body.runs[0].info).toMatchObject({ run_id: runIds[2], run_uuid: runIds[2], experiment_id: exp, status: "RUNNING", lifecycle_stage: "active", start_time: 1002 });
    expect(body.runs[0].data.params).toEqual([{ key: "lr", value: "2" }]);
    expect(body.runs[3].data).toEqual({ tags: [{ key: "mlflow.runName", value: "no-metrics" }] });
  });

  it("filters, and pages with MLflow tokens until none is left", async () => {
    const first = (await post("/runs/search", { experiment_ids: [exp], filter: "metrics.acc > 0.1", max_results: 1, order_by: ["metrics.acc"] })).json();
    expect(first.runs.map((x: { info: { run_name: string } }) => x.info.run_name)).toEqual(["r0"]);
    expect(first.next_page_token).toBe("eyJvZmZzZXQiOiAxfQ==");
    const second = (await post("/runs/search", { experiment_ids: [exp], filter: "metrics.acc > 0.1", max_results: 1, order_by: ["metrics.acc"], page_token: first.next_page_token })).json();
    expect(second.runs.map((x: { info: { run_name: string } }) => x.info.run_name)).toEqual(["r2"]);
    expect(second.next_page_token).toBeUndefined();
  });

  it("works over GET with repeated query keys and under /ajax-api", async () => {
    const q = `experiment_ids=${exp}&filter=${encodeURIComponent("params.lr = '1'")}&run_view_type=ACTIVE_ONLY`;
    const r = await app.inject({ url: `/ajax-api/2.0/mlflow/runs/search?${q}`, headers });
    expect(r.statusCode).toBe(200);
    expect(r.json().runs.map((x: { info: { run_name: string } }) => x.info.run_name)).toEqual(["r1"]);
  });

  it("an empty result is {}", async () => {
    const r = await post("/runs/search", { experiment_ids: [exp], filter: "metrics.acc > 100" });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({});
    expect((await post("/runs/search", {})).json()).toEqual({});
  });

  it("errors are 400 INVALID_PARAMETER_VALUE with MLflow's messages", async () => {
    const cases: [unknown, string][] = [
      [{ experiment_ids: [exp], filter: "metrics.acc >>> 1" }, "Invalid comparator '>>>' not one of '{'>', '>=', '!=', '=', '<', '<='}'"],
      [{ experiment_ids: [exp], order_by: ["bogus"] }, "Invalid attribute key 'bogus' specified."],
      [{ experiment_ids: [exp], filter: "params.lr = 'x" }, "Error on parsing filter 'params.lr = 'x'"],
      [{ experiment_ids: [exp], page_token: "garbage!" }, "Invalid page token, could not base64-decode"],
      [{ experiment_ids: [exp], max_results: 50001 }, "Invalid value for request parameter max_results. It must be at most 50000, but got value 50001"],
      [{ experiment_ids: [exp], run_view_type: "SOME" }, "Invalid value \"SOME\" for parameter 'run_view_type' supplied."],
      [{ experiment_ids: [1] }, "for parameter 'experiment_ids' supplied."],
    ];
    for (const [body, message] of cases) {
      const r = await post("/runs/search", body);
      expect(r.statusCode, JSON.stringify(body)).toBe(400);
      expect(r.json()).toEqual({ error_code: "INVALID_PARAMETER_VALUE", message: expect.stringContaining(message) });
    }
  });

  it("another user sees nothing of an experiment they may not read when the default is NONE", async () => {
    const { configureTracking, trackingConfig } = await import("@modelgate/core");
    const before = trackingConfig().defaultExperimentPermission;
    configureTracking({ defaultExperimentPermission: "NONE" });
    try {
      const other = await user();
      expect((await post("/runs/search", { experiment_ids: [exp] }, other.headers)).json()).toEqual({});
      expect((await post("/experiments/search", { max_results: 1000, filter: `name = '${(await db.experiment.findUnique({ where: { id: Number(exp) } }))!.name}'` }, other.headers)).json()).toEqual({});
    } finally {
      configureTracking({ defaultExperimentPermission: before });
    }
  });
});

describe("POST/GET experiments/search", () => {
  it("filters by name and tag, orders, pages; deleted ones only with view_type", async () => {
    const tag = crypto.randomBytes(3).toString("hex");
    const made: string[] = [];
    for (const n of ["b", "a", "c"]) {
      const id = (await createExperiment(owner, { name: `es-${tag}-${n}` })).experiment_id;
      made.push(id);
      await setExperimentTag(owner, { experiment_id: id, key: "group", value: tag });
    }
    await deleteExperiment(owner, { experiment_id: made[2]! });
    const filter = `tags.group = '${tag}'`;
    const page1 = (await post("/experiments/search", { max_results: 1, filter, order_by: ["name ASC"] })).json();
    expect(page1.experiments.map((e: { name: string }) => e.name)).toEqual([`es-${tag}-a`]);
    expect(page1.experiments[0]).toMatchObject({ experiment_id: made[1], lifecycle_stage: "active", tags: [{ key: "group", value: tag }], artifact_location: expect.any(String) });
    const page2 = (await post("/experiments/search", { max_results: 1, filter, order_by: ["name ASC"], page_token: page1.next_page_token })).json();
    expect(page2.experiments.map((e: { name: string }) => e.name)).toEqual([`es-${tag}-b`]);
    expect(page2.next_page_token).toBeUndefined();
    const deleted = (await post("/experiments/search", { max_results: 10, filter, view_type: "DELETED_ONLY" })).json();
    expect(deleted.experiments.map((e: { name: string }) => e.name)).toEqual([`es-${tag}-c`]);
    const all = (await post("/experiments/search", { max_results: 10, filter: `name LIKE 'es-${tag}-%'`, view_type: "ALL" })).json();
    // Default order: creation_time DESC, then experiment_id ASC.
    const expected = [...made].sort((x, y) => Number(y) - Number(x));
    const got = all.experiments.map((e: { experiment_id: string; creation_time: number }) => e);
    const sorted = [...got].sort((x: { creation_time: number; experiment_id: string }, y: { creation_time: number; experiment_id: string }) => y.creation_time - x.creation_time || Number(x.experiment_id) - Number(y.experiment_id));
    expect(got).toEqual(sorted);
    expect(new Set(got.map((e: { experiment_id: string }) => e.experiment_id))).toEqual(new Set(expected));
  });

  it("GET works with the query string", async () => {
    const r = await app.inject({ url: `/api/2.0/mlflow/experiments/search?max_results=1000&filter=${encodeURIComponent("name = 'Default'")}`, headers });
    expect(r.statusCode).toBe(200);
    expect(r.json().experiments).toEqual([expect.objectContaining({ experiment_id: "0", name: "Default" })]);
  });

  it("max_results is required and capped; bad filters and order_by are 400s", async () => {
    const cases: [unknown, string][] = [
      [{}, "Invalid value for request parameter max_results. It must be a positive integer, but got 0"],
      [{ max_results: 0 }, "It must be a positive integer, but got 0"],
      [{ max_results: 50001 }, "It must be at most 50000"],
      [{ max_results: 10, filter: "metrics.a > 1" }, "Invalid entity type 'metrics'. Valid entity types are ('attribute', 'tag', 'tags')"],
      [{ max_results: 10, order_by: ["tags.x"] }, "Invalid order_by entity: tag"],
      [{ max_results: 10, filter: "name >>> 'x'" }, "Invalid comparator '>>>'"],
    ];
    for (const [body, message] of cases) {
      const r = await post("/experiments/search", body);
      expect(r.statusCode, JSON.stringify(body)).toBe(400);
      expect(r.json()).toEqual({ error_code: "INVALID_PARAMETER_VALUE", message: expect.stringContaining(message) });
    }
  });
});
