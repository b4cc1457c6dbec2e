import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase } from "@modelgate/db/test-db";
import type { Db } from "@modelgate/db";
import { createGroup, addGroupMember, setModelPermission, setPolicy, systemActor, type ModelPermissionLevel } from "@modelgate/core";
import { createDataPlaneApp } from "../src/rest/index.ts";
import { modelWithVersions, registryClient, type RegistryClient } from "./registry-fixtures.ts";

// The approval workflow through the Databricks-compatible REST edge, with several users: the
// default policy (Production protected, one approval by a production manager, four-eyes), custom
// policies (N-of-M, groups, gates), direct moves refused or overridden, and the races.

let db: Db;
let app: FastifyInstance;
const sys = () => ({ db, actor: systemActor("test") });

beforeAll(async () => {
  db = (await useTestDatabase()).db;
  app = await createDataPlaneApp({ db, version: "test" });
});
afterAll(() => app.close());

/** A model of `owner` with `n` versions, and a user holding `level` on it. */
async function withReviewer(owner: RegistryClient, n: number, level: ModelPermissionLevel = "MANAGE_PRODUCTION_VERSIONS") {
  const m = await modelWithVersions(owner, n);
  const reviewer = await registryClient(app, db);
  await setModelPermission(owner.ctx, { name: m.name, username: reviewer.user.username, level });
  return { m, reviewer };
}

const stageOf = async (c: RegistryClient, name: string, version: string) => (await c.call("GET", "/model-versions/get", { name, version })).body.model_version.current_stage;

