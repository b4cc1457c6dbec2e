import { z } from "zod";
import { type Prisma, isUniqueViolation } from "@modelgate/db";
import type { Ctx } from "../context.ts";
import { authorize, can } from "../auth/permissions.ts";
import { recordAudit } from "../audit/record-audit.ts";
import { alreadyExists, denied, notFound } from "../errors.ts";
import { parseInput } from "../validation.ts";

// Groups of users: admins create, rename, describe and delete them and manage their members.
// Experiments and models are granted to groups (group-grants.ts); a user's effective level is the
// highest of their own grant and their groups' (resolved in the permission SQL). Every change is
// audited; the group's id is the resource id, so a rename keeps its history together.

export const groupNameSchema = z
  .string()
  .trim()
  .min(2, "Group name must be 2 to 64 characters")
  .max(64, "Group name must be 2 to 64 characters")
  .regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]*$/, "Group name may contain letters, digits, spaces, '.', '_' and '-', and must start with a letter or digit");

const descriptionSchema = z.string().trim().max(1000, "Description must be at most 1000 characters");

export interface GroupView {
  id: string;
  name: string;
  description: string;
  createdAt: Date;
  memberCount: number;
  /** "local" (kept by hand here) or "idp" (kept by the identity provider: read-only in the portal). */
  origin: string;
}

export interface GroupMemberView {
  userId: string;
  username: string;
  displayName: string | null;
  active: boolean;
  addedAt: Date;
}

const groupExists = (name: string) => alreadyExists(`Group '${name}' already exists`);
export const groupNotFound = (name: string) => notFound(`Group '${name}' does not exist`);

type Tx = Prisma.TransactionClient;

/** The group by name (case-insensitive), locked for the rest of the transaction. */
async function lockGroup(tx: Tx, name: string) {
  const rows = await tx.$queryRaw<{ id: string }[]>`SELECT id::text AS id FROM user_group WHERE lower(name) = lower(${name}) FOR UPDATE`;
  if (!rows[0]) throw groupNotFound(name);
  return tx.group.findUniqueOrThrow({ where: { id: rows[0].id } });
}

/** Groups the identity provider keeps (SCIM, sign-in claims) change only there. */
function assertKeptByHand<G extends { name: string; origin: string }>(g: G): G {
  if (g.origin === "idp") throw denied(`Group '${g.name}' is managed by your identity provider: change it there`);
  return g;
}

export async function assertNameFree(tx: Tx, name: string, exceptId?: string) {
  const clash = await tx.group.findFirst({ where: { name: { equals: name, mode: "insensitive" }, ...(exceptId ? { NOT: { id: exceptId } } : {}) } });
  if (clash) throw groupExists(name);
}

const auditGroup = (g: { name: string; description: string }) => ({ name: g.name, description: g.description });

