import { beforeAll, describe, expect, it } from "vitest";
import { freshTestDatabase, useTestDatabase } from "@modelgate/db/test-db";
import type { Db } from "@modelgate/db";
import {
  authenticateSession,
  changeOwnPassword,
  createUser,
  ensureFirstAdmin,
  getMe,
  listUsers,
  resetPassword,
  setUserActive,
  setUserRole,
  verifyCredentials,
} from "../src/index.ts";
import { makeUser, PASSWORD } from "./helpers.ts";

let db: Db;
beforeAll(async () => {
  db = (await useTestDatabase()).db;
});

describe("users", () => {
  it("an admin creates a user who can then sign in; the password is stored hashed", async () => {
    const admin = await makeUser(db, { role: "ADMIN" });
    const u = await createUser(admin.ctx, { username: "alice.smith", email: "alice@example.com", password: "a long enough password" });
    expect(u).toMatchObject({ username: "alice.smith", email: "alice@example.com", role: "USER", active: true });
    expect(u).not.toHaveProperty("passwordHash");
    const row = await db.user.findUniqueOrThrow({ where: { id: u.id } });
    expect(row.passwordHash).toMatch(/^\$argon2id\$/);
    const signedIn = await verifyCredentials({ db, identifier: "ALICE@example.com", password: "a long enough password", channel: "portal" });
    expect(signedIn.id).toBe(u.id);
    const events = await db.auditEvent.findMany({ where: { resourceId: u.id, action: "user.create" } });
    expect(events).toHaveLength(1);
    expect(events[0]!.actorId).toBe(admin.user.id);
    expect(JSON.stringify(events[0]!.after)).not.toContain("argon2");
  });

  it("enforces the password policy and unique names, writing nothing on failure", async () => {
    const admin = await makeUser(db, { role: "ADMIN" });
    await expect(createUser(admin.ctx, { username: "bob", password: "short" })).rejects.toMatchObject({ code: "INVALID_PARAMETER_VALUE", message: expect.stringContaining("12 characters") });
    await expect(createUser(admin.ctx, { username: "bobbobbobbobbob", password: "BobBobBobBobBob" })).rejects.toMatchObject({ message: "Password must not be the username" });
    await expect(createUser(admin.ctx, { username: "bad name!", password: PASSWORD })).rejects.toMatchObject({ code: "INVALID_PARAMETER_VALUE" });
    expect(await db.user.count({ where: { username: { startsWith: "bob" } } })).toBe(0);
    await createUser(admin.ctx, { username: "carol", password: PASSWORD });
    await expect(createUser(admin.ctx, { username: "CAROL", password: PASSWORD })).rejects.toMatchObject({ code: "RESOURCE_ALREADY_EXISTS" });
  });

  it("only admins manage users", async () => {
    const { ctx } = await makeUser(db);
    await expect(listUsers(ctx)).rejects.toMatchObject({ code: "PERMISSION_DENIED" });
    await expect(createUser(ctx, { username: "mallory", password: PASSWORD })).rejects.toMatchObject({ code: "PERMISSION_DENIED" });
    await expect(setUserRole(ctx, { userId: ctx.actor.kind === "user" ? ctx.actor.userId : "", role: "ADMIN" })).rejects.toMatchObject({ code: "PERMISSION_DENIED" });
  });

  it("deactivation ends sessions at once and blocks sign-in; reactivation restores sign-in", async () => {
    const admin = await makeUser(db, { role: "ADMIN" });
    const target = await makeUser(db);
    const before = await db.user.findUniqueOrThrow({ where: { id: target.user.id } });
    expect(await authenticateSession(db, { userId: before.id, sessionVersion: before.sessionVersion })).not.toBeNull();
    await setUserActive(admin.ctx, { userId: target.user.id, active: false });
    expect(await authenticateSession(db, { userId: before.id, sessionVersion: before.sessionVersion })).toBeNull();
    await expect(verifyCredentials({ db, identifier: target.user.username, password: PASSWORD, channel: "portal" })).rejects.toMatchObject({
      code: "UNAUTHENTICATED",
      message: "Invalid username or password",
    });
    await setUserActive(admin.ctx, { userId: target.user.id, active: true });
    await expect(verifyCredentials({ db, identifier: target.user.username, password: PASSWORD, channel: "portal" })).resolves.toMatchObject({ id: target.user.id });
    const actions = (await db.auditEvent.findMany({ where: { resourceId: target.user.id }, orderBy: { id: "asc" } })).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(["user.create", "user.deactivate", "user.reactivate"]));
  });

  it("an admin cannot deactivate or demote themself", async () => {
    const admin = await makeUser(db, { role: "ADMIN" });
    await expect(setUserActive(admin.ctx, { userId: admin.user.id, active: false })).rejects.toMatchObject({ code: "INVALID_PARAMETER_VALUE" });
    await expect(setUserRole(admin.ctx, { userId: admin.user.id, role: "USER" })).rejects.toMatchObject({ code: "INVALID_PARAMETER_VALUE" });
  });

  it("a password reset ends sessions and replaces the password", async () => {
    const admin = await makeUser(db, { role: "ADMIN" });
    const target = await makeUser(db);
    const row = await db.user.findUniqueOrThrow({ where: { id: target.user.id } });
    await resetPassword(admin.ctx, { userId: target.user.id, password: "a brand new password" });
    expect(await authenticateSession(db, { userId: row.id, sessionVersion: row.sessionVersion })).toBeNull();
    await expect(verifyCredentials({ db, identifier: target.user.username, password: PASSWORD, channel: "portal" })).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
    await expect(verifyCredentials({ db, identifier: target.user.username, password: "a brand new password", channel: "portal" })).resolves.toBeTruthy();
    await expect(resetPassword(admin.ctx, { userId: "00000000-0000-4000-8000-000000000000", password: PASSWORD })).rejects.toMatchObject({ code: "RESOURCE_DOES_NOT_EXIST" });
  });

  it("a user changes their own password only with the current one", async () => {
    const { ctx, user } = await makeUser(db);
    await expect(changeOwnPassword(ctx, { currentPassword: "wrong password!!", newPassword: "another long password" })).rejects.toMatchObject({ code: "INVALID_PARAMETER_VALUE" });
    await changeOwnPassword(ctx, { currentPassword: PASSWORD, newPassword: "another long password" });
    await expect(verifyCredentials({ db, identifier: user.username, password: "another long password", channel: "portal" })).resolves.toBeTruthy();
    expect((await getMe(ctx)).username).toBe(user.username);
  });

  it("role changes are audited with before and after", async () => {
    const admin = await makeUser(db, { role: "ADMIN" });
    const target = await makeUser(db);
    await setUserRole(admin.ctx, { userId: target.user.id, role: "ADMIN" });
    const ev = await db.auditEvent.findFirstOrThrow({ where: { resourceId: target.user.id, action: "user.role_change" } });
    expect(ev.before).toMatchObject({ role: "USER" });
    expect(ev.after).toMatchObject({ role: "ADMIN" });
  });
});

