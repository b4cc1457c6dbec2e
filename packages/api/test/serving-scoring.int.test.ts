import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setPolicy, systemActor } from "@modelgate/core";
import type { Db } from "@modelgate/db";
import { useTestDatabase } from "@modelgate/db/test-db";
import { invalidOnnxBytes, linearOnnxModel } from "../../serving/src/testing.ts";
import { registryClient, uniq, type RegistryClient } from "./registry-fixtures.ts";
import { championModel, expectClose, flat, onnxFiles, registerVersion, SE, servingHarness, type ServingHarness } from "./serving-fixtures.ts";

// Scoring real ONNX models logged and registered through the REST API: every MLflow input format,
// signature errors, body limits, an endpoint following its alias while clients keep scoring, and
// a broken model that makes only its own endpoint unhealthy.

let db: Db;
let h: ServingHarness;
let c: RegistryClient;
let model: Awaited<ReturnType<typeof championModel>>;
let endpoint: string;

const BODY_LIMIT = 64 * 1024;
const rows = [
  [1, 2, 3],
  [0.5, -1, 4],
  [10, 0, -2],
];

beforeAll(async () => {
  db = (await useTestDatabase()).db;
  // alias moves are not what these tests are about: no target protected by approvals
  await setPolicy({ db, actor: systemActor("test") }, { rules: [] });
  h = await servingHarness(db, { servingBodyLimit: BODY_LIMIT });
  c = await registryClient(h.app, db);
  model = await championModel(h.app, c);
  endpoint = uniq("ep");
  const created = await c.call("POST", "", { name: endpoint, config: { served_entities: [{ entity_name: model.name, entity_alias: "champion" }] } }, SE);
  expect(created.status, created.raw).toBe(200);
});
afterAll(async () => {
  await h?.close();
});

function invoke(name: string, payload: string | Buffer, contentType = "application/json") {
  return h.app.inject({ method: "POST", url: `/serving-endpoints/${name}/invocations`, headers: { ...c.headers, "content-type": contentType }, payload });
}

const expected = (m: typeof model.v1, rs: number[][]) => rs.map((r) => m.predict(r));

describe("the management API answers in Databricks' shape", () => {
  it("create, get and list show the endpoint READY on champion's version", async () => {
    const got = await c.call("GET", `/${endpoint}`, undefined, SE);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({
      name: endpoint,
      creator: c.user.username,
      state: { ready: "READY", config_update: "NOT_UPDATING" },
      config: { served_entities: [{ entity_name: model.name, entity_version: "1", entity_alias: "champion", state: { deployment: "DEPLOYMENT_READY" } }] },
      permission_level: "MANAGE",
      enabled: true,
    });
    expect(typeof got.body.creation_timestamp).toBe("number");
    const list = await c.call("GET", "", undefined, SE);
    expect(list.body.endpoints.map((e: { name: string }) => e.name)).toContain(endpoint);
  });

  it("an existing name is refused, and a served entity must name exactly one target", async () => {
    const dup = await c.call("POST", "", { name: endpoint, config: { served_entities: [{ entity_name: model.name, entity_version: "1" }] } }, SE);
    expect(dup.body.error_code).toBe("RESOURCE_ALREADY_EXISTS");
    const two = await c.call("POST", "", { name: uniq("ep"), config: { served_entities: [{ entity_name: model.name, entity_version: "1", entity_alias: "champion" }] } }, SE);
    expect(two.status).toBe(400);
    expect(two.body.message).toMatch(/exactly one of entity_version, entity_alias or entity_stage/);
  });
});

