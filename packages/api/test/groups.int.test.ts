import crypto from "node:crypto";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase } from "@modelgate/db/test-db";
import type { Db } from "@modelgate/db";
import { configureRegistry, configureTracking, createToken, createUser, registryConfig, systemActor, trackingConfig, type Actor, type Ctx } from "@modelgate/core";
import { createDataPlaneApp } from "../src/rest/index.ts";
import { createCaller } from "../src/trpc/index.ts";

// Groups: admin-only management through tRPC, grants of experiments and models to groups, the
// effective level as the highest of a user's own and their groups' grants, and visibility when
// the configured defaults are NONE (checked over the MLflow REST edge as well).

const PASSWORD = "correct horse battery staple";
let db: Db;
let app: FastifyInstance;
const unique = (p: string) => `${p}-${crypto.randomBytes(4).toString("hex")}`;
const callerFor = (actor: Actor | null) => createCaller({ db, actor, requestId: crypto.randomUUID(), ip: "127.0.0.1" });
let restore: () => void;

async function user(role: "ADMIN" | "USER" = "USER") {
  const u = await createUser({ db, actor: systemActor("test") }, { username: unique("grp"), password: PASSWORD, role });
  const actor: Actor = { kind: "user", userId: u.id, username: u.username, role: u.role };
  const ctx: Ctx = { db, actor };
  const { secret } = await createToken(ctx, { name: "t" });
  const restJson = async (method: "GET" | "POST", path: string, body: Record<string, string | number>) => {
    const url = `/api/2.0/mlflow${path}`;
    const headers = { authorization: `Bearer ${secret}` };
    const r = method === "GET" ? await app.inject({ method, url, query: body as Record<string, string>, headers }) : await app.inject({ method, url, payload: body, headers });
    return { status: r.statusCode, body: r.json() as Record<string, { name?: string; experiment_id?: string }[] | undefined> };
  };
  const rest = async (method: "GET" | "POST", path: string, body: Record<string, string>) => (await restJson(method, path, body)).status;
  return { u, ctx, caller: callerFor(actor), rest, restJson };
}

beforeAll(async () => {
  db = (await useTestDatabase()).db;
  app = await createDataPlaneApp({ db, version: "test" });
  const tracking = trackingConfig().defaultExperimentPermission;
  const registry = registryConfig().defaultModelPermission;
  restore = () => {
    configureTracking({ defaultExperimentPermission: tracking });
    configureRegistry({ defaultModelPermission: registry });
  };
  configureTracking({ defaultExperimentPermission: "NONE" });
  configureRegistry({ defaultModelPermission: "NONE" });
});
afterAll(async () => {
  restore();
  await app.close();
});

