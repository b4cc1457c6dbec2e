// SCIM 2.0 provisioning at /scim/v2 as Okta and Microsoft Entra ID use it: discovery, Users and
// Groups with their usual calls (filters, paging, PATCH with and without path), deactivation that
// ends a token at once, IdP groups whose grants apply at once and that nobody edits by hand, and
// refusals in SCIM's error shape that leave nothing behind.
import crypto from "node:crypto";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase } from "@modelgate/db/test-db";
import type { Db } from "@modelgate/db";
import { addGroupMember, createExperiment, createToken, createUser, setExperimentGroupPermission, systemActor, verifyCredentials, type Actor } from "@modelgate/core";
import { createDataPlaneApp } from "../src/rest/index.ts";

const TOKEN = crypto.randomBytes(24).toString("base64url");
const SCIM = "application/scim+json";
let db: Db;
let app: FastifyInstance;
let off: FastifyInstance;

beforeAll(async () => {
  db = (await useTestDatabase()).db;
  app = await createDataPlaneApp({ db, version: "9.9.9", scimToken: TOKEN });
  off = await createDataPlaneApp({ db, version: "9.9.9" });
});
afterAll(async () => {
  await app.close();
  await off.close();
});

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
async function scim(method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE", url: string, body?: unknown, token = TOKEN) {
  const r = await app.inject({
    method,
    url: `/scim/v2${url}`,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": SCIM }) },
    ...(body === undefined ? {} : { payload: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  return { status: r.statusCode, body: (r.body ? JSON.parse(r.body) : null) as Json, headers: r.headers };
}
const uniq = () => crypto.randomBytes(4).toString("hex");
const newUser = (name = `ada.${uniq()}@example.com`, extra: Json = {}) => ({
  schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
  userName: name,
  externalId: `ext-${uniq()}`,
  name: { givenName: "Ada", familyName: "Lovelace" },
  emails: [{ primary: true, value: name.includes("@") ? name : `${name}@example.com`, type: "work" }],
  active: true,
  ...extra,
});
const auditCount = async (action: string, resourceId: string) => db.auditEvent.count({ where: { action, resourceId } });

describe("SCIM access", () => {
  it("is off without SCIM_TOKEN, and refuses a missing or wrong token in SCIM's error shape, creating nothing", async () => {
    const r = await off.inject({ method: "GET", url: "/scim/v2/Users", headers: { authorization: `Bearer ${TOKEN}` } });
    expect(r.statusCode).toBe(404);
    expect(r.json()).toMatchObject({ schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"], status: "404", detail: expect.stringContaining("SCIM_TOKEN") });
    const before = await db.user.count();
    const refusals = () => db.auditEvent.count({ where: { action: "auth.sign_in_failed", resourceId: "scim" } });
    const refusedBefore = await refusals();
    for (const token of ["", "wrong-token"]) {
      const denied = await scim("POST", "/Users", newUser(), token);
      expect(denied.status).toBe(401);
      expect(denied.body).toMatchObject({ schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"], status: "401" });
      expect(denied.headers["www-authenticate"]).toContain("Bearer");
    }
    expect(await db.user.count()).toBe(before);
    expect(await refusals()).toBe(refusedBefore + 2);
  });

  it("serves the discovery documents", async () => {
    const spc = await scim("GET", "/ServiceProviderConfig");
    expect(spc.status).toBe(200);
    expect(spc.body).toMatchObject({ patch: { supported: true }, filter: { supported: true, maxResults: 200 }, bulk: { supported: false }, authenticationSchemes: [{ type: "oauthbearertoken" }] });
    const types = await scim("GET", "/ResourceTypes");
    expect(types.body.Resources.map((t: Json) => t.id)).toEqual(["User", "Group"]);
    const schemas = await scim("GET", "/Schemas");
    expect(schemas.body.Resources.map((s: Json) => s.id)).toEqual(["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:core:2.0:Group"]);
    expect((await scim("GET", "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User")).body.attributes.map((a: Json) => a.name)).toContain("userName");
    expect((await scim("GET", "/Nope")).status).toBe(404);
    // paths SCIM does not serve answer in SCIM's shape too, behind the same token
    for (const url of ["/scim/v2", "/scim/v2/Nope/deeper"]) {
      const anon = await app.inject({ url });
      expect(anon.statusCode, url).toBe(401);
      expect(anon.json(), url).toMatchObject({ schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"] });
    }
  });
});

describe("SCIM users", () => {
  it("creates, finds (case-insensitive userName filter, paging), replaces and patches a user", async () => {
    const name = `Grace.${uniq()}@Example.com`;
    const created = await scim("POST", "/Users", newUser(name, { displayName: "Grace H" }));
    expect(created.status).toBe(201);
    expect(created.headers["content-type"]).toContain(SCIM);
    const id = created.body.id as string;
    expect(created.headers.location).toBe(`http://localhost:80/scim/v2/Users/${id}`);
    expect(created.body).toMatchObject({ userName: name, name: { givenName: "Ada", familyName: "Lovelace" }, displayName: "Grace H", active: true, emails: [{ value: name, primary: true }], meta: { resourceType: "User" } });
    expect(await auditCount("user.provision", id)).toBe(1);
    // the account has no password: password sign-in never works for it
    const stored = await db.user.findUniqueOrThrow({ where: { id } });
    expect(stored.origin).toBe("scim");
    await expect(verifyCredentials({ db, identifier: name, password: "anything at all 123", ip: "127.0.0.1", channel: "api" })).rejects.toThrow();

    // Okta and Entra look users up by userName before creating them, in any case
    const found = await scim("GET", `/Users?filter=${encodeURIComponent(`userName eq "${name.toLowerCase()}"`)}`);
    expect(found.body).toMatchObject({ schemas: ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], totalResults: 1, startIndex: 1, itemsPerPage: 1 });
    expect(found.body.Resources[0].id).toBe(id);
    expect((await scim("GET", `/Users?filter=${encodeURIComponent('userName eq "nobody@example.com"')}`)).body).toMatchObject({ totalResults: 0, Resources: [] });
    expect((await scim("GET", `/Users?filter=${encodeURIComponent(`externalId eq "${created.body.externalId}"`)}`)).body.totalResults).toBe(1);
    const bad = await scim("GET", `/Users?filter=${encodeURIComponent('userName sw "g"')}`);
    expect(bad.status).toBe(400);
    expect(bad.body.scimType).toBe("invalidFilter");

    // a second user with the same name, in another case, is a uniqueness conflict
    const dup = await scim("POST", "/Users", newUser(name.toUpperCase()));
    expect(dup.status).toBe(409);
    expect(dup.body.scimType).toBe("uniqueness");

    // paging: startIndex is 1-based; count 0 gives only the total
    for (let i = 0; i < 2; i++) expect((await scim("POST", "/Users", newUser())).status).toBe(201);
    const all = await scim("GET", "/Users?count=200");
    const page = await scim("GET", "/Users?startIndex=2&count=1");
    expect(page.body).toMatchObject({ totalResults: all.body.totalResults, startIndex: 2, itemsPerPage: 1 });
    expect(page.body.Resources[0].id).toBe(all.body.Resources[1].id);
    expect((await scim("GET", "/Users?count=0")).body).toMatchObject({ totalResults: all.body.totalResults, itemsPerPage: 0 });

    // PUT replaces: what is left out is cleared
    const put = await scim("PUT", `/Users/${id}`, { userName: name, name: { givenName: "Grace", familyName: "Hopper" }, active: true });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ name: { givenName: "Grace", familyName: "Hopper" } });
    expect(put.body.emails).toBeUndefined();
    expect(put.body.externalId).toBeUndefined();

    // PATCH with a path (Okta) and without one (Entra, op in any case, booleans as strings)
    const withPath = await scim("PATCH", `/Users/${id}`, { schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "replace", path: "name.familyName", value: "Brewster" }, { op: "add", path: 'emails[type eq "work"].value', value: "grace@example.com" }] });
    expect(withPath.body).toMatchObject({ name: { familyName: "Brewster" }, emails: [{ value: "grace@example.com" }] });
    const noPath = await scim("PATCH", `/Users/${id}`, { Operations: [{ op: "Replace", value: { displayName: "Grace B", "name.givenName": "G." } }] });
    expect(noPath.body).toMatchObject({ displayName: "Grace B", name: { givenName: "G." } });
    const badOp = await scim("PATCH", `/Users/${id}`, { Operations: [{ op: "replace", path: "nickName", value: "x" }] });
    expect(badOp.status).toBe(400);
    expect(badOp.body.scimType).toBe("invalidPath");
    expect((await scim("GET", `/Users/${id}`)).body.displayName).toBe("Grace B");
  });

  it("refuses malformed bodies and unknown ids in SCIM's error shape", async () => {
    const before = await db.user.count();
    const syntax = await scim("POST", "/Users", "{not json");
    expect(syntax.status).toBe(400);
    expect(syntax.body.schemas).toEqual(["urn:ietf:params:scim:api:messages:2.0:Error"]);
    expect((await scim("POST", "/Users", { name: { givenName: "x" } })).body).toMatchObject({ status: "400", scimType: "invalidValue", detail: expect.stringContaining("userName") });
    expect((await scim("POST", "/Users", newUser("bad name with spaces"))).status).toBe(400);
    expect(await db.user.count()).toBe(before);
    expect((await scim("GET", "/Users/not-a-uuid")).status).toBe(404);
    expect((await scim("GET", `/Users/${crypto.randomUUID()}`)).status).toBe(404);
    // a user made in Modelgate is not the IdP's to see or change
    const local = await createUser({ db, actor: systemActor("test") }, { username: `local-${uniq()}`, password: "correct horse battery staple" });
    expect((await scim("GET", `/Users/${local.id}`)).status).toBe(404);
    expect((await scim("PATCH", `/Users/${local.id}`, { Operations: [{ op: "replace", path: "active", value: false }] })).status).toBe(404);
  });

  it("deactivating a user ends their token at once, is audited, and DELETE removes them from the IdP's view", async () => {
    const created = await scim("POST", "/Users", newUser());
    const id = created.body.id as string;
    const actor: Actor = { kind: "user", userId: id, username: created.body.userName, role: "USER" };
    const { secret } = await createToken({ db, actor }, { name: "ci" });
    const call = () => app.inject({ url: "/api/2.0/mlflow/experiments/search?max_results=1", headers: { authorization: `Bearer ${secret}` } });
    expect((await call()).statusCode).toBe(200);
    const versionBefore = (await db.user.findUniqueOrThrow({ where: { id } })).sessionVersion;

    const off = await scim("PATCH", `/Users/${id}`, { schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "Replace", path: "active", value: "False" }] });
    expect(off.status).toBe(200);
    expect(off.body.active).toBe(false);
    expect((await call()).statusCode).toBe(401);
    const after = await db.user.findUniqueOrThrow({ where: { id } });
    expect(after.sessionVersion).toBe(versionBefore + 1); // portal sessions made before are refused
    expect(await auditCount("user.deactivate", id)).toBe(1);

    expect((await scim("PATCH", `/Users/${id}`, { Operations: [{ op: "replace", value: { active: true } }] })).body.active).toBe(true);
    expect((await call()).statusCode).toBe(200);

    const del = await scim("DELETE", `/Users/${id}`);
    expect(del.status).toBe(204);
    expect((await call()).statusCode).toBe(401);
    expect((await scim("GET", `/Users/${id}`)).status).toBe(404);
    expect((await scim("GET", `/Users?filter=${encodeURIComponent(`userName eq "${created.body.userName}"`)}`)).body.totalResults).toBe(0);
    expect(await auditCount("user.deprovision", id)).toBe(1);
    // kept for history, deactivated
    expect(await db.user.findUniqueOrThrow({ where: { id } })).toMatchObject({ active: false });
  });
});

describe("SCIM groups", () => {
  it("keeps IdP groups and their members; grants to them apply at once; nobody edits them by hand", async () => {
    const a = (await scim("POST", "/Users", newUser())).body;
    const b = (await scim("POST", "/Users", newUser())).body;
    const name = `Data Science (EU) ${uniq()}`;
    const created = await scim("POST", "/Groups", { schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"], displayName: name, externalId: `g-${uniq()}`, members: [{ value: a.id }] });
    expect(created.status).toBe(201);
    const gid = created.body.id as string;
    expect(created.body).toMatchObject({ displayName: name, members: [{ value: a.id, display: a.userName }] });
    expect((await scim("GET", `/Users/${a.id}`)).body.groups).toEqual([expect.objectContaining({ value: gid, display: name })]);

    const found = await scim("GET", `/Groups?filter=${encodeURIComponent(`displayName eq "${name.toUpperCase()}"`)}&excludedAttributes=members`);
    expect(found.body.totalResults).toBe(1);
    expect(found.body.Resources[0].members).toBeUndefined();

    // an experiment granted EDIT to the group: its members may log runs there
    const owner = await createUser({ db, actor: systemActor("test") }, { username: `owner-${uniq()}`, password: "correct horse battery staple" });
    const ownerCtx = { db, actor: { kind: "user" as const, userId: owner.id, username: owner.username, role: "USER" as const } };
    const { experiment_id } = await createExperiment(ownerCtx, { name: `idp-grant-${uniq()}` });
    await setExperimentGroupPermission(ownerCtx, { experiment_id, group: name, level: "EDIT" });
    const tokenOf = async (u: Json) => (await createToken({ db, actor: { kind: "user", userId: u.id, username: u.userName, role: "USER" } }, { name: "t" })).secret;
    const [ta, tb] = [await tokenOf(a), await tokenOf(b)];
    const createRun = (token: string) => app.inject({ method: "POST", url: "/api/2.0/mlflow/runs/create", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, payload: { experiment_id } });
    expect((await createRun(ta)).statusCode).toBe(200);
    expect((await createRun(tb)).statusCode).toBe(403);

    // Okta: add with path "members"; Entra: remove with a value filter, replace displayName without a path
    expect((await scim("PATCH", `/Groups/${gid}`, { Operations: [{ op: "add", path: "members", value: [{ value: b.id }] }] })).body.members).toHaveLength(2);
    expect((await createRun(tb)).statusCode).toBe(200);
    const removed = await scim("PATCH", `/Groups/${gid}`, { Operations: [{ op: "remove", path: `members[value eq "${a.id}"]` }] });
    expect(removed.body.members.map((m: Json) => m.value)).toEqual([b.id]);
    expect((await createRun(ta)).statusCode).toBe(403);
    const entra = await scim("PATCH", `/Groups/${gid}`, { Operations: [{ op: "Remove", path: "members", value: [{ value: b.id }] }, { op: "Add", value: { members: [{ value: a.id }] } }] });
    expect(entra.body.members.map((m: Json) => m.value)).toEqual([a.id]);
    const renamed = await scim("PATCH", `/Groups/${gid}`, { Operations: [{ op: "replace", value: { displayName: `${name} renamed` } }] });
    expect(renamed.body.displayName).toBe(`${name} renamed`);
    expect(await db.auditEvent.count({ where: { resourceId: gid, action: "group.sync" } })).toBe(4);

    // an unknown member is refused and nothing changes
    const unknown = await scim("PATCH", `/Groups/${gid}`, { Operations: [{ op: "add", path: "members", value: [{ value: crypto.randomUUID() }] }] });
    expect(unknown.status).toBe(400);
    expect((await scim("GET", `/Groups/${gid}`)).body.members).toHaveLength(1);

    // not editable by hand in Modelgate
    await expect(addGroupMember({ db, actor: systemActor("admin") }, { group: `${name} renamed`, username: b.userName })).rejects.toMatchObject({ code: "PERMISSION_DENIED" });

    // PUT replaces the member list; DELETE removes the group and its grants
    expect((await scim("PUT", `/Groups/${gid}`, { displayName: `${name} renamed`, members: [{ value: b.id }] })).body.members.map((m: Json) => m.value)).toEqual([b.id]);
    expect((await scim("DELETE", `/Groups/${gid}`)).status).toBe(204);
    expect((await scim("GET", `/Groups/${gid}`)).status).toBe(404);
    expect((await createRun(tb)).statusCode).toBe(403);
    expect(await db.auditEvent.count({ where: { resourceId: gid, action: "group.deprovision" } })).toBe(1);
  });

  it("refuses a group whose name a hand-kept group has", async () => {
    await db.group.create({ data: { name: `Local ${uniq()}` } }).then(async (g) => {
      const clash = await scim("POST", "/Groups", { displayName: g.name.toLowerCase() });
      expect(clash.status).toBe(409);
      expect(clash.body.scimType).toBe("uniqueness");
    });
  });
});
