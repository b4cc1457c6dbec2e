import { beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase } from "@modelgate/db/test-db";
import type { Db } from "@modelgate/db";
import { authenticateBasic, authenticateToken, createToken, listTokens, revokeToken, setUserActive } from "../src/index.ts";
import { makeUser, PASSWORD } from "./helpers.ts";

let db: Db;
beforeAll(async () => {
  db = (await useTestDatabase()).db;
});

describe("access tokens", () => {
  it("creates a token whose secret is returned once and stored only as a hash", async () => {
    const { ctx, user } = await makeUser(db);
    const { token, secret } = await createToken(ctx, { name: "laptop", expiresInDays: 30 });
    expect(secret).toMatch(/^mgt_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
    expect(token.prefix).toBe(`${secret.slice(0, 16)}_…`);
    const row = await db.accessToken.findUniqueOrThrow({ where: { id: token.id } });
    expect(Buffer.from(row.secretHash).toString("utf8")).not.toContain(secret.slice(18));
    expect(row.secretHash).toHaveLength(32);
    const listed = await listTokens(ctx);
    expect(listed.map((t) => t.name)).toEqual(["laptop"]);
    expect(JSON.stringify(listed)).not.toContain(secret);
    const actor = await authenticateToken(db, secret);
    expect(actor).toMatchObject({ kind: "user", userId: user.id, tokenId: token.id });
    expect((await db.accessToken.findUniqueOrThrow({ where: { id: token.id } })).lastUsedAt).not.toBeNull();
    const audit = await db.auditEvent.findFirstOrThrow({ where: { action: "token.create", resourceId: token.id } });
    expect(JSON.stringify(audit, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v))).not.toContain(secret);
  });

  it("refuses tampered, revoked and expired tokens", async () => {
    const { ctx } = await makeUser(db);
    const { token, secret } = await createToken(ctx, { name: "ci" });
    const tampered = secret.slice(0, -1) + (secret.endsWith("A") ? "B" : "A");
    expect(await authenticateToken(db, tampered)).toBeNull();
    expect(await authenticateToken(db, "mgt_nope")).toBeNull();
    await revokeToken(ctx, { tokenId: token.id });
    expect(await authenticateToken(db, secret)).toBeNull();
    const expiring = await createToken(ctx, { name: "short", expiresInDays: 1 });
    await db.accessToken.update({ where: { id: expiring.token.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect(await authenticateToken(db, expiring.secret)).toBeNull();
  });

  it("someone else's token looks missing; an admin may revoke it", async () => {
    const owner = await makeUser(db);
    const other = await makeUser(db);
    const admin = await makeUser(db, { role: "ADMIN" });
    const { token, secret } = await createToken(owner.ctx, { name: "mine" });
    await expect(revokeToken(other.ctx, { tokenId: token.id })).rejects.toMatchObject({ code: "RESOURCE_DOES_NOT_EXIST" });
    expect(await authenticateToken(db, secret)).not.toBeNull();
    await revokeToken(admin.ctx, { tokenId: token.id });
    expect(await authenticateToken(db, secret)).toBeNull();
    const ev = await db.auditEvent.findFirstOrThrow({ where: { action: "token.revoke", resourceId: token.id } });
    expect(ev.actorId).toBe(admin.user.id);
  });

  it("tokens of a deactivated user stop working at once", async () => {
    const admin = await makeUser(db, { role: "ADMIN" });
    const { ctx, user } = await makeUser(db);
    const { secret } = await createToken(ctx, { name: "pipeline" });
    expect(await authenticateToken(db, secret)).not.toBeNull();
    await setUserActive(admin.ctx, { userId: user.id, active: false });
    expect(await authenticateToken(db, secret)).toBeNull();
    expect(await authenticateBasic(db, { username: user.username, secret })).toBeNull();
  });

  it("basic auth takes a password or the user's own token", async () => {
    const a = await makeUser(db);
    const b = await makeUser(db);
    const { secret } = await createToken(a.ctx, { name: "basic" });
    expect(await authenticateBasic(db, { username: a.user.username, secret: PASSWORD })).toMatchObject({ userId: a.user.id });
    expect(await authenticateBasic(db, { username: a.user.username, secret })).toMatchObject({ userId: a.user.id });
    expect(await authenticateBasic(db, { username: b.user.username, secret })).toBeNull();
    expect(await authenticateBasic(db, { username: a.user.username, secret: "not the password" })).toBeNull();
  });

  it("validates token input", async () => {
    const { ctx } = await makeUser(db);
    await expect(createToken(ctx, { name: "" })).rejects.toMatchObject({ code: "INVALID_PARAMETER_VALUE" });
    await expect(createToken(ctx, { name: "x".repeat(101) })).rejects.toMatchObject({ code: "INVALID_PARAMETER_VALUE" });
    await expect(revokeToken(ctx, { tokenId: "not-a-uuid" })).rejects.toMatchObject({ code: "INVALID_PARAMETER_VALUE" });
    expect(await db.accessToken.count({ where: { name: "" } })).toBe(0);
  });
});
