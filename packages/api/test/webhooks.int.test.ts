import crypto from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configureWebhooks, databricksSignature, verifyMlflowSignature } from "@modelgate/core";
import type { Db } from "@modelgate/db";
import { useTestDatabase } from "@modelgate/db/test-db";
import { createDataPlaneApp } from "../src/rest/index.ts";
import { createCaller } from "../src/trpc/index.ts";
import { startWebhookDelivery, WEBHOOK_QUEUE, type WebhookDelivery } from "../src/webhooks/index.ts";
import { modelWithVersions, registryClient, uniq, type RegistryClient } from "./registry-fixtures.ts";
import { startReceiver, type Receiver } from "./webhook-receiver.ts";

// Registry webhooks end to end: the Databricks REST edge, the pg-boss worker, a local HTTPS
// receiver (self-signed, so the admin turns SSL verification off and allows the loopback target)
// that checks both signatures; retries, the attempt log, a restart between commit and delivery,
// and the address rules at create, update and delivery time.

const SECRET = "receiver-shared-secret";
let db: Db;
let dbUrl: string;
let app: FastifyInstance;
let admin: RegistryClient;
let owner: RegistryClient;
let other: RegistryClient;
let receiver: Receiver;
let worker: WebhookDelivery | null = null;

beforeAll(async () => {
  const t = await useTestDatabase();
  db = t.db;
  dbUrl = t.url;
  configureWebhooks({ secretKey: crypto.randomBytes(32), retry: { baseDelayMs: 300, maxDelayMs: 2000, timeoutMs: 5000 } });
  app = await createDataPlaneApp({ db, version: "t" });
  admin = await registryClient(app, db, "ADMIN");
  owner = await registryClient(app, db);
  other = await registryClient(app, db);
  receiver = await startReceiver();
});

afterAll(async () => {
  await worker?.stop();
  await receiver?.close();
  await app?.close();
});

const startWorker = async (work = true) => (worker = await startWebhookDelivery({ db, connectionString: dbUrl, work, pollingIntervalSeconds: 0.5, onError: () => {} }));
const stopWorker = async () => {
  await worker?.stop();
  worker = null;
};

/** An admin's webhook to the local receiver (loopback: allow_private; self-signed: no verification). */
async function receiverHook(events: string[], extra: Record<string, unknown> = {}) {
  const r = await admin.call("POST", "/registry-webhooks/create", {
    events,
    http_url_spec: { url: receiver.url, secret: SECRET, enable_ssl_verification: false, allow_private: true },
    ...extra,
  });
  expect(r.status, r.raw).toBe(200);
  return r.body.webhook as { id: string };
}

async function waitFor<T>(probe: () => Promise<T | null | undefined | false>, ms = 20_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > until) throw new Error("timed out waiting");
    await sleep(100);
  }
}

const deliveriesOf = (webhookId: string) => db.webhookDelivery.findMany({ where: { webhookId }, include: { attemptLog: { orderBy: { at: "asc" } } }, orderBy: { createdAt: "asc" } });

function expectSigned(req: Receiver["received"][number]) {
  const h = (k: string) => String(req.headers[k]);
  expect(verifyMlflowSignature({ secret: SECRET, deliveryId: h("x-mlflow-delivery-id"), timestamp: h("x-mlflow-timestamp"), body: req.body, signature: h("x-mlflow-signature") })).toBe(true);
  expect(h("x-databricks-signature")).toBe(databricksSignature(SECRET, req.body));
  expect(Math.abs(Number(h("x-mlflow-timestamp")) - Date.now() / 1000)).toBeLessThan(300);
}

