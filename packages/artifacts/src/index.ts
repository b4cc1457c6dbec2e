export type { ArtifactObject, ArtifactStore, FileInfo, MultipartCredential, MultipartUpload, PartQuery, PutOptions, UploadedPart } from "./types.ts";
export { ArtifactNotFoundError, ArtifactRequestError, InvalidArtifactPathError, isArtifactRequestError, isInvalidPath, isNotFound } from "./errors.ts";
export { normalizeArtifactPath, joinArtifactPath } from "./paths.ts";
export { guessContentType } from "./content-type.ts";
export { createPartUrlSigner, PART_UPLOAD_ROUTE, type PartUrlSigner } from "./part-urls.ts";
export { createLocalArtifactStore, STAGING_DIR, type LocalStoreOptions } from "./local-store.ts";
export { createS3ArtifactStore, parseS3Uri, type S3Location, type S3StoreOptions } from "./s3-store.ts";
export { createArtifactStore, partUrlKeyFrom, type ArtifactStoreConfig } from "./create-store.ts";
export { readStoredFile } from "./read.ts";
