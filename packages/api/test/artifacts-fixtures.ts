// Shared by the artifact proxy's integration tests: users with tokens, a run's artifact dir, and
// the part uploads the mlflow client makes after mpu/create.
import crypto from "node:crypto";
import type { FastifyInstance } from "fastify";
import { expect } from "vitest";
import { createExperiment, createRun, createToken, createUser, systemActor, type Actor, type Ctx } from "@modelgate/core";
import type { Db } from "@modelgate/db";

/** A fresh user with an access token, as `Authorization: Bearer` headers. */
export async function tokenUser(db: Db) {
  const u = await createUser({ db, actor: systemActor("test") }, { username: `art-${crypto.randomBytes(4).toString("hex")}`, password: "correct horse battery staple", role: "USER" });
  const actor: Actor = { kind: "user", userId: u.id, username: u.username, role: u.role };
  const ctx: Ctx = { db, actor };
  const { secret } = await createToken(ctx, { name: "t" });
  return { u, ctx, headers: { authorization: `Bearer ${secret}` } };
}

/** An experiment with one run, owned by a fresh user: returns the run's artifact dir. */
export async function runDir(db: Db) {
  const owner = await tokenUser(db);
  const { experiment_id } = await createExperiment(owner.ctx, { name: `exp-${crypto.randomUUID()}` });
  const run = await createRun(owner.ctx, { experiment_id });
  const dir = run.info.artifact_uri.replace(/^mlflow-artifacts:\/+/, "");
  return { owner, experimentId: experiment_id, runId: run.info.run_id, dir };
}

/** PUTs part i+1 of `data` to each part URL (no auth, like the client) and returns mpu/complete's parts. */
export async function putParts(app: FastifyInstance, credentials: { url: string; part_number: number }[], data: Buffer[]) {
  const parts = [];
  for (const c of credentials) {
    const u = new URL(c.url);
    const r = await app.inject({ method: "PUT", url: u.pathname + u.search, payload: data[c.part_number - 1] });
    expect(r.statusCode).toBe(200);
    parts.push({ part_number: c.part_number, etag: String(r.headers.etag), url: c.url });
  }
  return parts;
}