describe("scoring protocol", () => {
  it("dataframe_split, dataframe_records, instances, inputs and CSV: single rows and batches", async () => {
    const cols = model.v1.columns;
    const formats: Record<string, (rs: number[][]) => [string, string]> = {
      dataframe_split: (rs) => [JSON.stringify({ dataframe_split: { columns: cols, data: rs } }), "application/json"],
      dataframe_records: (rs) => [JSON.stringify({ dataframe_records: rs.map((r) => Object.fromEntries(cols.map((k, i) => [k, r[i]]))) }), "application/json"],
      instances: (rs) => [JSON.stringify({ instances: rs.map((r) => Object.fromEntries(cols.map((k, i) => [k, r[i]]))) }), "application/json"],
      inputs: (rs) => [JSON.stringify({ inputs: Object.fromEntries(cols.map((k, i) => [k, rs.map((r) => r[i])])) }), "application/json"],
      csv: (rs) => [[cols.join(","), ...rs.map((r) => r.join(","))].join("\n"), "text/csv"],
    };
    for (const [format, make] of Object.entries(formats)) {
      for (const batch of [rows.slice(0, 1), rows]) {
        const [payload, type] = make(batch);
        const r = await invoke(endpoint, payload, type);
        expect(r.statusCode, `${format}: ${r.body}`).toBe(200);
        expect(r.headers["x-modelgate-served-version"]).toBe("1");
        expectClose(flat(r.json().predictions), expected(model.v1, batch));
      }
    }
  });

  it("ping, health and version", async () => {
    const get = (what: string) => h.app.inject({ method: "GET", url: `/serving-endpoints/${endpoint}/${what}`, headers: c.headers });
    expect((await get("ping")).statusCode).toBe(200);
    expect((await get("health")).json()).toEqual({ status: "READY", version: 1 });
    expect((await get("version")).json()).toEqual({ name: endpoint, model_name: model.name, version: "1", target: `${model.name}@champion` });
  });

  it("signature errors answer 400 naming the column", async () => {
    const [f0, f1, f2] = model.v1.columns;
    const missing = await invoke(endpoint, JSON.stringify({ dataframe_split: { columns: [f0, f1], data: [[1, 2]] } }));
    expect(missing.statusCode).toBe(400);
    expect(missing.json().message).toContain(f2);
    const wrongType = await invoke(endpoint, JSON.stringify({ dataframe_records: [{ [f0!]: 1, [f1!]: "abc", [f2!]: 3 }] }));
    expect(wrongType.statusCode).toBe(400);
    expect(wrongType.json().message).toContain(f1);
    const nan = await invoke(endpoint, `${f0},${f1},${f2}\n1,2,NaN`, "text/csv");
    expect(nan.statusCode).toBe(400);
    expect(nan.json().message).toContain(f2);
    const malformed = await invoke(endpoint, "{not json");
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error_code).toBeTruthy();
  });

  it("a body over the limit answers 413, and the endpoint keeps serving", async () => {
    const big = await invoke(endpoint, `${"f0,f1,f2\n"}${"1,2,3\n".repeat(BODY_LIMIT / 4)}`, "text/csv");
    expect(big.statusCode).toBe(413);
    expect(big.json().error_code).toBeTruthy();
    expect((await invoke(endpoint, JSON.stringify({ inputs: [[1, 2, 3]] }))).statusCode).toBeLessThan(500);
    expect((await invoke(endpoint, JSON.stringify({ dataframe_split: { columns: model.v1.columns, data: [[1, 2, 3]] } }))).statusCode).toBe(200);
  });

  it("an unknown endpoint answers 404", async () => {
    const r = await invoke(uniq("nope"), "{}");
    expect(r.statusCode).toBe(404);
    expect(r.json().error_code).toBe("RESOURCE_DOES_NOT_EXIST");
  });
});

