import crypto from "node:crypto";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase } from "@modelgate/db/test-db";
import type { Db } from "@modelgate/db";
import { configureTracking, createToken, createUser, setExperimentPermission, systemActor, type Actor } from "@modelgate/core";
import { createDataPlaneApp } from "../src/rest/index.ts";

// DEFAULT_EXPERIMENT_PERMISSION=NONE: other users' experiments do not exist for a caller.
let db: Db;
let app: FastifyInstance;

beforeAll(async () => {
  db = (await useTestDatabase()).db;
  app = await createDataPlaneApp({ db, version: "test" });
  configureTracking({ defaultExperimentPermission: "NONE" });
});
afterAll(async () => {
  configureTracking({ defaultExperimentPermission: "READ" });
  await app.close();
});

async function client() {
  const u = await createUser({ db, actor: systemActor("test") }, { username: `p-${crypto.randomBytes(4).toString("hex")}`, password: "correct horse battery staple" });
  const actor: Actor = { kind: "user", userId: u.id, username: u.username, role: u.role };
  const { secret } = await createToken({ db, actor }, { name: "t" });
  const call = async (method: "GET" | "POST", path: string, body: Record<string, string | number | object[]>) => {
    const url = `/api/2.0/mlflow${path}`;
    const headers = { authorization: `Bearer ${secret}` };
    const r = method === "GET" ? await app.inject({ method, url, query: body as Record<string, string>, headers }) : await app.inject({ method, url, payload: body, headers });
    return { status: r.statusCode, body: r.json() };
  };
  return { user: u, ctx: { db, actor }, call };
}

describe("default experiment permission NONE", () => {
  it("hides other users' experiments and runs as 404, and grants open them again", async () => {
    const owner = await client();
    const other = await client();
    const exp = (await owner.call("POST", "/experiments/create", { name: `e-${crypto.randomUUID()}` })).body.experiment_id as string;
    const runId = (await owner.call("POST", "/runs/create", { experiment_id: exp })).body.run.info.run_id as string;
    expect(await other.call("GET", "/experiments/get", { experiment_id: exp })).toEqual({
      status: 404,
      body: { error_code: "RESOURCE_DOES_NOT_EXIST", message: `No Experiment with id=${exp} exists` },
    });
    expect(await other.call("GET", "/runs/get", { run_id: runId })).toEqual({
      status: 404,
      body: { error_code: "RESOURCE_DOES_NOT_EXIST", message: `Run with id=${runId} not found` },
    });
    expect((await other.call("POST", "/runs/log-metric", { run_id: runId, key: "m", value: 1, timestamp: 1 })).status).toBe(404);
    expect((await other.call("POST", "/runs/create", { experiment_id: exp })).status).toBe(404);
    // the Default experiment has no owner: invisible too, except to admins
    expect((await other.call("POST", "/runs/create", {})).status).toBe(404);

    await setExperimentPermission(owner.ctx, { experiment_id: exp, username: other.user.username, level: "READ" });
    expect((await other.call("GET", "/runs/get", { run_id: runId })).status).toBe(200);
    expect((await other.call("POST", "/runs/log-metric", { run_id: runId, key: "m", value: 1, timestamp: 1 })).status).toBe(403);
    await setExperimentPermission(owner.ctx, { experiment_id: exp, username: other.user.username, level: "EDIT" });
    expect((await other.call("POST", "/runs/log-metric", { run_id: runId, key: "m", value: 1, timestamp: 1 })).status).toBe(200);
    expect((await other.call("POST", "/runs/delete", { run_id: runId })).status).toBe(403);
  });
});
