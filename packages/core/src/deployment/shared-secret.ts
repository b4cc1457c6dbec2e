import crypto from "node:crypto";
import type { Db } from "@modelgate/db";

// Replicas behind one load balancer must sign with one secret: a session cookie or a part-upload
// URL made by one replica is checked by whichever replica the next request reaches. A replica
// started with another AUTH_SECRET would answer 401/403 at random; instead it refuses to start.
// The database keeps a fingerprint (an HMAC of a fixed text under the secret), never the secret.

const FINGERPRINT_TEXT = "modelgate shared secret fingerprint v1";
const SETTING_KEY = "auth_secret_fingerprint";

export const secretFingerprint = (secret: string) => crypto.createHmac("sha256", secret).update(FINGERPRINT_TEXT).digest("base64url");

export class SharedSecretMismatchError extends Error {
  constructor(recordedAt: Date) {
    super(
      [
        "AUTH_SECRET differs from the one this database's other replicas use",
        `(its fingerprint was recorded on ${recordedAt.toISOString()}).`,
        "Every replica must be started with the same AUTH_SECRET: sessions and part-upload URLs made by one are checked by the others.",
        "Give this replica the AUTH_SECRET the others have. If you changed the secret on purpose (every session and pending upload URL made",
        "with the old one stops working, and so do stored webhook secrets unless WEBHOOK_SECRET_KEY is set), start one replica once with",
        "ACCEPT_NEW_AUTH_SECRET=true, then restart the others with the new secret.",
      ].join(" "),
    );
    this.name = "SharedSecretMismatchError";
  }
}

export type SharedSecretCheck = "recorded" | "matched" | "replaced";

/**
 * Records this deployment's AUTH_SECRET fingerprint on the first start, checks it on every later
 * start. `acceptNew` replaces a different recorded fingerprint (a deliberate rotation).
 */
export async function checkSharedSecret(db: Db, secret: string, { acceptNew = false }: { acceptNew?: boolean } = {}): Promise<SharedSecretCheck> {
  const fingerprint = secretFingerprint(secret);
  const inserted = await db.$queryRaw<{ key: string }[]>`
    INSERT INTO deployment_setting (key, value) VALUES (${SETTING_KEY}, ${fingerprint}) ON CONFLICT (key) DO NOTHING RETURNING key`;
  if (inserted.length) return "recorded";
  const [row] = await db.$queryRaw<{ value: string; updated_at: Date }[]>`SELECT value, updated_at FROM deployment_setting WHERE key = ${SETTING_KEY}`;
  if (!row || row.value === fingerprint) return "matched";
  if (!acceptNew) throw new SharedSecretMismatchError(row.updated_at);
  await db.$executeRaw`UPDATE deployment_setting SET value = ${fingerprint}, updated_at = now() WHERE key = ${SETTING_KEY}`;
  return "replaced";
}
