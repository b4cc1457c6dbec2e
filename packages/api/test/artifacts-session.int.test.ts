import crypto from "node:crypto";
import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { encode } from "@auth/core/jwt";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLocalArtifactStore } from "@modelgate/artifacts";
import { createExperiment, createRun, createUser, resetPassword, systemActor, type Actor } from "@modelgate/core";
import type { Db } from "@modelgate/db";
import { useTestDatabase } from "@modelgate/db/test-db";
import { createDataPlaneApp } from "../src/rest/index.ts";

// The portal's browser code reads artifacts with its Auth.js session cookie (GET/HEAD on
// /ajax-api/ only); everything else still needs a token.

const SECRET = crypto.randomBytes(32).toString("base64");
let db: Db;
let app: FastifyInstance;
let tmp: string;

async function session(cookieName = "authjs.session-token", overrides: Record<string, unknown> = {}) {
  const u = await createUser({ db, actor: systemActor("test") }, { username: `cookie-${crypto.randomBytes(4).toString("hex")}`, password: "correct horse battery staple", role: "USER" });
  const row = await db.user.findUniqueOrThrow({ where: { id: u.id } });
  const token = await encode({ secret: SECRET, salt: cookieName, token: { sub: u.id, uid: u.id, sv: row.sessionVersion, ...overrides } });
  const actor: Actor = { kind: "user", userId: u.id, username: u.username, role: u.role };
  return { u, ctx: { db, actor }, cookie: `${cookieName}=${token}` };
}

beforeAll(async () => {
  db = (await useTestDatabase()).db;
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), "mg-session-"));
  app = await createDataPlaneApp({ db, version: "t", authSecret: SECRET, artifacts: createLocalArtifactStore({ root: tmp }) });
});
afterAll(async () => {
  await app?.close();
  await fsp.rm(tmp, { recursive: true, force: true });
});

describe("session cookie on /ajax-api/", () => {
  it("reads artifacts and listings with the portal's session cookie (plain and __Secure- names)", async () => {
    for (const name of ["authjs.session-token", "__Secure-authjs.session-token"]) {
      const s = await session(name);
      const { experiment_id } = await createExperiment(s.ctx, { name: `e-${crypto.randomUUID()}` });
      const run = await createRun(s.ctx, { experiment_id });
      const dir = run.info.artifact_uri.replace(/^mlflow-artifacts:\/+/, "");
      await fsp.mkdir(path.join(tmp, dir), { recursive: true });
      await fsp.writeFile(path.join(tmp, dir, "a.txt"), "hi");
      const headers = { cookie: `other=1; ${s.cookie}` };
      const get = await app.inject({ url: `/ajax-api/2.0/mlflow-artifacts/artifacts/${dir}/a.txt`, headers });
      expect(get.statusCode, name).toBe(200);
      expect(get.body).toBe("hi");
      expect((await app.inject({ method: "HEAD", url: `/ajax-api/2.0/mlflow-artifacts/artifacts/${dir}/a.txt`, headers })).statusCode).toBe(200);
      const list = await app.inject({ url: `/ajax-api/2.0/mlflow/artifacts/list?run_id=${run.info.run_id}`, headers });
      expect(list.json()).toEqual({ root_uri: run.info.artifact_uri, files: [{ path: "a.txt", is_dir: false, file_size: 2 }] });

      // not on /api/, and never for a mutating method (CSRF)
      expect((await app.inject({ url: `/api/2.0/mlflow-artifacts/artifacts/${dir}/a.txt`, headers })).statusCode).toBe(401);
      expect((await app.inject({ method: "PUT", url: `/ajax-api/2.0/mlflow-artifacts/artifacts/${dir}/b.txt`, headers, payload: "x" })).statusCode).toBe(401);
      expect((await app.inject({ method: "DELETE", url: `/ajax-api/2.0/mlflow-artifacts/artifacts/${dir}/a.txt`, headers })).statusCode).toBe(401);
      expect((await app.inject({ method: "POST", url: `/ajax-api/2.0/mlflow/runs/delete`, headers, payload: { run_id: run.info.run_id } })).statusCode).toBe(401);
    }
  });

  it("refuses forged, wrongly salted and outdated session tokens", async () => {
    const s = await session();
    const url = "/ajax-api/2.0/mlflow-artifacts/artifacts?path=0";
    expect((await app.inject({ url, headers: { cookie: s.cookie } })).statusCode).not.toBe(401);
    const forged = await encode({ secret: crypto.randomBytes(32).toString("base64"), salt: "authjs.session-token", token: { uid: s.u.id, sv: 0 } });
    expect((await app.inject({ url, headers: { cookie: `authjs.session-token=${forged}` } })).statusCode).toBe(401);
    const wrongSalt = await encode({ secret: SECRET, salt: "something-else", token: { uid: s.u.id, sv: 0 } });
    expect((await app.inject({ url, headers: { cookie: `authjs.session-token=${wrongSalt}` } })).statusCode).toBe(401);
    expect((await app.inject({ url, headers: { cookie: "authjs.session-token=garbage" } })).statusCode).toBe(401);
    // a password reset bumps the session version: the old cookie stops working
    await resetPassword({ db, actor: systemActor("test") }, { userId: s.u.id, password: "another long password 123" });
    expect((await app.inject({ url, headers: { cookie: s.cookie } })).statusCode).toBe(401);
  });
});
