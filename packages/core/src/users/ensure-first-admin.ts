import type { Db } from "@modelgate/db";
import { recordAudit } from "../audit/record-audit.ts";
import { systemActor } from "../context.ts";
import { assertPasswordPolicy, generatePassword, hashPassword } from "./password.ts";
import { auditUser } from "./user-view.ts";
import { usernameSchema } from "./manage-users.ts";
import { parseInput } from "../validation.ts";

export type FirstAdminResult =
  | { created: false }
  | { created: true; username: string; /** Only when generated: print it once. */ generatedPassword?: string };

/**
 * First start: when no user exists, create the admin. With no password given, generate one and
 * hand it back to be printed once. No default credentials exist anywhere.
 */
export async function ensureFirstAdmin({ db, username, password }: { db: Db; username: string; password?: string | undefined }): Promise<FirstAdminResult> {
  const name = parseInput(usernameSchema, username);
  const chosen = password || undefined;
  if (chosen) assertPasswordPolicy(chosen, name);
  const secret = chosen ?? generatePassword();
  const passwordHash = await hashPassword(secret);
  return db.$transaction(async (tx) => {
    // serialise concurrent first starts (several replicas against one database)
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(7363400001)`;
    if ((await tx.user.count()) > 0) return { created: false } as const;
    const user = await tx.user.create({ data: { username: name, passwordHash, role: "ADMIN" } });
    await recordAudit({ actor: systemActor("bootstrap") }, tx, {
      action: "user.bootstrap_admin",
      resourceType: "user",
      resourceId: user.id,
      after: auditUser(user),
    });
    return chosen ? { created: true, username: name } : { created: true, username: name, generatedPassword: secret };
  });
}
