import type { FastifyRequest } from "fastify";
import { authenticateBasic, authenticateToken, type Actor } from "@modelgate/core";
import type { Db } from "@modelgate/db";

/**
 * What the mlflow client sends: `Authorization: Bearer <token>` (MLFLOW_TRACKING_TOKEN) or
 * `Authorization: Basic base64(user:password-or-token)` (MLFLOW_TRACKING_USERNAME/PASSWORD).
 */
export async function authenticateRequest(db: Db, req: FastifyRequest): Promise<Actor | null> {
  const header = req.headers.authorization;
  if (!header) return null;
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
