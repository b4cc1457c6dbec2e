import crypto from "node:crypto";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase } from "@modelgate/db/test-db";
import type { Db } from "@modelgate/db";
import { createToken, createUser, revokeToken, setUserActive, systemActor, type Actor } from "@modelgate/core";
import { createDataPlaneApp } from "../src/rest/index.ts";

const PASSWORD = "correct horse battery staple";
let db: Db;
let app: FastifyInstance;

async function user(role: "ADMIN" | "USER" = "USER") {
  const u = await createUser({ db, actor: systemActor("test") }, { username: `api-${crypto.randomBytes(4).toString("hex")}`, password: PASSWORD, role });
  const actor: Actor = { kind: "user", userId: u.id, username: u.username, role: u.role };
  return { u, ctx: { db, actor } };
}
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
const basic = (u: string, p: string) => ({ authorization: `Basic ${Buffer.from(`${u}:${p}`).toString("base64")}` });

beforeAll(async () => {
  db = (await useTestDatabase()).db;
  app = await createDataPlaneApp({ db, version: "9.9.9", bodyLimit: 64 * 1024 });
});
afterAll(() => app.close());

describe("data plane", () => {
  it("health (liveness) and ready (the database answers) need no credentials; version and metrics are public", async () => {
    const health = await app.inject({ url: "/health" });
    expect(health.statusCode).toBe(200);
    expect(health.body).toBe("OK");
    const ready = await app.inject({ url: "/ready" });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ ready: true, checks: { database: { ok: true } } });
    const version = await app.inject({ url: "/version" });
    expect(version.body).toBe("3.6.0");
    expect(version.headers["x-modelgate-version"]).toBe("9.9.9");
    const metrics = await app.inject({ url: "/metrics" });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.body).toContain('modelgate_http_requests_total{method="GET",route="/health",status="200"}');
    expect(metrics.body).toContain("modelgate_http_request_duration_seconds_bucket");
    expect(metrics.body).toMatch(/^modelgate_run_wire_cache_hits_total \d+$/m);
    expect(metrics.body).toMatch(/^modelgate_run_wire_cache_bytes \d+$/m);
  });

  it("without credentials every MLflow endpoint is 401 UNAUTHENTICATED in MLflow's shape", async () => {
    for (const [method, url] of [
      ["GET", "/api/2.0/mlflow/experiments/search"],
      ["POST", "/api/2.0/mlflow/runs/create"],
      ["GET", "/ajax-api/2.0/mlflow/runs/get?run_id=x"],
      ["PUT", "/api/2.0/mlflow-artifacts/artifacts/0/x/artifacts/a.txt"],
    ] as const) {
      const r = await app.inject({ method, url });
      expect(r.statusCode, url).toBe(401);
      expect(r.json()).toEqual({ error_code: "UNAUTHENTICATED", message: expect.any(String) });
    }
  });

  it("a bearer token reaches the API (an unknown endpoint is 404 ENDPOINT_NOT_FOUND); revoked, it is 401", async () => {
    const { ctx } = await user();
    const { token, secret } = await createToken(ctx, { name: "t" });
    const ok = await app.inject({ url: "/api/2.0/mlflow/no-such/endpoint", headers: bearer(secret) });
    expect(ok.statusCode).toBe(404);
    expect(ok.json()).toEqual({ error_code: "ENDPOINT_NOT_FOUND", message: "No API endpoint GET /api/2.0/mlflow/no-such/endpoint" });
    await revokeToken(ctx, { tokenId: token.id });
    expect((await app.inject({ url: "/api/2.0/mlflow/no-such/endpoint", headers: bearer(secret) })).statusCode).toBe(401);
  });

  it("basic auth works with username + password and username + token, like MLFLOW_TRACKING_USERNAME/PASSWORD", async () => {
    const { u, ctx } = await user();
    const { secret } = await createToken(ctx, { name: "basic" });
    expect((await app.inject({ url: "/api/2.0/mlflow/no-such/endpoint", headers: basic(u.username, PASSWORD) })).statusCode).toBe(404);
    expect((await app.inject({ url: "/api/2.0/mlflow/no-such/endpoint", headers: basic(u.username, secret) })).statusCode).toBe(404);
    expect((await app.inject({ url: "/api/2.0/mlflow/no-such/endpoint", headers: basic(u.username, "wrong password") })).statusCode).toBe(401);
    expect((await app.inject({ url: "/api/2.0/mlflow/no-such/endpoint", headers: { authorization: "Basic !!!" } })).statusCode).toBe(401);
    expect((await app.inject({ url: "/api/2.0/mlflow/no-such/endpoint", headers: { authorization: "Token abc" } })).statusCode).toBe(401);
  });

  it("a deactivated user's token and password stop working on the next request", async () => {
    const admin = await user("ADMIN");
    const { u, ctx } = await user();
    const { secret } = await createToken(ctx, { name: "x" });
    expect((await app.inject({ url: "/api/2.0/mlflow/x", headers: basic(u.username, PASSWORD) })).statusCode).toBe(404);
    await setUserActive(admin.ctx, { userId: u.id, active: false });
    expect((await app.inject({ url: "/api/2.0/mlflow/x", headers: bearer(secret) })).statusCode).toBe(401);
    expect((await app.inject({ url: "/api/2.0/mlflow/x", headers: basic(u.username, PASSWORD) })).statusCode).toBe(401);
  });

  it("bad bodies get MLflow-shaped 4xx: malformed JSON 400, oversized 413; never a 5xx", async () => {
    const { ctx } = await user();
    const { secret } = await createToken(ctx, { name: "bodies" });
    const malformed = await app.inject({ method: "POST", url: "/api/2.0/mlflow/runs/create", headers: { ...bearer(secret), "content-type": "application/json" }, payload: "{not json" });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toMatchObject({ error_code: "MALFORMED_REQUEST" });
    const big = await app.inject({ method: "POST", url: "/api/2.0/mlflow/runs/log-batch", headers: { ...bearer(secret), "content-type": "application/json" }, payload: JSON.stringify({ x: "a".repeat(100_000) }) });
    expect(big.statusCode).toBe(413);
    expect(big.json()).toMatchObject({ error_code: "BAD_REQUEST" });
  });

  it("echoes a sane request id and generates one otherwise", async () => {
    const mine = await app.inject({ url: "/health", headers: { "x-request-id": "req-12345678" } });
    expect(mine.headers["x-request-id"]).toBe("req-12345678");
    const bogus = await app.inject({ url: "/health", headers: { "x-request-id": "<script>" } });
    expect(bogus.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
  });
});
