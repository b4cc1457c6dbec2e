import crypto from "node:crypto";
import fsp from "node:fs/promises";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createS3ArtifactStore } from "@modelgate/artifacts";
import { createExperiment, createRun, createToken, createUser, systemActor, type Actor } from "@modelgate/core";
import type { Db } from "@modelgate/db";
import { useTestDatabase } from "@modelgate/db/test-db";
import { createDataPlaneApp } from "../src/rest/index.ts";

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

async function ownerWithRun() {
  const u = await createUser({ db, actor: systemActor("test") }, { username: `s3-${crypto.randomBytes(4).toString("hex")}`, password: "correct horse battery staple", role: "USER" });
  const ctx = { db, actor: { kind: "user", userId: u.id, username: u.username, role: u.role } satisfies Actor };
  const { secret } = await createToken(ctx, { name: "t" });
  const { experiment_id } = await createExperiment(ctx, { name: `s3-${crypto.randomUUID()}` });
  const run = await createRun(ctx, { experiment_id });
  return { headers: { authorization: `Bearer ${secret}` }, dir: run.info.artifact_uri.replace(/^mlflow-artifacts:\/+/, "") };
}

describe("artifact proxy on S3", () => {
  it("upload, list, download and delete", async () => {
    const { headers, dir } = await ownerWithRun();
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
    const { headers, dir } = await ownerWithRun();
    const create = await app.inject({ method: "POST", url: `${A}/mpu/create/${dir}`, headers, payload: { path: "big.bin", num_parts: 2 } });
    const { upload_id, credentials } = create.json() as { upload_id: string; credentials: { url: string; part_number: number }[] };
    const data = [crypto.randomBytes(5 * 1024 * 1024), crypto.randomBytes(1234)];
    const parts = [];
    for (const c of credentials) {
      const u = new URL(c.url);
      const r = await app.inject({ method: "PUT", url: u.pathname + u.search, payload: data[c.part_number - 1] });
      expect(r.statusCode).toBe(200);
      parts.push({ part_number: c.part_number, etag: String(r.headers.etag), url: c.url });
    }
    expect((await app.inject({ method: "POST", url: `${A}/mpu/complete/${dir}`, headers, payload: { path: "big.bin", upload_id, parts } })).statusCode).toBe(200);
    const got = await app.inject({ url: `${A}/artifacts/${dir}/big.bin`, headers });
    expect(got.rawPayload.equals(Buffer.concat(data))).toBe(true);
  });
});
