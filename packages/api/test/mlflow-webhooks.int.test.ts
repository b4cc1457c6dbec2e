import crypto from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configureWebhooks } from "@modelgate/core";
import type { Db } from "@modelgate/db";
import { useTestDatabase } from "@modelgate/db/test-db";
import { createDataPlaneApp } from "../src/rest/index.ts";
import { MLFLOW_PREFIXES } from "../src/rest/mlflow-route.ts";
import { createCaller } from "../src/trpc/index.ts";
import { startWebhookDelivery, type WebhookDelivery } from "../src/webhooks/index.ts";
import { experimentAndRun, modelWithVersions, registryClient, uniq, type RegistryClient } from "./registry-fixtures.ts";
import { startReceiver, type Receiver } from "./webhook-receiver.ts";

// MLflow 3's webhooks API (/mlflow/webhooks, webhooks.proto) under both prefixes: create, list
// with paging, get, update, delete, test; MLflow's error codes; admins only; and deliveries of
// registry changes in MLflow's envelope, signed as MLflow signs them, to a local HTTPS receiver
// (self-signed, so the admin allows the loopback target and turns TLS verification off).

const SECRET = "mlflow-receiver-secret";
const PUBLIC_URL = "https://93.184.215.14/hook"; // a public address literal: no DNS needed, nothing sent
let db: Db;
let dbUrl: string;
let app: FastifyInstance;
let admin: RegistryClient;
let user: RegistryClient;
let receiver: Receiver;
let worker: WebhookDelivery | null = null;

beforeAll(async () => {
  const t = await useTestDatabase();
  db = t.db;
  dbUrl = t.url;
  configureWebhooks({ secretKey: crypto.randomBytes(32), retry: { baseDelayMs: 300, maxDelayMs: 2000, timeoutMs: 5000 } });
  app = await createDataPlaneApp({ db, version: "t" });
  admin = await registryClient(app, db, "ADMIN");
  user = await registryClient(app, db);
  receiver = await startReceiver();
});

afterAll(async () => {
  await worker?.stop();
  await receiver?.close();
  await app?.close();
});

const mlflowHooks = () => db.webhook.findMany({ where: { api: "MLFLOW" }, select: { id: true, name: true, events: true, url: true, status: true } });

