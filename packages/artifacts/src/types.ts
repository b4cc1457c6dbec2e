import type { Readable } from "node:stream";

/** One entry of a listing, in MLflow's FileInfo shape. `path` is relative to the listed dir. */
export interface FileInfo {
  path: string;
  is_dir: boolean;
  file_size?: number;
}

export interface ArtifactObject {
  stream: Readable;
  size: number;
  contentType?: string;
}

/** The query of a part upload URL, as received (checked by the signer). */
export interface PartQuery {
  upload_id?: unknown;
  part_number?: unknown;
  expires?: unknown;
  signature?: unknown;
}

/** Where the client PUTs one part (MLflow's MultipartUploadCredential). */
export interface MultipartCredential {
  /** Absolute (a presigned cloud URL) or server-relative (our own part endpoint). */
  url: string;
  part_number: number;
  headers: Record<string, string>;
}

export interface MultipartUpload {
  upload_id: string;
  credentials: MultipartCredential[];
}

export interface UploadedPart {
  part_number: number;
  etag: string;
  url?: string;
}

export interface PutOptions {
  /** When known (Content-Length), a body that ends early is rejected instead of stored short. */
  contentLength?: number;
}

/**
 * Artifact bytes, addressed by relative `/` paths (`<experiment>/<run>/artifacts/...`). Bodies are
 * streamed in and out, never held in memory whole. Paths are validated by every implementation.
 */
export interface ArtifactStore {
  /** Where artifacts go, for logs: a directory or `s3://bucket/prefix`. */
  readonly description: string;
  put(path: string, body: Readable, opts?: PutOptions): Promise<void>;
  /** Throws ArtifactNotFoundError when there is no file at `path`. */
  get(path: string): Promise<ArtifactObject>;
  /** Direct children of `dir`; a missing dir lists as empty. */
  list(dir: string): Promise<FileInfo[]>;
  /** A file, or a directory with everything under it. Deleting nothing is not an error. */
  delete(path: string): Promise<void>;
  createMultipartUpload(path: string, numParts: number): Promise<MultipartUpload>;
  /** Whether a part request carries a valid, unexpired signature from this store's URLs. */
  verifyPartUrl(path: string, query: PartQuery): boolean;
  /**
   * Stores one part sent to our own part endpoint (the URLs createMultipartUpload hands out) and
   * returns its ETag. The caller checks the signed URL first with `verifyPartUrl`.
   */
  uploadPart(path: string, uploadId: string, partNumber: number, body: Readable, opts?: PutOptions): Promise<string>;
  completeMultipartUpload(path: string, uploadId: string, parts: UploadedPart[]): Promise<void>;
  abortMultipartUpload(path: string, uploadId: string): Promise<void>;
}
