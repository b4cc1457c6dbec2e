// Shared by the registry's integration tests: users with tokens that speak MLflow over app.inject,
// and an experiment with a run to register versions from.
import crypto from "node:crypto";
import type { FastifyInstance } from "fastify";
import { createToken, createUser, systemActor, type Actor, type Ctx } from "@modelgate/core";
import type { Db } from "@modelgate/db";

export type Method = "GET" | "POST" | "PATCH" | "DELETE" | "PUT";
export interface Reply {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  raw: string;
}

export const uniq = (p: string) => `${p}-${crypto.randomBytes(4).toString("hex")}`;

/** A fresh user with a bearer token; `call` sends MLflow registry requests as them. */
export async function registryClient(app: FastifyInstance, db: Db, role: "ADMIN" | "USER" = "USER", prefix = "/api/2.0/mlflow") {
  const u = await createUser({ db, actor: systemActor("test") }, { username: uniq("reg"), password: "correct horse battery staple", role });
  const actor: Actor = { kind: "user", userId: u.id, username: u.username, role: u.role };
  const ctx: Ctx = { db, actor };
  const { secret } = await createToken(ctx, { name: "t" });
  const headers = { authorization: `Bearer ${secret}` };
  async function call(method: Method, path: string, body?: Record<string, unknown>, pathPrefix = prefix): Promise<Reply> {
    const url = `${pathPrefix}${path}`;
    const r =
      method === "GET"
        ? await app.inject({ method, url, query: (body ?? {}) as Record<string, string | string[]>, headers })
        : await app.inject({ method, url, payload: body ?? {}, headers });
    let parsed: unknown = null;
    try {
      parsed = r.json();
    } catch {
      parsed = null;
    }
    return { status: r.statusCode, body: parsed, raw: r.body };
  }
  return { user: u, ctx, actor, call, headers };
}

export type RegistryClient = Awaited<ReturnType<typeof registryClient>>;

/** An experiment and a run owned by `c`: ids and the run's artifact URI. */
export async function experimentAndRun(c: RegistryClient) {
  const exp = await c.call("POST", "/experiments/create", { name: uniq("exp") });
  if (exp.status !== 200) throw new Error(`experiments/create: ${exp.raw}`);
  const run = await c.call("POST", "/runs/create", { experiment_id: exp.body.experiment_id, start_time: 1700000000000 });
  if (run.status !== 200) throw new Error(`runs/create: ${run.raw}`);
  return { experimentId: exp.body.experiment_id as string, runId: run.body.run.info.run_id as string, artifactUri: run.body.run.info.artifact_uri as string };
}

/** A model owned by `c` with `n` versions from one run (mlflow-artifacts:/ source under …/model). */
export async function modelWithVersions(c: RegistryClient, n: number) {
  const name = uniq("model");
  const created = await c.call("POST", "/registered-models/create", { name });
  if (created.status !== 200) throw new Error(`registered-models/create: ${created.raw}`);
  const run = await experimentAndRun(c);
  const source = `${run.artifactUri}/model`;
  for (let i = 0; i < n; i++) {
    const v = await c.call("POST", "/model-versions/create", { name, source, run_id: run.runId });
    if (v.status !== 200) throw new Error(`model-versions/create: ${v.raw}`);
  }
  return { name, source, ...run };
}
