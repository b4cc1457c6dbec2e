import crypto from "node:crypto";

/** `mgt_<prefix>_<secret>`: the prefix finds the row, the SHA-256 of the whole string proves it. */
const TOKEN_RE = /^mgt_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;

export function generateTokenSecret(): { prefix: string; secret: string; hash: Buffer } {
  const prefix = crypto.randomBytes(9).toString("base64url").toLowerCase().replace(/[^a-z0-9]/g, "0").slice(0, 12);
  const secret = `mgt_${prefix}_${crypto.randomBytes(32).toString("base64url")}`;
  return { prefix, secret, hash: hashTokenSecret(secret) };
}

export function hashTokenSecret(secret: string): Buffer {
  return crypto.createHash("sha256").update(secret, "utf8").digest();
}

export function parseTokenSecret(secret: string): { prefix: string } | null {
  const m = TOKEN_RE.exec(secret);
  return m ? { prefix: m[1]! } : null;
}

export const looksLikeToken = (s: string) => s.startsWith("mgt_");

/** Constant-time comparison of the stored hash with the hash of what was presented. */
export function tokenMatches(storedHash: Uint8Array, secret: string): boolean {
  const given = hashTokenSecret(secret);
  return storedHash.length === given.length && crypto.timingSafeEqual(Buffer.from(storedHash), given);
}