export async function createGroup(ctx: Ctx, input: { name: string; description?: string | undefined }): Promise<GroupView> {
  authorize(ctx.actor, "users:manage");
  const q = parseInput(z.object({ name: groupNameSchema, description: descriptionSchema.default("") }), input);
  try {
    return await ctx.db.$transaction(async (tx) => {
      await assertNameFree(tx, q.name);
      const g = await tx.group.create({ data: { name: q.name, description: q.description } });
      await recordAudit(ctx, tx, { action: "group.create", resourceType: "group", resourceId: g.id, after: auditGroup(g) });
      return { ...g, memberCount: 0 };
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw groupExists(q.name);
    throw e;
  }
}

/** Renames and/or re-describes a group; grants and members follow it (they hang on its id). */
export async function updateGroup(ctx: Ctx, input: { group: string; new_name?: string | undefined; description?: string | undefined }): Promise<GroupView> {
  authorize(ctx.actor, "users:manage");
  const q = parseInput(z.object({ group: z.string(), new_name: groupNameSchema.optional(), description: descriptionSchema.optional() }), input);
  try {
    return await ctx.db.$transaction(async (tx) => {
      const before = assertKeptByHand(await lockGroup(tx, q.group));
      if (q.new_name !== undefined) await assertNameFree(tx, q.new_name, before.id);
      const g = await tx.group.update({
        where: { id: before.id },
        data: { ...(q.new_name !== undefined ? { name: q.new_name } : {}), ...(q.description !== undefined ? { description: q.description } : {}) },
        include: { _count: { select: { members: true } } },
      });
      await recordAudit(ctx, tx, { action: "group.update", resourceType: "group", resourceId: g.id, before: auditGroup(before), after: auditGroup(g) });
      const { _count, ...rest } = g;
      return { ...rest, memberCount: _count.members };
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw groupExists(q.new_name ?? q.group);
    throw e;
  }
}

/** Deletes a group with its memberships and grants (cascade); the audit event keeps what it had. */
export async function deleteGroup(ctx: Ctx, input: { group: string }): Promise<void> {
  authorize(ctx.actor, "users:manage");
  const q = parseInput(z.object({ group: z.string() }), input);
  await ctx.db.$transaction(async (tx) => {
    const g = assertKeptByHand(await lockGroup(tx, q.group));
    const members = await tx.groupMember.findMany({ where: { groupId: g.id }, include: { user: { select: { username: true } } } });
    await tx.group.delete({ where: { id: g.id } });
    await recordAudit(ctx, tx, {
      action: "group.delete",
      resourceType: "group",
      resourceId: g.id,
      before: { ...auditGroup(g), members: members.map((m) => m.user.username).sort() },
    });
  });
}

async function findUser(tx: Tx, username: string) {
  const u = await tx.user.findUnique({ where: { username } });
  if (!u) throw notFound(`User '${username}' does not exist`);
  return u;
}

/** Adds a user to a group; adding a member twice changes nothing (and is not audited twice). */
export async function addGroupMember(ctx: Ctx, input: { group: string; username: string }): Promise<void> {
  authorize(ctx.actor, "users:manage");
  const q = parseInput(z.object({ group: z.string(), username: z.string() }), input);
  await ctx.db.$transaction(async (tx) => {
    const g = assertKeptByHand(await lockGroup(tx, q.group));
    const u = await findUser(tx, q.username);
    const added = await tx.groupMember.createMany({ data: [{ groupId: g.id, userId: u.id }], skipDuplicates: true });
    if (added.count) await recordAudit(ctx, tx, { action: "group.member_add", resourceType: "group", resourceId: g.id, after: { group: g.name, username: u.username } });
  });
}

/** Removes a user from a group: the access it gave ends with the next request. */
export async function removeGroupMember(ctx: Ctx, input: { group: string; username: string }): Promise<void> {
  authorize(ctx.actor, "users:manage");
  const q = parseInput(z.object({ group: z.string(), username: z.string() }), input);
  await ctx.db.$transaction(async (tx) => {
    const g = assertKeptByHand(await lockGroup(tx, q.group));
    const u = await findUser(tx, q.username);
    const removed = await tx.groupMember.deleteMany({ where: { groupId: g.id, userId: u.id } });
    if (!removed.count) throw notFound(`User '${u.username}' is not a member of group '${g.name}'`);
    await recordAudit(ctx, tx, { action: "group.member_remove", resourceType: "group", resourceId: g.id, before: { group: g.name, username: u.username } });
  });
}

export async function listGroups(ctx: Ctx): Promise<GroupView[]> {
  authorize(ctx.actor, "users:read");
  const groups = await ctx.db.group.findMany({ orderBy: { name: "asc" }, include: { _count: { select: { members: true } } } });
  return groups.map(({ _count, ...g }) => ({ ...g, memberCount: _count.members }));
}

/**
 * Names and descriptions only, for any signed-in user: model and experiment managers pick a group
 * to grant to. Membership stays an admin's view.
 */
export async function listGroupNames(ctx: Ctx): Promise<{ name: string; description: string }[]> {
  authorize(ctx.actor, "mlflow:use");
  return ctx.db.group.findMany({ orderBy: { name: "asc" }, select: { name: true, description: true } });
}

export async function listGroupMembers(ctx: Ctx, input: { group: string }): Promise<GroupMemberView[]> {
  authorize(ctx.actor, "users:read");
  const q = parseInput(z.object({ group: z.string() }), input);
  const g = await ctx.db.group.findFirst({ where: { name: { equals: q.group, mode: "insensitive" } } });
  if (!g) throw groupNotFound(q.group);
  const members = await ctx.db.groupMember.findMany({ where: { groupId: g.id }, include: { user: true }, orderBy: { user: { username: "asc" } } });
  return members.map((m) => ({ userId: m.userId, username: m.user.username, displayName: m.user.displayName, active: m.user.active, addedAt: m.addedAt }));
}

/** The groups a user belongs to: admins may ask about anyone, a user about themself. */
export async function listUserGroups(ctx: Ctx, input: { username: string }): Promise<{ name: string; description: string }[]> {
  authorize(ctx.actor, "self:read");
  const q = parseInput(z.object({ username: z.string() }), input);
  if (ctx.actor.kind === "user" && ctx.actor.username !== q.username && !can(ctx.actor, "users:read")) throw denied("Permission denied: requires users:read");
  const u = await ctx.db.user.findUnique({ where: { username: q.username } });
  if (!u) throw notFound(`User '${q.username}' does not exist`);
  const rows = await ctx.db.groupMember.findMany({ where: { userId: u.id }, include: { group: true }, orderBy: { group: { name: "asc" } } });
  return rows.map((r) => ({ name: r.group.name, description: r.group.description }));
}
