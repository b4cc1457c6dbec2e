import crypto from "node:crypto";
import fs from "node:fs";
import fsp from "node:fs/promises";
import nodePath from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { countBytes, shortBodyError } from "./byte-count.ts";
import { ArtifactNotFoundError, ArtifactRequestError, InvalidArtifactPathError } from "./errors.ts";
import { guessContentType } from "./content-type.ts";
import { assertNumParts, createPartUrlSigner, type PartUrlSigner } from "./part-urls.ts";
import { storePath } from "./paths.ts";
import type { ArtifactObject, ArtifactStore, FileInfo, MultipartUpload, PutOptions, UploadedPart } from "./types.ts";

/**
 * Temp files and multipart staging live inside the root so that the final rename stays on one
 * filesystem (atomic). The name is reserved: no artifact path may start with it.
 */
export const STAGING_DIR = ".modelgate-staging";

interface UploadMeta {
  path: string;
  numParts: number;
}

export interface LocalStoreOptions {
  root: string;
  signer?: PartUrlSigner;
}

export function createLocalArtifactStore({ root: rootIn, signer = createPartUrlSigner() }: LocalStoreOptions): ArtifactStore {
  const root = nodePath.resolve(rootIn);
  const staging = nodePath.join(root, STAGING_DIR);

  /** A validated artifact path → its absolute location, which is checked to stay under root. */
  function locate(raw: string, { allowRoot = false } = {}): { rel: string; abs: string } {
    const rel = storePath(raw, { allowRoot });
    if (rel.split("/")[0] === STAGING_DIR) throw new InvalidArtifactPathError("reserved name");
    const abs = nodePath.resolve(root, rel);
    if (abs !== root && !abs.startsWith(root + nodePath.sep)) throw new InvalidArtifactPathError("outside the root");
    return { rel, abs };
  }

  async function tempFile(): Promise<string> {
    await fsp.mkdir(staging, { recursive: true });
    return nodePath.join(staging, `tmp-${crypto.randomUUID()}`);
  }

  /** Streams `body` into a temp file, checks the length, then renames it into place. */
  async function writeAtomically(abs: string, body: Readable, opts: PutOptions, onChunk?: (c: Buffer) => void): Promise<void> {
    const tmp = await tempFile();
    try {
      const counter = countBytes(onChunk);
      await pipeline(body, counter.stream, fs.createWriteStream(tmp, { flags: "wx" }));
      const short = shortBodyError(counter.bytes(), opts);
      if (short) throw short;
      await fsp.mkdir(nodePath.dirname(abs), { recursive: true }).catch(() => {
        throw new ArtifactRequestError("A file already exists where a parent directory is needed");
      });
      const existing = await fsp.stat(abs).catch(() => null);
      if (existing?.isDirectory()) throw new ArtifactRequestError("A directory already exists at this path");
      await fsp.rename(tmp, abs);
    } finally {
      await fsp.rm(tmp, { force: true });
    }
  }

  function uploadDir(uploadId: string): string {
    if (!/^[A-Za-z0-9_-]{16,128}$/.test(uploadId)) throw new ArtifactRequestError("Unknown upload_id");
    return nodePath.join(staging, `mpu-${uploadId}`);
  }

  async function readUpload(rel: string, uploadId: string): Promise<{ dir: string; meta: UploadMeta }> {
    const dir = uploadDir(uploadId);
    const text = await fsp.readFile(nodePath.join(dir, "meta.json"), "utf8").catch(() => null);
    const meta = text ? (JSON.parse(text) as UploadMeta) : null;
    if (!meta || meta.path !== rel) throw new ArtifactRequestError("Unknown upload_id for this path");
    return { dir, meta };
  }

  return {
    description: root,

    async put(path, body, opts = {}) {
      const { abs } = locate(path);
      await writeAtomically(abs, body, opts);
    },

    async get(path): Promise<ArtifactObject> {
      const { rel, abs } = locate(path);
      const st = await fsp.stat(abs).catch(() => null);
      if (!st?.isFile()) throw new ArtifactNotFoundError(rel);
      return { stream: fs.createReadStream(abs), size: st.size, contentType: guessContentType(rel) };
    },

    async list(dir): Promise<FileInfo[]> {
      const { rel, abs } = locate(dir, { allowRoot: true });
      const entries = await fsp.readdir(abs, { withFileTypes: true }).catch(() => []);
      const out: FileInfo[] = [];
      for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
        if (!rel && e.name === STAGING_DIR) continue;
        if (e.isDirectory()) out.push({ path: e.name, is_dir: true });
        else if (e.isFile()) out.push({ path: e.name, is_dir: false, file_size: (await fsp.stat(nodePath.join(abs, e.name))).size });
      }
      return out;
    },

    async delete(path) {
      const { abs } = locate(path);
      await fsp.rm(abs, { recursive: true, force: true });
    },

    async createMultipartUpload(path, numParts): Promise<MultipartUpload> {
      const { rel } = locate(path);
      assertNumParts(numParts);
      const uploadId = crypto.randomBytes(24).toString("base64url");
      const dir = uploadDir(uploadId);
      await fsp.mkdir(dir, { recursive: true });
      const meta: UploadMeta = { path: rel, numParts };
      await fsp.writeFile(nodePath.join(dir, "meta.json"), JSON.stringify(meta));
      return { upload_id: uploadId, credentials: signer.credentials(rel, uploadId, numParts) };
    },

    verifyPartUrl(path, query) {
      return signer.verify(locate(path).rel, query);
    },

    async uploadPart(path, uploadId, partNumber, body, opts = {}) {
      const { rel } = locate(path);
      const { dir, meta } = await readUpload(rel, uploadId);
      if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > meta.numParts) throw new ArtifactRequestError("Invalid part_number");
      const md5 = crypto.createHash("md5");
      await writeAtomically(nodePath.join(dir, `part-${partNumber}`), body, opts, (c) => md5.update(c));
      const etag = `"${md5.digest("hex")}"`;
      await fsp.writeFile(nodePath.join(dir, `part-${partNumber}.etag`), etag);
      return etag;
    },

    async completeMultipartUpload(path, uploadId, parts: UploadedPart[]) {
      const { rel, abs } = locate(path);
      const { dir } = await readUpload(rel, uploadId);
      const ordered = [...parts].sort((a, b) => a.part_number - b.part_number);
      if (!ordered.length) throw new ArtifactRequestError("No parts to complete");
      for (const p of ordered) {
        const etag = await fsp.readFile(nodePath.join(dir, `part-${p.part_number}.etag`), "utf8").catch(() => null);
        if (etag === null || etag.replaceAll('"', "") !== String(p.etag).replaceAll('"', "")) {
          throw new ArtifactRequestError(`Part ${p.part_number} was not uploaded or its etag does not match`);
        }
      }
      // concatenate the parts in order through one stream into the final file
      const files = ordered.map((p) => nodePath.join(dir, `part-${p.part_number}`));
      async function* concat() {
        for (const f of files) yield* fs.createReadStream(f);
      }
      await writeAtomically(abs, Readable.from(concat()), {});
      await fsp.rm(dir, { recursive: true, force: true });
    },

    async abortMultipartUpload(path, uploadId) {
      const { rel } = locate(path);
      const { dir } = await readUpload(rel, uploadId);
      await fsp.rm(dir, { recursive: true, force: true });
    },
  };
}
