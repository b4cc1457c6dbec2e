import type { ArtifactStore } from "@modelgate/artifacts";
import type { ReadFile } from "@modelgate/serving";

/** The runtime's `readFile` over the artifact store: a model file, whole, in memory. */
export function storeFileReader(store: ArtifactStore): ReadFile {
  return async (storePath) => {
    const object = await store.get(storePath);
    const chunks: Buffer[] = [];
    for await (const chunk of object.stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  };
}
