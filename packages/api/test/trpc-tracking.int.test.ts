import crypto from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase } from "@modelgate/db/test-db";
import type { Db } from "@modelgate/db";
import { configureTracking, createRun, createUser, logBatch, systemActor, type Actor, type Ctx } from "@modelgate/core";
import { createCaller } from "../src/trpc/index.ts";

// The portal's tracking procedures, called as the portal calls them, against a real database.
// Runs and metrics are written through core (the mlflow client's path); the portal reads them.

const PASSWORD = "correct horse battery staple";
let db: Db;
const callerFor = (actor: Actor | null) => createCaller({ db, actor, requestId: crypto.randomUUID(), ip: "127.0.0.1" });
const unique = (p: string) => `${p}-${crypto.randomBytes(4).toString("hex")}`;

async function user(role: "ADMIN" | "USER" = "USER") {
  const u = await createUser({ db, actor: systemActor("test") }, { username: unique("trk"), password: PASSWORD, role });
  const actor: Actor = { kind: "user", userId: u.id, username: u.username, role: u.role };
  const ctx: Ctx = { db, actor };
  return { u, ctx, caller: callerFor(actor) };
}

beforeAll(async () => {
  db = (await useTestDatabase()).db;
  // private by default, so grants are what opens an experiment (module state: this file only)
  configureTracking({ defaultExperimentPermission: "NONE" });
});