describe("transition requests under the default policy", () => {
  it("a requester asks, cannot approve their own request, a production manager approves and the version moves", async () => {
    const owner = await registryClient(app, db);
    const { m, reviewer } = await withReviewer(owner, 2);
    await owner.call("POST", "/model-versions/transition-stage", { name: m.name, version: "1", stage: "Staging", archive_existing_versions: false });

    // a direct move to Production is refused, naming the policy, even for the model's owner
    const direct = await owner.call("POST", "/model-versions/transition-stage", { name: m.name, version: "1", stage: "Production", archive_existing_versions: false });
    expect(direct.status).toBe(403);
    expect(direct.body).toMatchObject({ error_code: "PERMISSION_DENIED", message: expect.stringContaining("Production is protected by the default approval policy") });

    const created = await owner.call("POST", "/transition-requests/create", { name: m.name, version: "1", stage: "production", comment: "AUC 0.93 on holdout" });
    expect(created.status).toBe(200);
    expect(created.body.request).toMatchObject({ to_stage: "Production", comment: "AUC 0.93 on holdout", user_id: owner.user.username, available_actions: ["CANCEL_TRANSITION_REQUEST"] });
    const dup = await owner.call("POST", "/transition-requests/create", { name: m.name, version: "1", stage: "Production" });
    expect(dup.status).toBe(400);
    expect(dup.body.error_code).toBe("RESOURCE_ALREADY_EXISTS");

    // the reviewer sees it with approve/reject; the owner (requester) may only cancel
    const listed = await reviewer.call("GET", "/transition-requests/list", { name: m.name, version: "1" });
    expect(listed.body.requests).toHaveLength(1);
    expect(listed.body.requests[0]).toMatchObject({ activity_type: "REQUESTED_TRANSITION", from_stage: "Staging", to_stage: "Production", user_id: owner.user.username });
    expect(listed.body.requests[0].available_actions).toEqual(["APPROVE_TRANSITION_REQUEST", "REJECT_TRANSITION_REQUEST"]);

    const self = await owner.call("POST", "/transition-requests/approve", { name: m.name, version: "1", stage: "Production", archive_existing_versions: true });
    expect(self.status).toBe(403);
    expect(self.body.message).toMatch(/four-eyes/);
    expect(await stageOf(owner, m.name, "1")).toBe("Staging");

    const approved = await reviewer.call("POST", "/transition-requests/approve", { name: m.name, version: "1", stage: "Production", archive_existing_versions: true, comment: "looks good" });
    expect(approved.status).toBe(200);
    expect(approved.body.activity).toMatchObject({ activity_type: "APPROVED_REQUEST", from_stage: "Staging", to_stage: "Production", user_id: reviewer.user.username, comment: "looks good" });
    expect(await stageOf(owner, m.name, "1")).toBe("Production");

    // the request is closed: approving again is refused and nothing changes
    const again = await reviewer.call("POST", "/transition-requests/approve", { name: m.name, version: "1", stage: "Production", archive_existing_versions: true });
    expect(again.status).toBe(404);
    expect((await owner.call("GET", "/transition-requests/list", { name: m.name, version: "1" })).body).toEqual({});

    // the activity feed, in Databricks' types
    const activities = await db.activity.findMany({ where: { version: { model: { name: m.name }, version: 1 } }, orderBy: { id: "asc" } });
    expect(activities.map((a) => a.type)).toEqual(["APPLIED_TRANSITION", "REQUESTED_TRANSITION", "APPROVED_REQUEST", "APPLIED_TRANSITION"]);
    const audit = await db.auditEvent.findMany({ where: { action: { startsWith: "approval." } }, orderBy: { id: "asc" } });
    expect(audit.map((e) => e.action)).toEqual(expect.arrayContaining(["approval.request_create", "approval.approve"]));
  });

  it("approval with archive_existing_versions archives the version in Production as a system transition", async () => {
    const owner = await registryClient(app, db);
    const { m, reviewer } = await withReviewer(owner, 2);
    for (const version of ["1", "2"]) {
      await owner.call("POST", "/transition-requests/create", { name: m.name, version, stage: "Production" });
      const ok = await reviewer.call("POST", "/transition-requests/approve", { name: m.name, version, stage: "Production", archive_existing_versions: true });
      expect(ok.status, ok.raw).toBe(200);
    }
    expect(await stageOf(owner, m.name, "1")).toBe("Archived");
    expect(await stageOf(owner, m.name, "2")).toBe("Production");
    const system = await db.activity.findMany({ where: { type: "SYSTEM_TRANSITION", version: { model: { name: m.name } } } });
    expect(system).toHaveLength(1);
    expect(system[0]).toMatchObject({ fromStage: "Production", toStage: "Archived", userName: "system" });
  });

  it("rejects, cancels, and refuses users without the level or outside the model", async () => {
    const owner = await registryClient(app, db);
    const { m, reviewer } = await withReviewer(owner, 1);
    const editor = await registryClient(app, db);
    await setModelPermission(owner.ctx, { name: m.name, username: editor.user.username, level: "MANAGE_STAGING_VERSIONS" });

    await editor.call("POST", "/transition-requests/create", { name: m.name, version: "1", stage: "Production" });
    const tooLow = await editor.call("POST", "/transition-requests/approve", { name: m.name, version: "1", stage: "Production", archive_existing_versions: false });
    expect(tooLow.status).toBe(403);
    const rejected = await reviewer.call("POST", "/transition-requests/reject", { name: m.name, version: "1", stage: "Production", comment: "no holdout metrics" });
    expect(rejected.body.activity).toMatchObject({ activity_type: "REJECTED_REQUEST", comment: "no holdout metrics" });
    expect(await stageOf(owner, m.name, "1")).toBe("None");

    // a new request; a stranger (READ) cannot cancel it, its creator can (query parameters, as the SDK sends them)
    await editor.call("POST", "/transition-requests/create", { name: m.name, version: "1", stage: "Production" });
    const stranger = await registryClient(app, db);
    const q = new URLSearchParams({ name: m.name, version: "1", stage: "Production", creator: editor.user.username });
    const refused = await app.inject({ method: "DELETE", url: `/api/2.0/mlflow/transition-requests/delete?${q}`, headers: stranger.headers });
    expect(refused.statusCode).toBe(403);
    const cancelled = await app.inject({ method: "DELETE", url: `/api/2.0/mlflow/transition-requests/delete?${q}`, headers: editor.headers });
    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.json().activity.activity_type).toBe("CANCELLED_REQUEST");

    const unknown = await editor.call("POST", "/transition-requests/create", { name: m.name, version: "9", stage: "Production" });
    expect(unknown.status).toBe(404);
    const badStage = await editor.call("POST", "/transition-requests/create", { name: m.name, version: "1", stage: "Prod" });
    expect(badStage.status).toBe(400);
    const tooLong = await editor.call("POST", "/transition-requests/create", { name: m.name, version: "1", stage: "Staging", comment: "x".repeat(64 * 1024 + 1) });
    expect(tooLong.status).toBe(400);
    expect(await db.approvalRequest.count({ where: { model: { name: m.name }, status: "OPEN" } })).toBe(0);
  });

  it("an admin's direct move to a protected target is allowed and recorded as an override; it makes the open request stale", async () => {
    const owner = await registryClient(app, db);
    const { m } = await withReviewer(owner, 1);
    await owner.call("POST", "/transition-requests/create", { name: m.name, version: "1", stage: "Production" });
    const admin = await registryClient(app, db, "ADMIN");
    const moved = await admin.call("POST", "/databricks/model-versions/transition-stage", { name: m.name, version: "1", stage: "Production", archive_existing_versions: false, comment: "hotfix" });
    expect(moved.status, moved.raw).toBe(200);
    expect(moved.body.model_version_databricks).toMatchObject({ current_stage: "Production", permission_level: "CAN_MANAGE" });
    // no open request left (empty lists are omitted, as MLflow writes them)
    expect(moved.body.model_version_databricks.open_requests).toBeUndefined();
    const request = await db.approvalRequest.findFirstOrThrow({ where: { model: { name: m.name } } });
    expect(request.status).toBe("STALE");
    expect(await db.auditEvent.count({ where: { action: "approval.override", after: { path: ["model"], equals: m.name } } })).toBe(1);
    const applied = await db.activity.findFirstOrThrow({ where: { type: "APPLIED_TRANSITION", version: { model: { name: m.name } } } });
    expect(applied.systemComment).toMatch(/admin override of the default approval policy/);
  });

  it("databricks/registered-models/get tells the caller's permission level", async () => {
    const owner = await registryClient(app, db);
    const { m, reviewer } = await withReviewer(owner, 1, "MANAGE_STAGING_VERSIONS");
    const got = await reviewer.call("GET", "/databricks/registered-models/get", { name: m.name });
    expect(got.body.registered_model_databricks).toMatchObject({ name: m.name, permission_level: "CAN_MANAGE_STAGING_VERSIONS", user_id: owner.user.username, id: expect.stringMatching(/^\d+$/) });
  });
});

