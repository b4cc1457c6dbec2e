import { z } from "zod";
import { type Prisma, type Group, type User, isUniqueViolation } from "@modelgate/db";
import { systemActor, type Ctx } from "../context.ts";
import { credentialTx } from "../auth/credential-cache.ts";
import { authorize } from "../auth/permissions.ts";
import { recordAudit } from "../audit/record-audit.ts";
import { alreadyExists, invalid, notFound } from "../errors.ts";
import { parseInput } from "../validation.ts";
import { assertNameFree } from "../groups/manage-groups.ts";
import { createIdpAccount, createIdpGroup } from "./idp-accounts.ts";
import { auditUser } from "./user-view.ts";

// Accounts and groups the team's identity provider keeps (SCIM provisioning, /scim/v2): the IdP
// creates, updates, deactivates and deletes users, and keeps groups and their members. Such users
// have no password (they sign in through the IdP; tokens still work); such groups are "idp"
// groups, which the portal shows as managed and does not let anyone edit by hand. Every change is
// audited. Deactivation ends sessions and tokens at once (credentialTx, session version).
// A deleted user is kept deactivated (runs, audit and grants name it) and leaves the IdP's view.

/** The accounts an identity provider manages, whether it provisioned them or they signed in through it. */
export const IDP_USER_ORIGINS = ["scim", "oidc"] as const;

export interface ProvisionedUser {
  id: string;
  userName: string;
  externalId: string | null;
  email: string | null;
  displayName: string | null;
  givenName: string | null;
  familyName: string | null;
  active: boolean;
  origin: string;
  createdAt: Date;
  updatedAt: Date;
  groups: { id: string; name: string }[];
}

export interface ProvisionedGroup {
  id: string;
  name: string;
  externalId: string | null;
  createdAt: Date;
  members: { id: string; userName: string }[];
}

/** IdP user names are often emails: letters, digits and . _ - @ + (the portal's rule, plus @ and +). */
const userNameSchema = z
  .string()
  .trim()
  .min(2, "userName must be 2 to 128 characters")
  .max(128, "userName must be 2 to 128 characters")
  .regex(/^[A-Za-z0-9][A-Za-z0-9._@+-]*$/, "userName may contain letters, digits, '.', '_', '-', '@' and '+', and must start with a letter or digit");
/** IdP group names are free text: any printable characters. */
const groupNameSchema = z
  .string()
  .trim()
  .min(1, "displayName is required")
  .max(256, "displayName must be at most 256 characters")
  .refine((v) => ![...v].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f), "displayName may not contain control characters");
const externalIdSchema = z.string().trim().min(1).max(256).nullable().optional();

export const provisionUserInput = z.object({
  userName: userNameSchema,
  externalId: externalIdSchema,
  email: z.email("Invalid email address").max(254).nullable().optional(),
  displayName: z.string().trim().max(200).nullable().optional(),
  givenName: z.string().trim().max(200).nullable().optional(),
  familyName: z.string().trim().max(200).nullable().optional(),
  active: z.boolean().default(true),
});
export type ProvisionUserInput = z.input<typeof provisionUserInput>;

/** Runs a write; a unique index refusing it (a concurrent twin) becomes RESOURCE_ALREADY_EXISTS. */
async function uniqueOr<T>(message: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (isUniqueViolation(e)) throw alreadyExists(message);
    throw e;
  }
}

const userNotFound = (id: string) => notFound(`User ${id} not found`);
const groupNotFound = (id: string) => notFound(`Group ${id} not found`);
const isUuid = (id: string) => z.uuid().safeParse(id).success;

type Tx = Prisma.TransactionClient;
type UserWithGroups = User & { groups: { group: Group }[] };

function toProvisionedUser(u: UserWithGroups): ProvisionedUser {
  return {
    id: u.id,
    userName: u.username,
    externalId: u.externalId,
    email: u.email,
    displayName: u.displayName,
    givenName: u.givenName,
    familyName: u.familyName,
    active: u.active,
    origin: u.origin,
    createdAt: u.createdAt,
    updatedAt: u.updatedAt,
    groups: u.groups.map((m) => ({ id: m.group.id, name: m.group.name })).sort((a, b) => a.name.localeCompare(b.name)),
  };
}

const managedUser = { origin: { in: [...IDP_USER_ORIGINS] }, deprovisionedAt: null } satisfies Prisma.UserWhereInput;

/** A user the IdP manages, locked for the rest of the transaction. */
async function lockManagedUser(tx: Tx, id: string): Promise<User> {
  if (!isUuid(id)) throw userNotFound(id);
  const rows = await tx.$queryRaw<{ id: string }[]>`SELECT id::text AS id FROM "user" WHERE id = ${id}::uuid FOR UPDATE`;
  const u = rows[0] ? await tx.user.findFirst({ where: { id, ...managedUser } }) : null;
  if (!u) throw userNotFound(id);
  return u;
}