describe("tracking tRPC", () => {
  it("denies every tracking procedure without a session", async () => {
    const anon = callerFor(null);
    await expect(anon.tracking.experiments.search({})).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    await expect(anon.tracking.runs.get({ run_id: "0".repeat(32) })).rejects.toMatchObject({ code: "UNAUTHORIZED" });
  });

  it("creates, finds by name, renames, deletes and restores an experiment", async () => {
    const { caller } = await user();
    const name = unique("exp");
    const { experiment_id } = await caller.tracking.experiments.create({ name });
    const found = await caller.tracking.experiments.search({ filter: `name ILIKE '%${name}%'` });
    expect(found.experiments.map((x) => x.name)).toEqual([name]);
    expect(await caller.tracking.experiments.myAccess({ experiment_id })).toEqual({ level: "MANAGE", canEdit: true, canManage: true });

    await expect(caller.tracking.experiments.create({ name })).rejects.toMatchObject({ code: "CONFLICT", message: `Experiment(name=${name}) already exists.` });
    await caller.tracking.experiments.rename({ experiment_id, new_name: `${name}-b` });
    expect((await caller.tracking.experiments.get({ experiment_id })).name).toBe(`${name}-b`);

    await caller.tracking.experiments.delete({ experiment_id });
    const active = await caller.tracking.experiments.search({ filter: `name = '${name}-b'` });
    expect(active.experiments).toEqual([]);
    const deleted = await caller.tracking.experiments.search({ filter: `name = '${name}-b'`, view_type: "DELETED_ONLY" });
    expect(deleted.experiments.map((x) => x.lifecycle_stage)).toEqual(["deleted"]);
    await caller.tracking.experiments.restore({ experiment_id });
    expect((await caller.tracking.experiments.get({ experiment_id })).lifecycle_stage).toBe("active");
  });

  it("pages runs with cursors, sorts on the server, counts, lists columns and nests children", async () => {
    const { caller, ctx } = await user();
    const { experiment_id } = await caller.tracking.experiments.create({ name: unique("runs") });
    const parent = await createRun(ctx, { experiment_id, run_name: "parent", start_time: 1_000 });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await createRun(ctx, { experiment_id, run_name: `child-${i}`, start_time: 2_000 + i, tags: [{ key: "mlflow.parentRunId", value: parent.info.run_id }] });
      await logBatch(ctx, { run_id: r.info.run_id, metrics: [{ key: "acc", value: i / 10, timestamp: 5_000, step: 0 }], params: [{ key: "lr", value: String(i) }] });
      ids.push(r.info.run_id);
    }

    const scope = { experiment_ids: [experiment_id] };
    expect(await caller.tracking.runs.count(scope)).toEqual({ count: 6 });
    expect(await caller.tracking.runs.count({ ...scope, filter: "metrics.acc >= 0.2" })).toEqual({ count: 3 });
    expect(await caller.tracking.runs.columns(scope)).toMatchObject({ metrics: ["acc"], params: ["lr"], tags: expect.arrayContaining(["mlflow.parentRunId"]) });

    const first = await caller.tracking.runs.search({ ...scope, max_results: 4, order_by: ["metrics.`acc` DESC"] });
    expect(first.runs.map((r) => r.info.run_name)).toEqual(["child-4", "child-3", "child-2", "child-1"]);
    expect(first.next_page_token).toBeTruthy();
    const second = await caller.tracking.runs.search({ ...scope, max_results: 4, order_by: ["metrics.`acc` DESC"], cursor: first.next_page_token ?? null });
    // runs without the metric sort last, as in MLflow
    expect(second.runs.map((r) => r.info.run_name)).toEqual(["child-0", "parent"]);
    expect(second.next_page_token).toBeFalsy();

    const children = await caller.tracking.runs.search({ ...scope, filter: `tags.\`mlflow.parentRunId\` = '${parent.info.run_id}'` });
    expect(children.runs.map((r) => r.info.run_id).sort()).toEqual([...ids].sort());
  });

  it("checks a filter without throwing, with MLflow's message", async () => {
    const { caller } = await user();
    expect(await caller.tracking.runs.validateFilter({ filter: "metrics.rmse < 1 and params.model = 'tree'" })).toEqual({ valid: true });
    const bad = await caller.tracking.runs.validateFilter({ filter: "metrics.rmse < 1 and" });
    expect(bad).toEqual({ valid: false, message: "Invalid clause(s) in filter string: 'AND'" });
    expect(await caller.tracking.runs.validateFilter({ filter: "params.x = 1" })).toEqual({ valid: false, message: "Expected a quoted string value for parameter (e.g. 'my-value'). Got value 1" });
  });

  it("renames, deletes and restores a run; reads metric history and a downsampled series", async () => {
    const { caller, ctx } = await user();
    const { experiment_id } = await caller.tracking.experiments.create({ name: unique("hist") });
    const run = await createRun(ctx, { experiment_id, run_name: "r", start_time: 1_000 });
    const run_id = run.info.run_id;
    const metrics = Array.from({ length: 1000 }, (_, step) => ({ key: "loss", value: step === 500 ? 100 : 1 / (step + 1), timestamp: 10_000 + step, step }));
    await logBatch(ctx, { run_id, metrics });

    const history = await caller.tracking.metrics.history({ run_id, metric_key: "loss", max_results: 10 });
    expect(history.metrics).toHaveLength(10);
    expect(history.metrics[0]).toEqual({ key: "loss", value: 1, timestamp: 10_000, step: 0 });
    expect(history.next_page_token).toBeTruthy();

    const [series, ...rest] = await caller.tracking.metrics.sample({ run_ids: [run_id], keys: ["loss"], max_points: 100 });
    expect(rest).toEqual([]);
    expect(series).toMatchObject({ run_id, key: "loss" });
    expect(series!.points.length).toBeLessThanOrEqual(100);
    expect(series!.points.length).toBeGreaterThan(10);
    // the spike survives downsampling
    expect(series!.points.map((p) => p.value)).toContain(100);

    await caller.tracking.runs.rename({ run_id, run_name: "renamed" });
    expect((await caller.tracking.runs.get({ run_id })).info.run_name).toBe("renamed");
    await caller.tracking.runs.delete({ run_id });
    expect((await caller.tracking.runs.get({ run_id })).info.lifecycle_stage).toBe("deleted");
    expect(await caller.tracking.runs.count({ experiment_ids: [experiment_id] })).toEqual({ count: 0 });
    expect(await caller.tracking.runs.count({ experiment_ids: [experiment_id], run_view_type: "DELETED_ONLY" })).toEqual({ count: 1 });
    await caller.tracking.runs.restore({ run_id });
    expect((await caller.tracking.runs.get({ run_id })).info.lifecycle_stage).toBe("active");
  });

  it("a manager grants and revokes access; others cannot see or manage the experiment", async () => {
    const owner = await user();
    const other = await user();
    const { experiment_id } = await owner.caller.tracking.experiments.create({ name: unique("perm") });
    const run = await createRun(owner.ctx, { experiment_id, run_name: "secret" });

    await expect(other.caller.tracking.runs.get({ run_id: run.info.run_id })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(other.caller.tracking.experiments.permissions({ experiment_id })).rejects.toMatchObject({ code: "NOT_FOUND" });

    await owner.caller.tracking.experiments.setPermission({ experiment_id, username: other.u.username, level: "READ" });
    expect(await owner.caller.tracking.experiments.permissions({ experiment_id })).toEqual([
      expect.objectContaining({ username: other.u.username, level: "READ" }),
    ]);
    expect(await other.caller.tracking.experiments.myAccess({ experiment_id })).toEqual({ level: "READ", canEdit: false, canManage: false });
    expect((await other.caller.tracking.runs.get({ run_id: run.info.run_id })).info.run_name).toBe("secret");
    await expect(other.caller.tracking.runs.delete({ run_id: run.info.run_id })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(other.caller.tracking.experiments.setPermission({ experiment_id, username: other.u.username, level: "MANAGE" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(owner.caller.tracking.experiments.setPermission({ experiment_id, username: "nobody-here", level: "READ" })).rejects.toMatchObject({ code: "NOT_FOUND" });

    await owner.caller.tracking.experiments.setPermission({ experiment_id, username: other.u.username, level: null });
    expect(await owner.caller.tracking.experiments.permissions({ experiment_id })).toEqual([]);
    await expect(other.caller.tracking.runs.get({ run_id: run.info.run_id })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});
