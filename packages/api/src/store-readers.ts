import { isInvalidPath, isNotFound, readStoredFile, type ArtifactStore } from "@modelgate/artifacts";
import type { ArtifactReader } from "@modelgate/core";
import type { ReadFile } from "@modelgate/serving";

// The artifact store as its two readers see it; both read through readStoredFile.

/** The serving runtime's `readFile`: a model file, whole, in memory. */
export function storeFileReader(store: ArtifactStore): ReadFile {
  return (storePath) => readStoredFile(store, storePath);
}

/**
 * The registry's reader (MLmodel files at registration): at most `maxBytes`; null when missing or
 * not addressable in the store (core refuses such sources, but a store error must never turn a
 * registration into a 500).
 */
export function registryArtifactReader(store: ArtifactStore): ArtifactReader {
  return (storePath, maxBytes) =>
    readStoredFile(store, storePath, maxBytes).catch((e: unknown) => {
      if (isNotFound(e) || isInvalidPath(e)) return null;
      throw e;
    });
}
