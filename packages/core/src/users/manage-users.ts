import { z } from "zod";
import { Prisma } from "@modelgate/db";
import type { Ctx } from "../context.ts";
import { authorize, requireUser } from "../auth/permissions.ts";
import { recordAudit } from "../audit/record-audit.ts";
import { alreadyExists, invalid, notFound } from "../errors.ts";
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

function isUniqueViolation(e: unknown): e is Prisma.PrismaClientKnownRequestError {
  return e instanceof Prisma.PrismaClientKnownRequestError && e.code === "P2002";
}

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

export async function listUsers(ctx: Ctx): Promise<UserView[]> {
  authorize(ctx.actor, "users:read");
  const users = await ctx.db.user.findMany({ orderBy: { username: "asc" } });
  return users.map(toUserView);
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
  return ctx.db.$transaction(async (tx) => {
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
  return ctx.db.$transaction(async (tx) => {
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
  return ctx.db.$transaction(async (tx) => {
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
  await ctx.db.$transaction(async (tx) => {
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
