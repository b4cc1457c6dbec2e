import crypto from "node:crypto";
import { createLocalArtifactStore } from "./local-store.ts";
import { createPartUrlSigner } from "./part-urls.ts";
import { createS3ArtifactStore, parseS3Uri } from "./s3-store.ts";
import type { ArtifactStore } from "./types.ts";

export interface ArtifactStoreConfig {
  /** ARTIFACTS_DESTINATION: a directory, or `s3://bucket/prefix`. */
  destination: string;
  /** MLFLOW_S3_ENDPOINT_URL, for S3-compatible servers. */
  s3EndpointUrl?: string | undefined;
  /**
   * The key that signs part-upload URLs. Replicas behind one balancer must share it (a part may
   * reach any of them): the server derives it from AUTH_SECRET (partUrlKeyFrom). Without one the
   * key is random, good for one process only.
   */
  partUrlKey?: Buffer | undefined;
}

/** The part-upload URL key for a deployment's shared secret: its own key, derived (HKDF), so the secret itself never signs URLs. */
export const partUrlKeyFrom = (secret: string): Buffer => Buffer.from(crypto.hkdfSync("sha256", secret, "", "modelgate part upload urls v1", 32));

/** The store the configuration names. S3 credentials come from the SDK's default chain (AWS_*). */
export function createArtifactStore({ destination, s3EndpointUrl, partUrlKey }: ArtifactStoreConfig): ArtifactStore {
  const signer = createPartUrlSigner(partUrlKey);
  if (destination.startsWith("s3://")) {
    return createS3ArtifactStore({ ...parseS3Uri(destination), ...(s3EndpointUrl ? { endpoint: s3EndpointUrl } : {}), signer });
  }
  return createLocalArtifactStore({ root: destination, signer });
}
