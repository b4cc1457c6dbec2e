// The store's own error types: this package imports nothing of ours, so each edge maps them
// (the REST edge turns them into MLflow's INVALID_PARAMETER_VALUE / RESOURCE_DOES_NOT_EXIST).

export class InvalidArtifactPathError extends Error {
  override readonly name = "InvalidArtifactPathError";
  constructor(readonly detail = "Invalid path") {
    super("Invalid path");
  }
}

export class ArtifactNotFoundError extends Error {
  override readonly name = "ArtifactNotFoundError";
  constructor(readonly path: string) {
    super(`Artifact not found: ${path}`);
  }
}

/** A caller mistake other than the path itself: an unknown upload id, a bad part, a short body. */
export class ArtifactRequestError extends Error {
  override readonly name = "ArtifactRequestError";
}

export const isInvalidPath = (e: unknown): e is InvalidArtifactPathError => e instanceof InvalidArtifactPathError;
export const isNotFound = (e: unknown): e is ArtifactNotFoundError => e instanceof ArtifactNotFoundError;
export const isArtifactRequestError = (e: unknown): e is ArtifactRequestError => e instanceof ArtifactRequestError;