async function assertUserFree(tx: Tx, q: { userName?: string | undefined; email?: string | null | undefined; externalId?: string | null | undefined }, exceptId?: string) {
  const or: Prisma.UserWhereInput[] = [];
  if (q.userName) or.push({ username: { equals: q.userName, mode: "insensitive" } });
  if (q.email) or.push({ email: { equals: q.email, mode: "insensitive" } });
  if (q.externalId) or.push({ externalId: q.externalId });
  if (!or.length) return;
  const clash = await tx.user.findFirst({ where: { OR: or, ...(exceptId ? { NOT: { id: exceptId } } : {}) } });
  if (!clash) return;
  if (q.userName && clash.username.toLowerCase() === q.userName.toLowerCase()) throw alreadyExists(`User '${q.userName}' already exists`);
  if (q.externalId && clash.externalId === q.externalId) throw alreadyExists(`A user with externalId '${q.externalId}' already exists`);
  throw alreadyExists(`Email '${q.email}' is already in use`);
}

const loadUserView = async (tx: Tx | Ctx["db"], id: string) =>
  toProvisionedUser(await tx.user.findUniqueOrThrow({ where: { id }, include: { groups: { include: { group: true } } } }));

/** Creates an account for the IdP: no password (sign-in through the IdP), origin "scim". */
export async function provisionUser(ctx: Ctx, input: ProvisionUserInput): Promise<ProvisionedUser> {
  authorize(ctx.actor, "users:manage");
  const q = parseInput(provisionUserInput, input);
  return uniqueOr(`User '${q.userName}' already exists`, () =>
    ctx.db.$transaction(async (tx) => {
      // SCIM names are the IdP's: a taken one is a conflict (409), never renamed
      await assertUserFree(tx, q);
      const { userName, ...rest } = q;
      const user = await createIdpAccount(tx, ctx, { ...rest, username: userName, externalId: q.externalId || null, origin: "scim" });
      return loadUserView(tx, user.id);
    }),
  );
}

export async function getProvisionedUser(ctx: Ctx, id: string): Promise<ProvisionedUser> {
  authorize(ctx.actor, "users:read");
  if (!isUuid(id)) throw userNotFound(id);
  const u = await ctx.db.user.findFirst({ where: { id, ...managedUser }, include: { groups: { include: { group: true } } } });
  if (!u) throw userNotFound(id);
  return toProvisionedUser(u);
}

export interface UserFilter {
  /** Case-insensitive, as SCIM's userName is. */
  userName?: string;
  externalId?: string;
  email?: string;
}

/** One page of the IdP's users (1-based startIndex, as SCIM counts), in creation order. */
export async function listProvisionedUsers(ctx: Ctx, { filter = {}, startIndex = 1, count = 100 }: { filter?: UserFilter; startIndex?: number; count?: number }) {
  authorize(ctx.actor, "users:read");
  const where: Prisma.UserWhereInput = {
    ...managedUser,
    ...(filter.userName !== undefined ? { username: { equals: filter.userName, mode: "insensitive" } } : {}),
    ...(filter.externalId !== undefined ? { externalId: filter.externalId } : {}),
    ...(filter.email !== undefined ? { email: { equals: filter.email, mode: "insensitive" } } : {}),
  };
  const [total, users] = await Promise.all([
    ctx.db.user.count({ where }),
    count > 0 ? ctx.db.user.findMany({ where, orderBy: [{ createdAt: "asc" }, { id: "asc" }], skip: Math.max(0, startIndex - 1), take: count, include: { groups: { include: { group: true } } } }) : [],
  ]);
  return { total, users: users.map(toProvisionedUser) };
}

export const updateProvisionedUserInput = provisionUserInput.partial().extend({ active: z.boolean().optional() });

/**
 * Changes what the IdP says of a user. Deactivating moves the session version (portal sessions
 * end) and, like any change to a user, empties every process's credential cache (tokens end).
 */
