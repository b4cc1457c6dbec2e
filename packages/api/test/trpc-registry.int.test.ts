import crypto from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase } from "@modelgate/db/test-db";
import type { Db } from "@modelgate/db";
import { createExperiment, createRun, createUser, logBatch, setModelPermission, systemActor, type Actor, type Ctx, type ModelPermissionLevel, setPolicy } from "@modelgate/core";
import { createCaller } from "../src/trpc/index.ts";

// The portal's registry procedures, called as the portal calls them, against a real database: the
// same core functions as the MLflow REST edge, so the permission matrix must hold here too.

const PASSWORD = "correct horse battery staple";
let db: Db;
const callerFor = (actor: Actor | null) => createCaller({ db, actor, requestId: crypto.randomUUID(), ip: "127.0.0.1" });
const unique = (p: string) => `${p}-${crypto.randomBytes(4).toString("hex")}`;

async function user(role: "ADMIN" | "USER" = "USER") {
  const u = await createUser({ db, actor: systemActor("test") }, { username: unique("reg"), password: PASSWORD, role });
  const actor: Actor = { kind: "user", userId: u.id, username: u.username, role: u.role };
  const ctx: Ctx = { db, actor };
  return { u, ctx, caller: callerFor(actor) };
}

/** A run (in a fresh experiment of `ctx`'s user) with one param and one metric. */
async function runWith(ctx: Ctx, lr: string, accuracy: number): Promise<string> {
  const { experiment_id } = await createExperiment(ctx, { name: unique("exp") });
  const run = await createRun(ctx, { experiment_id, start_time: Date.now() });
  const runId = run.info.run_id;
  await logBatch(ctx, { run_id: runId, params: [{ key: "lr", value: lr }], metrics: [{ key: "accuracy", value: accuracy, timestamp: Date.now(), step: 0 }] });
  return runId;
}

beforeAll(async () => {
  db = (await useTestDatabase()).db;
  // the registry's own rules: no target protected by the approval workflow (tested on its own)
  await setPolicy({ db, actor: systemActor("test") }, { rules: [] });
});

