import { beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase } from "@modelgate/db/test-db";
import type { Db } from "@modelgate/db";
import { listAuditEvents, verifyCredentials } from "../src/index.ts";
import { makeUser, PASSWORD } from "./helpers.ts";

let db: Db;
beforeAll(async () => {
  db = (await useTestDatabase()).db;
});

const attempt = (identifier: string, password: string, ip = "10.0.0.1") => verifyCredentials({ db, identifier, password, ip, channel: "portal" });

describe("sign-in", () => {
  it("gives one generic message for unknown accounts and wrong passwords, and audits both", async () => {
    const { user } = await makeUser(db);
    const unknown = await attempt("nobody-here", PASSWORD, "10.1.0.1").catch((e) => e);
    const wrong = await attempt(user.username, "not the right password", "10.1.0.2").catch((e) => e);
    expect(unknown.message).toBe("Invalid username or password");
    expect(wrong.message).toBe(unknown.message);
    expect(wrong.code).toBe("UNAUTHENTICATED");
    const failed = await db.auditEvent.findMany({ where: { action: "auth.sign_in_failed", ip: { in: ["10.1.0.1", "10.1.0.2"] } } });
    expect(failed.map((e) => e.actorName).sort()).toEqual(["nobody-here", user.username].sort());
  });

  it("after repeated failures on an account, further attempts wait, even with the right password", async () => {
    const { user } = await makeUser(db);
    for (let i = 0; i < 3; i++) await expect(attempt(user.username, `wrong password ${i}`, `10.2.0.${i}`)).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
    const throttled = await attempt(user.username, PASSWORD, "10.2.0.9").catch((e) => e);
    expect(throttled.code).toBe("REQUEST_LIMIT_EXCEEDED");
    expect(throttled.retryAfter).toBeGreaterThanOrEqual(1);
    // the delay grows with each failure
    await db.signInThrottle.update({ where: { key: `account:${user.username.toLowerCase()}` }, data: { lastFailureAt: new Date(Date.now() - 1500) } });
    await expect(attempt(user.username, "wrong again!!", "10.2.0.10")).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
    const t = await db.signInThrottle.findUniqueOrThrow({ where: { key: `account:${user.username.toLowerCase()}` } });
    expect(t.failures).toBe(4);
    const second = await attempt(user.username, PASSWORD, "10.2.0.11").catch((e) => e);
    expect(second.retryAfter).toBeGreaterThanOrEqual(2);
    // once the wait is over, the right password works and clears the account's counter
    await db.signInThrottle.update({ where: { key: `account:${user.username.toLowerCase()}` }, data: { lastFailureAt: new Date(Date.now() - 60_000) } });
    await expect(attempt(user.username, PASSWORD, "10.2.0.12")).resolves.toMatchObject({ id: user.id });
    expect(await db.signInThrottle.findUnique({ where: { key: `account:${user.username.toLowerCase()}` } })).toBeNull();
  });

  it("throttles a client address that tries many accounts", async () => {
    const { user } = await makeUser(db);
    for (let i = 0; i < 3; i++) await expect(attempt(`someone-${i}`, "whatever password", "10.3.0.1")).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
    await expect(attempt(user.username, PASSWORD, "10.3.0.1")).rejects.toMatchObject({ code: "REQUEST_LIMIT_EXCEEDED" });
    await expect(attempt(user.username, PASSWORD, "10.3.0.2")).resolves.toMatchObject({ id: user.id });
  });

  it("audit events can be filtered by action, actor and time, newest first, paged", async () => {
    const admin = await makeUser(db, { role: "ADMIN" });
    const page1 = await listAuditEvents(admin.ctx, { action: "auth.sign_in_failed", limit: 2 });
    expect(page1.events).toHaveLength(2);
    expect(page1.events.every((e) => e.action === "auth.sign_in_failed")).toBe(true);
    expect(Number(page1.events[0]!.id)).toBeGreaterThan(Number(page1.events[1]!.id));
    const page2 = await listAuditEvents(admin.ctx, { action: "auth.sign_in_failed", limit: 2, cursor: page1.nextCursor! });
    expect(Number(page2.events[0]!.id)).toBeLessThan(Number(page1.events[1]!.id));
    const byActor = await listAuditEvents(admin.ctx, { actor: "someone-1" });
    expect(byActor.events.length).toBeGreaterThan(0);
    expect(byActor.events.every((e) => e.actorName === "someone-1")).toBe(true);
    const future = await listAuditEvents(admin.ctx, { from: new Date(Date.now() + 60_000) });
    expect(future.events).toEqual([]);
    const user = await makeUser(db);
    await expect(listAuditEvents(user.ctx, {})).rejects.toMatchObject({ code: "PERMISSION_DENIED" });
  });

  it("the audit log refuses updates and deletes", async () => {
    await expect(db.auditEvent.updateMany({ data: { action: "tampered" } })).rejects.toThrow(/append-only/);
    await expect(db.auditEvent.deleteMany({})).rejects.toThrow(/append-only/);
    await expect(db.$executeRawUnsafe("TRUNCATE audit_event")).rejects.toThrow(/append-only/);
  });
});