describe("custom policies", () => {
  it("two approvals from a group, gates on metrics and tags; a failed gate blocks approval with its reason", async () => {
    const owner = await registryClient(app, db);
    const m = await modelWithVersions(owner, 1);
    await owner.call("POST", "/runs/log-metric", { run_id: m.runId, key: "auc", value: 0.85, timestamp: 1, step: 0 });
    const reviewers = await Promise.all([registryClient(app, db), registryClient(app, db), registryClient(app, db)]);
    await createGroup(sys(), { name: `${m.name}-reviewers` });
    for (const r of reviewers.slice(0, 2)) await addGroupMember(sys(), { group: `${m.name}-reviewers`, username: r.user.username });
    await setPolicy(owner.ctx, {
      name: m.name,
      rules: [
        {
          target: { kind: "alias", pattern: "champion" },
          required_approvals: 2,
          approver_level: null,
          approver_groups: [`${m.name}-reviewers`],
          gates: { require_ready: true, require_signature: false, metric_filter: "metrics.auc >= 0.9", required_tags: [{ key: "validation", value: "passed" }] },
        },
      ],
    });

    // the alias is protected now: a direct move is refused
    const direct = await owner.call("POST", "/registered-models/alias", { name: m.name, alias: "champion", version: "1" });
    expect(direct.status).toBe(403);
    expect(direct.body.message).toContain(`the approval policy of model '${m.name}'`);

    const created = await owner.call("POST", "/transition-requests/create", { name: m.name, version: "1", alias: "champion" });
    expect(created.status, created.raw).toBe(200);
    // not in the group: refused
    const outsider = await reviewers[2]!.call("POST", "/transition-requests/approve", { name: m.name, version: "1", alias: "champion" });
    expect(outsider.status, outsider.raw).toBe(403);
    // gates fail: auc 0.85 and no validation tag
    const blocked = await reviewers[0]!.call("POST", "/transition-requests/approve", { name: m.name, version: "1", alias: "champion" });
    expect(blocked.status).toBe(400);
    expect(blocked.body.error_code).toBe("INVALID_STATE");
    expect(blocked.body.message).toMatch(/source run matches metrics\.auc >= 0\.9/);
    expect(blocked.body.message).toMatch(/tag 'validation' is not set/);
    // the refusal keeps the gate results that refused it on the request
    const stored = await db.approvalRequest.findFirstOrThrow({ where: { model: { name: m.name }, status: "OPEN" } });
    expect((stored.gateResults as { passed: boolean }[]).filter((g) => !g.passed).length).toBeGreaterThanOrEqual(2);

    await owner.call("POST", "/runs/log-metric", { run_id: m.runId, key: "auc", value: 0.95, timestamp: 2, step: 1 });
    await owner.call("POST", "/model-versions/set-tag", { name: m.name, version: "1", key: "validation", value: "passed" });
    const first = await reviewers[0]!.call("POST", "/transition-requests/approve", { name: m.name, version: "1", alias: "champion" });
    expect(first.status, first.raw).toBe(200);
    // one of two: not applied yet
    expect((await owner.call("GET", "/registered-models/alias", { name: m.name, alias: "champion" })).status).toBe(400);
    const twice = await reviewers[0]!.call("POST", "/transition-requests/approve", { name: m.name, version: "1", alias: "champion" });
    expect(twice.status).toBe(400);
    expect(twice.body.message).toMatch(/already decided/);
    const second = await reviewers[1]!.call("POST", "/transition-requests/approve", { name: m.name, version: "1", alias: "champion" });
    expect(second.status, second.raw).toBe(200);
    expect((await owner.call("GET", "/registered-models/alias", { name: m.name, alias: "champion" })).body.model_version.version).toBe("1");
    const moves = await db.aliasEvent.findMany({ where: { model: { name: m.name } } });
    expect(moves.map((e) => [e.alias, e.toVersion, e.reason])).toEqual([["champion", 1, expect.stringMatching(/^approved request \d+$/)]]);
  });

  it("concurrent approvals of the same request apply the move exactly once", async () => {
    const owner = await registryClient(app, db);
    const m = await modelWithVersions(owner, 1);
    const reviewers = await Promise.all(Array.from({ length: 6 }, () => registryClient(app, db)));
    for (const r of reviewers) await setModelPermission(owner.ctx, { name: m.name, username: r.user.username, level: "MANAGE" });
    await owner.call("POST", "/transition-requests/create", { name: m.name, version: "1", stage: "Production" });
    const results = await Promise.all(reviewers.map((r) => r.call("POST", "/transition-requests/approve", { name: m.name, version: "1", stage: "Production", archive_existing_versions: false })));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    // the others find the request closed: 404, never a 5xx
    expect(results.filter((r) => r.status !== 200).map((r) => r.status)).toEqual([404, 404, 404, 404, 404]);
    expect(await db.stageTransition.count({ where: { version: { model: { name: m.name } }, toStage: "Production" } })).toBe(1);
    expect(await db.activity.count({ where: { type: "APPLIED_TRANSITION", version: { model: { name: m.name } } } })).toBe(1);
  });

  it("a transition racing an approval leaves one consistent state", async () => {
    const owner = await registryClient(app, db);
    const m = await modelWithVersions(owner, 2);
    const admin = await registryClient(app, db, "ADMIN");
    const reviewer = await registryClient(app, db);
    await setModelPermission(owner.ctx, { name: m.name, username: reviewer.user.username, level: "MANAGE" });
    await owner.call("POST", "/transition-requests/create", { name: m.name, version: "1", stage: "Production" });
    const [approval, transition] = await Promise.all([
      reviewer.call("POST", "/transition-requests/approve", { name: m.name, version: "1", stage: "Production", archive_existing_versions: true }),
      admin.call("POST", "/model-versions/transition-stage", { name: m.name, version: "2", stage: "Production", archive_existing_versions: true }),
    ]);
    expect(transition.status).toBe(200);
    expect(approval.status).toBe(200);
    const versions = await db.modelVersion.findMany({ where: { model: { name: m.name } }, orderBy: { version: "asc" } });
    // whichever came second archived the other: exactly one version in Production
    expect(versions.filter((v) => v.currentStage === "Production")).toHaveLength(1);
    expect(versions.filter((v) => v.currentStage === "Archived")).toHaveLength(1);
  });

  it("a request goes stale when its version is deleted", async () => {
    const owner = await registryClient(app, db);
    const m = await modelWithVersions(owner, 1);
    await owner.call("POST", "/transition-requests/create", { name: m.name, version: "1", stage: "Production" });
    await owner.call("DELETE", "/model-versions/delete", { name: m.name, version: "1" });
    const r = await db.approvalRequest.findFirstOrThrow({ where: { model: { name: m.name } } });
    expect(r).toMatchObject({ status: "STALE", openKey: null, closedReason: "version 1 deleted" });
  });
});

