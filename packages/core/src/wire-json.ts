// MLflow's JSON (proto3 JSON as its server writes it), shared by the REST edge and by core's cache
// of serialized runs (tracking/run-wire.ts), so both write byte-for-byte the same thing.

/**
 * A response already serialized as wire JSON, as UTF-8 bytes the REST edge sends as they are.
 * Built from parts (strings, and cached bodies kept as bytes) so a 1 MB search page is one copy of
 * its runs' cached bytes, not a string joined and then encoded again for the socket.
 */
export class WireJson {
  readonly bytes: Buffer;
  constructor(...parts: readonly (string | Buffer)[]) {
    this.bytes = parts.length === 1 && typeof parts[0] === "string" ? Buffer.from(parts[0]) : Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p) : p)));
  }
  get text(): string {
    return this.bytes.toString("utf8");
  }
}

/**
 * JSON as MLflow (proto3 JSON) writes it: NaN → "NaN", Infinity → "Infinity", -Infinity →
 * "-Infinity", bigint as a number; fields whose value is undefined and empty repeated fields
 * (empty arrays) are left out, so handlers can return core's results as they are.
 *
 * Fast path: plain JSON.stringify, which writes non-finite numbers as null and throws on bigint.
 * Our views never hold null, so output without "null" or "[]" (and no throw) needs no replacer;
 * anything else (including a user's string that merely contains them) takes the exact path.
 */
export function toWireJson(value: unknown): string {
  try {
    const plain = JSON.stringify(value);
    if (!plain.includes("null") && !plain.includes("[]")) return plain;
  } catch {
    // a bigint: take the replacer path
  }
  return JSON.stringify(value, function (this: unknown, _k, v: unknown) {
    if (typeof v === "number" && !Number.isFinite(v)) return Number.isNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity";
    if (typeof v === "bigint") return Number(v);
    if (Array.isArray(v) && v.length === 0 && !Array.isArray(this)) return undefined;
    return v;
  });
}
