import fsp from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLocalArtifactStore } from "@modelgate/artifacts";
import type { Db } from "@modelgate/db";
import { useTestDatabase } from "@modelgate/db/test-db";
import { createDataPlaneApp } from "../src/rest/index.ts";
import { registryClient, uniq, type RegistryClient } from "./registry-fixtures.ts";

// MLflow 3's logged-model RPCs on the wire (service.proto createLoggedModel … listLoggedModelArtifacts,
// runs/outputs, model inputs, metrics linked to models and datasets), every endpoint under both
// prefixes. Shapes, codes and messages were checked against MLflow's own 3.6 server; where MLflow
// answers a caller's mistake with a 5xx (or not at all), ours is a 4xx and the comment says so.

let db: Db;
let app: FastifyInstance;
let root: string;

const PREFIXES = ["/api/2.0/mlflow", "/ajax-api/2.0/mlflow"] as const;
const ts = expect.any(Number);
const MODEL_ID = /^m-[0-9a-f]{32}$/;
const notFound = (id: string) => ({ error_code: "RESOURCE_DOES_NOT_EXIST", message: `Logged model with ID '${id}' not found.` });
const missingParam = (name: string) => ({
  error_code: "INVALID_PARAMETER_VALUE",
  message: `Missing value for required parameter '${name}'. See the API docs for more information about request parameters.`,
});

let listening: Promise<string> | undefined;
/** The app on a real port, for what inject cannot send (raw `..` and `%2e%2e` in the request line). */
const baseUrl = () => (listening ??= app.listen({ port: 0, host: "127.0.0.1" }));

/** One raw HTTP/1.1 request, the request line exactly as given: status code and body. */
async function rawRequest(method: string, url: string, headers: Record<string, string>, body = ""): Promise<{ status: number; body: string }> {
  const { port } = new URL(await baseUrl());
  const text = await new Promise<string>((resolve, reject) => {
    const socket = net.connect(Number(port), "127.0.0.1", () => {
      const head = Object.entries({ host: "localhost", connection: "close", "content-length": String(Buffer.byteLength(body)), ...headers })
        .map(([k, v]) => `${k}: ${v}`)
        .join("\r\n");
      socket.write(`${method} ${url} HTTP/1.1\r\n${head}\r\n\r\n${body}`);
    });
    let out = "";
    socket.on("data", (d) => (out += d.toString()));
    socket.on("end", () => resolve(out));
    socket.on("error", reject);
  });
  const [head = "", ...rest] = text.split("\r\n\r\n");
  return { status: Number(head.split(" ")[1]), body: rest.join("\r\n\r\n") };
}

beforeAll(async () => {
  db = (await useTestDatabase()).db;
  root = path.join(await fsp.mkdtemp(path.join(os.tmpdir(), "mg-logged-models-")), "root");
  app = await createDataPlaneApp({ db, version: "t", artifacts: createLocalArtifactStore({ root }) });
});
afterAll(async () => {
  await app?.close();
  await fsp.rm(path.dirname(root), { recursive: true, force: true });
});