/** An admin's MLflow webhook to the local receiver, signed with SECRET. */
async function receiverHook(events: { entity: string; action: string }[], extra: Record<string, unknown> = {}) {
  const r = await admin.call("POST", "/webhooks", { name: uniq("hook"), url: receiver.url, events, secret: SECRET, allow_private: true, enable_ssl_verification: false, ...extra });
  expect(r.status, r.raw).toBe(200);
  return r.body.webhook as { webhook_id: string };
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

/** The receiver's check, written from MLflow's documentation rather than with our signing code. */
function expectMlflowSigned(req: Receiver["received"][number]) {
  const h = (k: string) => String(req.headers[k]);
  const signed = `${h("x-mlflow-delivery-id")}.${h("x-mlflow-timestamp")}.${req.body}`;
  const expected = `v1,${crypto.createHmac("sha256", SECRET).update(signed).digest("base64")}`;
  expect(h("x-mlflow-signature")).toBe(expected);
  // a wrong secret does not verify
  expect(h("x-mlflow-signature")).not.toBe(`v1,${crypto.createHmac("sha256", "other").update(signed).digest("base64")}`);
  expect(Math.abs(Number(h("x-mlflow-timestamp")) - Date.now() / 1000)).toBeLessThan(300);
  expect(h("x-mlflow-delivery-id")).toMatch(/^[0-9a-f-]{36}$/);
}

describe.each(MLFLOW_PREFIXES)("MLflow 3 webhooks REST under %s", (prefix) => {
  const call = (c: RegistryClient, method: "GET" | "POST" | "PATCH" | "DELETE", path: string, body?: Record<string, unknown>) => c.call(method, path, body, prefix);

  it("creates, gets, lists in pages, updates and deletes", async () => {
    const name = uniq("notify");
    const created = await call(admin, "POST", "/webhooks", {
      name,
      description: "Tell the deployer",
      url: PUBLIC_URL,
      events: [
        { entity: "MODEL_VERSION", action: "CREATED" },
        { entity: "MODEL_VERSION_ALIAS", action: "CREATED" },
      ],
      secret: "very-secret-value",
    });
    expect(created.status, created.raw).toBe(200);
    const w = created.body.webhook;
    expect(w).toEqual({
      webhook_id: expect.stringMatching(/^[0-9a-f]{32}$/),
      name,
      description: "Tell the deployer",
      url: PUBLIC_URL,
      events: [
        { entity: "MODEL_VERSION", action: "CREATED" },
        { entity: "MODEL_VERSION_ALIAS", action: "CREATED" },
      ],
      status: "ACTIVE",
      creation_timestamp: expect.any(Number),
      last_updated_timestamp: w.creation_timestamp,
      allow_private: false,
      enable_ssl_verification: true,
    });
    expect(created.raw).not.toContain("very-secret-value");
    // stored in MLflow's naming, the secret encrypted
    const row = await db.webhook.findUniqueOrThrow({ where: { id: w.webhook_id } });
    expect(row).toMatchObject({ api: "MLFLOW", name, modelId: null, events: ["model_version.created", "model_version_alias.created"] });
    expect(Buffer.from(row.secretEnc!).toString("latin1")).not.toContain("very-secret-value");

    const got = await call(admin, "GET", `/webhooks/${w.webhook_id}`);
    expect(got.status).toBe(200);
    expect(got.body.webhook).toEqual(w);

    // paging: max_results 2 walks the same list, newest first, as one page of 1000
    for (let i = 0; i < 3; i++) {
      const r = await call(admin, "POST", "/webhooks", { name: uniq("page"), url: PUBLIC_URL, events: [{ entity: "REGISTERED_MODEL", action: "CREATED" }], status: "DISABLED" });
      expect(r.status, r.raw).toBe(200);
      expect(r.body.webhook.status).toBe("DISABLED");
    }
    const all = await call(admin, "GET", "/webhooks", { max_results: "1000" });
    expect(all.status).toBe(200);
    expect(all.body.next_page_token).toBeUndefined();
    const ids = (all.body.webhooks as { webhook_id: string; creation_timestamp: number }[]).map((x) => x.webhook_id);
    expect(ids).toHaveLength((await mlflowHooks()).length);
    expect(ids).toContain(w.webhook_id);
    const stamps = (all.body.webhooks as { creation_timestamp: number }[]).map((x) => x.creation_timestamp);
    expect([...stamps].sort((a, b) => b - a)).toEqual(stamps);
    const paged: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const p = await call(admin, "GET", "/webhooks", { max_results: "2", ...(token ? { page_token: token } : {}) });
      expect(p.status, p.raw).toBe(200);
      expect(p.body.webhooks.length).toBeLessThanOrEqual(2);
      paged.push(...p.body.webhooks.map((x: { webhook_id: string }) => x.webhook_id));
      token = p.body.next_page_token;
      pages++;
    } while (token && pages < 100);
    expect(pages).toBe(Math.ceil(ids.length / 2));
    expect(paged).toEqual(ids);
    // the default page is MLflow's 100, and the list never shows a secret
    expect((await call(admin, "GET", "/webhooks")).body.webhooks.length).toBe(Math.min(100, ids.length));
    expect(all.raw).not.toContain("very-secret-value");

    // update: MLflow ignores empty fields; events may come as enum names, numbers or entity.action
    const before = w.last_updated_timestamp as number;
    await sleep(5);
    const updated = await call(admin, "PATCH", `/webhooks/${w.webhook_id}`, {
      name: `${name}-renamed`,
      description: "",
      events: [{ entity: "MODEL_VERSION_TAG", action: "DELETED" }, { entity: 2, action: 1 }, "model_version_alias.deleted"],
      status: "DISABLED",
    });
    expect(updated.status, updated.raw).toBe(200);
    expect(updated.body.webhook).toMatchObject({
      webhook_id: w.webhook_id,
      name: `${name}-renamed`,
      description: "Tell the deployer",
      url: PUBLIC_URL,
      status: "DISABLED",
      events: [
        { entity: "MODEL_VERSION_TAG", action: "DELETED" },
        { entity: "MODEL_VERSION", action: "CREATED" },
        { entity: "MODEL_VERSION_ALIAS", action: "DELETED" },
      ],
      creation_timestamp: w.creation_timestamp,
    });
    expect(updated.body.webhook.last_updated_timestamp).toBeGreaterThan(before);
    expect((await call(admin, "GET", `/webhooks/${w.webhook_id}`)).body.webhook).toEqual(updated.body.webhook);

    // the Databricks API neither lists nor touches it
    const dbx = await admin.call("GET", "/registry-webhooks/list");
    expect(JSON.stringify(dbx.body)).not.toContain(w.webhook_id);
    expect((await admin.call("PATCH", "/registry-webhooks/update", { id: w.webhook_id, events: ["MODEL_VERSION_CREATED"] })).status).toBe(404);
    expect((await admin.call("POST", "/registry-webhooks/test", { id: w.webhook_id })).status).toBe(404);
    expect((await admin.call("DELETE", "/registry-webhooks/delete", { id: w.webhook_id })).status).toBe(404);

    const deleted = await call(admin, "DELETE", `/webhooks/${w.webhook_id}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({});
    const gone = await call(admin, "GET", `/webhooks/${w.webhook_id}`);
    expect(gone.status).toBe(404);
    expect(gone.body.error_code).toBe("RESOURCE_DOES_NOT_EXIST");
    expect((await call(admin, "DELETE", `/webhooks/${w.webhook_id}`)).status).toBe(404);

    const audit = await db.auditEvent.findMany({ where: { resourceType: "webhook", resourceId: w.webhook_id }, orderBy: { id: "asc" } });
    expect(audit.map((a) => a.action)).toEqual(["webhook.create", "webhook.update", "webhook.delete"]);
    expect(audit[0]!.after).toMatchObject({ api: "MLFLOW", name });
    expect(audit[1]!.after).toMatchObject({ status: "DISABLED", name: `${name}-renamed` });
    expect(JSON.stringify(audit.map((a) => [a.before, a.after]))).not.toContain("very-secret-value");
  });

  it("answers 400 INVALID_PARAMETER_VALUE for bad input and keeps nothing", async () => {
    const count = (await mlflowHooks()).length;
    const base = { name: uniq("bad"), url: PUBLIC_URL, events: [{ entity: "MODEL_VERSION", action: "CREATED" }] };
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ ...base, events: [] }, /Missing value for required parameter 'events'/],
      [{ ...base, events: undefined }, /Missing value for required parameter 'events'/],
      [{ ...base, events: [{ entity: "MODEL_VERSION", action: "UPDATED" }] }, /Invalid action 'updated' for entity 'model_version'\. Valid actions are: \['created'\]/],
      [{ ...base, events: [{ entity: "REGISTERED_MODEL", action: "DELETED" }] }, /Invalid action 'deleted' for entity 'registered_model'/],
      [{ ...base, events: [{ entity: "EXPERIMENT", action: "CREATED" }] }, /Invalid webhook entity 'EXPERIMENT'/],
      [{ ...base, events: [{ entity: "MODEL_VERSION" }] }, /required parameter 'action'/],
      [{ ...base, events: [{ entity: 42, action: 1 }] }, /Invalid value 42 for parameter 'entity'/],
      [{ ...base, events: ["model_version"] }, /entity\.action/],
      [{ ...base, events: "model_version.created.x" }, /entity\.action/],
      [{ ...base, events: [7] }, /parameter 'events'/],
      [{ ...base, name: undefined }, /Missing value for required parameter 'name'/],
      [{ ...base, name: "-starts-with-a-dash" }, /Webhook name '-starts-with-a-dash' is invalid/],
      [{ ...base, name: "x".repeat(64) }, /is invalid/],
      [{ ...base, url: undefined }, /Missing value for required parameter 'url'/],
      [{ ...base, url: "http://93.184.215.14/hook" }, /https:\/\//],
      [{ ...base, url: "https://user:pw@93.184.215.14/" }, /https:\/\//],
      [{ ...base, url: "https://127.0.0.1/hook" }, /loopback/],
      [{ ...base, url: "https://169.254.169.254/latest/meta-data" }, /link-local/],
      [{ ...base, url: "https://10.0.0.7/hook" }, /private/],
      [{ ...base, status: "TEST_MODE" }, /Invalid webhook status 'TEST_MODE'/],
      [{ ...base, secret: 123 }, /parameter 'secret'/],
    ];
    for (const [body, message] of cases) {
      const r = await call(admin, "POST", "/webhooks", body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body, JSON.stringify(body)).toEqual({ error_code: "INVALID_PARAMETER_VALUE", message: expect.stringMatching(message) });
    }
    expect((await mlflowHooks()).length).toBe(count);

    // as MLflow's store: 0 means the default, outside 1 to 1000 is refused
    expect((await call(admin, "GET", "/webhooks", { max_results: "0" })).status).toBe(200);
    for (const query of [{ max_results: "-1" }, { max_results: "1001" }, { max_results: "ten" }, { page_token: "not a token" }, { page_token: Buffer.from('{"offset": -1}').toString("base64") }]) {
      const r = await call(admin, "GET", "/webhooks", query);
      expect(r.status, JSON.stringify(query)).toBe(400);
      expect(r.body.error_code).toBe("INVALID_PARAMETER_VALUE");
    }

    const ok = await call(admin, "POST", "/webhooks", base);
    expect(ok.status).toBe(200);
    const id = ok.body.webhook.webhook_id as string;
    for (const body of [{ events: [{ entity: "PROMPT", action: "SET" }] }, { name: "bad name!" }, { url: "http://93.184.215.14/" }, { url: "https://[::1]/hook" }, { status: "PAUSED" }]) {
      const r = await call(admin, "PATCH", `/webhooks/${id}`, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error_code).toBe("INVALID_PARAMETER_VALUE");
    }
    const test = await call(admin, "POST", `/webhooks/${id}/test`, { event: { entity: "MODEL_VERSION", action: "DELETED" } });
    expect(test.status).toBe(400);
    expect(await db.webhook.findUniqueOrThrow({ where: { id } })).toMatchObject({ name: base.name, url: PUBLIC_URL, events: ["model_version.created"], status: "ACTIVE" });
    await call(admin, "DELETE", `/webhooks/${id}`);
  });

  it("answers 404 RESOURCE_DOES_NOT_EXIST for unknown ids", async () => {
    for (const id of [crypto.randomBytes(16).toString("hex"), "nope", "0".repeat(40)]) {
      for (const [method, path, body] of [
        ["GET", `/webhooks/${id}`, undefined],
        ["PATCH", `/webhooks/${id}`, { description: "x" }],
        ["DELETE", `/webhooks/${id}`, undefined],
        ["POST", `/webhooks/${id}/test`, {}],
      ] as const) {
        const r = await call(admin, method, path, body);
        expect(r.status, `${method} ${path}`).toBe(404);
        expect(r.body).toEqual({ error_code: "RESOURCE_DOES_NOT_EXIST", message: expect.stringContaining("not found") });
      }
    }
  });

  it("is for admins only: anyone else gets 403 PERMISSION_DENIED and changes nothing", async () => {
    const hook = await call(admin, "POST", "/webhooks", { name: uniq("admins"), url: PUBLIC_URL, events: [{ entity: "REGISTERED_MODEL", action: "CREATED" }] });
    const id = hook.body.webhook.webhook_id as string;
    const count = (await mlflowHooks()).length;
    for (const [method, path, body] of [
      ["POST", "/webhooks", { name: uniq("mine"), url: PUBLIC_URL, events: [{ entity: "MODEL_VERSION", action: "CREATED" }] }],
      ["GET", "/webhooks", undefined],
      ["GET", `/webhooks/${id}`, undefined],
      ["PATCH", `/webhooks/${id}`, { status: "DISABLED" }],
      ["DELETE", `/webhooks/${id}`, undefined],
      ["POST", `/webhooks/${id}/test`, {}],
    ] as const) {
      const r = await call(user, method, path, body);
      expect(r.status, `${method} ${path}`).toBe(403);
      expect(r.body.error_code).toBe("PERMISSION_DENIED");
    }
    expect((await mlflowHooks()).length).toBe(count);
    expect(await db.webhook.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: "ACTIVE" });
    // without a token at all
    const anon = await app.inject({ method: "GET", url: `${prefix}/webhooks` });
    expect(anon.statusCode).toBe(401);
    await call(admin, "DELETE", `/webhooks/${id}`);
  });

  it("tests a webhook: an example event now, signed, in MLflow's result shape", async () => {
    const hook = await receiverHook([{ entity: "MODEL_VERSION", action: "CREATED" }], { status: "DISABLED" });
    const before = receiver.received.length;
    const r = await call(admin, "POST", `/webhooks/${hook.webhook_id}/test`, {});
    expect(r.status, r.raw).toBe(200);
    expect(r.body).toEqual({ result: { success: true, response_status: 200, response_body: JSON.stringify({ ok: true }) } });
    const req = receiver.received[before]!;
    expectMlflowSigned(req);
    const body = JSON.parse(req.body);
    expect(Object.keys(body).sort()).toEqual(["action", "data", "entity", "timestamp"]);
    expect(body).toMatchObject({ entity: "model_version", action: "created", data: { version: "1", source: expect.any(String) } });
    // another event than its own (MLflow allows any), and a failing receiver
    receiver.script.push({ status: 500 });
    const failed = await call(admin, "POST", `/webhooks/${hook.webhook_id}/test`, { event: { entity: "PROMPT_ALIAS", action: "DELETED" } });
    expect(failed.body.result).toMatchObject({ success: false, response_status: 500 });
    expect(JSON.parse(receiver.received[before + 1]!.body)).toMatchObject({ entity: "prompt_alias", action: "deleted", data: { alias: expect.any(String) } });
    // both are in the delivery log, one attempt each
    const log = await db.webhookDelivery.findMany({ where: { webhookId: hook.webhook_id }, include: { attemptLog: true }, orderBy: { createdAt: "asc" } });
    expect(log.map((d) => [d.event, d.status, d.attemptLog.map((a) => a.statusCode)])).toEqual([
      ["model_version.created", "DELIVERED", [200]],
      ["prompt_alias.deleted", "FAILED", [500]],
    ]);
    await call(admin, "DELETE", `/webhooks/${hook.webhook_id}`);
  });
});

describe("MLflow 3 webhook deliveries", () => {
  it("delivers model_version.created and model_version_alias.created in MLflow's envelope, signed", async () => {
    const hook = await receiverHook([
      { entity: "MODEL_VERSION", action: "CREATED" },
      { entity: "MODEL_VERSION_ALIAS", action: "CREATED" },
    ]);
    // a Databricks webhook on the same table and queue keeps its own events and body
    const { name } = await modelWithVersions(admin, 0);
    const dbx = await admin.call("POST", "/registry-webhooks/create", { events: ["MODEL_VERSION_CREATED"], model_name: name, http_url_spec: { url: receiver.url, secret: SECRET, enable_ssl_verification: false, allow_private: true } });
    expect(dbx.status, dbx.raw).toBe(200);
    worker = await startWebhookDelivery({ db, connectionString: dbUrl, pollingIntervalSeconds: 0.5, onError: () => {} });
    try {
      const run = await experimentAndRun(admin);
      const source = `${run.artifactUri}/model`;
      const before = receiver.received.length;
      const v = await admin.call("POST", "/model-versions/create", { name, source, run_id: run.runId, tags: [{ key: "team", value: "fraud" }] });
      expect(v.status, v.raw).toBe(200);
      expect((await admin.call("POST", "/registered-models/alias", { name, alias: "champion", version: "1" })).status).toBe(200);
      const delivered = await waitFor(async () => {
        const ds = await db.webhookDelivery.findMany({ where: { webhookId: { in: [hook.webhook_id, dbx.body.webhook.id] } }, orderBy: { createdAt: "asc" } });
        return ds.length === 3 && ds.every((d) => d.status === "DELIVERED") ? ds : null;
      });
      expect(delivered.map((d) => [d.webhookId, d.event])).toEqual(
        expect.arrayContaining([
          [hook.webhook_id, "model_version.created"],
          [hook.webhook_id, "model_version_alias.created"],
          [dbx.body.webhook.id, "MODEL_VERSION_CREATED"],
        ]),
      );
      const reqs = receiver.received.slice(before);
      expect(reqs).toHaveLength(3);
      const bodies = reqs.map((r) => ({ req: r, body: JSON.parse(r.body) as Record<string, unknown> }));
      const mlflow = bodies.filter((b) => b.body.event === undefined);
      expect(mlflow).toHaveLength(2);
      for (const { req, body } of mlflow) {
        expectMlflowSigned(req);
        expect(Object.keys(body).sort()).toEqual(["action", "data", "entity", "timestamp"]);
        expect(new Date(String(body.timestamp)).toISOString()).toBe(body.timestamp);
        expect(delivered.find((d) => d.id === req.headers["x-mlflow-delivery-id"])?.webhookId).toBe(hook.webhook_id);
      }
      const created = mlflow.find((b) => b.body.entity === "model_version")!.body;
      expect(created).toMatchObject({ entity: "model_version", action: "created" });
      expect(created.data).toEqual({ name, version: "1", source, run_id: run.runId, tags: { team: "fraud" }, description: null });
      const alias = mlflow.find((b) => b.body.entity === "model_version_alias")!.body;
      expect(alias).toMatchObject({ entity: "model_version_alias", action: "created", data: { name, alias: "champion", version: "1" } });
      const databricks = bodies.find((b) => b.body.event !== undefined)!;
      expect(databricks.body).toMatchObject({ event: "MODEL_VERSION_CREATED", model_name: name, version: "1" });
      expect(databricks.req.headers["x-databricks-signature"]).toBe(crypto.createHmac("sha256", SECRET).update(databricks.req.body).digest("hex"));
    } finally {
      await worker.stop();
      worker = null;
      await admin.call("DELETE", `/webhooks/${hook.webhook_id}`);
      await admin.call("DELETE", "/registry-webhooks/delete", { id: dbx.body.webhook.id });
    }
  });

  it("maps every registry change to MLflow's event, prompts to prompt events, and sends nothing unsubscribed", async () => {
    const all = [
      "registered_model.created",
      "model_version.created",
      "model_version_tag.set",
      "model_version_tag.deleted",
      "model_version_alias.created",
      "model_version_alias.deleted",
      "prompt.created",
      "prompt_version.created",
      "prompt_tag.set",
      "prompt_tag.deleted",
      "prompt_version_tag.set",
      "prompt_version_tag.deleted",
      "prompt_alias.created",
      "prompt_alias.deleted",
      "model_version_stage.transitioned",
    ];
    const toWire = (e: string) => ({ entity: e.split(".")[0]!.toUpperCase(), action: e.split(".")[1]!.toUpperCase() });
    const hook = await receiverHook(all.map(toWire));
    const narrow = await receiverHook([toWire("prompt_tag.set")]);
    const disabled = await receiverHook(all.map(toWire), { status: "DISABLED" });
    const run = await experimentAndRun(admin);
    const source = `${run.artifactUri}/model`;
    const ok = async (r: Promise<{ status: number; raw: string }>) => expect((await r).status, (await r).raw).toBe(200);

    const model = uniq("plain");
    await ok(admin.call("POST", "/registered-models/create", { name: model, tags: [{ key: "k", value: "v" }] }));
    await ok(admin.call("POST", "/model-versions/create", { name: model, source, run_id: run.runId }));
    await ok(admin.call("POST", "/model-versions/set-tag", { name: model, version: "1", key: "stage", value: "qa" }));
    await ok(admin.call("DELETE", "/model-versions/delete-tag", { name: model, version: "1", key: "stage" }));
    await ok(admin.call("POST", "/registered-models/alias", { name: model, alias: "best", version: "1" }));
    await ok(admin.call("DELETE", "/registered-models/alias", { name: model, alias: "best" }));
    await ok(admin.call("POST", "/registered-models/set-tag", { name: model, key: "owner", value: "ml" })); // not a prompt: no event
    await ok(admin.call("POST", "/model-versions/transition-stage", { name: model, version: "1", stage: "Staging", archive_existing_versions: false }));

    const prompt = uniq("prompt");
    const isPrompt = { key: "mlflow.prompt.is_prompt", value: "true" };
    await ok(admin.call("POST", "/registered-models/create", { name: prompt, tags: [isPrompt], description: "greets" }));
    await ok(admin.call("POST", "/model-versions/create", { name: prompt, source, tags: [isPrompt, { key: "mlflow.prompt.text", value: "Hello {{name}}" }, { key: "lang", value: "en" }] }));
    await ok(admin.call("POST", "/registered-models/set-tag", { name: prompt, key: "owner", value: "ml" }));
    await ok(admin.call("DELETE", "/registered-models/delete-tag", { name: prompt, key: "owner" }));
    await ok(admin.call("POST", "/model-versions/set-tag", { name: prompt, version: "1", key: "reviewed", value: "yes" }));
    await ok(admin.call("DELETE", "/model-versions/delete-tag", { name: prompt, version: "1", key: "reviewed" }));
    await ok(admin.call("POST", "/registered-models/alias", { name: prompt, alias: "prod", version: "1" }));
    await ok(admin.call("DELETE", "/registered-models/alias", { name: prompt, alias: "prod" }));

    const rows = await db.webhookDelivery.findMany({ where: { webhookId: hook.webhook_id }, orderBy: { createdAt: "asc" } });
    // one event per change (the same millisecond may hold two, so compared in name order)
    const byName = (a: [string, unknown], b: [string, unknown]) => (a[0] < b[0] ? -1 : 1);
    const seen = rows.map((d): [string, unknown] => [d.event, (d.payload as { data: unknown }).data]).sort(byName);
    const expected: [string, unknown][] = [
      ["registered_model.created", { name: model, tags: { k: "v" }, description: "" }],
      ["model_version.created", { name: model, version: "1", source, run_id: run.runId, tags: {}, description: null }],
      ["model_version_tag.set", { name: model, version: "1", key: "stage", value: "qa" }],
      ["model_version_tag.deleted", { name: model, version: "1", key: "stage" }],
      ["model_version_alias.created", { name: model, alias: "best", version: "1" }],
      ["model_version_alias.deleted", { name: model, alias: "best" }],
      ["model_version_stage.transitioned", { name: model, version: "1", from_stage: "None", to_stage: "Staging" }],
      ["prompt.created", { name: prompt, tags: {}, description: "greets" }],
      ["prompt_version.created", { name: prompt, version: "1", template: "Hello {{name}}", tags: { lang: "en" }, description: null }],
      ["prompt_tag.set", { name: prompt, key: "owner", value: "ml" }],
      ["prompt_tag.deleted", { name: prompt, key: "owner" }],
      ["prompt_version_tag.set", { name: prompt, version: "1", key: "reviewed", value: "yes" }],
      ["prompt_version_tag.deleted", { name: prompt, version: "1", key: "reviewed" }],
      ["prompt_alias.created", { name: prompt, alias: "prod", version: "1" }],
      ["prompt_alias.deleted", { name: prompt, alias: "prod" }],
    ];
    expect(seen).toEqual(expected.sort(byName));
    for (const d of rows) expect(d.payload).toMatchObject({ entity: d.event.split(".")[0], action: d.event.split(".")[1], timestamp: expect.any(String) });
    const narrowRows = await db.webhookDelivery.findMany({ where: { webhookId: narrow.webhook_id } });
    expect(narrowRows.map((d) => d.event)).toEqual(["prompt_tag.set"]);
    expect(await db.webhookDelivery.count({ where: { webhookId: disabled.webhook_id } })).toBe(0);
    for (const h of [hook, narrow, disabled]) await admin.call("DELETE", `/webhooks/${h.webhook_id}`);
  });
});

describe("MLflow 3 webhooks over tRPC (the portal)", () => {
  it("creates, lists, toggles, tests and deletes with the REST edge's rules", async () => {
    const call = (c: RegistryClient) => createCaller({ db, actor: c.actor, requestId: crypto.randomUUID() });
    await expect(call(user).webhooks.mlflow.create({ name: "x", url: PUBLIC_URL, events: ["model_version.created"] })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(call(user).webhooks.mlflow.list()).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(call(admin).webhooks.mlflow.create({ name: "x", url: "http://93.184.215.14/", events: ["model_version.created"] })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(call(admin).webhooks.mlflow.create({ name: "x", url: PUBLIC_URL, events: ["model_version.updated"] })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    const w = await call(admin).webhooks.mlflow.create({ name: uniq("portal"), url: receiver.url, events: ["comment.created", "transition_request.created"], secret: SECRET, allowPrivate: true, enableSslVerification: false });
    expect(w).toMatchObject({ status: "ACTIVE", has_secret: true, events: ["comment.created", "transition_request.created"] });
    expect(JSON.stringify(w)).not.toContain(SECRET);
    expect((await call(admin).webhooks.mlflow.list()).webhooks.map((x) => x.webhook_id)).toContain(w.webhook_id);
    expect((await call(admin).webhooks.mlflow.update({ id: w.webhook_id, status: "DISABLED" })).status).toBe("DISABLED");
    const t = await call(admin).webhooks.mlflow.test({ id: w.webhook_id });
    expect(t).toMatchObject({ success: true, statusCode: 200, event: "comment.created" });
    // the delivery log is shared with the Databricks webhooks
    expect((await call(admin).webhooks.deliveries({ id: w.webhook_id }))[0]).toMatchObject({ event: "comment.created", status: "DELIVERED", attempts: 1 });
    expect((await call(admin).webhooks.list()).webhooks.map((x) => x.id)).not.toContain(w.webhook_id);
    await call(admin).webhooks.mlflow.delete({ id: w.webhook_id });
    await expect(call(admin).webhooks.mlflow.delete({ id: w.webhook_id })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});