describe("live switching", () => {
  it("moving champion to v2 while 8 clients score: no failed request, v2 served within seconds, switch recorded", async () => {
    const name = uniq("switch");
    const created = await c.call("POST", "", { name, config: { served_entities: [{ entity_name: model.name, entity_alias: "champion" }] } }, SE);
    expect(created.status, created.raw).toBe(200);
    const row = [2, 3, 4];
    const payload = JSON.stringify({ dataframe_split: { columns: model.v1.columns, data: [row] } });
    const failures: string[] = [];
    const seen: number[] = [];
    let stop = false;
    let sawV2At = 0;
    const client = async () => {
      while (!stop) {
        const r = await invoke(name, payload);
        if (r.statusCode !== 200) failures.push(`${r.statusCode} ${r.body}`);
        else {
          const p = flat(r.json().predictions)[0]!;
          seen.push(p);
          if (!sawV2At && Math.abs(p - model.v2.predict(row)) < 1e-4) sawV2At = Date.now();
        }
      }
    };
    const clients = Array.from({ length: 8 }, client);
    await new Promise((r) => setTimeout(r, 300));
    const movedAt = Date.now();
    const moved = await c.call("POST", "/registered-models/alias", { name: model.name, alias: "champion", version: "2" });
    expect(moved.status).toBe(200);
    while (!sawV2At && Date.now() - movedAt < 5000) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300));
    stop = true;
    await Promise.all(clients);

    expect(failures).toEqual([]);
    expect(sawV2At).toBeGreaterThan(0);
    expect(sawV2At - movedAt).toBeLessThan(3000);
    // every answer was v1's or v2's, never anything else
    for (const p of seen) expect([model.v1.predict(row), model.v2.predict(row)].some((e) => Math.abs(p - e) < 1e-4)).toBe(true);

    const ep = await db.servingEndpoint.findUniqueOrThrow({ where: { name } });
    expect(ep.servedVersion).toBe(2);
    const activity = await db.activity.findMany({ where: { type: "SERVING_SWITCHED", model: { name: model.name }, systemComment: { contains: `'${name}'` } }, include: { version: { select: { version: true } } } });
    expect(activity.map((a) => [a.version.version, a.systemComment])).toEqual(
      expect.arrayContaining([
        [1, `Endpoint '${name}' now serves version 1`],
        [2, `Endpoint '${name}' now serves version 2 (was 1)`],
        [1, `Endpoint '${name}' stopped serving version 1 (now 2)`],
      ]),
    );
    const audit = await db.auditEvent.findMany({ where: { action: "serving.switch", resourceId: ep.id }, orderBy: { id: "asc" } });
    expect(audit.map((a) => [a.before, a.after])).toEqual([
      [{ version: null }, { name, model: model.name, version: 1 }],
      [{ version: 1 }, { name, model: model.name, version: 2 }],
    ]);
    // put champion back for the other tests
    await c.call("POST", "/registered-models/alias", { name: model.name, alias: "champion", version: "1" });
  });
});

