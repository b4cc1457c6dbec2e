import crypto from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase } from "@modelgate/db/test-db";
import type { Db } from "@modelgate/db";
import { createUser, systemActor, type Actor } from "@modelgate/core";
import { createCaller } from "../src/trpc/index.ts";

const PASSWORD = "correct horse battery staple";
let db: Db;
const callerFor = (actor: Actor | null) => createCaller({ db, actor, requestId: crypto.randomUUID(), ip: "127.0.0.1" });

async function user(role: "ADMIN" | "USER" = "USER") {
  const u = await createUser({ db, actor: systemActor("test") }, { username: `trpc-${crypto.randomBytes(4).toString("hex")}`, password: PASSWORD, role });
  return { u, caller: callerFor({ kind: "user", userId: u.id, username: u.username, role: u.role }) };
}

beforeAll(async () => {
  db = (await useTestDatabase()).db;
});

describe("tRPC", () => {
  it("denies every procedure without a session", async () => {
    const anon = callerFor(null);
    await expect(anon.me.get()).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    await expect(anon.tokens.list()).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    await expect(anon.users.list()).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    await expect(anon.audit.list({})).rejects.toMatchObject({ code: "UNAUTHORIZED" });
  });

  it("refuses admin procedures to users with FORBIDDEN, from core", async () => {
    const { caller } = await user();
    await expect(caller.users.list()).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(caller.users.create({ username: "zed", password: PASSWORD })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(caller.audit.list({})).rejects.toMatchObject({ code: "FORBIDDEN" });
  });

  it("an admin manages users; domain errors keep their message and map to tRPC codes", async () => {
    const { caller } = await user("ADMIN");
    const created = await caller.users.create({ username: "dana", email: "dana@example.com", password: "dana's long password" });
    expect(created).toMatchObject({ username: "dana", role: "USER", active: true });
    await expect(caller.users.create({ username: "dana", password: PASSWORD })).rejects.toMatchObject({ code: "CONFLICT", message: "User 'dana' already exists" });
    await expect(caller.users.create({ username: "erin", password: "short" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    const off = await caller.users.setActive({ userId: created.id, active: false });
    expect(off.active).toBe(false);
    expect((await caller.users.list()).find((u) => u.id === created.id)?.active).toBe(false);
    const events = await caller.audit.list({ resourceId: created.id });
    expect(events.events.map((e) => e.action)).toEqual(["user.deactivate", "user.create"]);
  });

  it("a user creates, lists and revokes their own tokens", async () => {
    const { caller } = await user();
    const { token, secret } = await caller.tokens.create({ name: "notebook", expiresInDays: 90 });
    expect(secret.startsWith("mgt_")).toBe(true);
    expect((await caller.tokens.list()).map((t) => t.id)).toEqual([token.id]);
    const revoked = await caller.tokens.revoke({ tokenId: token.id });
    expect(revoked.revokedAt).toBeInstanceOf(Date);
  });
});
