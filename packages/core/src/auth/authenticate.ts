import crypto from "node:crypto";
import { Prisma, sqlQuery, type Db, type User } from "@modelgate/db";
import type { Actor } from "../context.ts";
import { looksLikeToken, parseTokenSecret, tokenMatches } from "../tokens/token-secret.ts";
import { credentialCache, credentialKey, type CredentialFacts } from "./credential-cache.ts";
import { verifyCredentials } from "./sign-in.ts";

/** How much staleness a caller accepts while the credential cache is not live (credential-cache.ts). */
export interface AuthOptions {
  /** Scoring accepts 5 s; everything else 0 (the database is read). */
  staleMs?: number;
}

/** A credential's facts from the cache, or from `check` (stored when it succeeds and nothing changed meanwhile). */
export async function authenticateCached(db: Db, key: string, opts: AuthOptions, check: () => Promise<CredentialFacts | null>): Promise<Actor | null> {
  return (await cached(db, key, opts, check))?.actor ?? null;
}

async function cached(db: Db, key: string, opts: AuthOptions, check: () => Promise<CredentialFacts | null>): Promise<CredentialFacts | null> {
  const cache = credentialCache(db);
  const hit = cache.get(key, opts.staleMs);
  if (hit) return hit;
  const epoch = cache.begin();
  const facts = await check();
  if (facts) cache.store(key, facts, epoch);
  return facts;
}

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
export async function authenticateToken(db: Db, secret: string, opts: AuthOptions = {}): Promise<Actor | null> {
  const parsed = parseTokenSecret(secret);
  if (!parsed) return null;
  const facts = await cached(db, credentialKey("token", secret), opts, () => checkToken(db, secret, parsed.prefix));
  if (!facts || (facts.expiresAt != null && facts.expiresAt <= Date.now())) return null;
  await touchToken(db, facts.actor);
  return facts.actor;
}

async function checkToken(db: Db, secret: string, prefix: string): Promise<CredentialFacts | null> {
  // one round trip, prepared: the statement every uncached API call starts with
  const [row] = await sqlQuery<TokenRow>(
    db,
    Prisma.sql`SELECT t.id::text, t.secret_hash, t.revoked_at, t.expires_at, t.last_used_at, t.endpoint_id,
      u.id::text AS user_id, u.username, u.role::text AS role, u.active
    FROM access_token t JOIN "user" u ON u.id = t.user_id WHERE t.prefix = ${prefix}`,
    { prepare: true },
  );
  if (!row || !tokenMatches(row.secret_hash, secret)) return null;
  if (row.revoked_at || (row.expires_at && row.expires_at.getTime() <= Date.now()) || !row.active) return null;
  lastUsed.set(row.id, row.last_used_at?.getTime() ?? 0);
  return { actor: userActor({ id: row.user_id, username: row.username, role: row.role }, row.id, row.endpoint_id), expiresAt: row.expires_at?.getTime() ?? null };
}

// When each token was last marked used, as far as this process knows: last_used_at is written at
// most once a minute per token, not on every request (and writing it does not empty the caches)
const lastUsed = new Map<string, number>();

async function touchToken(db: Db, actor: Actor) {
  if (actor.kind !== "user" || !actor.tokenId) return;
  const now = Date.now();
  if (now - (lastUsed.get(actor.tokenId) ?? 0) <= LAST_USED_GRANULARITY_MS) return;
  if (lastUsed.size > 10_000) lastUsed.clear();
  lastUsed.set(actor.tokenId, now);
  await db.accessToken.update({ where: { id: actor.tokenId }, data: { lastUsedAt: new Date(now) } });
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
// reset forgets it; `active` is still read on every request that the credential cache does not
// answer (while it is not live).
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
export async function authenticateBasic(db: Db, { username, secret }: BasicCredentials, meta: { ip?: string; requestId?: string } = {}, opts: AuthOptions = {}): Promise<Actor | null> {
  if (looksLikeToken(secret)) {
    const actor = await authenticateToken(db, secret, opts);
    return actor && actor.kind === "user" && actor.username.toLowerCase() === username.trim().toLowerCase() ? actor : null;
  }
  const facts = await cached(db, credentialKey("basic", username.trim().toLowerCase(), secret), opts, async () => {
    const user = await checkPassword(db, username, secret, meta);
    return user ? { actor: userActor(user) } : null;
  });
  return facts?.actor ?? null;
}

async function checkPassword(db: Db, username: string, secret: string, meta: { ip?: string; requestId?: string }): Promise<User | null> {
  const user = await db.user.findFirst({ where: { username: { equals: username.trim(), mode: "insensitive" } } });
  if (user?.active) {
    const key = cacheKey(user, secret);
    const at = verified.get(key);
    if (at && Date.now() - at < VERIFIED_TTL_MS) return user;
  }
  try {
    const ok = await verifyCredentials({ db, identifier: username, password: secret, channel: "api", ...meta });
    if (verified.size > 10_000) verified.clear();
    verified.set(cacheKey(ok, secret), Date.now());
    return ok;
  } catch {
    return null;
  }
}

/** A portal session (JWT) → its user, if still active and the session version still matches. */
export async function authenticateSession(db: Db, session: { userId: string; sessionVersion: number }): Promise<Actor | null> {
  const facts = await cached(db, `session:${session.userId}:${session.sessionVersion}`, {}, async () => {
    const user = await db.user.findUnique({ where: { id: session.userId } });
    if (!user || !user.active || user.sessionVersion !== session.sessionVersion) return null;
    return { actor: userActor(user) };
  });
  return facts?.actor ?? null;
}