describe("webhook management (Databricks registry-webhooks)", () => {
  it("refuses private, loopback, link-local and unique-local targets at create", async () => {
    for (const url of [
      "https://127.0.0.1/hook",
      "https://10.1.2.3/hook",
      "https://169.254.169.254/latest/meta-data",
      "https://[::1]/hook",
      "https://[fd00::1]/hook",
      "https://[::ffff:127.0.0.1]/hook",
      "https://[fe80::1]/hook",
      "https://0.0.0.0/hook",
      "https://localhost:8443/hook",
    ]) {
      const r = await admin.call("POST", "/registry-webhooks/create", { events: ["MODEL_VERSION_CREATED"], http_url_spec: { url } });
      expect(r.status, url).toBe(400);
      expect(r.body.error_code).toBe("INVALID_PARAMETER_VALUE");
    }
    for (const url of ["http://example.com/hook", "ftp://example.com/", "https://user:pw@example.com/", "not a url"]) {
      const r = await admin.call("POST", "/registry-webhooks/create", { events: ["MODEL_VERSION_CREATED"], http_url_spec: { url } });
      expect(r.status, url).toBe(400);
    }
    expect(await db.webhook.count()).toBe(0);
  });

  it("lets only an admin allow a private target, and drops the allowance with a new URL", async () => {
    const { name } = await modelWithVersions(owner, 0);
    const denied = await owner.call("POST", "/registry-webhooks/create", { events: ["MODEL_VERSION_CREATED"], model_name: name, http_url_spec: { url: receiver.url, allow_private: true } });
    expect(denied.status).toBe(403);
    const hook = await receiverHook(["MODEL_VERSION_CREATED"], { model_name: name });
    // the owner (MANAGE) may edit it, but a new URL loses allow_private and is checked again
    const moved = await owner.call("PATCH", "/registry-webhooks/update", { id: hook.id, http_url_spec: { url: `https://127.0.0.2:${receiver.port}/other` } });
    expect(moved.status).toBe(400);
    // an admin turning allow_private off re-checks the URL it was granted for
    const off = await admin.call("PATCH", "/registry-webhooks/update", { id: hook.id, allow_private: false });
    expect(off.status).toBe(400);
    const kept = await admin.call("GET", "/registry-webhooks/list", { model_name: name });
    expect(kept.body.webhooks[0].allow_private).toBe(true);
    await admin.call("DELETE", "/registry-webhooks/delete", { id: hook.id });
  });

  it("needs MANAGE on the model for a model webhook and an admin for a registry-wide one", async () => {
    const { name } = await modelWithVersions(owner, 0);
    const spec = { url: "https://hooks.example.com/x" };
    // `other` has the default READ on the model
    const r1 = await other.call("POST", "/registry-webhooks/create", { events: ["MODEL_VERSION_CREATED"], model_name: name, http_url_spec: spec });
    expect(r1.status).toBe(403);
    const r2 = await owner.call("POST", "/registry-webhooks/create", { events: ["MODEL_VERSION_CREATED"], http_url_spec: spec });
    expect(r2.status).toBe(403);
    const r3 = await other.call("POST", "/registry-webhooks/create", { events: ["MODEL_VERSION_CREATED"], model_name: uniq("missing"), http_url_spec: spec });
    expect(r3.status).toBe(404);
  });

  it("validates events and hides secrets", async () => {
    const { name } = await modelWithVersions(owner, 0);
    const base = { model_name: name, http_url_spec: { url: receiver.url, allow_private: true, enable_ssl_verification: false, secret: "top-secret", authorization: "Bearer abc" } };
    expect((await admin.call("POST", "/registry-webhooks/create", { ...base, events: [] })).status).toBe(400);
    expect((await admin.call("POST", "/registry-webhooks/create", { ...base, events: ["NO_SUCH_EVENT"] })).status).toBe(400);
    expect((await admin.call("POST", "/registry-webhooks/create", { ...base, events: ["REGISTERED_MODEL_CREATED"] })).status).toBe(400);
    const created = await admin.call("POST", "/registry-webhooks/create", { ...base, events: ["MODEL_VERSION_CREATED", "MODEL_VERSION_TAG_SET"], status: "TEST_MODE" });
    expect(created.status).toBe(200);
    expect(created.raw).not.toContain("top-secret");
    expect(created.raw).not.toContain("Bearer abc");
    expect(created.body.webhook).toMatchObject({ model_name: name, status: "TEST_MODE", has_secret: true, has_authorization: true, http_url_spec: { url: receiver.url, enable_ssl_verification: false } });
    const row = await db.webhook.findUniqueOrThrow({ where: { id: created.body.webhook.id } });
    expect(Buffer.from(row.secretEnc!).toString("latin1")).not.toContain("top-secret");
    const listed = await owner.call("GET", "/registry-webhooks/list", { model_name: name });
    expect(listed.body.webhooks.map((w: { id: string }) => w.id)).toEqual([created.body.webhook.id]);
    expect(listed.raw).not.toContain("top-secret");
    // the owner (MANAGE) sees it in an unfiltered list; a READ user sees nothing
    expect((await owner.call("GET", "/registry-webhooks/list")).body.webhooks.some((w: { id: string }) => w.id === created.body.webhook.id)).toBe(true);
    expect((await other.call("GET", "/registry-webhooks/list")).body.webhooks ?? []).toEqual([]);
    expect((await other.call("GET", "/registry-webhooks/list", { model_name: name })).status).toBe(403);
    const audit = await db.auditEvent.findMany({ where: { resourceType: "webhook", resourceId: created.body.webhook.id } });
    expect(audit.map((a) => a.action)).toEqual(["webhook.create"]);
    expect(JSON.stringify(audit.map((a) => [a.before, a.after]))).not.toContain("top-secret");
  });

  it("answers 404 for forged, unknown or inaccessible webhook ids", async () => {
    const { name } = await modelWithVersions(owner, 0);
    const hook = await receiverHook(["MODEL_VERSION_CREATED"], { model_name: name });
    const wide = await receiverHook(["REGISTERED_MODEL_CREATED"]);
    for (const id of ["0".repeat(32), "nope", "' OR 1=1 --", crypto.randomBytes(16).toString("hex")]) {
      expect((await admin.call("PATCH", "/registry-webhooks/update", { id, description: "x" })).status, id).toBe(404);
      expect((await admin.call("DELETE", "/registry-webhooks/delete", { id })).status, id).toBe(404);
      expect((await admin.call("POST", "/registry-webhooks/test", { id })).status, id).toBe(404);
    }
    for (const id of [hook.id, wide.id]) {
      expect((await other.call("PATCH", "/registry-webhooks/update", { id, description: "x" })).status).toBe(404);
      expect((await other.call("DELETE", "/registry-webhooks/delete", { id })).status).toBe(404);
      expect((await other.call("POST", "/registry-webhooks/test", { id })).status).toBe(404);
    }
    // the registry-wide one is an admin's business only, even for the model's owner
    expect((await owner.call("DELETE", "/registry-webhooks/delete", { id: wide.id })).status).toBe(404);
    expect((await admin.call("DELETE", "/registry-webhooks/delete", { id: wide.id })).status).toBe(200);
    // Databricks' SDK sends DELETE fields as query parameters
    const r = await app.inject({ method: "DELETE", url: `/api/2.0/mlflow/registry-webhooks/delete?id=${hook.id}`, headers: owner.headers });
    expect(r.statusCode).toBe(200);
    expect(await db.webhook.count({ where: { id: { in: [hook.id, wide.id] } } })).toBe(0);
  });
});