describe("group management", () => {
  it("is for admins only", async () => {
    const admin = await user("ADMIN");
    const plain = await user();
    const name = unique("team");
    await expect(plain.caller.groups.create({ name })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await admin.caller.groups.create({ name, description: "data science" });
    await expect(plain.caller.groups.list()).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(plain.caller.groups.members({ group: name })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(plain.caller.groups.addMember({ group: name, username: plain.u.username })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(plain.caller.groups.update({ group: name, description: "x" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(plain.caller.groups.delete({ group: name })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(plain.caller.groups.ofUser({ username: admin.u.username })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(callerFor(null).groups.names()).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    // any signed-in user may see group names (to grant to one), not members
    expect(await plain.caller.groups.names()).toEqual(expect.arrayContaining([{ name, description: "data science" }]));
  });

  it("creates, renames, lists with member counts, manages members, and deletes, all audited", async () => {
    const admin = await user("ADMIN");
    const a = await user();
    const b = await user();
    const name = unique("team");
    const g = await admin.caller.groups.create({ name });
    await expect(admin.caller.groups.create({ name: name.toUpperCase() })).rejects.toMatchObject({ code: "CONFLICT" });
    await expect(admin.caller.groups.create({ name: " " })).rejects.toMatchObject({ code: "BAD_REQUEST" });

    await admin.caller.groups.addMember({ group: name, username: a.u.username });
    await admin.caller.groups.addMember({ group: name, username: b.u.username });
    await admin.caller.groups.addMember({ group: name, username: b.u.username }); // idempotent
    await expect(admin.caller.groups.addMember({ group: name, username: unique("ghost") })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(admin.caller.groups.addMember({ group: unique("nogroup"), username: a.u.username })).rejects.toMatchObject({ code: "NOT_FOUND" });

    const renamed = unique("renamed");
    await admin.caller.groups.update({ group: name, new_name: renamed, description: "the team" });
    expect((await admin.caller.groups.list()).find((x) => x.id === g.id)).toMatchObject({ name: renamed, description: "the team", memberCount: 2 });
    expect((await admin.caller.groups.members({ group: renamed })).map((m) => m.username)).toEqual([a.u.username, b.u.username].sort());
    expect(await a.caller.groups.ofUser({ username: a.u.username })).toEqual([{ name: renamed, description: "the team" }]);
    expect(await admin.caller.groups.ofUser({ username: b.u.username })).toEqual([{ name: renamed, description: "the team" }]);

    await admin.caller.groups.removeMember({ group: renamed, username: a.u.username });
    await expect(admin.caller.groups.removeMember({ group: renamed, username: a.u.username })).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(await a.caller.groups.ofUser({ username: a.u.username })).toEqual([]);

    await admin.caller.groups.delete({ group: renamed });
    await expect(admin.caller.groups.members({ group: renamed })).rejects.toMatchObject({ code: "NOT_FOUND" });
    const actions = (await db.auditEvent.findMany({ where: { resourceType: "group", resourceId: g.id }, orderBy: { id: "asc" } })).map((e) => e.action);
    expect(actions).toEqual(["group.create", "group.member_add", "group.member_add", "group.update", "group.member_remove", "group.delete"]);
  });
});

describe("group grants", () => {
  it("opens an experiment to a group's members; the effective level is the highest grant; leaving removes access", async () => {
    const admin = await user("ADMIN");
    const owner = await user();
    const member = await user();
    const outsider = await user();
    const team = unique("team");
    await admin.caller.groups.create({ name: team });
    await admin.caller.groups.addMember({ group: team, username: member.u.username });
    const { experiment_id } = await owner.caller.tracking.experiments.create({ name: unique("exp") });

    // defaults are NONE: invisible until granted
    expect(await member.rest("GET", "/experiments/get", { experiment_id })).toBe(404);
    await expect(member.caller.tracking.experiments.setGroupPermission({ experiment_id, group: team, level: "READ" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await owner.caller.tracking.experiments.setGroupPermission({ experiment_id, group: team, level: "READ" });
    expect(await member.rest("GET", "/experiments/get", { experiment_id })).toBe(200);
    expect(await outsider.rest("GET", "/experiments/get", { experiment_id })).toBe(404);
    const listed = await member.restJson("POST", "/experiments/search", { max_results: 1000 });
    expect(listed.body.experiments?.map((e) => e.experiment_id)).toContain(experiment_id);
    expect((await outsider.restJson("POST", "/experiments/search", { max_results: 1000 })).body.experiments?.map((e) => e.experiment_id) ?? []).not.toContain(experiment_id);
    expect(await member.caller.tracking.experiments.myAccess({ experiment_id })).toMatchObject({ level: "READ", canEdit: false });
    expect(await owner.caller.tracking.experiments.groupPermissions({ experiment_id })).toEqual([{ experiment_id, group_id: expect.any(String), group: team, level: "READ" }]);
    // the user listing is unchanged by group grants
    expect(await owner.caller.tracking.experiments.permissions({ experiment_id })).toEqual([]);

    // own EDIT beats the group's READ; a group's MANAGE beats own EDIT
    await owner.caller.tracking.experiments.setPermission({ experiment_id, username: member.u.username, level: "EDIT" });
    expect((await member.caller.tracking.experiments.myAccess({ experiment_id })).level).toBe("EDIT");
    await owner.caller.tracking.experiments.setGroupPermission({ experiment_id, group: team, level: "MANAGE" });
    expect((await member.caller.tracking.experiments.myAccess({ experiment_id })).level).toBe("MANAGE");
    expect(await member.caller.tracking.experiments.groupPermissions({ experiment_id })).toHaveLength(1);
    await expect(outsider.caller.tracking.experiments.groupPermissions({ experiment_id })).rejects.toMatchObject({ code: "NOT_FOUND" });

    // leaving the group: back to the own grant; then removing it too: gone
    await admin.caller.groups.removeMember({ group: team, username: member.u.username });
    expect((await member.caller.tracking.experiments.myAccess({ experiment_id })).level).toBe("EDIT");
    await owner.caller.tracking.experiments.setPermission({ experiment_id, username: member.u.username, level: null });
    expect(await member.rest("GET", "/experiments/get", { experiment_id })).toBe(404);

    // revoking the group's grant
    await admin.caller.groups.addMember({ group: team, username: outsider.u.username });
    expect(await outsider.rest("GET", "/experiments/get", { experiment_id })).toBe(200);
    await owner.caller.tracking.experiments.setGroupPermission({ experiment_id, group: team, level: null });
    expect(await outsider.rest("GET", "/experiments/get", { experiment_id })).toBe(404);
    await expect(owner.caller.tracking.experiments.setGroupPermission({ experiment_id, group: unique("nogroup"), level: "READ" })).rejects.toMatchObject({ code: "NOT_FOUND" });

    const audit = await db.auditEvent.findMany({ where: { action: "experiment.group_permission_set", resourceId: experiment_id }, orderBy: { id: "asc" } });
    expect(audit.map((e) => [e.before, e.after])).toEqual([
      [{ group: team, level: null }, { group: team, level: "READ" }],
      [{ group: team, level: "READ" }, { group: team, level: "MANAGE" }],
      [{ group: team, level: "MANAGE" }, { group: team, level: null }],
    ]);
  });

  it("opens a model to a group; levels combine; a rename keeps the grant; deleting the group removes it", async () => {
    const admin = await user("ADMIN");
    const owner = await user();
    const member = await user();
    const team = unique("team");
    await admin.caller.groups.create({ name: team });
    await admin.caller.groups.addMember({ group: team, username: member.u.username });
    const name = unique("model");
    await owner.caller.registry.models.create({ name });

    expect(await member.rest("GET", "/registered-models/get", { name })).toBe(404);
    await owner.caller.registry.models.setGroupPermission({ name, group: team, level: "MANAGE_STAGING_VERSIONS" });
    expect(await member.rest("GET", "/registered-models/get", { name })).toBe(200);
    expect((await member.caller.registry.models.myAccess({ name })).level).toBe("MANAGE_STAGING_VERSIONS");
    const found = await member.restJson("GET", "/registered-models/search", { filter: `name = '${name}'` });
    expect(found.body.registered_models?.map((m) => m.name)).toEqual([name]);

    await owner.caller.registry.models.setPermission({ name, username: member.u.username, level: "MANAGE_PRODUCTION_VERSIONS" });
    expect((await member.caller.registry.models.myAccess({ name })).level).toBe("MANAGE_PRODUCTION_VERSIONS");
    await owner.caller.registry.models.setPermission({ name, username: member.u.username, level: "READ" });
    expect((await member.caller.registry.models.myAccess({ name })).level).toBe("MANAGE_STAGING_VERSIONS");
    await expect(member.caller.registry.models.setGroupPermission({ name, group: team, level: "MANAGE" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(owner.caller.registry.models.setGroupPermission({ name, group: team, level: "BOGUS" as never })).rejects.toMatchObject({ code: "BAD_REQUEST" });

    const renamed = unique("renamed");
    await owner.caller.registry.models.rename({ name, new_name: renamed });
    expect(await owner.caller.registry.models.groupPermissions({ name: renamed })).toEqual([{ group_id: expect.any(String), group: team, level: "MANAGE_STAGING_VERSIONS" }]);
    expect((await member.caller.registry.models.myAccess({ name: renamed })).level).toBe("MANAGE_STAGING_VERSIONS");

    await admin.caller.groups.delete({ group: team });
    expect(await owner.caller.registry.models.groupPermissions({ name: renamed })).toEqual([]);
    expect((await member.caller.registry.models.myAccess({ name: renamed })).level).toBe("READ");
    expect(await db.auditEvent.count({ where: { action: "registered_model.group_permission_set", after: { path: ["group"], equals: team } } })).toBe(1);
  });
});
