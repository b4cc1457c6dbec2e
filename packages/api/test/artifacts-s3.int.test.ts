import crypto from "node:crypto";
import fsp from "node:fs/promises";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createS3ArtifactStore } from "@modelgate/artifacts";
import type { Db } from "@modelgate/db";
import { useTestDatabase } from "@modelgate/db/test-db";
import { createDataPlaneApp } from "../src/rest/index.ts";
import { putParts, runDir } from "./artifacts-fixtures.ts";

// The artifact proxy over the S3 store, against a real S3 API (s3rver, path-style like MinIO).

interface S3rverServer {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
const S3rver = createRequire(import.meta.url)("s3rver") as new (opts: object) => S3rverServer;

let db: Db;
let app: FastifyInstance;
let s3: S3rverServer;
let tmp: string;
const A = "/api/2.0/mlflow-artifacts";

beforeAll(async () => {
  db = (await useTestDatabase()).db;
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), "mg-api-s3-"));
  s3 = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory: tmp, configureBuckets: [{ name: "bucket" }] });
  const { port } = await s3.run();
  const artifacts = createS3ArtifactStore({
    bucket: "bucket",
    prefix: "mlruns",
    endpoint: `http://127.0.0.1:${port}`,
    region: "us-east-1",
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
  });
  app = await createDataPlaneApp({ db, version: "t", artifacts });
});
afterAll(async () => {
  await app?.close();
  await s3?.close();
  await fsp.rm(tmp, { recursive: true, force: true });
});

describe("artifact proxy on S3", () => {
  it("upload, list, download and delete", async () => {
    const { owner: { headers }, dir } = await runDir(db);
    const data = crypto.randomBytes(6 * 1024 * 1024);
    expect((await app.inject({ method: "PUT", url: `${A}/artifacts/${dir}/model/weights.bin`, headers, payload: data })).statusCode).toBe(200);
    expect((await app.inject({ method: "PUT", url: `${A}/artifacts/${dir}/notes.txt`, headers, payload: "hello" })).statusCode).toBe(200);
    expect((await app.inject({ url: `${A}/artifacts?path=${dir}`, headers })).json()).toEqual({
      files: [{ path: "model", is_dir: true }, { path: "notes.txt", is_dir: false, file_size: 5 }],
    });
    const got = await app.inject({ url: `${A}/artifacts/${dir}/model/weights.bin`, headers });
    expect(got.statusCode).toBe(200);
    expect(got.headers["content-length"]).toBe(String(data.length));
    expect(got.rawPayload.equals(data)).toBe(true);
    expect((await app.inject({ url: `${A}/artifacts/${dir}/missing.txt`, headers })).statusCode).toBe(404);
    await app.inject({ method: "DELETE", url: `${A}/artifacts/${dir}/model`, headers });
    expect((await app.inject({ url: `${A}/artifacts?path=${dir}`, headers })).json()).toEqual({ files: [{ path: "notes.txt", is_dir: false, file_size: 5 }] });
  });

  it("multipart: parts go through the signed part URLs into S3's multipart upload", async () => {
    const { owner: { headers }, dir } = await runDir(db);
    const create = await app.inject({ method: "POST", url: `${A}/mpu/create/${dir}`, headers, payload: { path: "big.bin", num_parts: 2 } });
    const { upload_id, credentials } = create.json() as { upload_id: string; credentials: { url: string; part_number: number }[] };
    const data = [crypto.randomBytes(5 * 1024 * 1024), crypto.randomBytes(1234)];
    const parts = await putParts(app, credentials, data);
    expect((await app.inject({ method: "POST", url: `${A}/mpu/complete/${dir}`, headers, payload: { path: "big.bin", upload_id, parts } })).statusCode).toBe(200);
    const got = await app.inject({ url: `${A}/artifacts/${dir}/big.bin`, headers });
    expect(got.rawPayload.equals(Buffer.concat(data))).toBe(true);
  });
});
