import crypto from "node:crypto";
import { getToken } from "@auth/core/jwt";
import type { FastifyRequest } from "fastify";
import { authenticateBasic, authenticateSession, authenticateToken, type Actor } from "@modelgate/core";
import type { Db } from "@modelgate/db";

/**
 * What the mlflow client sends: `Authorization: Bearer <token>` (MLFLOW_TRACKING_TOKEN) or
 * `Authorization: Basic base64(user:password-or-token)` (MLFLOW_TRACKING_USERNAME/PASSWORD).
 */
export async function authenticateRequest(db: Db, req: FastifyRequest, opts: { authSecret?: string | undefined; cached?: boolean } = {}): Promise<Actor | null> {
  const header = req.headers.authorization;
  if (header && opts.cached) return cachedCredentials(header, () => authenticateHeader(db, req, header));
  return authenticateHeader(db, req, header, opts.authSecret);
}

// Scoring (routes declared `auth: "scoring"`) is the one path where a database round trip per request would cost more than the model
// itself (single-row requests at thousands per second). There, a credential that was valid is
// trusted for a few seconds: a revoked token or deactivated user stops scoring within SCORING_AUTH_TTL_MS.
// Failures are never cached. Every other route checks the database on each request.
const SCORING_AUTH_TTL_MS = 5_000;
const scoringAuth = new Map<string, { actor: Actor; until: number }>();

async function cachedCredentials(header: string, check: () => Promise<Actor | null>): Promise<Actor | null> {
  const key = crypto.createHash("sha256").update(header).digest("base64");
  const now = Date.now();
  const hit = scoringAuth.get(key);
  if (hit && hit.until > now) return hit.actor;
  const actor = await check();
  if (actor) {
    if (scoringAuth.size > 10_000) scoringAuth.clear();
    scoringAuth.set(key, { actor, until: now + SCORING_AUTH_TTL_MS });
  } else scoringAuth.delete(key);
  return actor;
}

async function authenticateHeader(db: Db, req: FastifyRequest, header: string | undefined, authSecret?: string): Promise<Actor | null> {
  if (!header) return authSecret ? authenticatePortalSession(db, req, authSecret) : null;
  const space = header.indexOf(" ");
  if (space < 0) return null;
  const scheme = header.slice(0, space).toLowerCase();
  const value = header.slice(space + 1).trim();
  if (scheme === "bearer") return authenticateToken(db, value);
  if (scheme === "basic") {
    const decoded = Buffer.from(value, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon < 1) return null;
    return authenticateBasic(db, { username: decoded.slice(0, colon), secret: decoded.slice(colon + 1) }, { ip: req.ip, requestId: req.id });
  }
  return null;
}

// The portal's browser code reads artifacts and listings from /ajax-api/ with its Auth.js session
// cookie. Only for reads: a cookie is sent on cross-site requests too, so accepting it for a
// mutating method would open the API to CSRF.
const COOKIE_METHODS = new Set(["GET", "HEAD"]);

async function authenticatePortalSession(db: Db, req: FastifyRequest, secret: string): Promise<Actor | null> {
  const cookie = req.headers.cookie;
  if (!cookie || !COOKIE_METHODS.has(req.method) || !req.url.startsWith("/ajax-api/")) return null;
  // Auth.js reads its own cookie: `__Secure-authjs.session-token` or `authjs.session-token`, joined
  // again if it was chunked, decoded with its name as salt; expired or tampered tokens give null
  for (const secureCookie of [true, false]) {
    const jwt = await getToken({ req: { headers: { cookie } }, secret, secureCookie });
    if (!jwt) continue;
    const { uid, sv } = jwt;
    if (typeof uid !== "string" || typeof sv !== "number") return null;
    return authenticateSession(db, { userId: uid, sessionVersion: sv });
  }
  return null;
}