describe("policies", () => {
  it("only admins set the registry policy, model managers their model's; bad rules are refused; a rename keeps the policy", async () => {
    const owner = await registryClient(app, db);
    const { m, reviewer } = await withReviewer(owner, 1, "MANAGE_PRODUCTION_VERSIONS");
    await expect(setPolicy(owner.ctx, { rules: [] })).rejects.toMatchObject({ code: "PERMISSION_DENIED" });
    await expect(setPolicy(reviewer.ctx, { name: m.name, rules: [] })).rejects.toMatchObject({ code: "PERMISSION_DENIED" });
    await expect(setPolicy(owner.ctx, { name: m.name, rules: [{ target: { kind: "stage", stage: "Staging" }, gates: { metric_filter: "metrics.auc >>> 1" } }] })).rejects.toMatchObject({
      code: "INVALID_PARAMETER_VALUE",
      message: expect.stringContaining("Invalid comparator"),
    });
    await expect(setPolicy(owner.ctx, { name: m.name, rules: [{ target: { kind: "stage", stage: "Staging" }, approver_level: null }] })).rejects.toMatchObject({
      message: expect.stringContaining("names no approvers"),
    });
    const view = await setPolicy(owner.ctx, { name: m.name, rules: [{ target: { kind: "stage", stage: "Staging" }, approver_level: "MANAGE" }] });
    expect(view.effective.find((e) => e.target === "Staging")).toMatchObject({ source: `the approval policy of model '${m.name}'`, rule: { approver_level: "MANAGE" } });
    expect(view.effective.find((e) => e.target === "Production")?.source).toBe("the default approval policy");
    const staging = await reviewer.call("POST", "/model-versions/transition-stage", { name: m.name, version: "1", stage: "Staging", archive_existing_versions: false });
    expect(staging.status).toBe(403);
    await owner.call("POST", "/registered-models/rename", { name: m.name, new_name: `${m.name}-renamed` });
    const again = await reviewer.call("POST", "/model-versions/transition-stage", { name: `${m.name}-renamed`, version: "1", stage: "Staging", archive_existing_versions: false });
    expect(again.status).toBe(403);
    expect(again.body.message).toContain(`the approval policy of model '${m.name}-renamed'`);
  });
});

