import { z } from "zod";
import { type Prisma, isUniqueViolation } from "@modelgate/db";
import type { Ctx } from "../context.ts";
import { credentialTx } from "../auth/credential-cache.ts";
import { authorize, can, requireUser } from "../auth/permissions.ts";
import { recordAudit } from "../audit/record-audit.ts";
import { alreadyExists, denied, invalid, notFound } from "../errors.ts";
import { assertPasswordPolicy, hashPassword, verifyPassword } from "./password.ts";
import { auditUser, toUserView, type UserView } from "./user-view.ts";
import { parseInput } from "../validation.ts";

export const usernameSchema = z
  .string()
  .trim()
  .min(2, "Username must be 2 to 64 characters")
  .max(64, "Username must be 2 to 64 characters")
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "Username may contain letters, digits, '.', '_' and '-', and must start with a letter or digit");

export const createUserInput = z.object({
  username: usernameSchema,
  email: z.email("Invalid email address").max(254).optional().nullable(),
  displayName: z.string().trim().max(200).optional().nullable(),
  password: z.string(),
  role: z.enum(["ADMIN", "USER"]).default("USER"),
});


export async function createUser(ctx: Ctx, input: z.input<typeof createUserInput>): Promise<UserView> {
  authorize(ctx.actor, "users:manage");
  const q = parseInput(createUserInput, input);
  assertPasswordPolicy(q.password, q.username);
  const passwordHash = await hashPassword(q.password);
  try {
    return await ctx.db.$transaction(async (tx) => {
      const clash = await tx.user.findFirst({
        where: { OR: [{ username: { equals: q.username, mode: "insensitive" } }, ...(q.email ? [{ email: { equals: q.email, mode: "insensitive" as const } }] : [])] },
      });
      if (clash) throw alreadyExists(clash.username.toLowerCase() === q.username.toLowerCase() ? `User '${q.username}' already exists` : `Email '${q.email}' is already in use`);
      const user = await tx.user.create({
        data: { username: q.username, email: q.email || null, displayName: q.displayName || null, passwordHash, role: q.role },
      });
      await recordAudit(ctx, tx, { action: "user.create", resourceType: "user", resourceId: user.id, after: auditUser(user) });
      return toUserView(user);
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw alreadyExists(`User '${q.username}' already exists`);
    throw e;
  }
}

/** Every account, with the groups the identity provider keeps it in (Admin → Users). */
export async function listUsers(ctx: Ctx): Promise<(UserView & { idpGroups: string[] })[]> {
  authorize(ctx.actor, "users:read");
  const users = await ctx.db.user.findMany({ orderBy: { username: "asc" }, include: { groups: { where: { group: { origin: "idp" } }, include: { group: { select: { name: true } } } } } });
  return users.map(({ groups, ...u }) => ({ ...toUserView(u), idpGroups: groups.map((g) => g.group.name).sort() }));
}

const userIdInput = z.object({ userId: z.uuid("Invalid user id") });

async function loadUser(tx: Prisma.TransactionClient, userId: string) {
  // lock the row: concurrent admin actions on one user serialise
  const rows = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM "user" WHERE id = ${userId}::uuid FOR UPDATE`;
  if (!rows.length) throw notFound(`User with id=${userId} not found`);
  return tx.user.findUniqueOrThrow({ where: { id: userId } });
}

/**
 * Deactivation takes effect at once: the session version moves (portal sessions die) and token
 * authentication checks `active` on every request.
 */
export async function setUserActive(ctx: Ctx, input: { userId: string; active: boolean }): Promise<UserView> {
  authorize(ctx.actor, "users:manage");
  const { userId } = parseInput(userIdInput, input);
  const active = parseInput(z.object({ active: z.boolean() }), input).active;
  if (!active && ctx.actor.kind === "user" && ctx.actor.userId === userId) throw invalid("You cannot deactivate your own account");
  return credentialTx(ctx.db, async (tx) => {
    const before = await loadUser(tx, userId);
    if (before.active === active) return toUserView(before);
    const user = await tx.user.update({
      where: { id: userId },
      data: { active, ...(active ? {} : { sessionVersion: { increment: 1 } }) },
    });
    await recordAudit(ctx, tx, {
      action: active ? "user.reactivate" : "user.deactivate",
      resourceType: "user",
      resourceId: userId,
      before: auditUser(before),
      after: auditUser(user),
    });
    return toUserView(user);
  });
}

export async function setUserRole(ctx: Ctx, input: { userId: string; role: "ADMIN" | "USER" }): Promise<UserView> {
  authorize(ctx.actor, "users:manage");
  const q = parseInput(userIdInput.extend({ role: z.enum(["ADMIN", "USER"]) }), input);
  if (ctx.actor.kind === "user" && ctx.actor.userId === q.userId && q.role !== "ADMIN") throw invalid("You cannot remove your own admin role");
  return credentialTx(ctx.db, async (tx) => {
    const before = await loadUser(tx, q.userId);
    if (before.role === q.role) return toUserView(before);
    const user = await tx.user.update({ where: { id: q.userId }, data: { role: q.role, sessionVersion: { increment: 1 } } });
    await recordAudit(ctx, tx, { action: "user.role_change", resourceType: "user", resourceId: q.userId, before: auditUser(before), after: auditUser(user) });
    return toUserView(user);
  });
}

/** An admin sets a new password; the user's portal sessions end. Tokens stay valid. */
export async function resetPassword(ctx: Ctx, input: { userId: string; password: string }): Promise<UserView> {
  authorize(ctx.actor, "users:manage");
  const q = parseInput(userIdInput.extend({ password: z.string() }), input);
  return credentialTx(ctx.db, async (tx) => {
    const before = await loadUser(tx, q.userId);
    assertPasswordPolicy(q.password, before.username);
    const user = await tx.user.update({
      where: { id: q.userId },
      data: { passwordHash: await hashPassword(q.password), sessionVersion: { increment: 1 } },
    });
    await recordAudit(ctx, tx, { action: "user.password_reset", resourceType: "user", resourceId: q.userId });
    return toUserView(user);
  });
}

/** A user changes their own password, proving the current one. */
export async function changeOwnPassword(ctx: Ctx, input: { currentPassword: string; newPassword: string }) {
  authorize(ctx.actor, "self:read");
  const me = requireUser(ctx.actor);
  const q = parseInput(z.object({ currentPassword: z.string(), newPassword: z.string() }), input);
  await credentialTx(ctx.db, async (tx) => {
    const user = await loadUser(tx, me.userId);
    if (!(await verifyPassword(user.passwordHash, q.currentPassword))) throw invalid("Current password is incorrect");
    assertPasswordPolicy(q.newPassword, user.username);
    await tx.user.update({ where: { id: user.id }, data: { passwordHash: await hashPassword(q.newPassword) } });
    await recordAudit(ctx, tx, { action: "user.password_change", resourceType: "user", resourceId: user.id });
  });
}

export async function getMe(ctx: Ctx): Promise<UserView> {
  authorize(ctx.actor, "self:read");
  const me = requireUser(ctx.actor);
  const user = await ctx.db.user.findUnique({ where: { id: me.userId } });
  if (!user) throw notFound("User not found");
  return toUserView(user);
}

// ───────────── By username (the MLflow auth app's user endpoints) ─────────────

export interface UserGrantsView {
  user: UserView;
  experimentPermissions: { experiment_id: string; user_id: string; level: string }[];
  modelPermissions: { name: string; user_id: string; level: string }[];
}

/** Admins may act on anyone; a user on themself. Others are refused without learning whether the name exists. */
function assertAdminOrSelf(ctx: Ctx, username: string) {
  authorize(ctx.actor, "self:read");
  if (ctx.actor.kind === "user" && ctx.actor.username !== username && !can(ctx.actor, "users:manage")) throw denied("Permission denied: requires users:manage");
}

/** A deactivated ("deleted") account is not found here, as MLflow answers for a deleted user. */
async function userByName(db: Ctx["db"] | Prisma.TransactionClient, username: string) {
  const user = await db.user.findUnique({ where: { username } });
  if (!user?.active) throw notFound(`User with username=${username} not found`);
  return user;
}

/** A user with their own (not their groups') grants on experiments and models. */
export async function getUserGrants(ctx: Ctx, input: { username: string }): Promise<UserGrantsView> {
  const { username } = parseInput(z.object({ username: z.string() }), input);
  assertAdminOrSelf(ctx, username);
  const user = await userByName(ctx.db, username);
  const [experimentPermissions, modelPermissions] = await Promise.all([
    ctx.db.$queryRaw<UserGrantsView["experimentPermissions"]>`
      SELECT p.experiment_id::text AS experiment_id, p.user_id::text AS user_id, p.level::text AS level
      FROM experiment_permission p WHERE p.user_id = ${user.id}::uuid ORDER BY p.experiment_id`,
    ctx.db.$queryRaw<UserGrantsView["modelPermissions"]>`
      SELECT m.name, p.user_id::text AS user_id, p.level::text AS level
      FROM registered_model_permission p JOIN registered_model m ON m.id = p.model_id WHERE p.user_id = ${user.id}::uuid ORDER BY m.name`,
  ]);
  return { user: toUserView(user), experimentPermissions, modelPermissions };
}

/**
 * Sets a user's password by name: an admin for anyone (like resetPassword), a user for themself
 * (they are already authenticated, as in MLflow). Portal sessions end either way; tokens stay valid.
 */
export async function setPasswordByName(ctx: Ctx, input: { username: string; password: string }): Promise<void> {
  const q = parseInput(z.object({ username: z.string(), password: z.string() }), input);
  assertAdminOrSelf(ctx, q.username);
  const self = ctx.actor.kind === "user" && ctx.actor.username === q.username;
  await credentialTx(ctx.db, async (tx) => {
    const found = await userByName(tx, q.username);
    const user = await loadUser(tx, found.id);
    assertPasswordPolicy(q.password, user.username);
    await tx.user.update({ where: { id: user.id }, data: { passwordHash: await hashPassword(q.password), sessionVersion: { increment: 1 } } });
    await recordAudit(ctx, tx, { action: self ? "user.password_change" : "user.password_reset", resourceType: "user", resourceId: user.id });
  });
}

/** Makes a user an admin or not (admins only), by name. */
export async function setAdminByName(ctx: Ctx, input: { username: string; is_admin: boolean }): Promise<UserView> {
  authorize(ctx.actor, "users:manage");
  const q = parseInput(z.object({ username: z.string(), is_admin: z.boolean() }), input);
  const user = await userByName(ctx.db, q.username);
  return setUserRole(ctx, { userId: user.id, role: q.is_admin ? "ADMIN" : "USER" });
}

/**
 * "Deleting" a user deactivates the account (admins only): the audit log, approval decisions and
 * ownership columns keep naming the user by id, and the append-only audit log cannot lose its
 * actor; a hard delete would orphan that history and free the username for someone else.
 * Deactivation ends sessions and refuses tokens and basic auth at once.
 */
export async function deactivateUserByName(ctx: Ctx, input: { username: string }): Promise<UserView> {
  authorize(ctx.actor, "users:manage");
  const q = parseInput(z.object({ username: z.string() }), input);
  const user = await userByName(ctx.db, q.username);
  return setUserActive(ctx, { userId: user.id, active: false });
}

/**
 * Ends every portal session of a user at once (sessions are signed cookies: moving the session
 * version refuses all that were made before, on every replica). Tokens are revoked one by one.
 */
export async function endUserSessions(ctx: Ctx, input: { userId: string }): Promise<UserView> {
  authorize(ctx.actor, "users:manage");
  const { userId } = parseInput(userIdInput, input);
  return credentialTx(ctx.db, async (tx) => {
    const before = await loadUser(tx, userId);
    const user = await tx.user.update({ where: { id: userId }, data: { sessionVersion: { increment: 1 } } });
    await recordAudit(ctx, tx, { action: "user.sessions_end", resourceType: "user", resourceId: userId, before: auditUser(before), after: auditUser(user) });
    return toUserView(user);
  });
}
