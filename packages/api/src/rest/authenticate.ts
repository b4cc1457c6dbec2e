import { decode } from "@auth/core/jwt";
import type { FastifyRequest } from "fastify";
import { authenticateBasic, authenticateSession, authenticateToken, type Actor } from "@modelgate/core";
import type { Db } from "@modelgate/db";

/**
 * What the mlflow client sends: `Authorization: Bearer <token>` (MLFLOW_TRACKING_TOKEN) or
 * `Authorization: Basic base64(user:password-or-token)` (MLFLOW_TRACKING_USERNAME/PASSWORD).
 */
export async function authenticateRequest(db: Db, req: FastifyRequest): Promise<Actor | null> {
  const header = req.headers.authorization;
  if (!header) return authenticatePortalSession(db, req);
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
const SESSION_COOKIES = ["__Secure-authjs.session-token", "authjs.session-token"];
const COOKIE_METHODS = new Set(["GET", "HEAD"]);

async function authenticatePortalSession(db: Db, req: FastifyRequest): Promise<Actor | null> {
  const secret = process.env.AUTH_SECRET;
  if (!secret || !COOKIE_METHODS.has(req.method) || !req.url.startsWith("/ajax-api/")) return null;
  const cookies = parseCookies(req.headers.cookie);
  for (const name of SESSION_COOKIES) {
    const token = sessionCookie(cookies, name);
    if (!token) continue;
    // the salt is the cookie name, as Auth.js encodes it; expired or tampered tokens decode to an error
    const jwt = await decode({ token, secret, salt: name }).catch(() => null);
    const uid = jwt?.uid;
    const sv = jwt?.sv;
    if (typeof uid !== "string" || typeof sv !== "number") return null;
    return authenticateSession(db, { userId: uid, sessionVersion: sv });
  }
  return null;
}

/** A session cookie, also when Auth.js split a large one into `<name>.0`, `<name>.1`, ... */
function sessionCookie(cookies: Map<string, string>, name: string): string | undefined {
  const whole = cookies.get(name);
  if (whole) return whole;
  const chunks: string[] = [];
  for (let i = 0; cookies.has(`${name}.${i}`); i++) chunks.push(cookies.get(`${name}.${i}`)!);
  return chunks.length ? chunks.join("") : undefined;
}

function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq < 1) continue;
    const key = part.slice(0, eq).trim();
    if (out.has(key)) continue;
    try {
      out.set(key, decodeURIComponent(part.slice(eq + 1).trim()));
    } catch {
      // a malformed value is ignored like a missing cookie
    }
  }
  return out;
}
