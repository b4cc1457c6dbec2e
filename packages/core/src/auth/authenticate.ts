import crypto from "node:crypto";
import type { Db, User } from "@modelgate/db";
import type { Actor } from "../context.ts";
import { looksLikeToken, parseTokenSecret, tokenMatches } from "../tokens/token-secret.ts";
import { verifyCredentials } from "./sign-in.ts";

const userActor = (u: Pick<User, "id" | "username" | "role">, tokenId?: string, endpointScope?: string | null): Actor => ({
  kind: "user",
  userId: u.id,
  username: u.username,
  role: u.role,
  ...(tokenId ? { tokenId } : {}),
  ...(endpointScope ? { endpointScope } : {}),
});

// last_used_at is written at most once a minute per token, not on every request
const LAST_USED_GRANULARITY_MS = 60_000;

/** A bearer token → its active user, or null. Revoked, expired or inactive-owner tokens fail. */
export async function authenticateToken(db: Db, secret: string): Promise<Actor | null> {
  const parsed = parseTokenSecret(secret);
  if (!parsed) return null;
  // one round trip on every API call: raw SQL, not a relation query (several times cheaper)
  const [row] = await db.$queryRaw<TokenRow[]>`
    SELECT t.id, t.secret_hash, t.revoked_at, t.expires_at, t.last_used_at, t.endpoint_id,
      u.id AS user_id, u.username, u.role::text AS role, u.active
    FROM access_token t JOIN "user" u ON u.id = t.user_id WHERE t.prefix = ${parsed.prefix}`;
  if (!row || !tokenMatches(row.secret_hash, secret)) return null;
  const now = Date.now();
  if (row.revoked_at || (row.expires_at && row.expires_at.getTime() <= now) || !row.active) return null;
  if (!row.last_used_at || now - row.last_used_at.getTime() > LAST_USED_GRANULARITY_MS) {
    await db.accessToken.update({ where: { id: row.id }, data: { lastUsedAt: new Date(now) } });
  }
  return userActor({ id: row.user_id, username: row.username, role: row.role }, row.id, row.endpoint_id);
}

interface TokenRow {
  id: string;
  secret_hash: Uint8Array;
  revoked_at: Date | null;
  expires_at: Date | null;
  last_used_at: Date | null;
  endpoint_id: string | null;
  user_id: string;
  username: string;
  role: User["role"];
  active: boolean;
}

// Basic auth with a password is verified with argon2 once, then remembered briefly: the mlflow
// client sends the password on every request. The key includes the stored hash, so a password
// reset forgets it; `active` is still read on every request.
const verified = new Map<string, number>();
const VERIFIED_TTL_MS = 5 * 60_000;

function cacheKey(user: User, password: string) {
  return crypto.createHash("sha256").update(`${user.id}\0${user.passwordHash}\0${password}`).digest("base64");
}

export interface BasicCredentials {
  username: string;
  /** A password or an access token. */
  secret: string;
}

/** Basic auth: username + password, or username + token (the token must belong to that user). */
export async function authenticateBasic(db: Db, { username, secret }: BasicCredentials, meta: { ip?: string; requestId?: string } = {}): Promise<Actor | null> {
  if (looksLikeToken(secret)) {
    const actor = await authenticateToken(db, secret);
    return actor && actor.kind === "user" && actor.username.toLowerCase() === username.trim().toLowerCase() ? actor : null;
  }
  const user = await db.user.findFirst({ where: { username: { equals: username.trim(), mode: "insensitive" } } });
  if (user?.active) {
    const key = cacheKey(user, secret);
    const at = verified.get(key);
    if (at && Date.now() - at < VERIFIED_TTL_MS) return userActor(user);
  }
  try {
    const ok = await verifyCredentials({ db, identifier: username, password: secret, channel: "api", ...meta });
    if (verified.size > 10_000) verified.clear();
    verified.set(cacheKey(ok, secret), Date.now());
    return userActor(ok);
  } catch {
    return null;
  }
}

/** A portal session (JWT) → its user, if still active and the session version still matches. */
export async function authenticateSession(db: Db, session: { userId: string; sessionVersion: number }): Promise<Actor | null> {
  const user = await db.user.findUnique({ where: { id: session.userId } });
  if (!user || !user.active || user.sessionVersion !== session.sessionVersion) return null;
  return userActor(user);
}
