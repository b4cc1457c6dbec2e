import type { Db, User } from "@modelgate/db";
import { recordAudit } from "../audit/record-audit.ts";
import { systemActor } from "../context.ts";
import { DomainError } from "../errors.ts";
import { burnPasswordVerification, verifyPassword } from "../users/password.ts";

/** One message for every credential failure: it must not tell which part was wrong. */
export const GENERIC_SIGN_IN_ERROR = "Invalid username or password";

const FREE_FAILURES = 3;
const MAX_DELAY_S = 300;
const FORGET_AFTER_MS = 15 * 60_000;

/** Seconds to wait after `failures` consecutive failures: 0, 0, 0, 1, 2, 4 … 300. */
export function throttleDelaySeconds(failures: number): number {
  if (failures < FREE_FAILURES) return 0;
  return Math.min(2 ** (failures - FREE_FAILURES), MAX_DELAY_S);
}

const keysFor = (identifier: string, ip: string | undefined) => [`account:${identifier.trim().toLowerCase()}`, ...(ip ? [`ip:${ip}`] : [])];

/** Remaining seconds before another attempt is allowed for this account or this address. */
async function remainingDelay(db: Db, keys: string[], now: number): Promise<number> {
  const rows = await db.signInThrottle.findMany({ where: { key: { in: keys } } });
  let wait = 0;
  for (const r of rows) {
    if (now - r.lastFailureAt.getTime() > FORGET_AFTER_MS) continue;
    const until = r.lastFailureAt.getTime() + throttleDelaySeconds(r.failures) * 1000;
    wait = Math.max(wait, Math.ceil((until - now) / 1000));
  }
  return wait;
}

async function recordFailure(db: Db, keys: string[], now: Date) {
  for (const key of keys) {
    await db.$executeRaw`
      INSERT INTO sign_in_throttle (key, failures, last_failure_at) VALUES (${key}, 1, ${now})
      ON CONFLICT (key) DO UPDATE SET
        failures = CASE WHEN sign_in_throttle.last_failure_at < ${new Date(now.getTime() - FORGET_AFTER_MS)}
                        THEN 1 ELSE sign_in_throttle.failures + 1 END,
        last_failure_at = ${now}`;
  }
}

export interface VerifyCredentialsInput {
  db: Db;
  /** Username or email. */
  identifier: string;
  password: string;
  ip?: string | undefined;
  requestId?: string | undefined;
  /** Where the attempt came from, for the audit log ("portal", "api"). */
  channel: "portal" | "api";
}

// PASSWORD_SIGN_IN=false (single sign-on only): no password opens the portal, and on the API only
// the first admin's (ADMIN_USERNAME) does, a break-glass account for when the IdP is down. Tokens
// keep working for everyone. Set once at start by each process (the data plane and Next.js).
const passwordPolicy = { allowed: true, breakGlassUsername: "" };
export function configurePasswordSignIn({ allowed, breakGlassUsername }: { allowed: boolean; breakGlassUsername: string }) {
  passwordPolicy.allowed = allowed;
  passwordPolicy.breakGlassUsername = breakGlassUsername.trim().toLowerCase();
}
const passwordAccepted = (channel: "portal" | "api", identifier: string) =>
  passwordPolicy.allowed || (channel === "api" && identifier.trim().toLowerCase() === passwordPolicy.breakGlassUsername);

/**
 * Checks a username (or email) and password. Failures are audited, counted per account and per
 * client address, and met with a growing delay; every failure gives the same message.
 */
export async function verifyCredentials(input: VerifyCredentialsInput): Promise<User> {
  const { db, identifier, password, ip, requestId, channel } = input;
  const ctx = { actor: systemActor("sign-in"), ip, requestId };
  if (!passwordAccepted(channel, identifier)) {
    await recordAudit(ctx, db, { action: "auth.sign_in_failed", resourceType: "session", actorName: identifier.slice(0, 200), after: { channel, reason: "password_sign_in_off" } });
    throw new DomainError("UNAUTHENTICATED", GENERIC_SIGN_IN_ERROR);
  }
  const keys = keysFor(identifier, ip);
  const now = Date.now();
  const wait = await remainingDelay(db, keys, now);
  if (wait > 0) {
    await recordAudit(ctx, db, { action: "auth.sign_in_throttled", resourceType: "session", actorName: identifier.slice(0, 200), after: { channel, retryAfter: wait } });
    throw new DomainError("REQUEST_LIMIT_EXCEEDED", `Too many failed sign-in attempts. Try again in ${wait} s.`, wait);
  }
  const id = identifier.trim();
  const user = id
    ? await db.user.findFirst({ where: { OR: [{ username: { equals: id, mode: "insensitive" } }, { email: { equals: id, mode: "insensitive" } }] } })
    : null;
  const ok = user ? await verifyPassword(user.passwordHash, password) : (await burnPasswordVerification(password), false);
  if (!user || !ok || !user.active) {
    await recordFailure(db, keys, new Date(now));
    await recordAudit(ctx, db, {
      action: "auth.sign_in_failed",
      resourceType: "session",
      resourceId: user?.id ?? null,
      actorName: identifier.slice(0, 200),
      after: { channel, reason: !user ? "unknown_account" : !ok ? "bad_password" : "inactive" },
    });
    throw new DomainError("UNAUTHENTICATED", GENERIC_SIGN_IN_ERROR);
  }
  await db.signInThrottle.deleteMany({ where: { key: keys[0]! } });
  return user;
}

/** Records a successful portal sign-in. */
export async function recordSignIn({ db, user, ip, requestId }: { db: Db; user: User; ip?: string | undefined; requestId?: string | undefined }) {
  await db.$transaction(async (tx) => {
    await tx.user.update({ where: { id: user.id }, data: { lastSignInAt: new Date() } });
    await recordAudit({ actor: { kind: "user", userId: user.id, username: user.username, role: user.role }, ip, requestId }, tx, {
      action: "auth.sign_in",
      resourceType: "session",
      resourceId: user.id,
    });
  });
}