describe("models that cannot be served", () => {
  it("a version without an onnx flavor is refused at creation with a 400 naming the flavors", async () => {
    const name = uniq("sk");
    const sklearn = "artifact_path: model\nflavors:\n  python_function:\n    loader_module: mlflow.sklearn\n    model_path: model.pkl\n  sklearn:\n    pickled_model: model.pkl\n";
    await registerVersion(h.app, c, name, { MLmodel: sklearn, "model.pkl": "x" });
    const r = await c.call("POST", "", { name: uniq("ep"), config: { served_entities: [{ entity_name: name, entity_version: "1" }] } }, SE);
    expect(r.status).toBe(400);
    expect(r.body.error_code).toBe("INVALID_PARAMETER_VALUE");
    expect(r.body.message).toMatch(/has no onnx flavor \(flavors found: python_function, sklearn\)/);
    expect(r.body.message).toMatch(/mlflow\.onnx\.log_model/);
  });

  it("a broken model file: that endpoint's health is 503 with the reason, the others keep serving", async () => {
    const name = uniq("broken");
    const good = linearOnnxModel({ features: 3 });
    await registerVersion(h.app, c, name, { ...onnxFiles(good), "model.onnx": invalidOnnxBytes });
    const broken = uniq("ep");
    const created = await c.call("POST", "", { name: broken, config: { served_entities: [{ entity_name: name, entity_version: "1" }] } }, SE);
    expect(created.status, created.raw).toBe(200);
    expect(created.body.state.ready).toBe("NOT_READY");
    expect(created.body.config.served_entities[0].state.deployment).toBe("DEPLOYMENT_FAILED");
    const health = await h.app.inject({ method: "GET", url: `/serving-endpoints/${broken}/health`, headers: c.headers });
    expect(health.statusCode).toBe(503);
    expect(health.json().message).toMatch(/^Version 1 of '.+' failed to load: /);
    const scored = await invoke(broken, JSON.stringify({ dataframe_split: { columns: good.columns, data: [[1, 2, 3]] } }));
    expect(scored.statusCode).toBe(503);
    expect(scored.json().error_code).toBe("TEMPORARILY_UNAVAILABLE");
    // the other endpoint is unaffected
    expect((await h.app.inject({ method: "GET", url: `/serving-endpoints/${endpoint}/health`, headers: c.headers })).statusCode).toBe(200);
    const ok = await invoke(endpoint, JSON.stringify({ dataframe_split: { columns: model.v1.columns, data: rows } }));
    expect(ok.statusCode).toBe(200);
  });

  it("a disabled endpoint answers 503 until enabled again", async () => {
    const name = uniq("ep");
    await c.call("POST", "", { name, config: { served_entities: [{ entity_name: model.name, entity_version: "2" }] } }, SE);
    const payload = JSON.stringify({ dataframe_split: { columns: model.v1.columns, data: rows } });
    expect((await invoke(name, payload)).statusCode).toBe(200);
    const off = await c.call("PATCH", `/${name}`, { enabled: false }, SE);
    expect(off.body).toMatchObject({ enabled: false, state: { ready: "NOT_READY" } });
    const refused = await invoke(name, payload);
    expect(refused.statusCode).toBe(503);
    expect(refused.json()).toEqual({ error_code: "TEMPORARILY_UNAVAILABLE", message: "The endpoint is disabled" });
    await c.call("PATCH", `/${name}`, { enabled: true }, SE);
    const back = await invoke(name, payload);
    expect(back.statusCode).toBe(200);
    expectClose(flat(back.json().predictions), expected(model.v2, rows));
  });

  it("PUT config retargets the endpoint to a fixed version", async () => {
    const name = uniq("ep");
    await c.call("POST", "", { name, config: { served_entities: [{ entity_name: model.name, entity_alias: "champion" }] } }, SE);
    const put = await c.call("PUT", `/${name}/config`, { served_entities: [{ entity_name: model.name, entity_version: "2" }] }, SE);
    expect(put.status, put.raw).toBe(200);
    expect(put.body.config.served_entities[0]).toMatchObject({ entity_version: "2", state: { deployment: "DEPLOYMENT_READY" } });
    expect(put.body.config.served_entities[0].entity_alias).toBeUndefined();
    const r = await invoke(name, JSON.stringify({ dataframe_split: { columns: model.v1.columns, data: rows } }));
    expectClose(flat(r.json().predictions), expected(model.v2, rows));
  });
});

describe("metrics", () => {
  it("per-endpoint series on /metrics and a rolling window for the portal", async () => {
    const text = (await h.app.inject({ method: "GET", url: "/metrics" })).body;
    expect(text).toContain(`modelgate_serving_requests_total{endpoint="${endpoint}",status="200"}`);
    expect(text).toContain(`modelgate_serving_errors_total{endpoint="${endpoint}"}`);
    expect(text).toContain(`modelgate_serving_request_duration_seconds_bucket{le="0.01",endpoint="${endpoint}"}`);
    const stats = h.serving.metrics.stats(endpoint);
    expect(stats.requests).toBeGreaterThan(10);
    expect(stats.error_rate).toBeGreaterThan(0);
    expect(stats.error_rate).toBeLessThan(1);
    expect(stats.p50_ms).not.toBeNull();
    expect(stats.p99_ms!).toBeGreaterThanOrEqual(stats.p50_ms!);
    expect(stats.request_rate).toBeGreaterThan(0);
  });
});
