import type { Group, Prisma, User } from "@modelgate/db";
import type { Ctx } from "../context.ts";
import { recordAudit } from "../audit/record-audit.ts";
import { NO_PASSWORD } from "./password.ts";
import { auditUser } from "./user-view.ts";

// What the three ways an identity provider brings people in share (SCIM provisioning, single
// sign-on, workload identity): accounts with no password, made unique by name, and groups the
// IdP keeps. Each creation is audited by the actor that made it.

type Tx = Prisma.TransactionClient;

/** `base`, or `base-2`, `base-3`… : the first name no account has (names compare case-insensitively). */
export async function uniqueUsername(tx: Tx, base: string): Promise<string> {
  for (let i = 1; ; i++) {
    const candidate = i === 1 ? base : `${base.slice(0, 120)}-${i}`;
    if (!(await tx.user.findFirst({ where: { username: { equals: candidate, mode: "insensitive" } }, select: { id: true } }))) return candidate;
  }
}

export interface IdpAccountData {
  /** The wanted user name; a clash gets a numeric suffix. */
  username: string;
  origin: "scim" | "oidc" | "workload";
  idpSubject?: string | null;
  externalId?: string | null;
  email?: string | null;
  displayName?: string | null;
  givenName?: string | null;
  familyName?: string | null;
  active?: boolean;
}

/** An account the IdP manages: no password (sign-in through the IdP; tokens work as anyone's), audited as `user.provision`. */
export async function createIdpAccount(tx: Tx, ctx: Pick<Ctx, "actor">, { username, ...data }: IdpAccountData): Promise<User> {
  const user = await tx.user.create({
    data: {
      ...data,
      username: await uniqueUsername(tx, username),
      email: data.email || null,
      displayName: data.displayName || null,
      givenName: data.givenName || null,
      familyName: data.familyName || null,
      passwordHash: NO_PASSWORD,
    },
  });
  await recordAudit(ctx, tx, { action: "user.provision", resourceType: "user", resourceId: user.id, after: auditUser(user) });
  return user;
}

/** A group the IdP keeps (read-only by hand), with its first members; audited as `group.provision`. */
export async function createIdpGroup(tx: Tx, ctx: Pick<Ctx, "actor">, { name, externalId = null, members = [] }: { name: string; externalId?: string | null; members?: readonly string[] }): Promise<Group> {
  const g = await tx.group.create({ data: { name, externalId, origin: "idp", description: "Managed by the identity provider" } });
  if (members.length) await tx.groupMember.createMany({ data: members.map((userId) => ({ groupId: g.id, userId })) });
  await recordAudit(ctx, tx, { action: "group.provision", resourceType: "group", resourceId: g.id, after: { name: g.name, externalId: g.externalId, members: [...members].sort() } });
  return g;
}