describe.each(PREFIXES)("logged models under %s", (prefix) => {
  let c: RegistryClient;
  /** The artifact proxy beside this prefix (`/api/2.0/mlflow-artifacts` or `/ajax-api/2.0/mlflow-artifacts`). */
  const proxy = `${prefix}-artifacts/artifacts`;

  beforeAll(async () => {
    c = await registryClient(app, db, "USER", prefix);
  });

  async function experiment(): Promise<string> {
    const r = await c.call("POST", "/experiments/create", { name: uniq("lm-exp") });
    expect(r.status).toBe(200);
    return r.body.experiment_id as string;
  }
  async function run(experimentId: string): Promise<string> {
    const r = await c.call("POST", "/runs/create", { experiment_id: experimentId, start_time: 1700000000000 });
    expect(r.status).toBe(200);
    return r.body.run.info.run_id as string;
  }
  async function model(experimentId: string, body: Record<string, unknown> = {}): Promise<string> {
    const r = await c.call("POST", "/logged-models", { experiment_id: experimentId, ...body });
    expect(r.status, r.raw).toBe(200);
    return r.body.model.info.model_id as string;
  }
  const get = (id: string) => c.call("GET", `/logged-models/${id}`);
  async function put(file: string, body: string | Buffer) {
    const r = await app.inject({ method: "PUT", url: `${proxy}/${file}`, headers: c.headers, payload: body });
    expect(r.statusCode, r.body).toBe(200);
  }

  describe("create and get", () => {
    it("without a name: a generated one, model_type and source_run_id as \"\", PENDING, artifact_uri under the experiment root", async () => {
      const exp = await experiment();
      const created = await c.call("POST", "/logged-models", { experiment_id: exp });
      expect(created.status).toBe(200);
      const id = created.body.model.info.model_id as string;
      expect(id).toMatch(MODEL_ID);
      // exactly what MLflow's server answers (`{"experiment_id": "0"}` → name "glamorous-midge-333", data {})
      expect(created.body).toEqual({
        model: {
          info: {
            model_id: id,
            experiment_id: exp,
            name: expect.stringMatching(/^[a-z]+-[a-z]+-\d{1,3}$/),
            creation_timestamp_ms: ts,
            last_updated_timestamp_ms: ts,
            artifact_uri: `mlflow-artifacts:/${exp}/models/${id}/artifacts`,
            status: "LOGGED_MODEL_PENDING",
            model_type: "",
            source_run_id: "",
          },
          data: {},
        },
      });
      expect(created.body.model.info.creation_timestamp_ms).toBe(created.body.model.info.last_updated_timestamp_ms);
      expect(await get(id)).toMatchObject({ status: 200, body: created.body });
      // two models never share an id
      expect(await model(exp)).not.toBe(id);
    });

    it("with name, model_type, source run, params and tags (sorted by key), as the client sends them", async () => {
      const exp = await experiment();
      const runId = await run(exp);
      const created = await c.call("POST", "/logged-models", {
        experiment_id: exp,
        name: "model",
        model_type: "sklearn",
        source_run_id: runId,
        params: [
          { key: "alpha", value: "0.1" },
          { key: "C", value: "1.0" },
        ],
        tags: [
          { key: "mlflow.user", value: "root" },
          { key: "mlflow.source.name", value: "train.py" },
        ],
      });
      expect(created.status).toBe(200);
      const id = created.body.model.info.model_id as string;
      expect(created.body.model).toEqual({
        info: {
          model_id: id,
          experiment_id: exp,
          name: "model",
          creation_timestamp_ms: ts,
          last_updated_timestamp_ms: ts,
          artifact_uri: `mlflow-artifacts:/${exp}/models/${id}/artifacts`,
          status: "LOGGED_MODEL_PENDING",
          model_type: "sklearn",
          source_run_id: runId,
          tags: [
            { key: "mlflow.source.name", value: "train.py" },
            { key: "mlflow.user", value: "root" },
          ],
        },
        data: {
          params: [
            { key: "C", value: "1.0" },
            { key: "alpha", value: "0.1" },
          ],
        },
      });
      expect((await get(id)).body).toEqual(created.body);
    });

    it("refuses what MLflow refuses, and writes nothing", async () => {
      const exp = await experiment();
      expect(await c.call("POST", "/logged-models", {})).toMatchObject({ status: 400, body: missingParam("experiment_id") });
      expect(await c.call("POST", "/logged-models", { experiment_id: "99999999" })).toMatchObject({
        status: 404,
        body: { error_code: "RESOURCE_DOES_NOT_EXIST", message: "No Experiment with id=99999999 exists" },
      });
      expect(await c.call("POST", "/logged-models", { experiment_id: exp, name: "a/b" })).toMatchObject({
        status: 400,
        body: {
          error_code: "INVALID_PARAMETER_VALUE",
          message: `Invalid model name ('a/b') provided. Model name must be a non-empty string and cannot contain the following characters: ('/', ':', '.', '%', '"', "'")`,
        },
      });
      // one key with two values in one request
      const dup = await c.call("POST", "/logged-models", { experiment_id: exp, params: [{ key: "p", value: "1" }, { key: "p", value: "2" }] });
      expect(dup.status).toBe(400);
      expect(dup.body.error_code).toBe("INVALID_PARAMETER_VALUE");
      // a source run that does not exist
      expect((await c.call("POST", "/logged-models", { experiment_id: exp, source_run_id: "0".repeat(32) })).status).toBe(404);
      expect(await c.call("POST", "/logged-models/search", { experiment_ids: [exp] })).toMatchObject({ status: 200, body: {} });
    });

    it("an unknown id is 404 RESOURCE_DOES_NOT_EXIST with MLflow's message", async () => {
      for (const id of ["m-00000000000000000000000000000000", "nope", "x".repeat(100)]) {
        expect(await get(id)).toMatchObject({ status: 404, body: notFound(id) });
      }
    });
  });

  describe("finalize (PATCH logged-models/<id>)", () => {
    it("READY and UPLOAD_FAILED, by name (with the client's model_id in the body) or enum number", async () => {
      const exp = await experiment();
      const id = await model(exp);
      const before = (await get(id)).body.model.info;
      const ready = await c.call("PATCH", `/logged-models/${id}`, { model_id: id, status: "LOGGED_MODEL_READY" });
      expect(ready.status).toBe(200);
      expect(ready.body.model.info).toEqual({ ...before, status: "LOGGED_MODEL_READY", last_updated_timestamp_ms: ts });
      expect(ready.body.model.info.last_updated_timestamp_ms).toBeGreaterThanOrEqual(before.last_updated_timestamp_ms);
      expect((await get(id)).body).toEqual(ready.body);

      const failed = await model(exp);
      const f = await c.call("PATCH", `/logged-models/${failed}`, { status: "LOGGED_MODEL_UPLOAD_FAILED" });
      expect(f.status).toBe(200);
      expect(f.body.model.info.status).toBe("LOGGED_MODEL_UPLOAD_FAILED");
      const byNumber = await model(exp);
      expect((await c.call("PATCH", `/logged-models/${byNumber}`, { status: 2 })).body.model.info.status).toBe("LOGGED_MODEL_READY");
    });

    it("an invalid or missing status is 400 and changes nothing; an unknown model 404", async () => {
      const exp = await experiment();
      const id = await model(exp);
      const bogus = await c.call("PATCH", `/logged-models/${id}`, { model_id: id, status: "BOGUS" });
      expect(bogus.status).toBe(400);
      expect(bogus.body.error_code).toBe("INVALID_PARAMETER_VALUE");
      expect(bogus.body.message).toContain("BOGUS");
      // MLflow's server accepts LOGGED_MODEL_PENDING here (200, status unchanged); ours refuses it:
      // a model is only ever finalized as READY or UPLOAD_FAILED
      expect((await c.call("PATCH", `/logged-models/${id}`, { status: "LOGGED_MODEL_PENDING" })).status).toBe(400);
      expect(await c.call("PATCH", `/logged-models/${id}`, { model_id: id })).toMatchObject({ status: 400, body: missingParam("status") });
      expect((await get(id)).body.model.info.status).toBe("LOGGED_MODEL_PENDING");
      const unknown = "m-00000000000000000000000000000000";
      expect(await c.call("PATCH", `/logged-models/${unknown}`, { model_id: unknown, status: "LOGGED_MODEL_READY" })).toMatchObject({ status: 404, body: notFound(unknown) });
    });
  });

  describe("delete", () => {
    it("soft-deletes: gone from get, search and every write; deleting again is 404", async () => {
      const exp = await experiment();
      const keep = await model(exp, { name: "keep" });
      const id = await model(exp, { name: "gone" });
      expect(await c.call("DELETE", `/logged-models/${id}`)).toMatchObject({ status: 200, body: {} });
      expect(await get(id)).toMatchObject({ status: 404, body: notFound(id) });
      const search = await c.call("POST", "/logged-models/search", { experiment_ids: [exp] });
      expect(search.body.models.map((m: { info: { model_id: string } }) => m.info.model_id)).toEqual([keep]);
      // MLflow's server answers a second delete with 200 {}; ours: the model no longer exists
      expect(await c.call("DELETE", `/logged-models/${id}`)).toMatchObject({ status: 404, body: notFound(id) });
      expect(await get(keep)).toMatchObject({ status: 200 });
    });
  });

  describe("tags", () => {
    it("PATCH sets (last write wins), DELETE tags/<key> removes, a key may contain slashes", async () => {
      const exp = await experiment();
      const id = await model(exp, { tags: [{ key: "k", value: "old" }] });
      const set = await c.call("PATCH", `/logged-models/${id}/tags`, {
        tags: [
          { key: "team/sub", value: "ml" },
          { key: "k", value: "new" },
        ],
      });
      expect(set).toMatchObject({ status: 200, body: {} });
      expect((await get(id)).body.model.info.tags).toEqual([
        { key: "k", value: "new" },
        { key: "team/sub", value: "ml" },
      ]);
      // MLflow's Flask route cannot take a key with a slash (an HTML 404); ours can
      expect(await c.call("DELETE", `/logged-models/${id}/tags/team/sub`)).toMatchObject({ status: 200, body: {} });
      expect((await get(id)).body.model.info.tags).toEqual([{ key: "k", value: "new" }]);
      expect(await c.call("DELETE", `/logged-models/${id}/tags/k`)).toMatchObject({ status: 200, body: {} });
      expect((await get(id)).body.model.info).not.toHaveProperty("tags");
    });

    it("an unknown key is 404 with MLflow's message; an unknown model 404", async () => {
      const exp = await experiment();
      const id = await model(exp, { tags: [{ key: "k", value: "v" }] });
      expect(await c.call("DELETE", `/logged-models/${id}/tags/nope`)).toMatchObject({
        status: 404,
        body: { error_code: "RESOURCE_DOES_NOT_EXIST", message: `No tag with key 'nope' found for model with ID '${id}'.` },
      });
      const unknown = "m-00000000000000000000000000000000";
      expect(await c.call("PATCH", `/logged-models/${unknown}/tags`, { tags: [{ key: "a", value: "b" }] })).toMatchObject({ status: 404, body: notFound(unknown) });
      expect(await c.call("DELETE", `/logged-models/${unknown}/tags/k`)).toMatchObject({ status: 404, body: notFound(unknown) });
      expect((await get(id)).body.model.info.tags).toEqual([{ key: "k", value: "v" }]);
    });
  });

  describe("params (POST logged-models/<id>/params)", () => {
    it("adds params; the same value again is fine; another value is 400 and nothing of the request is written", async () => {
      const exp = await experiment();
      const id = await model(exp, { params: [{ key: "p", value: "1" }] });
      // MLflow 3.6 on SQLite answers even an identical value with 400 BAD_REQUEST (an IntegrityError); ours accepts it
      expect(await c.call("POST", `/logged-models/${id}/params`, { model_id: id, params: [{ key: "p", value: "1" }, { key: "q", value: "2" }] })).toMatchObject({
        status: 200,
        body: {},
      });
      expect((await get(id)).body.model.data.params).toEqual([
        { key: "p", value: "1" },
        { key: "q", value: "2" },
      ]);
      const clash = await c.call("POST", `/logged-models/${id}/params`, { model_id: id, params: [{ key: "p", value: "changed" }, { key: "r", value: "3" }] });
      expect(clash).toMatchObject({
        status: 400,
        body: {
          error_code: "INVALID_PARAMETER_VALUE",
          message: `Changing param values is not allowed. Param with key='p' was already logged with value='1' for model ID='${id}'. Attempted logging new value 'changed'.`,
        },
      });
      expect((await get(id)).body.model.data.params).toEqual([
        { key: "p", value: "1" },
        { key: "q", value: "2" },
      ]);
      const unknown = "m-00000000000000000000000000000000";
      expect(await c.call("POST", `/logged-models/${unknown}/params`, { params: [{ key: "a", value: "b" }] })).toMatchObject({ status: 404, body: notFound(unknown) });
    });
  });

  describe("search", () => {
    /**
     * m1 "alpha-1": lr 0.1, team a, READY; acc 0.1 on ds2 (earlier) and 0.9 on ds (latest).
     * m2 "alpha-2": lr 0.2, team b, PENDING; acc 0.7 on ds2.
     * m3 "beta": no metrics, UPLOAD_FAILED. Created in that order.
     */
    async function fixture() {
      const exp = await experiment();
      const runId = await run(exp);
      const m1 = await model(exp, { name: "alpha-1", params: [{ key: "lr", value: "0.1" }], tags: [{ key: "team", value: "a" }] });
      const m2 = await model(exp, { name: "alpha-2", params: [{ key: "lr", value: "0.2" }], tags: [{ key: "team", value: "b" }] });
      const m3 = await model(exp, { name: "beta" });
      await c.call("PATCH", `/logged-models/${m1}`, { status: "LOGGED_MODEL_READY" });
      await c.call("PATCH", `/logged-models/${m3}`, { status: "LOGGED_MODEL_UPLOAD_FAILED" });
      const logged = await c.call("POST", "/runs/log-batch", {
        run_id: runId,
        metrics: [
          { key: "acc", value: 0.1, timestamp: 100, step: 0, model_id: m1, dataset_name: "ds2", dataset_digest: "d2" },
          { key: "acc", value: 0.9, timestamp: 200, step: 0, model_id: m1, dataset_name: "ds", dataset_digest: "d1" },
          { key: "acc", value: 0.7, timestamp: 150, step: 0, model_id: m2, dataset_name: "ds2", dataset_digest: "d2" },
        ],
      });
      expect(logged.status, logged.raw).toBe(200);
      return { exp, runId, m1, m2, m3 };
    }
    async function ids(body: Record<string, unknown>): Promise<string[]> {
      const r = await c.call("POST", "/logged-models/search", body);
      expect(r.status, r.raw).toBe(200);
      return ((r.body.models ?? []) as { info: { model_id: string } }[]).map((m) => m.info.model_id);
    }

    it("filters on metrics, params, tags and attributes (status, name LIKE); models come whole", async () => {
      const { exp, m1, m2, m3 } = await fixture();
      const q = (filter: string) => ids({ experiment_ids: [exp], filter });
      // no filter: newest first
      expect(await ids({ experiment_ids: [exp] })).toEqual([m3, m2, m1]);
      expect(await q("metrics.acc > 0.8")).toEqual([m1]);
      expect(await q("metrics.acc < 0.8")).toEqual([m2, m1]); // m1's ds2 point (0.1) counts too
      expect(await q("params.lr = '0.2'")).toEqual([m2]);
      expect(await q("tags.team = 'a'")).toEqual([m1]);
      expect(await q("attributes.status = 'LOGGED_MODEL_READY'")).toEqual([m1]);
      expect(await q("status = 'LOGGED_MODEL_UPLOAD_FAILED'")).toEqual([m3]);
      expect(await q("attributes.status = 'LOGGED_MODEL_PENDING'")).toEqual([m2]);
      expect(await q("name LIKE 'alpha%'")).toEqual([m2, m1]);
      expect(await q("name LIKE 'alpha%' AND params.lr = '0.1' AND metrics.acc >= 0.9")).toEqual([m1]);
      expect(await q("tags.team = 'nobody'")).toEqual([]);
      // each result is the model as get answers it
      const r = await c.call("POST", "/logged-models/search", { experiment_ids: [exp], filter: "tags.team = 'a'" });
      expect(r.body).toEqual({ models: [(await get(m1)).body.model] });
    });

    it("datasets narrow which metrics count", async () => {
      const { exp, m1, m2 } = await fixture();
      expect(await ids({ experiment_ids: [exp], datasets: [{ dataset_name: "ds" }] })).toEqual([m1]);
      expect(await ids({ experiment_ids: [exp], datasets: [{ dataset_name: "ds2", dataset_digest: "d2" }] })).toEqual([m2, m1]);
      expect(await ids({ experiment_ids: [exp], datasets: [{ dataset_name: "ds2", dataset_digest: "other" }] })).toEqual([]);
      // with a metric clause, only points on those datasets are compared: m1's 0.9 is on ds
      expect(await ids({ experiment_ids: [exp], filter: "metrics.acc > 0.5", datasets: [{ dataset_name: "ds2" }] })).toEqual([m2]);
      expect(await ids({ experiment_ids: [exp], filter: "metrics.acc > 0.5" })).toEqual([m2, m1]);
    });

    it("order_by a metric, ascending and descending, models without it last in both; dataset-qualified order", async () => {
      const { exp, m1, m2, m3 } = await fixture();
      const order = (o: Record<string, unknown>) => ids({ experiment_ids: [exp], order_by: [o] });
      // latest value per model: m1 0.9 (ds, t=200), m2 0.7
      expect(await order({ field_name: "metrics.acc", ascending: true })).toEqual([m2, m1, m3]);
      expect(await order({ field_name: "metrics.acc", ascending: false })).toEqual([m1, m2, m3]);
      // on ds2 only: m1 0.1, m2 0.7
      expect(await order({ field_name: "metrics.acc", ascending: true, dataset_name: "ds2" })).toEqual([m1, m2, m3]);
      expect(await order({ field_name: "metrics.acc", ascending: false, dataset_name: "ds2", dataset_digest: "d2" })).toEqual([m2, m1, m3]);
      // on ds only m1 has the metric: the other two follow, newest first
      expect(await order({ field_name: "metrics.acc", ascending: false, dataset_name: "ds" })).toEqual([m1, m3, m2]);
      // attributes
      expect(await order({ field_name: "name", ascending: true })).toEqual([m1, m2, m3]);
      expect(await order({ field_name: "creation_timestamp", ascending: true })).toEqual([m1, m2, m3]);
    });

    it("pages of 2 with tokens bound to their query", async () => {
      const { exp, m1, m2, m3 } = await fixture();
      const m4 = await model(exp, { name: "alpha-3" });
      const first = await c.call("POST", "/logged-models/search", { experiment_ids: [exp], max_results: 2 });
      expect(first.status).toBe(200);
      expect(first.body.models.map((m: { info: { model_id: string } }) => m.info.model_id)).toEqual([m4, m3]);
      expect(first.body.next_page_token).toEqual(expect.any(String));
      const second = await c.call("POST", "/logged-models/search", { experiment_ids: [exp], max_results: 2, page_token: first.body.next_page_token });
      expect(second.body.models.map((m: { info: { model_id: string } }) => m.info.model_id)).toEqual([m2, m1]);
      expect(second.body).not.toHaveProperty("next_page_token");
      // the same with a filter and an order: the order holds across pages
      const body = { experiment_ids: [exp], max_results: 2, filter: "name LIKE 'alpha%'", order_by: [{ field_name: "name", ascending: false }] };
      const a = await c.call("POST", "/logged-models/search", body);
      expect(a.body.models.map((m: { info: { model_id: string } }) => m.info.model_id)).toEqual([m4, m2]);
      const b = await c.call("POST", "/logged-models/search", { ...body, page_token: a.body.next_page_token });
      expect(b.body).toEqual({ models: [expect.objectContaining({ info: expect.objectContaining({ model_id: m1 }) })] });

      // a token reused with another filter, experiment list or order is refused
      const otherFilter = await c.call("POST", "/logged-models/search", { ...body, filter: "name LIKE 'beta%'", page_token: a.body.next_page_token });
      expect(otherFilter.status).toBe(400);
      expect(otherFilter.body).toEqual({
        error_code: "INVALID_PARAMETER_VALUE",
        message: "Filter string in the page token does not match the requested filter string. Expected: name LIKE 'beta%'. Found: name LIKE 'alpha%'",
      });
      const otherExp = await experiment();
      const crossed = await c.call("POST", "/logged-models/search", { ...body, experiment_ids: [otherExp], page_token: a.body.next_page_token });
      expect(crossed.status).toBe(400);
      expect(crossed.body.error_code).toBe("INVALID_PARAMETER_VALUE");
      const reordered = await c.call("POST", "/logged-models/search", { ...body, order_by: [{ field_name: "name", ascending: true }], page_token: a.body.next_page_token });
      expect(reordered.status).toBe(400);
      // MLflow's server answers a token that is not one of its own with 500; ours 400
      const garbage = await c.call("POST", "/logged-models/search", { experiment_ids: [exp], page_token: "zzz" });
      expect(garbage.status).toBe(400);
      expect(garbage.body.error_code).toBe("INVALID_PARAMETER_VALUE");
    });

    it("refuses max_results above 50, malformed filters and orders, and a missing experiment_ids (400)", async () => {
      const exp = await experiment();
      await model(exp);
      const bad = async (body: Record<string, unknown>) => {
        const r = await c.call("POST", "/logged-models/search", body);
        expect(r.status, JSON.stringify(body)).toBe(400);
        expect(r.body.error_code, JSON.stringify(body)).toBe("INVALID_PARAMETER_VALUE");
        return r.body.message as string;
      };
      // MLflow 3.6's server answers max_results 51 with 200 (the limit is only in its client); ours refuses it
      await bad({ experiment_ids: [exp], max_results: 51 });
      expect((await c.call("POST", "/logged-models/search", { experiment_ids: [exp], max_results: 50 })).status).toBe(200);
      await bad({ experiment_ids: [exp], max_results: 0 });
      expect(await bad({ experiment_ids: [exp], filter: "foo.a = 1" })).toBe("Invalid entity type: 'foo'. Expected one of ['attributes', 'metrics', 'params', 'tags'].");
      await bad({ experiment_ids: [exp], filter: "metrics.a >>> 1" });
      await bad({ experiment_ids: [exp], filter: "metrics.a = 'x'" });
      await bad({ experiment_ids: [exp], filter: "params.p > '1'" });
      await bad({ experiment_ids: [exp], filter: "attributes.nope = 'x'" });
      await bad({ experiment_ids: [exp], filter: "name = 'unterminated" });
      expect(await bad({ experiment_ids: [exp], order_by: [{ field_name: "params.x" }] })).toBe("Invalid order by field name: params.x. Only metrics are supported.");
      expect(await bad({ experiment_ids: [exp], order_by: [{ field_name: "bogus" }] })).toBe("Invalid order by field name: bogus");
      await bad({ experiment_ids: [exp], order_by: [{ field_name: "metrics.acc", dataset_digest: "d" }] });
      await bad({ experiment_ids: [exp], datasets: [{ dataset_digest: "d" }] });
      expect(await c.call("POST", "/logged-models/search", {})).toMatchObject({ status: 400, body: missingParam("experiment_ids") });
      expect(await c.call("POST", "/logged-models/search", { experiment_ids: [] })).toMatchObject({ status: 400, body: missingParam("experiment_ids") });
      // an experiment that does not exist simply matches nothing (as MLflow)
      expect(await c.call("POST", "/logged-models/search", { experiment_ids: ["99999999"] })).toMatchObject({ status: 200, body: {} });
    });
  });

  describe("artifacts/directories", () => {
    it("lists the files put through the artifact proxy, paths relative to the model root", async () => {
      const exp = await experiment();
      const id = await model(exp);
      const dir = `${exp}/models/${id}/artifacts`;
      const rootUri = `mlflow-artifacts:/${dir}`;
      const list = (sub?: string) => c.call("GET", `/logged-models/${id}/artifacts/directories`, sub === undefined ? {} : { artifact_directory_path: sub });
      // no files yet: only the root (MLflow leaves the empty list out)
      expect(await list()).toMatchObject({ status: 200, body: { root_uri: rootUri } });
      expect((await list()).body).toEqual({ root_uri: rootUri });
      await put(`${dir}/MLmodel`, "hello");
      await put(`${dir}/sub/y.txt`, "ab");
      await put(`${dir}/sub/dir/x.txt`, "abc");
      expect((await list()).body).toEqual({
        root_uri: rootUri,
        files: [
          { path: "MLmodel", is_dir: false, file_size: 5 },
          { path: "sub", is_dir: true },
        ],
      });
      expect((await list("sub")).body).toEqual({
        root_uri: rootUri,
        files: [
          { path: "sub/dir", is_dir: true },
          { path: "sub/y.txt", is_dir: false, file_size: 2 },
        ],
      });
      expect((await list("sub/dir")).body).toEqual({ root_uri: rootUri, files: [{ path: "sub/dir/x.txt", is_dir: false, file_size: 3 }] });
      expect(await list("nothing")).toMatchObject({ status: 200, body: { root_uri: rootUri } });
      expect((await list("nothing")).body).toEqual({ root_uri: rootUri });
      expect(await list("../")).toMatchObject({ status: 400, body: { error_code: "INVALID_PARAMETER_VALUE", message: "Invalid path" } });
      // the proxy serves the same bytes back, and so does the UI's download of a model file
      // (MLflow serves artifacts/files under /ajax-api only; ours under both)
      expect((await app.inject({ url: `${proxy}/${dir}/sub/dir/x.txt`, headers: c.headers })).body).toBe("abc");
      const file = (p: string) => c.call("GET", `/logged-models/${id}/artifacts/files`, { artifact_file_path: p });
      expect(await file("sub/dir/x.txt")).toMatchObject({ status: 200, raw: "abc" });
      expect(await file("nope.txt")).toMatchObject({ status: 404, body: { error_code: "RESOURCE_DOES_NOT_EXIST" } });
      expect(await file("../x")).toMatchObject({ status: 400, body: { error_code: "INVALID_PARAMETER_VALUE", message: "Invalid path" } });
      const unknown = "m-00000000000000000000000000000000";
      expect(await c.call("GET", `/logged-models/${unknown}/artifacts/directories`)).toMatchObject({ status: 404, body: notFound(unknown) });
    });

    it("refuses traversal out of the model's files (400 or 404), never a 5xx, never serves them", async () => {
      const exp = await experiment();
      const id = await model(exp);
      const neighbour = await model(exp);
      const runId = await run(exp);
      const otherExp = await experiment();
      const foreign = await model(otherExp);
      const secret = "top secret bytes";
      await put(`${exp}/models/${neighbour}/artifacts/secret.txt`, secret);
      await put(`${exp}/${runId}/artifacts/secret.txt`, secret);
      await put(`${otherExp}/models/${foreign}/artifacts/secret.txt`, secret);
      await put(`${exp}/models/${id}/artifacts/own.txt`, "own");
      const base = `${proxy}/${exp}/models/${id}/artifacts`;
      const refused = (status: number, body: string, what: string) => {
        expect([400, 404], `${what}: ${status} ${body}`).toContain(status);
        expect(body, what).not.toContain(secret);
      };

      const escapes = [
        `../${neighbour}/artifacts/secret.txt`,
        `../../${neighbour}/artifacts/secret.txt`,
        `../../../${runId}/artifacts/secret.txt`,
        `../../../../${otherExp}/models/${foreign}/artifacts/secret.txt`,
        `%2e%2e/%2e%2e/${neighbour}/artifacts/secret.txt`,
        `%2E%2e/%2e%2E/%2e%2e/${runId}/artifacts/secret.txt`,
        `%252e%252e/%252e%252e/${neighbour}/artifacts/secret.txt`,
        `..%2f..%2f${neighbour}%2fartifacts%2fsecret.txt`,
        `..%5c..%5c${neighbour}%5cartifacts%5csecret.txt`,
      ];
      for (const evil of escapes) {
        const read = await rawRequest("GET", `${base}/${evil}`, c.headers);
        refused(read.status, read.body, `GET ${evil}`);
        const write = await rawRequest("PUT", `${base}/${evil}`, c.headers, "overwritten");
        refused(write.status, write.body, `PUT ${evil}`);
        const list = await rawRequest("GET", `${proxy}?path=${exp}/models/${id}/artifacts/${evil}`, c.headers);
        refused(list.status, list.body, `list ${evil}`);
        const dirs = await rawRequest("GET", `${prefix}/logged-models/${id}/artifacts/directories?artifact_directory_path=${evil}`, c.headers);
        refused(dirs.status, dirs.body, `directories ${evil}`);
        const file = await rawRequest("GET", `${prefix}/logged-models/${id}/artifacts/files?artifact_file_path=${evil}`, c.headers);
        refused(file.status, file.body, `files ${evil}`);
      }
      // a model's files through another experiment's prefix, and a run's files through models/
      const crossed = [
        `${proxy}/${otherExp}/models/${id}/artifacts/own.txt`,
        `${proxy}/${exp}/models/${foreign}/artifacts/secret.txt`,
        `${proxy}/${exp}/models/${runId}/artifacts/secret.txt`,
        `${proxy}/${otherExp}/models/${neighbour}/artifacts/secret.txt`,
      ];
      for (const url of crossed) {
        const r = await app.inject({ url, headers: c.headers });
        expect(r.statusCode, url).toBe(404);
        expect(r.body, url).not.toContain(secret);
        expect((await app.inject({ method: "PUT", url, headers: c.headers, payload: "x" })).statusCode, url).toBe(404);
      }
      // writes go under <model>/artifacts only
      expect((await app.inject({ method: "PUT", url: `${proxy}/${exp}/models/${id}/elsewhere.txt`, headers: c.headers, payload: "x" })).statusCode).toBe(404);
      expect((await app.inject({ method: "PUT", url: `${proxy}/${exp}/models/loose.txt`, headers: c.headers, payload: "x" })).statusCode).toBe(404);

      // nothing was overwritten, and the model's own file is still served
      expect((await app.inject({ url: `${proxy}/${exp}/models/${neighbour}/artifacts/secret.txt`, headers: c.headers })).body).toBe(secret);
      expect((await app.inject({ url: `${proxy}/${exp}/${runId}/artifacts/secret.txt`, headers: c.headers })).body).toBe(secret);
      expect((await app.inject({ url: `${base}/own.txt`, headers: c.headers })).body).toBe("own");
      expect((await app.inject({ url: `${proxy}?path=${exp}/models/${id}/artifacts`, headers: c.headers })).json()).toEqual({ files: [{ path: "own.txt", is_dir: false, file_size: 3 }] });
    });
  });

  describe("runs: outputs and model inputs", () => {
    it("runs/outputs shows in runs/get as outputs.model_outputs; a run without any has no outputs key", async () => {
      const exp = await experiment();
      const runId = await run(exp);
      const id = await model(exp, { source_run_id: runId });
      const plain = await c.call("GET", "/runs/get", { run_id: runId });
      expect(plain.body.run).not.toHaveProperty("outputs");
      expect(plain.body.run.inputs).toEqual({});
      expect(await c.call("POST", "/runs/outputs", { run_id: runId, models: [{ model_id: id, step: 3 }] })).toMatchObject({ status: 200, body: {} });
      const got = await c.call("GET", "/runs/get", { run_id: runId });
      expect(got.body.run.outputs).toEqual({ model_outputs: [{ model_id: id, step: 3 }] });
      expect(got.body.run.inputs).toEqual({});
      // another run: untouched
      expect((await c.call("GET", "/runs/get", { run_id: await run(exp) })).body.run).not.toHaveProperty("outputs");

      // MLflow's server accepts an unknown model id here (200) and records nothing useful; ours 404
      const unknown = "m-00000000000000000000000000000000";
      expect(await c.call("POST", "/runs/outputs", { run_id: runId, models: [{ model_id: unknown, step: 0 }] })).toMatchObject({ status: 404, body: notFound(unknown) });
      expect(await c.call("POST", "/runs/outputs", { run_id: runId })).toMatchObject({ status: 400, body: missingParam("models") });
      expect((await c.call("POST", "/runs/outputs", { run_id: runId, models: [{ model_id: id }] })).status).toBe(400);
      expect((await c.call("GET", "/runs/get", { run_id: runId })).body.run.outputs).toEqual({ model_outputs: [{ model_id: id, step: 3 }] });
    });

    it("log-inputs with models shows in runs/get as inputs.model_inputs", async () => {
      const exp = await experiment();
      const runId = await run(exp);
      const id = await model(exp);
      expect(await c.call("POST", "/runs/log-inputs", { run_id: runId, models: [{ model_id: id }] })).toMatchObject({ status: 200, body: {} });
      const got = await c.call("GET", "/runs/get", { run_id: runId });
      expect(got.body.run.inputs).toEqual({ model_inputs: [{ model_id: id }] });
      expect(got.body.run).not.toHaveProperty("outputs");
      const unknown = "m-00000000000000000000000000000000";
      expect(await c.call("POST", "/runs/log-inputs", { run_id: runId, models: [{ model_id: unknown }] })).toMatchObject({ status: 404, body: notFound(unknown) });
    });
  });

  describe("metrics linked to a model and a dataset", () => {
    it("log-batch and log-metric with model_id, dataset_name, dataset_digest: the model's metrics, get-history and runs/get", async () => {
      const exp = await experiment();
      const runId = await run(exp);
      const id = await model(exp, { source_run_id: runId });
      expect(
        await c.call("POST", "/runs/log-batch", {
          run_id: runId,
          metrics: [
            { key: "acc", value: 0.5, timestamp: 10, step: 0 },
            { key: "acc", value: 0.9, timestamp: 20, step: 1, model_id: id, dataset_name: "ds", dataset_digest: "abc" },
          ],
        }),
      ).toMatchObject({ status: 200, body: {} });
      expect(
        await c.call("POST", "/runs/log-metric", { run_id: runId, key: "loss", value: 0.1, timestamp: 30, step: 0, model_id: id, dataset_name: "ds2", dataset_digest: "d2" }),
      ).toMatchObject({ status: 200, body: {} });
      // the client re-sends a run's metric with the model's id: the model gets it, the history does not grow
      expect(await c.call("POST", "/runs/log-batch", { run_id: runId, metrics: [{ key: "acc", value: 0.5, timestamp: 10, step: 0, model_id: id }] })).toMatchObject({
        status: 200,
        body: {},
      });

      expect((await get(id)).body.model.data.metrics).toEqual([
        { key: "acc", value: 0.5, timestamp: 10, step: 0, model_id: id, run_id: runId },
        { key: "acc", value: 0.9, timestamp: 20, step: 1, dataset_name: "ds", dataset_digest: "abc", model_id: id, run_id: runId },
        { key: "loss", value: 0.1, timestamp: 30, step: 0, dataset_name: "ds2", dataset_digest: "d2", model_id: id, run_id: runId },
      ]);
      // (MLflow's own server leaves model and dataset out of get-history and runs/get; ours shows them
      // for the points that were first logged with them)
      expect((await c.call("GET", "/metrics/get-history", { run_id: runId, metric_key: "acc" })).body).toEqual({
        metrics: [
          { key: "acc", value: 0.5, timestamp: 10, step: 0 },
          { key: "acc", value: 0.9, timestamp: 20, step: 1, dataset_name: "ds", dataset_digest: "abc", model_id: id },
        ],
      });
      expect((await c.call("GET", "/metrics/get-history", { run_id: runId, metric_key: "loss" })).body).toEqual({
        metrics: [{ key: "loss", value: 0.1, timestamp: 30, step: 0, dataset_name: "ds2", dataset_digest: "d2", model_id: id }],
      });
      const metrics = (await c.call("GET", "/runs/get", { run_id: runId })).body.run.data.metrics as { key: string }[];
      expect([...metrics].sort((a, b) => a.key.localeCompare(b.key))).toEqual([
        { key: "acc", value: 0.9, timestamp: 20, step: 1, dataset_name: "ds", dataset_digest: "abc", model_id: id },
        { key: "loss", value: 0.1, timestamp: 30, step: 0, dataset_name: "ds2", dataset_digest: "d2", model_id: id },
      ]);
    });

    it("an unknown model_id is 404 and nothing of the batch is written", async () => {
      const exp = await experiment();
      const runId = await run(exp);
      const id = await model(exp);
      const deleted = await model(exp);
      await c.call("DELETE", `/logged-models/${deleted}`);
      const unknown = "m-00000000000000000000000000000000";
      for (const bad of [unknown, deleted]) {
        // MLflow's server accepts an unknown model_id (200) and writes the batch; ours refuses it whole
        const r = await c.call("POST", "/runs/log-batch", {
          run_id: runId,
          metrics: [
            { key: "plain", value: 1, timestamp: 1, step: 0 },
            { key: "linked", value: 2, timestamp: 1, step: 0, model_id: id },
            { key: "bad", value: 3, timestamp: 1, step: 0, model_id: bad },
          ],
          params: [{ key: "p", value: "1" }],
          tags: [{ key: "t", value: "1" }],
        });
        expect(r).toMatchObject({ status: 404, body: notFound(bad) });
        expect(await c.call("POST", "/runs/log-metric", { run_id: runId, key: "single", value: 1, timestamp: 1, model_id: bad })).toMatchObject({ status: 404, body: notFound(bad) });
      }
      const got = (await c.call("GET", "/runs/get", { run_id: runId })).body.run;
      expect(got.data.metrics).toBeUndefined();
      expect(got.data.params).toBeUndefined();
      expect((got.data.tags as { key: string }[]).map((t) => t.key)).not.toContain("t");
      for (const key of ["plain", "linked", "bad", "single"]) {
        expect((await c.call("GET", "/metrics/get-history", { run_id: runId, metric_key: key })).body).toEqual({});
      }
      expect((await get(id)).body.model.data).toEqual({});
    });
  });

  describe("unknown and deleted ids", () => {
    it("every logged-model endpoint answers 404 RESOURCE_DOES_NOT_EXIST with MLflow's message", async () => {
      const exp = await experiment();
      const deleted = await model(exp, { tags: [{ key: "k", value: "v" }] });
      await c.call("DELETE", `/logged-models/${deleted}`);
      for (const id of ["m-00000000000000000000000000000000", deleted]) {
        const calls: [string, () => Promise<{ status: number; body: unknown }>][] = [
          ["get", () => get(id)],
          ["finalize", () => c.call("PATCH", `/logged-models/${id}`, { model_id: id, status: "LOGGED_MODEL_READY" })],
          ["delete", () => c.call("DELETE", `/logged-models/${id}`)],
          ["set tags", () => c.call("PATCH", `/logged-models/${id}/tags`, { tags: [{ key: "a", value: "b" }] })],
          ["delete tag", () => c.call("DELETE", `/logged-models/${id}/tags/k`)],
          ["params", () => c.call("POST", `/logged-models/${id}/params`, { params: [{ key: "a", value: "b" }] })],
          ["directories", () => c.call("GET", `/logged-models/${id}/artifacts/directories`)],
        ];
        for (const [what, call] of calls) expect(await call(), `${what} ${id}`).toMatchObject({ status: 404, body: notFound(id) });
      }
    });
  });
});
