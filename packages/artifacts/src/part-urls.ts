import crypto from "node:crypto";
import { ArtifactRequestError } from "./errors.ts";
import type { MultipartCredential, PartQuery } from "./types.ts";

// Multipart parts are PUT by the mlflow client to the URLs we hand out, with no Authorization
// header (it treats them like presigned cloud URLs). So our URLs are presigned too: an HMAC over
// path, upload id, part number and expiry. The key is shared by the replicas of one deployment
// (derived from AUTH_SECRET, create-store.ts), so a part may reach any of them.

export const PART_UPLOAD_ROUTE = "/api/2.0/mlflow-artifacts/mpu/upload";
const DEFAULT_TTL_S = 24 * 60 * 60;

/** Parts numbered 1..10000, as S3 allows. */
export const MAX_PARTS = 10_000;

export interface PartUrlSigner {
  url(path: string, uploadId: string, partNumber: number): string;
  /** One signed URL per part, in MLflow's MultipartUploadCredential shape. */
  credentials(path: string, uploadId: string, numParts: number): MultipartCredential[];
  /** True when the query carries a valid, unexpired signature for this path and part. */
  verify(path: string, query: PartQuery): boolean;
}

export function createPartUrlSigner(key: Buffer = crypto.randomBytes(32), ttlSeconds = DEFAULT_TTL_S): PartUrlSigner {
  const sign = (path: string, uploadId: string, partNumber: number, expires: number) =>
    crypto.createHmac("sha256", key).update(`${path}\n${uploadId}\n${partNumber}\n${expires}`).digest("base64url");
  const url = (path: string, uploadId: string, partNumber: number) => {
    const expires = Math.floor(Date.now() / 1000) + ttlSeconds;
    const q = new URLSearchParams({ upload_id: uploadId, part_number: String(partNumber), expires: String(expires), signature: sign(path, uploadId, partNumber, expires) });
    return `${PART_UPLOAD_ROUTE}/${path.split("/").map(encodeURIComponent).join("/")}?${q.toString()}`;
  };
  return {
    url,
    credentials: (path, uploadId, numParts) => Array.from({ length: numParts }, (_, i) => ({ url: url(path, uploadId, i + 1), part_number: i + 1, headers: {} })),
    verify(path, q) {
      if (typeof q.upload_id !== "string" || typeof q.signature !== "string") return false;
      const partNumber = Number(q.part_number);
      const expires = Number(q.expires);
      if (!Number.isInteger(partNumber) || !Number.isInteger(expires) || expires < Date.now() / 1000) return false;
      const want = Buffer.from(sign(path, q.upload_id, partNumber, expires));
      const got = Buffer.from(q.signature);
      return want.length === got.length && crypto.timingSafeEqual(want, got);
    },
  };
}

export function assertNumParts(numParts: number) {
  if (!Number.isInteger(numParts) || numParts < 1 || numParts > MAX_PARTS) throw new ArtifactRequestError(`num_parts must be between 1 and ${MAX_PARTS}`);
}
