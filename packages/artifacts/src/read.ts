import type { ArtifactStore } from "./types.ts";

/** A stored file's bytes: whole, or at most `maxBytes` (enough to know a file is too large). */
export async function readStoredFile(store: ArtifactStore, path: string, maxBytes = Infinity): Promise<Buffer> {
  const object = await store.get(path);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of object.stream) {
    const b = chunk as Buffer;
    chunks.push(b);
    size += b.length;
    if (size >= maxBytes) {
      object.stream.destroy();
      break;
    }
  }
  const all = Buffer.concat(chunks);
  return size > maxBytes ? all.subarray(0, maxBytes) : all;
}
