import type { Readable } from "node:stream";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  S3Client,
  UploadPartCommand,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { countBytes, shortBodyError } from "./byte-count.ts";
import { ArtifactNotFoundError, ArtifactRequestError } from "./errors.ts";
import { guessContentType } from "./content-type.ts";
import { assertNumParts, createPartUrlSigner, type PartUrlSigner } from "./part-urls.ts";
import { joinArtifactPath, storePath } from "./paths.ts";
import type { ArtifactObject, ArtifactStore, FileInfo, MultipartUpload } from "./types.ts";

export interface S3Location {
  bucket: string;
  /** Key prefix without leading or trailing slash; "" for the bucket root. */
  prefix: string;
}

/** `s3://bucket/some/prefix` → { bucket, prefix }. */
export function parseS3Uri(uri: string): S3Location {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!m?.[1]) throw new Error(`Not an s3:// URI: ${uri}`);
  return { bucket: m[1], prefix: (m[2] ?? "").replace(/^\/+|\/+$/g, "") };
}

export interface S3StoreOptions extends S3Location {
  /** MLFLOW_S3_ENDPOINT_URL: an S3-compatible server (MinIO); path-style addressing is used then. */
  endpoint?: string;
  region?: string;
  /** Explicit credentials (tests); otherwise the SDK's default chain reads AWS_* env and files. */
  credentials?: S3ClientConfig["credentials"];
  signer?: PartUrlSigner;
}

export function createS3ArtifactStore(opts: S3StoreOptions): ArtifactStore {
  const { bucket, prefix, signer = createPartUrlSigner() } = opts;
  const client = new S3Client({
    region: opts.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? "us-east-1",
    ...(opts.endpoint ? { endpoint: opts.endpoint, forcePathStyle: true } : {}),
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
    // S3-compatible servers vary in their support of the newer default CRC checksums; send them
    // only where the API requires one.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });

  function keyOf(raw: string, { allowRoot = false } = {}): { rel: string; key: string } {
    const rel = storePath(raw, { allowRoot });
    return { rel, key: joinArtifactPath(prefix, rel) };
  }

  /** Every key under `keyPrefix`, page by page. */
  async function* keysUnder(keyPrefix: string) {
    let token: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: keyPrefix, ContinuationToken: token }));
      for (const o of page.Contents ?? []) if (o.Key) yield o.Key;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async function deleteKeys(keys: string[]) {
    if (!keys.length) return;
    const r = await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true } }));
    if (r.Errors?.length) throw new Error(`S3 delete failed for ${r.Errors.length} objects: ${r.Errors[0]?.Message ?? ""}`);
  }

  return {
    description: `s3://${bucket}/${prefix}`,

    async put(path, body, putOpts = {}) {
      const { rel, key } = keyOf(path);
      const counter = countBytes();
      const counted = body.pipe(counter.stream);
      body.once("error", (e) => counted.destroy(e));
      // lib-storage streams in 5 MiB parts (multipart above that), so any size passes through
      const upload = new Upload({ client, params: { Bucket: bucket, Key: key, Body: counted, ContentType: guessContentType(rel) }, queueSize: 2 });
      await upload.done();
      const short = shortBodyError(counter.bytes(), putOpts);
      if (short) {
        await deleteKeys([key]);
        throw short;
      }
    },

    async get(path): Promise<ArtifactObject> {
      const { rel, key } = keyOf(path);
      try {
        const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return { stream: r.Body as Readable, size: r.ContentLength ?? 0, contentType: guessContentType(rel) };
      } catch (e) {
        if ((e as { name?: string }).name === "NoSuchKey" || (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) {
          throw new ArtifactNotFoundError(rel);
        }
        throw e;
      }
    },

    async list(dir): Promise<FileInfo[]> {
      const { key } = keyOf(dir, { allowRoot: true });
      const listPrefix = key ? `${key}/` : "";
      const out: FileInfo[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: listPrefix, Delimiter: "/", ContinuationToken: token }));
        for (const p of page.CommonPrefixes ?? []) if (p.Prefix) out.push({ path: p.Prefix.slice(listPrefix.length).replace(/\/$/, ""), is_dir: true });
        for (const o of page.Contents ?? []) {
          const name = o.Key?.slice(listPrefix.length);
          if (name) out.push({ path: name, is_dir: false, file_size: o.Size ?? 0 });
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    },

    async delete(path) {
      const { key } = keyOf(path);
      let batch: string[] = [key];
      for await (const k of keysUnder(`${key}/`)) {
        batch.push(k);
        if (batch.length === 1000) {
          await deleteKeys(batch);
          batch = [];
        }
      }
      await deleteKeys(batch);
    },

    async createMultipartUpload(path, numParts): Promise<MultipartUpload> {
      const { rel, key } = keyOf(path);
      assertNumParts(numParts);
      const r = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: guessContentType(rel) }));
      if (!r.UploadId) throw new Error("S3 returned no UploadId");
      // No presigner package is installed, so parts come through our server (signed URLs).
      return { upload_id: r.UploadId, credentials: signer.credentials(rel, r.UploadId, numParts) };
    },

    verifyPartUrl(path, query) {
      return signer.verify(keyOf(path).rel, query);
    },

    async uploadPart(path, uploadId, partNumber, body, putOpts = {}) {
      const { key } = keyOf(path);
      if (putOpts.contentLength === undefined) throw new ArtifactRequestError("A part upload needs a Content-Length");
      const r = await client.send(
        new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: partNumber, Body: body, ContentLength: putOpts.contentLength }),
      );
      return r.ETag ?? "";
    },

    async completeMultipartUpload(path, uploadId, parts) {
      const { key } = keyOf(path);
      const ordered = [...parts].sort((a, b) => a.part_number - b.part_number);
      await client.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: ordered.map((p) => ({ PartNumber: p.part_number, ETag: p.etag })) },
        }),
      );
    },

    async abortMultipartUpload(path, uploadId) {
      const { key } = keyOf(path);
      await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));
    },
  };
}
