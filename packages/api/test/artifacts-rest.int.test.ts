import crypto from "node:crypto";
import fs from "node:fs";
import fsp from "node:fs/promises";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLocalArtifactStore, STAGING_DIR } from "@modelgate/artifacts";
import { configureTracking, createExperiment, createRun, setExperimentPermission } from "@modelgate/core";
import type { Db } from "@modelgate/db";
import { useTestDatabase } from "@modelgate/db/test-db";
import { createDataPlaneApp } from "../src/rest/index.ts";
import { putParts, runDir, tokenUser } from "./artifacts-fixtures.ts";

let db: Db;
let app: FastifyInstance;
let root: string;

const A = "/api/2.0/mlflow-artifacts/artifacts";

let listening: Promise<string> | undefined;
/** The app on a real port, for what inject cannot show (raw URLs, socket streaming). */
const baseUrl = () => (listening ??= app.listen({ port: 0, host: "127.0.0.1" }));

/** One raw HTTP/1.1 request, the request line exactly as given (no client-side URL cleanup). */
async function rawRequest(requestLine: string, headers: Record<string, string>, body = ""): Promise<string> {
  const { port } = new URL(await baseUrl());
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), "127.0.0.1", () => {
      const head = Object.entries({ host: "localhost", connection: "close", "content-length": String(Buffer.byteLength(body)), ...headers })
        .map(([k, v]) => `${k}: ${v}`)
        .join("\r\n");
      socket.write(`${requestLine}\r\n${head}\r\n\r\n${body}`);
    });
    let out = "";
    socket.on("data", (d) => (out += d.toString()));
    socket.on("end", () => resolve(out));
    socket.on("error", reject);
  });
}

/** Every file under the store root's parent, staging excluded: proof that nothing was written. */
function allFiles(): string[] {
  return (fs.readdirSync(path.dirname(root), { recursive: true }) as string[]).filter((f) => !f.includes(STAGING_DIR)).sort();
}

beforeAll(async () => {
  db = (await useTestDatabase()).db;
  configureTracking({ defaultExperimentPermission: "NONE" });
  root = path.join(await fsp.mkdtemp(path.join(os.tmpdir(), "mg-api-artifacts-")), "root");
  app = await createDataPlaneApp({ db, version: "t", bodyLimit: 64 * 1024, artifacts: createLocalArtifactStore({ root }) });
});
afterAll(async () => {
  await app?.close();
  await fsp.rm(path.dirname(root), { recursive: true, force: true });
});