describe("registry tRPC", () => {
  it("denies every registry procedure without a session", async () => {
    const anon = callerFor(null);
    await expect(anon.registry.models.search({})).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    await expect(anon.registry.versions.get({ name: "x", version: "1" })).rejects.toMatchObject({ code: "UNAUTHORIZED" });
  });

  it("registers versions from runs, lists them with the owner, and compares two", async () => {
    const { caller, ctx, u } = await user();
    const name = unique("model");
    await caller.registry.models.create({ name, description: "# Fraud\nscores *transactions*" });
    const runA = await runWith(ctx, "0.1", 0.91);
    const runB = await runWith(ctx, "0.01", 0.95);
    const v1 = await caller.registry.versions.create({ name, source: `runs:/${runA}/model`, run_id: runA });
    const v2 = await caller.registry.versions.create({ name, source: `runs:/${runB}/model` });
    expect([v1.version, v2.version]).toEqual(["1", "2"]);
    expect(v2.run_id).toBe(runB);

    const found = await caller.registry.models.search({ filter: `name = '${name}'` });
    expect(found.registered_models).toMatchObject([{ name, owner: u.username, description: "# Fraud\nscores *transactions*" }]);
    expect(found.registered_models[0]!.latest_versions?.map((v) => [v.current_stage, v.version])).toEqual([["None", "2"]]);
    const listed = await caller.registry.versions.list({ name });
    expect(listed.model_versions.map((v) => v.version)).toEqual(["2", "1"]);

    const detail = await caller.registry.versions.get({ name, version: "1" });
    expect(detail.storage_location).toMatch(new RegExp(`^mlflow-artifacts:/\\d+/${runA}/artifacts/model$`));
    expect(detail.experiment_id).toMatch(/^\d+$/);

    const cmp = await caller.registry.versions.compare({ name, left: "1", right: "2" });
    expect(cmp.left.run?.data.params).toEqual([{ key: "lr", value: "0.1" }]);
    expect(cmp.right.run?.data.params).toEqual([{ key: "lr", value: "0.01" }]);
    expect(cmp.right.run?.data.metrics?.[0]).toMatchObject({ key: "accuracy", value: 0.95 });
    expect(cmp.signature).toEqual([]);
    expect(await caller.registry.models.suggest({ prefix: name.slice(0, 10) })).toContain(name);
  });

  it("answers which version was in Production, and where an alias pointed, at a past instant", async () => {
    const { caller, ctx } = await user();
    const name = unique("history");
    await caller.registry.models.create({ name });
    const runId = await runWith(ctx, "1", 0.5);
    for (let i = 0; i < 2; i++) await caller.registry.versions.create({ name, source: `runs:/${runId}/model` });

    await caller.registry.versions.transition({ name, version: "1", stage: "production" });
    await caller.registry.models.setAlias({ name, alias: "champion", version: "1" });
    await sleep(15);
    const whileV1 = Date.now();
    await sleep(15);
    await caller.registry.versions.transition({ name, version: "2", stage: "Production", archive_existing_versions: true });
    await caller.registry.models.setAlias({ name, alias: "champion", version: "2" });
    await sleep(15);

    expect(await caller.registry.models.stateAt({ name, at: whileV1 })).toMatchObject({
      stages: { None: [2], Staging: [], Production: [1], Archived: [] },
      aliases: [{ alias: "champion", version: 1 }],
    });
    expect(await caller.registry.models.stateAt({ name, at: Date.now() })).toMatchObject({
      stages: { None: [], Staging: [], Production: [2], Archived: [1] },
      aliases: [{ alias: "champion", version: 2 }],
    });

    const history = await caller.registry.models.history({ name });
    // newest first: v1 archived by the system as v2 went to Production
    expect(history.stages.slice(0, 2).map((s) => [s.version, s.from_stage, s.to_stage, s.system])).toEqual(
      expect.arrayContaining([
        [1, "Production", "Archived", true],
        [2, "None", "Production", false],
      ]),
    );
    expect(history.aliases.map((a) => [a.alias, a.from_version, a.to_version])).toEqual([
      ["champion", 1, 2],
      ["champion", null, 1],
    ]);
    const v1Only = await caller.registry.models.history({ name, version: "1" });
    expect(v1Only.stages.every((s) => s.version === 1)).toBe(true);
  });

  // Databricks' matrix (mlflow-compat.md), through tRPC; the REST edge is tested in registry-permissions.
  const matrix: [ModelPermissionLevel, { edit: boolean; staging: boolean; production: boolean; manage: boolean }][] = [
    ["READ", { edit: false, staging: false, production: false, manage: false }],
    ["EDIT", { edit: true, staging: false, production: false, manage: false }],
    ["MANAGE_STAGING_VERSIONS", { edit: true, staging: true, production: false, manage: false }],
    ["MANAGE_PRODUCTION_VERSIONS", { edit: true, staging: true, production: true, manage: false }],
    ["MANAGE", { edit: true, staging: true, production: true, manage: true }],
  ];

  it.each(matrix)("%s may do exactly what the matrix says", async (level, allowed) => {
    const owner = await user();
    const name = unique(`perm-${level.toLowerCase()}`);
    await owner.caller.registry.models.create({ name });
    const runId = await runWith(owner.ctx, "1", 0.5);
    await owner.caller.registry.versions.create({ name, source: `runs:/${runId}/model` });
    await owner.caller.registry.versions.create({ name, source: `runs:/${runId}/model` });
    await owner.caller.registry.versions.transition({ name, version: "2", stage: "Staging" });
    const { caller, u } = await user();
    await setModelPermission(owner.ctx, { name, username: u.username, level });

    const outcome = async (p: Promise<unknown>) => p.then(() => "ok", (e: { code?: string }) => e.code);
    const expectAllowed = async (ok: boolean, p: Promise<unknown>) => expect(await outcome(p)).toBe(ok ? "ok" : "FORBIDDEN");

    expect((await caller.registry.models.get({ name })).name).toBe(name);
    expect((await caller.registry.models.myAccess({ name })).level).toBe(level);
    await expectAllowed(allowed.edit, caller.registry.models.setDescription({ name, description: "d" }));
    await expectAllowed(allowed.edit, caller.registry.versions.setTag({ name, version: "1", key: "k", value: "v" }));
    await expectAllowed(allowed.edit, caller.registry.models.setAlias({ name, alias: "candidate", version: "1" }));
    // the caller may not read the run's experiment (owner's, default READ), so register from it needs READ there: it has
    await expectAllowed(allowed.edit, caller.registry.versions.create({ name, source: `runs:/${runId}/model` }));
    await expectAllowed(allowed.staging, caller.registry.versions.transition({ name, version: "1", stage: "Staging" }));
    await expectAllowed(allowed.production, caller.registry.versions.transition({ name, version: "2", stage: "Production" }));
    await expectAllowed(allowed.manage, caller.registry.models.permissions({ name }));
    await expectAllowed(allowed.manage, caller.registry.versions.delete({ name, version: "1" }));
    await expectAllowed(allowed.manage, caller.registry.models.rename({ name, new_name: `${name}-renamed` }));
  });

  it("hides a model from a stranger when the default is NONE, and the grant survives a rename", async () => {
    const { configureRegistry } = await import("@modelgate/core");
    const owner = await user();
    const name = unique("private");
    await owner.caller.registry.models.create({ name });
    const stranger = await user();
    const friend = await user();
    await setModelPermission(owner.ctx, { name, username: friend.u.username, level: "READ" });
    configureRegistry({ defaultModelPermission: "NONE" });
    try {
      await expect(stranger.caller.registry.models.get({ name })).rejects.toMatchObject({ code: "NOT_FOUND", message: `Registered Model with name=${name} not found` });
      expect((await stranger.caller.registry.models.search({ filter: `name = '${name}'` })).registered_models).toEqual([]);
      await owner.caller.registry.models.rename({ name, new_name: `${name}-2` });
      expect((await friend.caller.registry.models.get({ name: `${name}-2` })).name).toBe(`${name}-2`);
      expect((await friend.caller.registry.models.myAccess({ name: `${name}-2` })).level).toBe("READ");
    } finally {
      configureRegistry({ defaultModelPermission: "READ" });
    }
  });
});
