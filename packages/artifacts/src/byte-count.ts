import { Transform } from "node:stream";
import { ArtifactRequestError } from "./errors.ts";
import type { PutOptions } from "./types.ts";

/** A pass-through that counts the bytes of an upload (and shows each chunk to `onChunk`). */
export function countBytes(onChunk?: (chunk: Buffer) => void): { stream: Transform; bytes: () => number } {
  let bytes = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      onChunk?.(chunk);
      done(null, chunk);
    },
  });
  return { stream, bytes: () => bytes };
}

/** The error for a body that ended before its Content-Length, if it did. */
export function shortBodyError(bytes: number, { contentLength }: PutOptions): ArtifactRequestError | undefined {
  return contentLength !== undefined && bytes !== contentLength ? new ArtifactRequestError(`Upload ended after ${bytes} of ${contentLength} bytes`) : undefined;
}