describe("artifact proxy", () => {
  it("upload, list, download, delete round trip in MLflow's shapes", async () => {
    const { owner, dir } = await runDir(db);
    const put = await app.inject({ method: "PUT", url: `${A}/${dir}/model/MLmodel`, headers: owner.headers, payload: "flavors: {}\n" });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toEqual({});
    // any content type is taken raw, also ones with a parser elsewhere (JSON)
    const json = await app.inject({ method: "PUT", url: `${A}/${dir}/b.json`, headers: { ...owner.headers, "content-type": "application/json" }, payload: "not json" });
    expect(json.statusCode).toBe(200);

    const list = await app.inject({ url: `${A}?path=${dir}`, headers: owner.headers });
    expect(list.json()).toEqual({ files: [{ path: "b.json", is_dir: false, file_size: 8 }, { path: "model", is_dir: true }] });
    expect((await app.inject({ url: `${A}?path=${dir}/model`, headers: owner.headers })).json()).toEqual({ files: [{ path: "MLmodel", is_dir: false, file_size: 12 }] });
    expect((await app.inject({ url: `${A}?path=${dir}/nothing-here`, headers: owner.headers })).json()).toEqual({});

    const get = await app.inject({ url: `${A}/${dir}/b.json`, headers: owner.headers });
    expect(get.statusCode).toBe(200);
    expect(get.body).toBe("not json");
    expect(get.headers["content-type"]).toBe("application/json");
    expect(get.headers["content-disposition"]).toBe(`attachment; filename="b.json"; filename*=UTF-8''b.json`);
    // the portal's prefix serves the same files
    expect((await app.inject({ url: `/ajax-api/2.0/mlflow-artifacts/artifacts/${dir}/model/MLmodel`, headers: owner.headers })).body).toBe("flavors: {}\n");

    const missing = await app.inject({ url: `${A}/${dir}/nope.txt`, headers: owner.headers });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error_code).toBe("RESOURCE_DOES_NOT_EXIST");

    expect((await app.inject({ method: "DELETE", url: `${A}/${dir}/model`, headers: owner.headers })).json()).toEqual({});
    expect((await app.inject({ method: "DELETE", url: `${A}/${dir}/b.json`, headers: owner.headers })).statusCode).toBe(200);
    expect((await app.inject({ url: `${A}?path=${dir}`, headers: owner.headers })).json()).toEqual({});
  });

  it("an empty body stores an empty file", async () => {
    const { owner, dir } = await runDir(db);
    expect((await app.inject({ method: "PUT", url: `${A}/${dir}/empty`, headers: owner.headers })).statusCode).toBe(200);
    expect((await app.inject({ url: `${A}?path=${dir}`, headers: owner.headers })).json()).toEqual({ files: [{ path: "empty", is_dir: false, file_size: 0 }] });
  });

  it("rejects traversal with 400 Invalid path and writes nothing", async () => {
    const { owner, dir } = await runDir(db);
    const before = allFiles();
    // (inject's URL parsing resolves `../` and `%2e%2e/`; the raw requests below send them as is)
    for (const evil of ["%252e%252e/x", "a%5c..%5cx", "a%00b", "a%3bb", "a%23b", "..%2f..%2fx"]) {
      const r = await app.inject({ method: "PUT", url: `${A}/${dir}/${evil}`, headers: owner.headers, payload: "evil" });
      expect(r.statusCode, evil).toBe(400);
      expect(r.json(), evil).toEqual({ error_code: "INVALID_PARAMETER_VALUE", message: "Invalid path" });
      expect((await app.inject({ url: `${A}/${dir}/${evil}`, headers: owner.headers })).statusCode, evil).toBe(400);
    }
    for (const evil of ["../../../x", "%2e%2e/%2e%2e/%2e%2e/x", "%2E%2e/x", "..\\..\\x", "./../x"]) {
      const res = await rawRequest(`PUT ${A}/${dir}/${evil} HTTP/1.1`, owner.headers, "evil");
      expect(res.split("\r\n")[0], evil).toBe("HTTP/1.1 400 Bad Request");
      expect(res, evil).toContain('{"error_code":"INVALID_PARAMETER_VALUE","message":"Invalid path"}');
    }
    // an absolute path, encoded so that the router does not see it
    expect((await app.inject({ method: "PUT", url: `${A}/%2fetc%2fpasswd`, headers: owner.headers, payload: "evil" })).statusCode).toBe(400);
    const list = await app.inject({ url: `${A}?path=${dir}/..%2f..`, headers: owner.headers });
    expect(list.statusCode).toBe(400);
    expect(allFiles()).toEqual(before);
  });

  it("reading needs READ on the experiment, writing EDIT; other paths are 404", async () => {
    const { owner, experimentId, dir } = await runDir(db);
    await app.inject({ method: "PUT", url: `${A}/${dir}/a.txt`, headers: owner.headers, payload: "a" });
    const stranger = await tokenUser(db);
    const reader = await tokenUser(db);
    await setExperimentPermission(owner.ctx, { experiment_id: experimentId, username: reader.u.username, level: "READ" });

    const hidden = await app.inject({ url: `${A}/${dir}/a.txt`, headers: stranger.headers });
    expect(hidden.statusCode).toBe(404);
    expect((await app.inject({ url: `${A}?path=${dir}`, headers: stranger.headers })).statusCode).toBe(404);
    expect((await app.inject({ method: "PUT", url: `${A}/${dir}/s.txt`, headers: stranger.headers, payload: "s" })).statusCode).toBe(404);

    expect((await app.inject({ url: `${A}/${dir}/a.txt`, headers: reader.headers })).body).toBe("a");
    const write = await app.inject({ method: "PUT", url: `${A}/${dir}/r.txt`, headers: reader.headers, payload: "r" });
    expect(write.statusCode).toBe(403);
    expect(write.json().error_code).toBe("PERMISSION_DENIED");
    expect((await app.inject({ method: "DELETE", url: `${A}/${dir}/a.txt`, headers: reader.headers })).statusCode).toBe(403);

    // a run id under the wrong experiment, or paths outside <exp>/<run>/artifacts
    const other = await runDir(db);
    const crossed = `${experimentId}/${other.runId}/artifacts/x.txt`;
    expect((await app.inject({ method: "PUT", url: `${A}/${crossed}`, headers: owner.headers, payload: "x" })).statusCode).toBe(404);
    expect((await app.inject({ method: "PUT", url: `${A}/${dir.replace(/\/artifacts$/, "")}/elsewhere.txt`, headers: owner.headers, payload: "x" })).statusCode).toBe(404);
    expect((await app.inject({ url: `${A}?path=`, headers: owner.headers })).statusCode).toBe(404);
    expect((await app.inject({ method: "PUT", url: `${A}/mystery/file.txt`, headers: owner.headers, payload: "x" })).statusCode).toBe(404);
  });

  it("artifacts/list on the tracking API lists relative to the run root", async () => {
    const { owner, runId, dir } = await runDir(db);
    await app.inject({ method: "PUT", url: `${A}/${dir}/top.txt`, headers: owner.headers, payload: "t" });
    await app.inject({ method: "PUT", url: `${A}/${dir}/model/MLmodel`, headers: owner.headers, payload: "m" });
    const rootUri = `mlflow-artifacts:/${dir}`;
    expect((await app.inject({ url: `/api/2.0/mlflow/artifacts/list?run_id=${runId}`, headers: owner.headers })).json()).toEqual({
      root_uri: rootUri,
      files: [{ path: "model", is_dir: true }, { path: "top.txt", is_dir: false, file_size: 1 }],
    });
    expect((await app.inject({ url: `/ajax-api/2.0/mlflow/artifacts/list?run_uuid=${runId}&path=model`, headers: owner.headers })).json()).toEqual({
      root_uri: rootUri,
      files: [{ path: "model/MLmodel", is_dir: false, file_size: 1 }],
    });
    expect((await app.inject({ url: `/api/2.0/mlflow/artifacts/list?run_id=${runId}&path=empty`, headers: owner.headers })).json()).toEqual({ root_uri: rootUri });
    expect((await app.inject({ url: `/api/2.0/mlflow/artifacts/list?run_id=${runId}&path=../x`, headers: owner.headers })).statusCode).toBe(400);
    expect((await app.inject({ url: `/api/2.0/mlflow/artifacts/list?run_id=${runId}`, headers: (await tokenUser(db)).headers })).statusCode).toBe(404);
  });

  it("artifacts/list applies the proxy's rule: a run whose root points into another experiment lists nothing there", async () => {
    const victim = await runDir(db);
    await app.inject({ method: "PUT", url: `${A}/${victim.dir}/secret.txt`, headers: victim.owner.headers, payload: "s" });
    const other = await tokenUser(db);
    // an experiment whose artifact_location names the victim's experiment folder
    const { experiment_id } = await createExperiment(other.ctx, { name: `exp-${crypto.randomUUID()}`, artifact_location: `mlflow-artifacts:/${victim.experimentId}` });
    const run = await createRun(other.ctx, { experiment_id });
    const r = await app.inject({ url: `/api/2.0/mlflow/artifacts/list?run_id=${run.info.run_id}`, headers: other.headers });
    expect(r.statusCode).toBe(404);
    expect(r.json()).toMatchObject({ error_code: "RESOURCE_DOES_NOT_EXIST" });
  });

  it("multipart upload the way the mlflow client does it: create, PUT parts to the URLs (no auth), complete", async () => {
    const { owner, dir } = await runDir(db);
    const create = await app.inject({ method: "POST", url: `/api/2.0/mlflow-artifacts/mpu/create/${dir}/model`, headers: owner.headers, payload: { path: "/tmp/local/weights.bin", num_parts: 2 } });
    expect(create.statusCode).toBe(200);
    const { upload_id, credentials } = create.json() as { upload_id: string; credentials: { url: string; part_number: number; headers: object }[] };
    expect(credentials).toHaveLength(2);
    expect(credentials[0]!.url).toMatch(/^http:\/\/localhost(:\d+)?\/api\/2\.0\/mlflow-artifacts\/mpu\/upload\/.+\/model\/weights\.bin\?upload_id=/);
    const data = [crypto.randomBytes(3000), crypto.randomBytes(100)];
    const parts = await putParts(app, credentials, data);
    // a tampered signature is refused
    const u0 = new URL(credentials[0]!.url);
    u0.searchParams.set("part_number", "2");
    expect((await app.inject({ method: "PUT", url: u0.pathname + u0.search, payload: "x" })).statusCode).toBe(403);

    const done = await app.inject({ method: "POST", url: `/api/2.0/mlflow-artifacts/mpu/complete/${dir}/model`, headers: owner.headers, payload: { path: "weights.bin", upload_id, parts } });
    expect(done.statusCode).toBe(200);
    const got = await app.inject({ url: `${A}/${dir}/model/weights.bin`, headers: owner.headers });
    expect(got.rawPayload.equals(Buffer.concat(data))).toBe(true);

    const again = await app.inject({ method: "POST", url: `/api/2.0/mlflow-artifacts/mpu/create/${dir}`, headers: owner.headers, payload: { path: "x.bin", num_parts: 1 } });
    const abort = await app.inject({ method: "POST", url: `/api/2.0/mlflow-artifacts/mpu/abort/${dir}`, headers: owner.headers, payload: { path: "x.bin", upload_id: again.json().upload_id } });
    expect(abort.json()).toEqual({});
    const reader = await tokenUser(db);
    expect((await app.inject({ method: "POST", url: `/api/2.0/mlflow-artifacts/mpu/create/${dir}`, headers: reader.headers, payload: { path: "x.bin", num_parts: 1 } })).statusCode).toBe(404);
  });

  it("streams a 200 MB upload over HTTP without holding it in memory", async () => {
    const { owner, dir } = await runDir(db);
    const address = await baseUrl();
    const size = 200 * 1024 * 1024;
    const chunk = Buffer.alloc(1024 * 1024, 7);
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${address}${A}/${dir}/big.bin`, { method: "PUT", headers: { ...owner.headers, "content-length": size } }, (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      });
      req.on("error", reject);
      async function* gen() {
        for (let i = 0; i < size / chunk.length; i++) {
          peak = Math.max(peak, process.memoryUsage().rss);
          yield chunk;
        }
      }
      Readable.from(gen()).pipe(req);
    });
    expect(status).toBe(200);
    // generous: the point is that 200 MB never sat in memory at once
    expect(peak - rssBefore).toBeLessThan(size / 2);
    const list = await app.inject({ url: `${A}?path=${dir}`, headers: owner.headers });
    expect(list.json()).toEqual({ files: [{ path: "big.bin", is_dir: false, file_size: size }] });
  });
});
