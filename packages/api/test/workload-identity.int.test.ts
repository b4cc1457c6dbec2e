// Workload identity: a pipeline calls the MLflow API with a JWT its identity provider issued
// (client credentials). A real HTTP issuer here publishes discovery and its keys (JWKS); tokens are
// signed as an IdP signs them. A valid token acts as the workload's service user, created once and
// granted like any user; a token that is expired, for another audience or issuer, or signed by
// other keys is refused with its reason and creates nothing; a deactivated service user is refused.
import crypto from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import { SignJWT, exportJWK, generateKeyPair, type JWK } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase } from "@modelgate/db/test-db";
import type { Db } from "@modelgate/db";
import { createExperiment, createUser, setExperimentPermission, setUserActive, systemActor } from "@modelgate/core";
import { createDataPlaneApp, createWorkloadVerifier } from "../src/rest/index.ts";

const AUDIENCE = "modelgate-api";
let db: Db;
let app: FastifyInstance;
let idp: http.Server;
let issuer: string;
let key: CryptoKey;
let other: CryptoKey;

beforeAll(async () => {
  db = (await useTestDatabase()).db;
  const pair = await generateKeyPair("RS256");
  key = pair.privateKey;
  other = (await generateKeyPair("RS256")).privateKey;
  const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "RS256", use: "sig" };
  idp = http.createServer((req, res) => {
    res.setHeader("content-type", "application/json");
    if (req.url === "/.well-known/openid-configuration") return res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks`, token_endpoint: `${issuer}/token` }));
    if (req.url === "/jwks") return res.end(JSON.stringify({ keys: [jwk] }));
    res.statusCode = 404;
    res.end("{}");
  });
  await new Promise<void>((r) => idp.listen(0, "127.0.0.1", r));
  issuer = `http://127.0.0.1:${(idp.address() as AddressInfo).port}`;
  const workload = createWorkloadVerifier({ issuer, audience: AUDIENCE });
  await workload.check();
  app = await createDataPlaneApp({ db, version: "9.9.9", workload });
});
afterAll(async () => {
  await app.close();
  await new Promise((r) => idp.close(r));
});

const clientId = () => `training-pipeline-${crypto.randomBytes(3).toString("hex")}`;
function token(claims: { sub: string; azp?: string; aud?: string; iss?: string; exp?: number }, signWith = key) {
  const jwt = new SignJWT({ ...(claims.azp ? { azp: claims.azp } : {}) })
    .setProtectedHeader({ alg: "RS256", kid: "k1" })
    .setSubject(claims.sub)
    .setIssuer(claims.iss ?? issuer)
    .setAudience(claims.aud ?? AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(claims.exp ?? Math.floor(Date.now() / 1000) + 300);
  return jwt.sign(signWith);
}
const call = (jwt: string, url = "/api/2.0/mlflow/experiments/search?max_results=1") => app.inject({ url, headers: { authorization: `Bearer ${jwt}` } });

describe("workload identity", () => {
  it("a pipeline's JWT acts as its service user, created once and granted like any user", async () => {
    const client = clientId();
    const jwt = await token({ sub: client, azp: client });
    expect((await call(jwt)).statusCode).toBe(200);
    expect((await call(jwt)).statusCode).toBe(200);
    const users = await db.user.findMany({ where: { idpSubject: `workload:${client}` } });
    expect(users).toHaveLength(1);
    expect(users[0]).toMatchObject({ username: `svc-${client}`, origin: "workload", active: true });
    expect(await db.auditEvent.count({ where: { action: "user.provision", resourceId: users[0]!.id } })).toBe(1);

    // an experiment someone else owns: the service user may log there once granted EDIT
    const owner = await createUser({ db, actor: systemActor("test") }, { username: `owner-${crypto.randomBytes(3).toString("hex")}`, password: "correct horse battery staple" });
    const ownerCtx = { db, actor: { kind: "user" as const, userId: owner.id, username: owner.username, role: "USER" as const } };
    const { experiment_id } = await createExperiment(ownerCtx, { name: `wl-${crypto.randomBytes(3).toString("hex")}` });
    const createRun = () => app.inject({ method: "POST", url: "/api/2.0/mlflow/runs/create", headers: { authorization: `Bearer ${jwt}`, "content-type": "application/json" }, payload: { experiment_id } });
    expect((await createRun()).statusCode).toBe(403);
    await setExperimentPermission(ownerCtx, { experiment_id, username: `svc-${client}`, level: "EDIT" });
    const created = await createRun();
    expect(created.statusCode).toBe(200);
    expect(created.json().run.info.user_id).toBe(`svc-${client}`);

    // deactivated by an admin: refused at once
    await setUserActive({ db, actor: systemActor("admin") }, { userId: users[0]!.id, active: false });
    expect((await call(jwt)).statusCode).toBe(401);
  });

  it("refuses expired, foreign-audience, foreign-issuer and foreign-signed tokens with the reason, creating nothing", async () => {
    const before = await db.user.count();
    const sub = clientId();
    const cases: [string, Promise<string>, RegExp][] = [
      ["expired", token({ sub, exp: Math.floor(Date.now() / 1000) - 600 }), /expired/],
      ["another audience", token({ sub, aud: "someone-else" }), /aud/],
      ["another issuer", token({ sub, iss: "https://evil.example.com" }), /iss/],
      ["other keys", token({ sub }, other), /not signed by the identity provider's keys/],
    ];
    for (const [what, jwt, reason] of cases) {
      const r = await call(await jwt);
      expect(r.statusCode, what).toBe(401);
      expect(r.json(), what).toMatchObject({ error_code: "UNAUTHENTICATED", message: expect.stringMatching(reason) });
    }
    // a malformed JWT-shaped value and a garbage bearer are refused too
    expect((await call("aaa.bbb.ccc")).statusCode).toBe(401);
    expect(await db.user.count()).toBe(before);
  });

  it("Modelgate's own tokens keep working beside it", async () => {
    const r = await app.inject({ url: "/api/2.0/mlflow/experiments/search?max_results=1", headers: { authorization: "Bearer mgt_nope_nope" } });
    expect(r.statusCode).toBe(401);
    expect(r.json().message).toContain("Authentication required");
  });
});
