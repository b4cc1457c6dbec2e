import { createLocalArtifactStore } from "./local-store.ts";
import { createPartUrlSigner } from "./part-urls.ts";
import { createS3ArtifactStore, parseS3Uri } from "./s3-store.ts";
import type { ArtifactStore } from "./types.ts";

export interface ArtifactStoreConfig {
  /** ARTIFACTS_DESTINATION: a directory, or `s3://bucket/prefix`. */
  destination: string;
  /** MLFLOW_S3_ENDPOINT_URL, for S3-compatible servers. */
  s3EndpointUrl?: string | undefined;
}

/** The store the configuration names. S3 credentials come from the SDK's default chain (AWS_*). */
export function createArtifactStore({ destination, s3EndpointUrl }: ArtifactStoreConfig): ArtifactStore {
  const signer = createPartUrlSigner();
  if (destination.startsWith("s3://")) {
    return createS3ArtifactStore({ ...parseS3Uri(destination), ...(s3EndpointUrl ? { endpoint: s3EndpointUrl } : {}), signer });
  }
  return createLocalArtifactStore({ root: destination, signer });
}
