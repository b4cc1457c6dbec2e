import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase } from "@modelgate/db/test-db";
import type { Db } from "@modelgate/db";
import { createDataPlaneApp } from "../src/rest/index.ts";
import { registryClient, uniq, type RegistryClient } from "./registry-fixtures.ts";

// MLflow's auth-app endpoints (users, experiment and registered-model permissions) as its
// AuthServiceClient calls them: shapes, admin-only checks, MANAGE on the resource, 400/404 cases,
// and no open sign-up.

const PASSWORD = "correct horse battery staple";
let db: Db;
let app: FastifyInstance;
let admin: RegistryClient;

beforeAll(async () => {
  db = (await useTestDatabase()).db;
  app = await createDataPlaneApp({ db, version: "test" });
  admin = await registryClient(app, db, "ADMIN");
});
afterAll(async () => {
  await app.close();
});

const basic = (username: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}` });

describe("users endpoints", () => {
  it("never signs anyone up: users/create needs an admin, with or without credentials", async () => {
    const username = uniq("signup");
    const anon = await app.inject({ method: "POST", url: "/api/2.0/mlflow/users/create", payload: { username, password: PASSWORD } });
    expect(anon.statusCode).toBe(401);
    const user = await registryClient(app, db);
    const r = await user.call("POST", "/users/create", { username, password: PASSWORD });
    expect(r.status).toBe(403);
    expect(r.body.error_code).toBe("PERMISSION_DENIED");
    expect(await db.user.findUnique({ where: { username } })).toBeNull();
  });

  it("creates, gets, updates the password and admin flag, and deletes (deactivates) a user", async () => {
    const username = uniq("bob");
    const created = await admin.call("POST", "/users/create", { username, password: PASSWORD });
    expect(created.status).toBe(200);
    const id = created.body.user.id as string;
    // the lists are present even when empty: MLflow's User.from_json reads them
    expect(created.body).toEqual({ user: { id, username, is_admin: false, experiment_permissions: [], registered_model_permissions: [] } });
    expect((await admin.call("POST", "/users/create", { username, password: PASSWORD })).body.error_code).toBe("RESOURCE_ALREADY_EXISTS");
    expect((await admin.call("POST", "/users/create", { username: uniq("x"), password: "short" })).status).toBe(400);
    expect((await admin.call("POST", "/users/create", { username: "", password: PASSWORD })).body.message).toContain("Missing value for required parameter 'username'");

    // the new user signs in with basic auth (as the mlflow client does) and reads themself
    const asBob = await app.inject({ method: "GET", url: "/api/2.0/mlflow/users/get", query: { username }, headers: basic(username, PASSWORD) });
    expect(asBob.statusCode).toBe(200);
    expect(asBob.json().user).toMatchObject({ id, username, is_admin: false });

    // self may change their own password; the old one stops working
    const newPassword = "another long enough passphrase";
    const self = await app.inject({ method: "PATCH", url: "/api/2.0/mlflow/users/update-password", payload: { username, password: newPassword }, headers: basic(username, PASSWORD) });
    expect([self.statusCode, self.json()]).toEqual([200, {}]);
    expect((await app.inject({ method: "GET", url: "/api/2.0/mlflow/users/get", query: { username }, headers: basic(username, PASSWORD) })).statusCode).toBe(401);
    expect((await app.inject({ method: "GET", url: "/ajax-api/2.0/mlflow/users/get", query: { username }, headers: basic(username, newPassword) })).statusCode).toBe(200);

    // admin flag
    expect((await admin.call("PATCH", "/users/update-admin", { username, is_admin: true })).status).toBe(200);
    expect((await admin.call("GET", "/users/get", { username })).body.user.is_admin).toBe(true);
    expect((await admin.call("PATCH", "/users/update-admin", { username, is_admin: false })).status).toBe(200);
    expect((await admin.call("PATCH", "/users/update-admin", { username })).body.message).toContain("'is_admin'");

    // admin resets the password
    expect((await admin.call("PATCH", "/users/update-password", { username, password: PASSWORD })).status).toBe(200);
    expect((await app.inject({ method: "GET", url: "/api/2.0/mlflow/users/get", query: { username }, headers: basic(username, PASSWORD) })).statusCode).toBe(200);

    // delete deactivates: the account cannot sign in, is not found afterwards, and stays in the audit trail
    expect((await admin.call("DELETE", "/users/delete", { username })).status).toBe(200);
    expect((await app.inject({ method: "GET", url: "/api/2.0/mlflow/users/get", query: { username }, headers: basic(username, PASSWORD) })).statusCode).toBe(401);
    expect((await admin.call("GET", "/users/get", { username })).status).toBe(404);
    expect((await admin.call("DELETE", "/users/delete", { username })).status).toBe(404);
    expect(await db.user.findUnique({ where: { username } })).toMatchObject({ active: false });
    const actions = (await db.auditEvent.findMany({ where: { resourceId: id, action: { startsWith: "user." } }, orderBy: { id: "asc" } })).map((e) => e.action);
    expect(actions).toEqual(["user.create", "user.password_change", "user.role_change", "user.role_change", "user.password_reset", "user.deactivate"]);
  });

  it("lets only admins act on other users, and hides whether they exist", async () => {
    const alice = await registryClient(app, db);
    const carol = await registryClient(app, db);
    for (const [method, path, body] of [
      ["GET", "/users/get", { username: carol.user.username }],
      ["GET", "/users/get", { username: uniq("ghost") }],
      ["PATCH", "/users/update-password", { username: carol.user.username, password: PASSWORD }],
      ["PATCH", "/users/update-admin", { username: carol.user.username, is_admin: true }],
      ["PATCH", "/users/update-admin", { username: alice.user.username, is_admin: true }],
      ["DELETE", "/users/delete", { username: carol.user.username }],
    ] as const) {
      const r = await alice.call(method, path, body);
      expect({ path, status: r.status, code: r.body.error_code }).toEqual({ path, status: 403, code: "PERMISSION_DENIED" });
    }
    expect((await admin.call("GET", "/users/get", { username: uniq("ghost") })).status).toBe(404);
    expect((await admin.call("PATCH", "/users/update-admin", { username: uniq("ghost"), is_admin: true })).status).toBe(404);
    expect(await db.user.findUnique({ where: { id: carol.user.id } })).toMatchObject({ role: "USER", active: true });
  });

  it("lists a user's own experiment and model grants in users/get", async () => {
    const owner = await registryClient(app, db);
    const grantee = await registryClient(app, db);
    const exp = (await owner.call("POST", "/experiments/create", { name: uniq("exp") })).body.experiment_id as string;
    const model = uniq("model");
    await owner.call("POST", "/registered-models/create", { name: model });
    await owner.call("POST", "/experiments/permissions/create", { experiment_id: exp, username: grantee.user.username, permission: "EDIT" });
    await owner.call("POST", "/registered-models/permissions/create", { name: model, username: grantee.user.username, permission: "MANAGE_STAGING_VERSIONS" });
    const r = await grantee.call("GET", "/users/get", { username: grantee.user.username });
    expect(r.body.user).toEqual({
      id: grantee.user.id,
      username: grantee.user.username,
      is_admin: false,
      experiment_permissions: [{ experiment_id: exp, user_id: grantee.user.id, permission: "EDIT" }],
      registered_model_permissions: [{ name: model, user_id: grantee.user.id, permission: "MANAGE_STAGING_VERSIONS" }],
    });
  });
});

describe("experiment permission endpoints", () => {
  it("creates, gets, updates and deletes a grant, with MLflow's shapes and errors", async () => {
    const owner = await registryClient(app, db);
    const bob = await registryClient(app, db);
    const exp = (await owner.call("POST", "/experiments/create", { name: uniq("exp") })).body.experiment_id as string;
    const key = { experiment_id: exp, username: bob.user.username };
    const grant = (permission: string) => ({ experiment_permission: { experiment_id: exp, user_id: bob.user.id, permission } });

    expect(await owner.call("GET", "/experiments/permissions/get", key)).toMatchObject({ status: 404, body: { error_code: "RESOURCE_DOES_NOT_EXIST" } });
    expect(await owner.call("PATCH", "/experiments/permissions/update", { ...key, permission: "EDIT" })).toMatchObject({ status: 404 });
    expect(await owner.call("DELETE", "/experiments/permissions/delete", key)).toMatchObject({ status: 404 });

    const created = await owner.call("POST", "/experiments/permissions/create", { ...key, permission: "READ" });
    expect([created.status, created.body]).toEqual([200, grant("READ")]);
    expect(await owner.call("POST", "/experiments/permissions/create", { ...key, permission: "EDIT" })).toMatchObject({ status: 400, body: { error_code: "RESOURCE_ALREADY_EXISTS" } });
    expect((await owner.call("GET", "/experiments/permissions/get", key)).body).toEqual(grant("READ"));
    expect((await bob.call("GET", "/experiments/get", { experiment_id: exp })).status).toBe(200);

    expect((await owner.call("PATCH", "/experiments/permissions/update", { ...key, permission: "MANAGE" })).status).toBe(200);
    expect((await owner.call("GET", "/experiments/permissions/get", key, "/ajax-api/2.0/mlflow")).body).toEqual(grant("MANAGE"));
    // bob now manages it, and may read the grants himself
    expect((await bob.call("GET", "/experiments/permissions/get", key)).status).toBe(200);

    // NO_PERMISSIONS removes the grant (no explicit deny): then it is gone
    expect((await owner.call("PATCH", "/experiments/permissions/update", { ...key, permission: "NO_PERMISSIONS" })).status).toBe(200);
    expect((await owner.call("GET", "/experiments/permissions/get", key)).status).toBe(404);

    await owner.call("POST", "/experiments/permissions/create", { ...key, permission: "EDIT" });
    expect(await owner.call("DELETE", "/experiments/permissions/delete", key)).toMatchObject({ status: 200, body: {} });
    expect((await owner.call("GET", "/experiments/permissions/get", key)).status).toBe(404);

    // bad levels, missing fields, unknown users and experiments
    expect((await owner.call("POST", "/experiments/permissions/create", { ...key, permission: "MANAGE_STAGING_VERSIONS" })).status).toBe(400);
    expect((await owner.call("POST", "/experiments/permissions/create", { ...key, permission: "NO_PERMISSIONS" })).status).toBe(400);
    expect((await owner.call("POST", "/experiments/permissions/create", key)).body.message).toContain("'permission'");
    expect((await owner.call("POST", "/experiments/permissions/create", { ...key, username: uniq("ghost"), permission: "READ" })).status).toBe(404);
    expect((await owner.call("POST", "/experiments/permissions/create", { ...key, experiment_id: "987654321", permission: "READ" })).status).toBe(404);
    const audit = await db.auditEvent.findMany({ where: { action: "experiment.permission_set", resourceId: exp } });
    expect(audit.length).toBe(5);
  });

  it("needs MANAGE on the experiment", async () => {
    const owner = await registryClient(app, db);
    const editor = await registryClient(app, db);
    const exp = (await owner.call("POST", "/experiments/create", { name: uniq("exp") })).body.experiment_id as string;
    await owner.call("POST", "/experiments/permissions/create", { experiment_id: exp, username: editor.user.username, permission: "EDIT" });
    const key = { experiment_id: exp, username: editor.user.username };
    expect((await editor.call("GET", "/experiments/permissions/get", key)).status).toBe(403);
    expect((await editor.call("PATCH", "/experiments/permissions/update", { ...key, permission: "MANAGE" })).status).toBe(403);
    expect((await editor.call("DELETE", "/experiments/permissions/delete", key)).status).toBe(403);
    expect((await owner.call("GET", "/experiments/permissions/get", key)).body.experiment_permission.permission).toBe("EDIT");
    // admins manage everything
    expect((await admin.call("PATCH", "/experiments/permissions/update", { ...key, permission: "READ" })).status).toBe(200);
  });
});

describe("registered model permission endpoints", () => {
  it("creates, gets, updates and deletes grants with our model levels", async () => {
    const owner = await registryClient(app, db);
    const bob = await registryClient(app, db);
    const name = uniq("model");
    await owner.call("POST", "/registered-models/create", { name });
    const key = { name, username: bob.user.username };
    const grant = (permission: string) => ({ registered_model_permission: { name, user_id: bob.user.id, permission } });

    expect(await owner.call("GET", "/registered-models/permissions/get", key)).toMatchObject({ status: 404, body: { error_code: "RESOURCE_DOES_NOT_EXIST" } });
    expect((await owner.call("PATCH", "/registered-models/permissions/update", { ...key, permission: "READ" })).status).toBe(404);
    expect((await owner.call("DELETE", "/registered-models/permissions/delete", key)).status).toBe(404);

    const created = await owner.call("POST", "/registered-models/permissions/create", { ...key, permission: "EDIT" });
    expect([created.status, created.body]).toEqual([200, grant("EDIT")]);
    expect(await owner.call("POST", "/registered-models/permissions/create", { ...key, permission: "READ" })).toMatchObject({ status: 400, body: { error_code: "RESOURCE_ALREADY_EXISTS" } });
    // below MANAGE: refused
    expect((await bob.call("GET", "/registered-models/permissions/get", key)).status).toBe(403);
    expect((await bob.call("PATCH", "/registered-models/permissions/update", { ...key, permission: "MANAGE" })).status).toBe(403);

    expect((await owner.call("PATCH", "/registered-models/permissions/update", { ...key, permission: "MANAGE_PRODUCTION_VERSIONS" })).status).toBe(200);
    expect((await owner.call("GET", "/registered-models/permissions/get", key)).body).toEqual(grant("MANAGE_PRODUCTION_VERSIONS"));
    expect((await owner.call("PATCH", "/registered-models/permissions/update", { ...key, permission: "BOGUS" })).status).toBe(400);

    expect((await owner.call("PATCH", "/registered-models/permissions/update", { ...key, permission: "NO_PERMISSIONS" })).status).toBe(200);
    expect((await owner.call("GET", "/registered-models/permissions/get", key)).status).toBe(404);
    await owner.call("POST", "/registered-models/permissions/create", { ...key, permission: "MANAGE" });
    expect((await bob.call("GET", "/registered-models/permissions/get", key)).body).toEqual(grant("MANAGE"));
    expect((await owner.call("DELETE", "/registered-models/permissions/delete", key)).status).toBe(200);
    expect((await owner.call("GET", "/registered-models/permissions/get", key)).status).toBe(404);
    expect((await owner.call("POST", "/registered-models/permissions/create", { name: uniq("nomodel"), username: bob.user.username, permission: "READ" })).status).toBe(404);
  });
});
