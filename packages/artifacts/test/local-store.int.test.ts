import fs from "node:fs";
import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ArtifactRequestError, createLocalArtifactStore, InvalidArtifactPathError, STAGING_DIR, type ArtifactStore } from "../src/index.ts";
import { body, storeContract, TRAVERSALS } from "./store-contract.ts";

let parent: string;
let root: string;
let store: ArtifactStore;

beforeAll(async () => {
  parent = await fsp.mkdtemp(path.join(os.tmpdir(), "mg-artifacts-"));
  root = path.join(parent, "root");
  store = createLocalArtifactStore({ root });
});
afterAll(() => fsp.rm(parent, { recursive: true, force: true }));

/** Every file under `dir`, relative, staging excluded. */
function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => !f.startsWith(STAGING_DIR));
}

describe("local artifact store", () => {
  storeContract(() => store);

  it("writes nothing anywhere for a rejected path, inside or outside the root", async () => {
    const before = filesUnder(parent);
    for (const p of TRAVERSALS) await expect(store.put(p, body("evil"))).rejects.toBeInstanceOf(InvalidArtifactPathError);
    expect(filesUnder(parent)).toEqual(before);
  });

  it("reserves its staging directory name and hides it from listings", async () => {
    await expect(store.put(`${STAGING_DIR}/x`, body("x"))).rejects.toBeInstanceOf(InvalidArtifactPathError);
    await store.put("top.txt", body("t"));
    expect((await store.list("")).map((f) => f.path)).not.toContain(STAGING_DIR);
  });

  it("leaves no temp file behind after a failed upload, and refuses a file where a directory is", async () => {
    await expect(store.put("d/short.bin", body("abc"), { contentLength: 9 })).rejects.toBeInstanceOf(ArtifactRequestError);
    const staged = fs.readdirSync(path.join(root, STAGING_DIR)).filter((f) => f.startsWith("tmp-"));
    expect(staged).toEqual([]);
    await store.put("d2/inner/f.txt", body("f"));
    await expect(store.put("d2/inner", body("x"))).rejects.toBeInstanceOf(ArtifactRequestError);
    await expect(store.put("d2/inner/f.txt/below", body("x"))).rejects.toBeInstanceOf(ArtifactRequestError);
  });

  it("refuses parts for an unknown upload or a mismatched etag", async () => {
    const mpu = await store.createMultipartUpload("m/a.bin", 1);
    await expect(store.uploadPart("m/other.bin", mpu.upload_id, 1, body("x"))).rejects.toBeInstanceOf(ArtifactRequestError);
    await expect(store.uploadPart("m/a.bin", "nope", 1, body("x"))).rejects.toBeInstanceOf(ArtifactRequestError);
    await expect(store.uploadPart("m/a.bin", mpu.upload_id, 2, body("x"))).rejects.toBeInstanceOf(ArtifactRequestError);
    await store.uploadPart("m/a.bin", mpu.upload_id, 1, body("x"));
    await expect(store.completeMultipartUpload("m/a.bin", mpu.upload_id, [{ part_number: 1, etag: "wrong" }])).rejects.toBeInstanceOf(ArtifactRequestError);
  });
});
