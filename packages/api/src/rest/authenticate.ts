import { getToken } from "@auth/core/jwt";
import type { FastifyRequest } from "fastify";
import { authenticateBasic, authenticateSession, authenticateToken, authenticateWorkload, type Actor, type AuthOptions } from "@modelgate/core";
import type { Db } from "@modelgate/db";
import { looksLikeJwt, type WorkloadVerifier } from "./workload.ts";

/**
 * What the mlflow client sends: `Authorization: Bearer <token>` (MLFLOW_TRACKING_TOKEN) or
 * `Authorization: Basic base64(user:password-or-token)` (MLFLOW_TRACKING_USERNAME/PASSWORD).
 */
export async function authenticateRequest(
  db: Db,
  req: FastifyRequest,
  opts: { authSecret?: string | undefined; scoring?: boolean; workload?: WorkloadVerifier | undefined } = {},
): Promise<Actor | null> {
  return authenticateHeader(db, req, req.headers.authorization, opts.authSecret, { staleMs: opts.scoring ? SCORING_STALE_MS : 0 }, opts.workload);
}

// Credentials are answered from core's credential cache, which empties on any change to a user or
// token (credential-cache.ts). While that cache is not live (its LISTEN connection is down), every
// route reads the database, except scoring (routes declared `auth: "scoring"`), the one path where
// a round trip per request would cost more than the model itself (single-row requests at thousands
// per second): there a credential that was valid is trusted for up to 5 s.
const SCORING_STALE_MS = 5_000;

async function authenticateHeader(db: Db, req: FastifyRequest, header: string | undefined, authSecret: string | undefined, opts: AuthOptions, workload?: WorkloadVerifier): Promise<Actor | null> {
  if (!header) return authSecret ? authenticatePortalSession(db, req, authSecret) : null;
  const space = header.indexOf(" ");
  if (space < 0) return null;
  const scheme = header.slice(0, space).toLowerCase();
  const value = header.slice(space + 1).trim();
  if (scheme === "bearer") {
    // a JWT from the identity provider (workload identity), when that is configured
    if (workload && looksLikeJwt(value)) {
      const v = await workload.verify(value);
      if (!v.ok) {
        req.authProblem = `Workload token refused: ${v.reason}`;
        return null;
      }
      return authenticateWorkload(db, v.claims, opts);
    }
    return authenticateToken(db, value, opts);
  }
  if (scheme === "basic") {
    const decoded = Buffer.from(value, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon < 1) return null;
    return authenticateBasic(db, { username: decoded.slice(0, colon), secret: decoded.slice(colon + 1) }, { ip: req.ip, requestId: req.id }, opts);
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