describe("webhooks over tRPC (the portal)", () => {
  it("applies the same rules as the REST edge", async () => {
    const call = (c: RegistryClient) => createCaller({ db, actor: c.actor, requestId: crypto.randomUUID() });
    await expect(call(other).webhooks.create({ url: "https://hooks.example.com/x", events: ["MODEL_VERSION_CREATED"] })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(call(admin).webhooks.create({ url: "https://127.0.0.1/x", events: ["MODEL_VERSION_CREATED"] })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    const w = await call(admin).webhooks.create({ url: receiver.url, events: ["COMMENT_CREATED"], allowPrivate: true, enableSslVerification: false, secret: SECRET });
    expect(w).toMatchObject({ status: "ACTIVE", has_secret: true });
    expect(JSON.stringify(w)).not.toContain(SECRET);
    expect((await call(admin).webhooks.update({ id: w.id, status: "DISABLED" })).status).toBe("DISABLED");
    expect((await call(admin).webhooks.list()).webhooks.map((x) => x.id)).toContain(w.id);
    await expect(call(other).webhooks.deliveries({ id: w.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
    const t = await call(admin).webhooks.test({ id: w.id });
    expect(t.statusCode).toBe(200);
    expect((await call(admin).webhooks.deliveries({ id: w.id }))[0]).toMatchObject({ status: "DELIVERED", attempts: 1 });
    await call(admin).webhooks.delete({ id: w.id });
    await expect(call(admin).webhooks.get({ id: w.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});

describe("webhook delivery", () => {
  it("test sends one signed example event now and records it", async () => {
    const hook = await receiverHook(["MODEL_VERSION_TRANSITIONED_STAGE"], { status: "TEST_MODE" });
    const before = receiver.received.length;
    const r = await admin.call("POST", "/registry-webhooks/test", { id: hook.id });
    expect(r.status, r.raw).toBe(200);
    expect(r.body.webhook.status_code).toBe(200);
    const req = receiver.received[before]!;
    expectSigned(req);
    expect(JSON.parse(req.body)).toMatchObject({ event: "MODEL_VERSION_TRANSITIONED_STAGE", webhook_id: hook.id, test: true, entity: "model_version", action: "transitioned_stage" });
    const [d] = await deliveriesOf(hook.id);
    expect(d).toMatchObject({ status: "DELIVERED", attempts: 1 });
    expect(d!.attemptLog.map((a) => a.statusCode)).toEqual([200]);
    expect((await admin.call("POST", "/registry-webhooks/test", { id: hook.id, event: "COMMENT_CREATED" })).status).toBe(400);
    await admin.call("DELETE", "/registry-webhooks/delete", { id: hook.id });
  });

  it("delivers registry events signed, retrying 5xx with backoff and recording every attempt", async () => {
    const { name, source, runId } = await modelWithVersions(owner, 0);
    const hook = await receiverHook(["MODEL_VERSION_CREATED"], { model_name: name });
    await startWorker();
    receiver.script.push({ status: 500 }, { status: 503 });
    const before = receiver.received.length;
    const created = await owner.call("POST", "/model-versions/create", { name, source, run_id: runId });
    expect(created.status).toBe(200);
    const [d] = await waitFor(async () => {
      const ds = await deliveriesOf(hook.id);
      return ds[0]?.status === "DELIVERED" ? ds : null;
    });
    expect(d!.attempts).toBe(3);
    expect(d!.attemptLog.map((a) => a.statusCode)).toEqual([500, 503, 200]);
    expect(d!.attemptLog[0]!.error).toBe("HTTP 500");
    // backoff: the second attempt waited at least the base delay, the third at least twice it
    const at = d!.attemptLog.map((a) => Number(a.at));
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(300);
    expect(at[2]! - at[1]!).toBeGreaterThanOrEqual(600);
    const reqs = receiver.received.slice(before);
    expect(reqs).toHaveLength(3);
    for (const req of reqs) {
      expectSigned(req);
      expect(req.headers["x-mlflow-delivery-id"]).toBe(d!.id);
    }
    const body = JSON.parse(reqs[2]!.body);
    expect(body).toMatchObject({ event: "MODEL_VERSION_CREATED", entity: "model_version", action: "created", webhook_id: hook.id, model_name: name, version: "1", data: { name, version: "1" } });
    expect(typeof body.event_timestamp).toBe("number");
    expect(typeof body.timestamp).toBe("string");
    // the portal's delivery log shows the same
    const caller = createCaller({ db, actor: admin.actor, requestId: crypto.randomUUID() });
    const log = await caller.webhooks.deliveries({ id: hook.id });
    expect(log[0]!.attemptLog.map((a) => a.statusCode)).toEqual([500, 503, 200]);
    await stopWorker();
  });

  it("honours Retry-After and gives up after five attempts", async () => {
    const { name, source, runId } = await modelWithVersions(owner, 0);
    const hook = await receiverHook(["MODEL_VERSION_CREATED"], { model_name: name });
    configureWebhooks({ retry: { baseDelayMs: 50, maxDelayMs: 100 } });
    await startWorker();
    try {
      receiver.script.push({ status: 429, headers: { "retry-after": "1" } }, { status: 500 }, { status: 500 }, { status: 502 }, { status: 500 });
      await owner.call("POST", "/model-versions/create", { name, source, run_id: runId });
      const [d] = await waitFor(async () => {
        const ds = await deliveriesOf(hook.id);
        return ds[0]?.status === "FAILED" ? ds : null;
      });
      expect(d!.attempts).toBe(5);
      expect(d!.attemptLog.map((a) => a.statusCode)).toEqual([429, 500, 500, 502, 500]);
      const at = d!.attemptLog.map((a) => Number(a.at));
      expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(1000);
    } finally {
      configureWebhooks({ retry: { baseDelayMs: 300, maxDelayMs: 2000 } });
      await stopWorker();
    }
  });

  it("loses nothing when the process stops between commit and delivery", async () => {
    const { name } = await modelWithVersions(owner, 2);
    const hook = await receiverHook(["MODEL_VERSION_TRANSITIONED_STAGE", "MODEL_VERSION_TRANSITIONED_TO_STAGING", "MODEL_VERSION_TRANSITIONED_TO_ARCHIVED"], { model_name: name });
    // a process that queues jobs but dies before delivering any
    const first = await startWorker(false);
    expect((await owner.call("POST", "/model-versions/transition-stage", { name, version: "1", stage: "Staging", archive_existing_versions: false })).status).toBe(200);
    expect((await owner.call("POST", "/model-versions/transition-stage", { name, version: "2", stage: "Staging", archive_existing_versions: true })).status).toBe(200);
    const pending = await deliveriesOf(hook.id);
    // v1 → Staging (2 events), v2 → Staging (2) and v1 archived by it (system: 2)
    expect(pending.map((d) => d.event).sort()).toEqual(
      ["MODEL_VERSION_TRANSITIONED_STAGE", "MODEL_VERSION_TRANSITIONED_STAGE", "MODEL_VERSION_TRANSITIONED_STAGE", "MODEL_VERSION_TRANSITIONED_TO_ARCHIVED", "MODEL_VERSION_TRANSITIONED_TO_STAGING", "MODEL_VERSION_TRANSITIONED_TO_STAGING"].sort(),
    );
    expect(pending.every((d) => d.status === "PENDING")).toBe(true);
    // the jobs were written with the change, in its transaction
    const jobs = await db.$queryRawUnsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM pgboss.job WHERE name = $1 AND id = ANY($2::uuid[])`, WEBHOOK_QUEUE, pending.map((d) => d.id));
    expect(jobs[0]!.n).toBe(pending.length);
    const system = pending.find((d) => d.event === "MODEL_VERSION_TRANSITIONED_TO_ARCHIVED")!;
    expect(system.payload).toMatchObject({ version: "1", from_stage: "Staging", to_stage: "Archived", system: true });
    await first.stop();
    worker = null;
    await startWorker();
    const done = await waitFor(async () => {
      const ds = await deliveriesOf(hook.id);
      return ds.every((d) => d.status === "DELIVERED") ? ds : null;
    });
    expect(done).toHaveLength(6);
    // re-queueing at start is idempotent: each delivery was sent exactly once
    expect(done.map((d) => d.attempts)).toEqual([1, 1, 1, 1, 1, 1]);
    await stopWorker();
  });

  it("queues deliveries written while no worker ran when one starts", async () => {
    const { name } = await modelWithVersions(owner, 1);
    const hook = await receiverHook(["MODEL_VERSION_TAG_SET"], { model_name: name });
    expect((await owner.call("POST", "/model-versions/set-tag", { name, version: "1", key: "validation", value: "passed" })).status).toBe(200);
    const [d] = await deliveriesOf(hook.id);
    expect(d).toMatchObject({ status: "PENDING", event: "MODEL_VERSION_TAG_SET" });
    expect(d!.payload).toMatchObject({ key: "validation", value: "passed", version: "1", model_name: name });
    await startWorker();
    await waitFor(async () => (await deliveriesOf(hook.id))[0]?.status === "DELIVERED");
    await stopWorker();
  });

  it("refuses a private target at delivery time when it is no longer allowed", async () => {
    const { name, source, runId } = await modelWithVersions(owner, 0);
    const hook = await receiverHook(["MODEL_VERSION_CREATED"], { model_name: name });
    // as if the name now resolved to a private address, or the allowance were withdrawn
    await db.webhook.update({ where: { id: hook.id }, data: { allowPrivate: false } });
    await startWorker();
    const before = receiver.received.length;
    await owner.call("POST", "/model-versions/create", { name, source, run_id: runId });
    const [d] = await waitFor(async () => {
      const ds = await deliveriesOf(hook.id);
      return ds[0]?.status === "FAILED" ? ds : null;
    });
    expect(d!.attempts).toBe(1);
    expect(d!.attemptLog[0]!.error).toMatch(/loopback/);
    expect(receiver.received.length).toBe(before);
    await stopWorker();
  });

  it("emits REGISTERED_MODEL_CREATED to registry-wide webhooks only, and nothing for disabled ones", async () => {
    const wide = await receiverHook(["REGISTERED_MODEL_CREATED"]);
    const disabled = await receiverHook(["REGISTERED_MODEL_CREATED"], { status: "DISABLED" });
    const name = uniq("wide");
    expect((await owner.call("POST", "/registered-models/create", { name })).status).toBe(200);
    const ds = await db.webhookDelivery.findMany({ where: { webhookId: { in: [wide.id, disabled.id] } } });
    expect(ds.map((d) => [d.webhookId, (d.payload as { model_name: string }).model_name])).toEqual([[wide.id, name]]);
    // no event for a model-scoped webhook of another model
    await admin.call("DELETE", "/registry-webhooks/delete", { id: wide.id });
    await admin.call("DELETE", "/registry-webhooks/delete", { id: disabled.id });
  });
});
