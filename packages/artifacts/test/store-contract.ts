import crypto from "node:crypto";
import { Readable } from "node:stream";
import { expect, it } from "vitest";
import { ArtifactNotFoundError, ArtifactRequestError, InvalidArtifactPathError, type ArtifactStore } from "../src/index.ts";

// One behaviour for every store: each implementation's test file runs these against a real
// backing store (a temp directory, an s3rver process).

export const body = (s: string | Buffer) => Readable.from([Buffer.from(s)]);

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks);
}

/** Fresh unique prefix per test, so tests never see each other's files. */
const dir = () => `1/${crypto.randomBytes(16).toString("hex")}/artifacts`;

export const TRAVERSALS = [
  "../x",
  "a/../../x",
  "a/%2e%2e/x",
  "a/%2E%2E/%2e%2e/x",
  "a/%252e%252e/x",
  "a/..%2fx/..",
  "/etc/passwd",
  "C:/x",
  "a\\..\\x",
  "a\0b",
  "a;b",
  "a#b",
];

/** s3rver has no AbortMultipartUpload (DELETE ?uploadId answers MethodNotAllowed). */
export interface ContractOptions {
  abortSupported?: boolean;
}

export function storeContract(getStore: () => ArtifactStore, { abortSupported = true }: ContractOptions = {}) {
  it("puts, gets, lists (paths relative to the dir) and deletes files and directories", async () => {
    const store = getStore();
    const d = dir();
    await store.put(`${d}/a.txt`, body("hello"));
    await store.put(`${d}/sub/b.json`, body('{"x":1}'), { contentLength: 7 });
    const got = await store.get(`${d}/a.txt`);
    expect(got.size).toBe(5);
    expect(got.contentType).toBe("text/plain");
    expect((await readAll(got.stream)).toString()).toBe("hello");
    expect(await store.list(d)).toEqual([
      { path: "a.txt", is_dir: false, file_size: 5 },
      { path: "sub", is_dir: true },
    ]);
    expect(await store.list(`${d}/sub`)).toEqual([{ path: "b.json", is_dir: false, file_size: 7 }]);
    expect(await store.list(`${d}/missing`)).toEqual([]);
    await store.put(`${d}/a.txt`, body("replaced"));
    expect((await readAll((await store.get(`${d}/a.txt`)).stream)).toString()).toBe("replaced");
    await store.delete(`${d}/sub`);
    expect(await store.list(d)).toEqual([{ path: "a.txt", is_dir: false, file_size: 8 }]);
    await store.delete(`${d}/a.txt`);
    expect(await store.list(d)).toEqual([]);
    await expect(store.get(`${d}/a.txt`)).rejects.toBeInstanceOf(ArtifactNotFoundError);
    await store.delete(`${d}/never-existed`);
  });

  it("normalises `.` and empty segments", async () => {
    const store = getStore();
    const d = dir();
    await store.put(`${d}/./x//y.txt`, body("y"));
    expect((await readAll((await store.get(`${d}/x/y.txt`)).stream)).toString()).toBe("y");
  });

  it("rejects traversal and odd paths before writing anything", async () => {
    const store = getStore();
    for (const p of TRAVERSALS) {
      await expect(store.put(p, body("evil")), p).rejects.toBeInstanceOf(InvalidArtifactPathError);
      await expect(store.get(p), p).rejects.toBeInstanceOf(InvalidArtifactPathError);
      await expect(store.list(p), p).rejects.toBeInstanceOf(InvalidArtifactPathError);
      await expect(store.delete(p), p).rejects.toBeInstanceOf(InvalidArtifactPathError);
    }
    await expect(store.put("", body("x"))).rejects.toBeInstanceOf(InvalidArtifactPathError);
  });

  it("refuses a body shorter than its declared length and stores nothing", async () => {
    const store = getStore();
    const d = dir();
    await expect(store.put(`${d}/short.bin`, body("abc"), { contentLength: 10 })).rejects.toBeInstanceOf(ArtifactRequestError);
    await expect(store.get(`${d}/short.bin`)).rejects.toBeInstanceOf(ArtifactNotFoundError);
  });

  it("streams a multi-megabyte file through put and get", async () => {
    const store = getStore();
    const d = dir();
    const chunk = crypto.randomBytes(1024 * 1024);
    async function* gen() {
      for (let i = 0; i < 12; i++) yield chunk;
    }
    await store.put(`${d}/big.bin`, Readable.from(gen()));
    const got = await store.get(`${d}/big.bin`);
    expect(got.size).toBe(12 * chunk.length);
    const all = await readAll(got.stream);
    expect(all.subarray(5 * chunk.length, 6 * chunk.length).equals(chunk)).toBe(true);
  });

  it("multipart: create hands out signed part URLs; parts + complete assemble the file; abort forgets it", async () => {
    const store = getStore();
    const d = dir();
    const path = `${d}/model.bin`;
    const parts = [crypto.randomBytes(5 * 1024 * 1024), crypto.randomBytes(1000)];
    const mpu = await store.createMultipartUpload(path, 2);
    expect(mpu.credentials.map((c) => c.part_number)).toEqual([1, 2]);
    const uploaded = [];
    for (const cred of mpu.credentials) {
      const query = Object.fromEntries(new URL(cred.url, "http://x").searchParams);
      expect(store.verifyPartUrl(path, query)).toBe(true);
      expect(store.verifyPartUrl(`${d}/other.bin`, query)).toBe(false);
      expect(store.verifyPartUrl(path, { ...query, part_number: "7" })).toBe(false);
      const data = parts[cred.part_number - 1]!;
      const etag = await store.uploadPart(path, mpu.upload_id, cred.part_number, body(data), { contentLength: data.length });
      uploaded.push({ part_number: cred.part_number, etag, url: cred.url });
    }
    await store.completeMultipartUpload(path, mpu.upload_id, uploaded.reverse());
    const got = await readAll((await store.get(path)).stream);
    expect(got.equals(Buffer.concat(parts))).toBe(true);

    if (abortSupported) {
      const aborted = await store.createMultipartUpload(`${d}/gone.bin`, 1);
      await store.abortMultipartUpload(`${d}/gone.bin`, aborted.upload_id);
      await expect(store.get(`${d}/gone.bin`)).rejects.toBeInstanceOf(ArtifactNotFoundError);
    }
    await expect(store.createMultipartUpload(`${d}/x.bin`, 0)).rejects.toBeInstanceOf(ArtifactRequestError);
  });
}
