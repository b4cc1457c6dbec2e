// An admin's control over another user's access: every portal session ended at once, every token
// listed and revocable; nobody else may do either.
import crypto from "node:crypto";
import { describe, expect, it } from "vitest";
import { useTestDatabase } from "@modelgate/db/test-db";
import { authenticateSession, authenticateToken, createToken, createUser, endUserSessions, listUserTokens, revokeToken, systemActor, type Actor } from "../src/index.ts";

const { db } = await useTestDatabase();
const person = async (role: "ADMIN" | "USER" = "USER") => {
  const u = await createUser({ db, actor: systemActor("test") }, { username: `acc-${crypto.randomBytes(3).toString("hex")}`, password: "correct horse battery staple", role });
  const actor: Actor = { kind: "user", userId: u.id, username: u.username, role: u.role };
  return { u, ctx: { db, actor } };
};

describe("admin access management", () => {
  it("ends every session of a user at once, lists and revokes their tokens, audited; a user may not", async () => {
    const admin = await person("ADMIN");
    const carol = await person();
    const { secret, token } = await createToken(carol.ctx, { name: "laptop" });
    const session = { userId: carol.u.id, sessionVersion: (await db.user.findUniqueOrThrow({ where: { id: carol.u.id } })).sessionVersion };
    expect(await authenticateSession(db, session)).not.toBeNull();

    await expect(endUserSessions(carol.ctx, { userId: admin.u.id })).rejects.toMatchObject({ code: "PERMISSION_DENIED" });
    await expect(listUserTokens(carol.ctx, { userId: admin.u.id })).rejects.toMatchObject({ code: "PERMISSION_DENIED" });

    await endUserSessions(admin.ctx, { userId: carol.u.id });
    expect(await authenticateSession(db, session)).toBeNull();
    expect(await db.auditEvent.count({ where: { action: "user.sessions_end", resourceId: carol.u.id } })).toBe(1);
    // tokens are not sessions: they keep working until revoked
    expect(await authenticateToken(db, secret)).not.toBeNull();

    expect((await listUserTokens(admin.ctx, { userId: carol.u.id })).map((t) => t.name)).toEqual(["laptop"]);
    await revokeToken(admin.ctx, { tokenId: token.id });
    expect(await authenticateToken(db, secret)).toBeNull();
    expect((await listUserTokens(admin.ctx, { userId: carol.u.id }))[0]!.revokedAt).not.toBeNull();
  });
});
