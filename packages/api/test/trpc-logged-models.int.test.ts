import crypto from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase } from "@modelgate/db/test-db";
import type { Db } from "@modelgate/db";
import { configureTracking, createLoggedModel, createRun, createUser, finalizeLoggedModel, logBatch, systemActor, type Actor, type Ctx } from "@modelgate/core";
import { createCaller } from "../src/trpc/index.ts";

// The portal's logged-model procedures (an experiment's Models tab and the logged model page),
// called as the portal calls them. Models are written through core, as the mlflow client's path does.

const PASSWORD = "correct horse battery staple";
let db: Db;
const callerFor = (actor: Actor | null) => createCaller({ db, actor, requestId: crypto.randomUUID(), ip: "127.0.0.1" });
const unique = (p: string) => `${p}-${crypto.randomBytes(4).toString("hex")}`;

async function user() {
  const u = await createUser({ db, actor: systemActor("test") }, { username: unique("lm"), password: PASSWORD, role: "USER" });
  const actor: Actor = { kind: "user", userId: u.id, username: u.username, role: u.role };
  const ctx: Ctx = { db, actor };
  return { u, ctx, caller: callerFor(actor) };
}

beforeAll(async () => {
  db = (await useTestDatabase()).db;
  configureTracking({ defaultExperimentPermission: "NONE" });
});

describe("logged models tRPC", () => {
  it("denies without a session", async () => {
    await expect(callerFor(null).loggedModels.get({ model_id: "m-" + "0".repeat(32) })).rejects.toMatchObject({ code: "UNAUTHORIZED" });
  });

  it("searches with a filter, sorts by a metric on the server, pages with cursors, reads and tags a model", async () => {
    const { caller, ctx } = await user();
    const { experiment_id } = await caller.tracking.experiments.create({ name: unique("models") });
    const run = await createRun(ctx, { experiment_id, run_name: "train", start_time: 1_000 });
    const ids: string[] = [];
    for (const [i, accuracy] of [0.85, 0.93, 0.97].entries()) {
      const m = await createLoggedModel(ctx, { experiment_id, name: `model-${i}`, source_run_id: run.info.run_id, params: [{ key: "alpha", value: String(i) }] });
      await logBatch(ctx, { run_id: run.info.run_id, metrics: [{ key: "accuracy", value: accuracy, timestamp: 2_000 + i, step: i, model_id: m.info.model_id, dataset_name: "eval", dataset_digest: "d1" }] });
      await finalizeLoggedModel(ctx, { model_id: m.info.model_id, status: "LOGGED_MODEL_READY" });
      ids.push(m.info.model_id);
    }
    const scope = { experiment_ids: [experiment_id] };

    const good = await caller.loggedModels.search({ ...scope, filter: "metrics.accuracy > 0.9" });
    expect(good.models.map((m) => m.info.name).sort()).toEqual(["model-1", "model-2"]);

    const order_by = [{ field_name: "metrics.accuracy", ascending: true, dataset_name: "eval" }];
    const first = await caller.loggedModels.search({ ...scope, order_by, max_results: 2 });
    expect(first.models.map((m) => m.info.name)).toEqual(["model-0", "model-1"]);
    const second = await caller.loggedModels.search({ ...scope, order_by, max_results: 2, cursor: first.next_page_token ?? null });
    expect(second.models.map((m) => m.info.name)).toEqual(["model-2"]);
    expect(second.next_page_token).toBeFalsy();

    const one = await caller.loggedModels.get({ model_id: ids[2]! });
    expect(one.info).toMatchObject({ name: "model-2", status: "LOGGED_MODEL_READY", source_run_id: run.info.run_id });
    expect(one.data.metrics).toEqual([expect.objectContaining({ key: "accuracy", value: 0.97, dataset_name: "eval", dataset_digest: "d1" })]);

    await caller.loggedModels.setTags({ model_id: ids[2]!, tags: [{ key: "stage", value: "candidate" }] });
    expect((await caller.loggedModels.get({ model_id: ids[2]! })).info.tags).toContainEqual({ key: "stage", value: "candidate" });
    await caller.loggedModels.deleteTag({ model_id: ids[2]!, key: "stage" });
    expect((await caller.loggedModels.get({ model_id: ids[2]! })).info.tags ?? []).not.toContainEqual({ key: "stage", value: "candidate" });

    await caller.loggedModels.delete({ model_id: ids[0]! });
    await expect(caller.loggedModels.get({ model_id: ids[0]! })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("answers whether a filter parses, with MLflow's message", async () => {
    const { caller } = await user();
    expect(await caller.loggedModels.validateFilter({ filter: "metrics.accuracy > 0.9 AND params.alpha = '0.1'" })).toEqual({ valid: true });
    const bad = await caller.loggedModels.validateFilter({ filter: "metrics.accuracy >>> 1" });
    expect(bad).toMatchObject({ valid: false, message: expect.stringContaining(">>>") });
  });

  it("shows another user's models only with READ on their experiment", async () => {
    const owner = await user();
    const other = await user();
    const { experiment_id } = await owner.caller.tracking.experiments.create({ name: unique("private") });
    const m = await createLoggedModel(owner.ctx, { experiment_id, name: "secret" });
    await expect(other.caller.loggedModels.get({ model_id: m.info.model_id })).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect((await other.caller.loggedModels.search({ experiment_ids: [experiment_id] })).models).toEqual([]);
    await expect(other.caller.loggedModels.setTags({ model_id: m.info.model_id, tags: [{ key: "a", value: "b" }] })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});