describe("first admin", () => {
  it("is created once, with a generated password when none is given", async () => {
    // a fresh database of its own: this test needs "no users yet"
    const fresh = await freshTestDatabase();
    const results = await Promise.all([1, 2, 3].map(() => ensureFirstAdmin({ db: fresh.db, username: "admin" })));
    const created = results.filter((r) => r.created);
    expect(created).toHaveLength(1);
    const pw = created[0]!.created ? created[0]!.generatedPassword : undefined;
    expect(pw).toMatch(/^[A-Za-z0-9]{20}$/);
    const admin = await verifyCredentials({ db: fresh.db, identifier: "admin", password: pw!, channel: "portal" });
    expect(admin.role).toBe("ADMIN");
    expect(await ensureFirstAdmin({ db: fresh.db, username: "admin", password: "another password here" })).toEqual({ created: false });
    expect(await fresh.db.user.count()).toBe(1);
  });

  it("uses ADMIN_PASSWORD when given and refuses a weak one", async () => {
    const fresh = await freshTestDatabase();
    await expect(ensureFirstAdmin({ db: fresh.db, username: "root", password: "short" })).rejects.toMatchObject({ code: "INVALID_PARAMETER_VALUE" });
    expect(await ensureFirstAdmin({ db: fresh.db, username: "root", password: "a good admin password" })).toEqual({ created: true, username: "root" });
  });
});
