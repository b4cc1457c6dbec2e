import crypto from "node:crypto";
import { isUniqueViolation, type Db } from "@modelgate/db";
import { systemActor, type Actor } from "../context.ts";
import { createIdpAccount } from "../users/idp-accounts.ts";
import { credentialTx } from "./credential-cache.ts";
import { authenticateCached, type AuthOptions } from "./authenticate.ts";

// Workload identity: a CI job or a training pipeline presents a JWT its identity provider issued
// (client credentials), already verified by the edge against the issuer's keys, audience and
// expiry. It acts as a service user: one account per workload (the token's subject), created on
// first use with no password and no grants beyond the defaults, which admins grant like any user
// and can deactivate. No personal token has to live in CI.

export interface WorkloadClaims {
  /** The token's `sub`: the workload's stable id at the IdP (often the client id). */
  subject: string;
  /** The OAuth client it authenticated as (`azp`, `client_id` or `appid`), for the account's name. */
  clientId?: string | undefined;
}

/** `svc-<client id>`, in the characters user names allow, at most 64. */
function serviceUsername(c: WorkloadClaims): string {
  const base = (c.clientId || c.subject).replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^[^A-Za-z0-9]+/, "");
  return `svc-${base || crypto.createHash("sha256").update(c.subject).digest("hex").slice(0, 12)}`.slice(0, 64);
}

const subjectKey = (subject: string) => `workload:${subject}`;

/** The service user for a workload, created (and audited) the first time it calls. */
async function serviceUser(db: Db, c: WorkloadClaims) {
  const key = subjectKey(c.subject);
  const existing = await db.user.findUnique({ where: { idpSubject: key } });
  if (existing) return existing;
  try {
    return await credentialTx(db, (tx) =>
      createIdpAccount(tx, { actor: systemActor("workload-identity") }, { username: serviceUsername(c), origin: "workload", idpSubject: key, displayName: `Workload ${c.clientId ?? c.subject}` }),
    );
  } catch (e) {
    // two first calls at once: the other one created it
    if (isUniqueViolation(e)) return db.user.findUniqueOrThrow({ where: { idpSubject: key } });
    throw e;
  }
}

/** The acting service user of a verified workload token, or null when an admin deactivated it. */
export async function authenticateWorkload(db: Db, claims: WorkloadClaims, opts: AuthOptions = {}): Promise<Actor | null> {
  return authenticateCached(db, subjectKey(claims.subject), opts, async () => {
    const user = await serviceUser(db, claims);
    if (!user.active) return null;
    return { actor: { kind: "user", userId: user.id, username: user.username, role: user.role } };
  });
}
