import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { configureRegistry, createToken, setModelPermission, setPolicy, systemActor, type ModelPermissionLevel } from "@modelgate/core";
import type { Db } from "@modelgate/db";
import { useTestDatabase } from "@modelgate/db/test-db";
import { createCaller } from "../src/trpc/index.ts";
import { registryClient, uniq, type RegistryClient } from "./registry-fixtures.ts";
import { championModel, expectClose, flat, SE, servingHarness, type ServingHarness } from "./serving-fixtures.ts";

// Who may do what with serving endpoints: READ on the model to call or see one (404 otherwise,
// like every resource), EDIT to create or change one, MANAGE to delete one; and the portal's tRPC
// procedures over the same core functions.

let db: Db;
let h: ServingHarness;
let owner: RegistryClient;
let model: Awaited<ReturnType<typeof championModel>>;
const granted = new Map<ModelPermissionLevel, RegistryClient>();
const ORDER: ModelPermissionLevel[] = ["READ", "EDIT", "MANAGE_STAGING_VERSIONS", "MANAGE_PRODUCTION_VERSIONS", "MANAGE"];
const atLeast = (has: ModelPermissionLevel, needs: ModelPermissionLevel) => ORDER.indexOf(has) >= ORDER.indexOf(needs);

beforeAll(async () => {
  db = (await useTestDatabase()).db;
  await setPolicy({ db, actor: systemActor("test") }, { rules: [] });
  h = await servingHarness(db);
  owner = await registryClient(h.app, db);
  model = await championModel(h.app, owner);
  for (const level of ORDER) {
    const c = await registryClient(h.app, db);
    await setModelPermission(owner.ctx, { name: model.name, username: c.user.username, level });
    granted.set(level, c);
  }
});
afterEach(() => configureRegistry({ defaultModelPermission: "READ" }));
afterAll(async () => {
  await h?.close();
});

const entity = () => ({ served_entities: [{ entity_name: model.name, entity_alias: "champion" }] });
const payload = () => JSON.stringify({ dataframe_split: { columns: model.v1.columns, data: [[1, 1, 1]] } });

async function ownerEndpoint() {
  const name = uniq("ep");
  const r = await owner.call("POST", "", { name, config: entity() }, SE);
  expect(r.status, r.raw).toBe(200);
  return name;
}

describe("serving endpoint permissions", () => {
  it("create needs EDIT and delete needs MANAGE on the model (403 below)", async () => {
    const outcome: Record<string, string> = {};
    const want: Record<string, string> = {};
    for (const [level, c] of granted) {
      const created = await c.call("POST", "", { name: uniq("ep"), config: entity() }, SE);
      outcome[`create as ${level}`] = created.status === 200 ? "allowed" : `${created.status} ${created.body?.error_code}`;
      want[`create as ${level}`] = atLeast(level, "EDIT") ? "allowed" : "403 PERMISSION_DENIED";
      const name = await ownerEndpoint();
      const changed = await c.call("PATCH", `/${name}`, { enabled: false }, SE);
      outcome[`disable as ${level}`] = changed.status === 200 ? "allowed" : `${changed.status} ${changed.body?.error_code}`;
      want[`disable as ${level}`] = atLeast(level, "EDIT") ? "allowed" : "403 PERMISSION_DENIED";
      const deleted = await c.call("DELETE", `/${name}`, {}, SE);
      outcome[`delete as ${level}`] = deleted.status === 200 ? "allowed" : `${deleted.status} ${deleted.body?.error_code}`;
      want[`delete as ${level}`] = atLeast(level, "MANAGE") ? "allowed" : "403 PERMISSION_DENIED";
    }
    expect(outcome).toEqual(want);
  });

  it("READ may call, see and check health; a deleted endpoint answers 404", async () => {
    const name = await ownerEndpoint();
    const reader = granted.get("READ")!;
    const r = await h.app.inject({ method: "POST", url: `/serving-endpoints/${name}/invocations`, headers: { ...reader.headers, "content-type": "application/json" }, payload: payload() });
    expect(r.statusCode).toBe(200);
    expectClose(flat(r.json().predictions), [model.v1.predict([1, 1, 1])]);
    expect((await reader.call("GET", `/${name}`, undefined, SE)).body.permission_level).toBe("READ");
    expect((await h.app.inject({ method: "GET", url: `/serving-endpoints/${name}/health`, headers: reader.headers })).statusCode).toBe(200);
    await owner.call("DELETE", `/${name}`, {}, SE);
    expect((await owner.call("GET", `/${name}`, undefined, SE)).status).toBe(404);
    const gone = await h.app.inject({ method: "POST", url: `/serving-endpoints/${name}/invocations`, headers: { ...owner.headers, "content-type": "application/json" }, payload: payload() });
    expect(gone.statusCode).toBe(404);
  });

  it("a user without READ gets 404 everywhere, never 403, and does not see it listed", async () => {
    configureRegistry({ defaultModelPermission: "NONE" });
    const name = await ownerEndpoint();
    const stranger = await registryClient(h.app, db);
    const inv = await h.app.inject({ method: "POST", url: `/serving-endpoints/${name}/invocations`, headers: { ...stranger.headers, "content-type": "application/json" }, payload: payload() });
    expect(inv.statusCode).toBe(404);
    expect(inv.json().error_code).toBe("RESOURCE_DOES_NOT_EXIST");
    for (const what of ["ping", "health", "version"]) {
      expect((await h.app.inject({ method: "GET", url: `/serving-endpoints/${name}/${what}`, headers: stranger.headers })).statusCode).toBe(404);
    }
    expect((await stranger.call("GET", `/${name}`, undefined, SE)).status).toBe(404);
    expect((await stranger.call("DELETE", `/${name}`, {}, SE)).status).toBe(404);
    expect((await stranger.call("PUT", `/${name}/config`, entity(), SE)).status).toBe(404);
    expect((await stranger.call("GET", "", undefined, SE)).body.endpoints ?? []).toEqual([]);
  });

  it("no credentials: 401", async () => {
    const name = await ownerEndpoint();
    const r = await h.app.inject({ method: "POST", url: `/serving-endpoints/${name}/invocations`, headers: { "content-type": "application/json" }, payload: payload() });
    expect(r.statusCode).toBe(401);
  });
});