export async function updateProvisionedUser(ctx: Ctx, id: string, input: z.input<typeof updateProvisionedUserInput>): Promise<ProvisionedUser> {
  authorize(ctx.actor, "users:manage");
  const q = parseInput(updateProvisionedUserInput, input);
  return uniqueOr(`User '${q.userName ?? id}' already exists`, () =>
    credentialTx(ctx.db, async (tx) => {
      const before = await lockManagedUser(tx, id);
      await assertUserFree(tx, { userName: q.userName, email: q.email, externalId: q.externalId }, id);
      const data: Prisma.UserUpdateInput = {
        ...(q.userName !== undefined ? { username: q.userName } : {}),
        ...(q.externalId !== undefined ? { externalId: q.externalId || null } : {}),
        ...(q.email !== undefined ? { email: q.email || null } : {}),
        ...(q.displayName !== undefined ? { displayName: q.displayName || null } : {}),
        ...(q.givenName !== undefined ? { givenName: q.givenName || null } : {}),
        ...(q.familyName !== undefined ? { familyName: q.familyName || null } : {}),
        ...(q.active !== undefined ? { active: q.active } : {}),
        // a new name or a deactivation ends the sessions made before it
        ...((q.active === false && before.active) || (q.userName !== undefined && q.userName !== before.username) ? { sessionVersion: { increment: 1 } } : {}),
      };
      const user = await tx.user.update({ where: { id }, data });
      const action = q.active === false && before.active ? "user.deactivate" : q.active === true && !before.active ? "user.reactivate" : "user.update";
      await recordAudit(ctx, tx, { action, resourceType: "user", resourceId: id, before: auditUser(before), after: auditUser(user) });
      return loadUserView(tx, id);
    }),
  );
}

/** SCIM DELETE: the account is deactivated for good and leaves the IdP's view; its history stays. */
export async function deprovisionUser(ctx: Ctx, id: string): Promise<void> {
  authorize(ctx.actor, "users:manage");
  await credentialTx(ctx.db, async (tx) => {
    const before = await lockManagedUser(tx, id);
    const user = await tx.user.update({ where: { id }, data: { active: false, deprovisionedAt: new Date(), externalId: null, sessionVersion: { increment: 1 } } });
    await tx.groupMember.deleteMany({ where: { userId: id, group: { origin: "idp" } } });
    await recordAudit(ctx, tx, { action: "user.deprovision", resourceType: "user", resourceId: id, before: auditUser(before), after: auditUser(user) });
  });
}

// ───────────── groups ─────────────

type GroupWithMembers = Group & { members: { user: User }[] };
const toProvisionedGroup = (g: GroupWithMembers): ProvisionedGroup => ({
  id: g.id,
  name: g.name,
  externalId: g.externalId,
  createdAt: g.createdAt,
  members: g.members.map((m) => ({ id: m.user.id, userName: m.user.username })).sort((a, b) => a.userName.localeCompare(b.userName)),
});
const withMembers = { members: { include: { user: true } } } as const;

async function lockIdpGroup(tx: Tx, id: string): Promise<Group> {
  if (!isUuid(id)) throw groupNotFound(id);
  const rows = await tx.$queryRaw<{ id: string }[]>`SELECT id::text AS id FROM user_group WHERE id = ${id}::uuid AND origin = 'idp' FOR UPDATE`;
  if (!rows[0]) throw groupNotFound(id);
  return tx.group.findUniqueOrThrow({ where: { id } });
}

/** The members named must be users the IdP manages (SCIM member values are user ids). */
async function memberIds(tx: Tx, ids: readonly string[]): Promise<string[]> {
  const unique = [...new Set(ids)];
  const bad = unique.find((id) => !isUuid(id));
  if (bad) throw invalid(`Member '${bad}' is not a user id`);
  const found = await tx.user.findMany({ where: { id: { in: unique }, ...managedUser }, select: { id: true } });
  if (found.length !== unique.length) {
    const known = new Set(found.map((u) => u.id));
    throw invalid(`Member ${unique.find((id) => !known.has(id))} is not a provisioned user`);
  }
  return unique;
}

const auditIdpGroup = (g: Group, members: string[]) => ({ name: g.name, externalId: g.externalId, members: [...members].sort() });

export async function provisionGroup(ctx: Ctx, input: { displayName: string; externalId?: string | null | undefined; members?: readonly string[] }): Promise<ProvisionedGroup> {
  authorize(ctx.actor, "users:manage");
  const q = parseInput(z.object({ displayName: groupNameSchema, externalId: externalIdSchema, members: z.array(z.string()).default([]) }), input);
  return uniqueOr(`Group '${q.displayName}' already exists`, () =>
    ctx.db.$transaction(async (tx) => {
      await assertNameFree(tx, q.displayName);
      const g = await createIdpGroup(tx, ctx, { name: q.displayName, externalId: q.externalId || null, members: await memberIds(tx, q.members) });
      return toProvisionedGroup(await tx.group.findUniqueOrThrow({ where: { id: g.id }, include: withMembers }));
    }),
  );
}

export async function getProvisionedGroup(ctx: Ctx, id: string): Promise<ProvisionedGroup> {
  authorize(ctx.actor, "users:read");
  if (!isUuid(id)) throw groupNotFound(id);
  const g = await ctx.db.group.findFirst({ where: { id, origin: "idp" }, include: withMembers });
  if (!g) throw groupNotFound(id);
  return toProvisionedGroup(g);
}

