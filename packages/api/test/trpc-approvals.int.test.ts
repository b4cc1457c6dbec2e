import crypto from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase } from "@modelgate/db/test-db";
import type { Db } from "@modelgate/db";
import { createExperiment, createRun, createUser, setModelPermission, systemActor, type Actor, type Ctx, type ModelPermissionLevel } from "@modelgate/core";
import { createCaller } from "../src/trpc/index.ts";

// The approval workflow through tRPC (the portal's edge), level by level: who may request,
// approve, reject, cancel, comment and change a model's policy; and the inbox each one sees.

let db: Db;
const unique = (p: string) => `${p}-${crypto.randomBytes(4).toString("hex")}`;

async function user(role: "ADMIN" | "USER" = "USER") {
  const u = await createUser({ db, actor: systemActor("test") }, { username: unique("apr"), password: "correct horse battery staple", role });
  const actor: Actor = { kind: "user", userId: u.id, username: u.username, role: u.role };
  const ctx: Ctx = { db, actor };
  return { u, ctx, caller: createCaller({ db, actor, requestId: crypto.randomUUID(), ip: "127.0.0.1" }) };
}

/** A model owned by a fresh user, with one version registered from a run. */
async function model() {
  const owner = await user();
  const name = unique("m");
  await owner.caller.registry.models.create({ name });
  const { experiment_id } = await createExperiment(owner.ctx, { name: unique("e") });
  const run = await createRun(owner.ctx, { experiment_id, start_time: Date.now() });
  await owner.caller.registry.versions.create({ name, source: `runs:/${run.info.run_id}/model` });
  return { owner, name };
}

const outcome = (p: Promise<unknown>) => p.then(() => "ok", (e: { code?: string }) => e.code ?? "error");

beforeAll(async () => {
  db = (await useTestDatabase()).db;
});

describe("approvals over tRPC", () => {
  it("denies everything without a session", async () => {
    const anon = createCaller({ db, actor: null, requestId: "x" });
    await expect(anon.approvals.requests.list({ kind: "actionable" })).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    await expect(anon.approvals.requests.create({ name: "m", version: "1", stage: "Production" })).rejects.toMatchObject({ code: "UNAUTHORIZED" });
  });

  // Databricks' matrix for requests: anyone with READ may request; approving Production needs
  // MANAGE_PRODUCTION_VERSIONS (the default policy); cancelling needs MANAGE or being the requester.
  const matrix: [ModelPermissionLevel, { approve: boolean; cancel: boolean; policy: boolean }][] = [
    ["READ", { approve: false, cancel: false, policy: false }],
    ["EDIT", { approve: false, cancel: false, policy: false }],
    ["MANAGE_STAGING_VERSIONS", { approve: false, cancel: false, policy: false }],
    ["MANAGE_PRODUCTION_VERSIONS", { approve: true, cancel: false, policy: false }],
    ["MANAGE", { approve: true, cancel: true, policy: true }],
  ];

  it.each(matrix)("%s: request, inbox, approve, cancel, comment and policy as designed", async (level, allowed) => {
    const { owner, name } = await model();
    const requester = await user();
    const viewer = await user();
    await setModelPermission(owner.ctx, { name, username: viewer.u.username, level });

    // anyone who can read may ask and comment
    const req = await requester.caller.approvals.requests.create({ name, version: "1", stage: "Production", comment: "please" });
    expect(await outcome(viewer.caller.approvals.comments.create({ name, version: "1", comment: "a question" }))).toBe("ok");

    const seen = await viewer.caller.approvals.requests.get({ id: req.id });
    expect(seen.available_actions.includes("APPROVE_TRANSITION_REQUEST")).toBe(allowed.approve);
    expect(seen.available_actions.includes("CANCEL_TRANSITION_REQUEST")).toBe(allowed.cancel);
    const inbox = await viewer.caller.approvals.requests.list({ kind: "actionable" });
    expect(inbox.some((r) => r.id === req.id)).toBe(allowed.approve);
    expect((await viewer.caller.approvals.requests.counts()).actionable).toBe(allowed.approve ? 1 : 0);

    expect(await outcome(viewer.caller.approvals.policies.set({ name, rules: [] }))).toBe(allowed.policy ? "ok" : "FORBIDDEN");
    if (allowed.policy) await viewer.caller.approvals.policies.set({ name, rules: null });

    if (allowed.cancel) {
      expect(await outcome(viewer.caller.approvals.requests.cancel({ id: req.id }))).toBe("ok");
      return;
    }
    expect(await outcome(viewer.caller.approvals.requests.cancel({ id: req.id }))).toBe("FORBIDDEN");
    expect(await outcome(viewer.caller.approvals.requests.approve({ id: req.id }))).toBe(allowed.approve ? "ok" : "FORBIDDEN");
    const after = await owner.caller.registry.versions.get({ name, version: "1" });
    expect(after.current_stage).toBe(allowed.approve ? "Production" : "None");
  });

  it("the requester sees why they cannot approve; the activity feed tells the whole story", async () => {
    const { owner, name } = await model();
    const reviewer = await user();
    await setModelPermission(owner.ctx, { name, username: reviewer.u.username, level: "MANAGE_PRODUCTION_VERSIONS" });
    const req = await owner.caller.approvals.requests.create({ name, version: "1", stage: "Production" });
    const mine = await owner.caller.approvals.requests.get({ id: req.id });
    expect(mine.available_actions).toEqual(["CANCEL_TRANSITION_REQUEST"]);
    expect(mine.approve_blocked_reason).toMatch(/four-eyes/);
    expect((await owner.caller.approvals.requests.list({ kind: "mine" })).map((r) => r.id)).toEqual([req.id]);

    await reviewer.caller.approvals.comments.create({ name, version: "1", comment: "checked the holdout" });
    const done = await reviewer.caller.approvals.requests.approve({ id: req.id, comment: "ok" });
    expect(done.applied).toBe(true);
    expect(done.request).toMatchObject({ status: "APPROVED", approvals: 1, required_approvals: 1, decisions: [{ user: reviewer.u.username, decision: "APPROVE", comment: "ok" }] });
    const feed = await owner.caller.approvals.activities({ name, version: "1" });
    expect(feed.map((a) => [a.activity_type, a.user_id])).toEqual([
      ["REQUESTED_TRANSITION", owner.u.username],
      ["NEW_COMMENT", reviewer.u.username],
      ["APPROVED_REQUEST", reviewer.u.username],
      ["APPLIED_TRANSITION", reviewer.u.username],
    ]);
    expect((await owner.caller.approvals.requests.list({ kind: "recent" })).map((r) => r.id)).toContain(req.id);
    // closed: nothing more to do with it
    await expect(reviewer.caller.approvals.requests.reject({ id: req.id })).rejects.toMatchObject({ code: "PRECONDITION_FAILED", message: expect.stringContaining("not open") });
  });

  it("a direct move to Production is refused for a production manager and allowed to an admin", async () => {
    const { owner, name } = await model();
    await expect(owner.caller.registry.versions.transition({ name, version: "1", stage: "Production" })).rejects.toMatchObject({
      code: "FORBIDDEN",
      message: expect.stringContaining("protected by the default approval policy"),
    });
    const admin = await user("ADMIN");
    expect((await admin.caller.registry.versions.transition({ name, version: "1", stage: "Production" })).current_stage).toBe("Production");
  });
});