describe("comments", () => {
  it("anyone who may read comments; only the author edits or deletes", async () => {
    const owner = await registryClient(app, db);
    const m = await modelWithVersions(owner, 1);
    const other = await registryClient(app, db);
    const created = await other.call("POST", "/comments/create", { name: m.name, version: "1", comment: "why the drop in recall?" });
    expect(created.body.comment).toMatchObject({ comment: "why the drop in recall?", user_id: other.user.username, available_actions: ["EDIT_COMMENT", "DELETE_COMMENT"] });
    const id = created.body.comment.id as string;
    expect((await owner.call("PATCH", "/comments/update", { id, comment: "hijacked" })).status).toBe(403);
    const edited = await other.call("PATCH", "/comments/update", { id, comment: "why the drop in recall on v1?" });
    expect(edited.body.comment.comment).toBe("why the drop in recall on v1?");
    expect((await owner.call("DELETE", "/comments/delete", { id })).status).toBe(403);
    expect((await other.call("DELETE", "/comments/delete", { id })).status).toBe(200);
    expect((await other.call("DELETE", "/comments/delete", { id })).status).toBe(404);
    expect((await other.call("POST", "/comments/create", { name: m.name, version: "1", comment: "x".repeat(64 * 1024 + 1) })).status).toBe(400);
    expect((await other.call("PATCH", "/comments/update", { id: "999999", comment: "forged" })).status).toBe(404);
  });
});