export async function listProvisionedGroups(ctx: Ctx, { filter = {}, startIndex = 1, count = 100 }: { filter?: { displayName?: string; externalId?: string }; startIndex?: number; count?: number }) {
  authorize(ctx.actor, "users:read");
  const where: Prisma.GroupWhereInput = {
    origin: "idp",
    ...(filter.displayName !== undefined ? { name: { equals: filter.displayName, mode: "insensitive" } } : {}),
    ...(filter.externalId !== undefined ? { externalId: filter.externalId } : {}),
  };
  const [total, groups] = await Promise.all([
    ctx.db.group.count({ where }),
    count > 0 ? ctx.db.group.findMany({ where, orderBy: [{ createdAt: "asc" }, { id: "asc" }], skip: Math.max(0, startIndex - 1), take: count, include: withMembers }) : [],
  ]);
  return { total, groups: groups.map(toProvisionedGroup) };
}

export interface GroupChange {
  displayName?: string;
  externalId?: string | null;
  /** Replaces the whole member list. */
  members?: readonly string[];
  addMembers?: readonly string[];
  removeMembers?: readonly string[];
}

/** One audited change to an IdP group: name, externalId, members (replace, add, remove). */
export async function updateProvisionedGroup(ctx: Ctx, id: string, change: GroupChange): Promise<ProvisionedGroup> {
  authorize(ctx.actor, "users:manage");
  const q = parseInput(
    z.object({
      displayName: groupNameSchema.optional(),
      externalId: externalIdSchema,
      members: z.array(z.string()).optional(),
      addMembers: z.array(z.string()).optional(),
      removeMembers: z.array(z.string()).optional(),
    }),
    change,
  );
  return uniqueOr(`Group '${q.displayName ?? id}' already exists`, () =>
    ctx.db.$transaction(async (tx) => {
      const before = await lockIdpGroup(tx, id);
      const had = (await tx.groupMember.findMany({ where: { groupId: id }, select: { userId: true } })).map((m) => m.userId);
      if (q.displayName !== undefined && q.displayName !== before.name) await assertNameFree(tx, q.displayName, id);
      const next = new Set(q.members !== undefined ? await memberIds(tx, q.members) : had);
      for (const m of q.addMembers?.length ? await memberIds(tx, q.addMembers) : []) next.add(m);
      for (const m of q.removeMembers ?? []) next.delete(m);
      const add = [...next].filter((m) => !had.includes(m));
      const remove = had.filter((m) => !next.has(m));
      if (add.length) await tx.groupMember.createMany({ data: add.map((userId) => ({ groupId: id, userId })), skipDuplicates: true });
      if (remove.length) await tx.groupMember.deleteMany({ where: { groupId: id, userId: { in: remove } } });
      const g = await tx.group.update({
        where: { id },
        data: { ...(q.displayName !== undefined ? { name: q.displayName } : {}), ...(q.externalId !== undefined ? { externalId: q.externalId || null } : {}) },
      });
      if (add.length || remove.length || g.name !== before.name || g.externalId !== before.externalId) {
        await recordAudit(ctx, tx, { action: "group.sync", resourceType: "group", resourceId: id, before: auditIdpGroup(before, had), after: auditIdpGroup(g, [...next]) });
      }
      return toProvisionedGroup(await tx.group.findUniqueOrThrow({ where: { id }, include: withMembers }));
    }),
  );
}

/** Deletes an IdP group with its memberships and grants (cascade); the audit event keeps what it had. */
export async function deprovisionGroup(ctx: Ctx, id: string): Promise<void> {
  authorize(ctx.actor, "users:manage");
  await ctx.db.$transaction(async (tx) => {
    const g = await lockIdpGroup(tx, id);
    const had = (await tx.groupMember.findMany({ where: { groupId: id }, select: { userId: true } })).map((m) => m.userId);
    await tx.group.delete({ where: { id } });
    await recordAudit(ctx, tx, { action: "group.deprovision", resourceType: "group", resourceId: id, before: auditIdpGroup(g, had) });
  });
}

/** A SCIM request with a missing or wrong token: audited like a failed sign-in, nothing else happens. */
export async function recordScimRefusal(db: Ctx["db"], { ip, requestId }: { ip?: string | undefined; requestId?: string | undefined }): Promise<void> {
  await recordAudit({ actor: systemActor("scim"), ip, requestId }, db, {
    action: "auth.sign_in_failed",
    resourceType: "session",
    resourceId: "scim",
    after: { channel: "scim", reason: "missing or wrong SCIM bearer token" },
  });
}
