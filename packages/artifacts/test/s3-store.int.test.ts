import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import S3rver from "s3rver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createS3ArtifactStore, parseS3Uri, type ArtifactStore } from "../src/index.ts";
import { storeContract } from "./store-contract.ts";

// A real S3 API (s3rver) on a random port, addressed path-style like MinIO via an endpoint URL.
let dir: string;
let server: S3rver;
let store: ArtifactStore;

beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), "mg-s3rver-"));
  server = new S3rver({ address: "127.0.0.1", port: 0, silent: true, directory: dir, configureBuckets: [{ name: "artifacts" }] });
  const { port } = await server.run();
  store = createS3ArtifactStore({
    ...parseS3Uri("s3://artifacts/some/prefix/"),
    endpoint: `http://127.0.0.1:${port}`,
    region: "us-east-1",
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
  });
});
afterAll(async () => {
  await server?.close();
  await fsp.rm(dir, { recursive: true, force: true });
});

describe("S3 artifact store (s3rver)", () => {
  it("parses s3:// destinations", () => {
    expect(parseS3Uri("s3://b")).toEqual({ bucket: "b", prefix: "" });
    expect(parseS3Uri("s3://b/p/q/")).toEqual({ bucket: "b", prefix: "p/q" });
    expect(() => parseS3Uri("/tmp/x")).toThrow();
  });

  storeContract(() => store, { abortSupported: false });
});
