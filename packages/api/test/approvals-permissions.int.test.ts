import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase } from "@modelgate/db/test-db";
import type { Db } from "@modelgate/db";
import { setModelPermission, type ModelPermissionLevel } from "@modelgate/core";
import { createDataPlaneApp } from "../src/rest/index.ts";
import { modelWithVersions, registryClient, type RegistryClient } from "./registry-fixtures.ts";

// Every approval endpoint of the Databricks edge × every level, under the default policy
// (Production protected; Staging not). The tRPC edge has the same matrix in trpc-approvals.

let db: Db;
let app: FastifyInstance;

beforeAll(async () => {
  db = (await useTestDatabase()).db;
  app = await createDataPlaneApp({ db, version: "test" });
});
afterAll(() => app.close());

type Who = ModelPermissionLevel | "stranger" | "admin";
interface Expect {
  approve: boolean;
  cancelOthers: boolean;
  staging: boolean;
  production: boolean;
}
const matrix: [Who, Expect][] = [
  ["stranger", { approve: false, cancelOthers: false, staging: false, production: false }],
  ["READ", { approve: false, cancelOthers: false, staging: false, production: false }],
  ["EDIT", { approve: false, cancelOthers: false, staging: false, production: false }],
  ["MANAGE_STAGING_VERSIONS", { approve: false, cancelOthers: false, staging: true, production: false }],
  ["MANAGE_PRODUCTION_VERSIONS", { approve: true, cancelOthers: false, staging: true, production: false }],
  ["MANAGE", { approve: true, cancelOthers: true, staging: true, production: false }],
  ["admin", { approve: true, cancelOthers: true, staging: true, production: true }],
];

async function caller(owner: RegistryClient, name: string, who: Who): Promise<RegistryClient> {
  const c = await registryClient(app, db, who === "admin" ? "ADMIN" : "USER");
  if (who !== "admin" && who !== "stranger") await setModelPermission(owner.ctx, { name, username: c.user.username, level: who });
  return c;
}

describe("approval endpoints × levels (REST)", () => {
  it.each(matrix)("%s", async (who, allowed) => {
    const owner = await registryClient(app, db);
    const m = await modelWithVersions(owner, 3);
    const c = await caller(owner, m.name, who);
    const ok = (r: { status: number }) => r.status === 200;

    // anyone who can read: request, list, comment, read the Databricks views
    expect(ok(await c.call("POST", "/transition-requests/create", { name: m.name, version: "1", stage: "Production" }))).toBe(true);
    expect(ok(await c.call("GET", "/transition-requests/list", { name: m.name, version: "1" }))).toBe(true);
    expect(ok(await c.call("POST", "/comments/create", { name: m.name, version: "1", comment: "hello" }))).toBe(true);
    expect(ok(await c.call("GET", "/databricks/registered-models/get", { name: m.name }))).toBe(true);

    // deciding on the owner's request for version 2
    await owner.call("POST", "/transition-requests/create", { name: m.name, version: "2", stage: "Production" });
    const approve = await c.call("POST", "/transition-requests/approve", { name: m.name, version: "2", stage: "Production", archive_existing_versions: false });
    expect(approve.status, approve.raw).toBe(allowed.approve ? 200 : 403);
    // cancelling someone else's request (the owner's for version 3)
    await owner.call("POST", "/transition-requests/create", { name: m.name, version: "3", stage: "Staging" });
    const q = new URLSearchParams({ name: m.name, version: "3", stage: "Staging", creator: owner.user.username });
    const cancel = await app.inject({ method: "DELETE", url: `/api/2.0/mlflow/transition-requests/delete?${q}`, headers: c.headers });
    expect(cancel.statusCode, cancel.body).toBe(allowed.cancelOthers ? 200 : 403);
    // direct moves: Staging by the registry's rules, Production protected (admins override)
    const staging = await c.call("POST", "/databricks/model-versions/transition-stage", { name: m.name, version: "3", stage: "Staging", archive_existing_versions: false });
    expect(staging.status, staging.raw).toBe(allowed.staging ? 200 : 403);
    const production = await c.call("POST", "/databricks/model-versions/transition-stage", { name: m.name, version: "1", stage: "Production", archive_existing_versions: false });
    expect(production.status, production.raw).toBe(allowed.production ? 200 : 403);
    if (!allowed.production) expect(production.body.message).toMatch(/protected|requires/);
  });
});