describe("the portal's serving router", () => {
  const caller = (c: RegistryClient) => createCaller({ db, actor: c.actor, requestId: "t", serving: h.serving });

  it("create, list with state and metrics, get, invoke, update, disable, delete", async () => {
    const api = caller(owner);
    const name = uniq("ep");
    const created = await api.serving.create({ name, model_name: model.name, alias: "champion" });
    expect(created).toMatchObject({ name, target_label: `${model.name}@champion`, status: { ready: true, served_version: 1, deployment: "DEPLOYMENT_READY" } });

    const out = await api.serving.invoke({ name, body: { dataframe_records: [{ f0: 1, f1: 2, f2: 3 }] } });
    expect(out.version).toBe(1);
    expectClose(flat(out.predictions), [model.v1.predict([1, 2, 3])]);
    await expect(api.serving.invoke({ name, body: { dataframe_records: [{ f0: 1 }] } })).rejects.toMatchObject({ code: "BAD_REQUEST" });

    const listed = (await api.serving.list({ model_name: model.name })).find((e) => e.name === name)!;
    expect(listed.status.served_version).toBe(1);
    expect(listed.stats).toMatchObject({ error_rate: expect.any(Number), request_rate: expect.any(Number) });

    const updated = await api.serving.update({ name, version: "2" });
    expect(updated.status.served_version).toBe(2);
    expect((await api.serving.get({ name })).target_label).toBe(`${model.name}/2`);

    const off = await api.serving.setEnabled({ name, enabled: false });
    expect(off.status).toMatchObject({ ready: false, deployment: "DEPLOYMENT_ABORTED" });
    await expect(api.serving.invoke({ name, body: { inputs: [[1, 2, 3]] } })).rejects.toMatchObject({ code: "PRECONDITION_FAILED" });

    await api.serving.delete({ name });
    await expect(api.serving.get({ name })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("READ may invoke from the portal but not create", async () => {
    const name = await ownerEndpoint();
    const reader = caller(granted.get("READ")!);
    const out = await reader.serving.invoke({ name, body: { dataframe_split: { columns: model.v1.columns, data: [[0, 0, 1]] } } });
    expectClose(flat(out.predictions), [model.v1.predict([0, 0, 1])]);
    await expect(reader.serving.create({ name: uniq("ep"), model_name: model.name, version: 1 })).rejects.toMatchObject({ code: "FORBIDDEN" });
  });
});

describe("tokens scoped to one endpoint", () => {
  it("score their endpoint and nothing else; they go with the endpoint", async () => {
    const mine = await ownerEndpoint();
    const other = await ownerEndpoint();
    const reader = granted.get("READ")!;
    const { token, secret } = await createToken(reader.ctx, { name: "scorer", endpoint: mine });
    expect(token.endpoint).toBe(mine);
    const headers = { authorization: `Bearer ${secret}`, "content-type": "application/json" };
    const score = (name: string) => h.app.inject({ method: "POST", url: `/serving-endpoints/${name}/invocations`, headers, payload: payload() });

    const ok = await score(mine);
    expect(ok.statusCode, ok.body).toBe(200);
    expectClose(flat(ok.json().predictions), [model.v1.predict([1, 1, 1])]);
    expect((await h.app.inject({ method: "GET", url: `/serving-endpoints/${mine}/health`, headers })).statusCode).toBe(200);
    // another endpoint of the same model looks missing; the rest of the API is refused
    expect((await score(other)).statusCode).toBe(404);
    const api = await h.app.inject({ method: "GET", url: `/api/2.0/mlflow/registered-models/get?name=${model.name}`, headers });
    expect(api.statusCode).toBe(403);
    expect(api.json().message).toMatch(/scoped to one serving endpoint/);
    expect((await h.app.inject({ method: "GET", url: SE, headers })).statusCode).toBe(403);

    // a scoped token needs READ on the endpoint's model, like calling it
    const stranger = await registryClient(h.app, db);
    configureRegistry({ defaultModelPermission: "NONE" });
    await expect(createToken(stranger.ctx, { name: "x", endpoint: mine })).rejects.toMatchObject({ code: "RESOURCE_DOES_NOT_EXIST" });
    configureRegistry({ defaultModelPermission: "READ" });

    // deleting the endpoint deletes its tokens
    await owner.call("DELETE", `/${mine}`, {}, SE);
    expect(await db.accessToken.count({ where: { id: token.id } })).toBe(0);
  });
});
