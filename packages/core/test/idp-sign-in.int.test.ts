// Single sign-on's account rules, from verified ID-token claims: first sign-in creates the account
// and its IdP groups, later ones follow the claims (groups, admin role), SCIM users and (when an
// admin allows it) local accounts are the same person, and refusals leave nothing behind.
import crypto from "node:crypto";
import { describe, expect, it } from "vitest";
import { useTestDatabase } from "@modelgate/db/test-db";
import { authenticateBasic, authenticateToken, configurePasswordSignIn, createToken, createUser, provisionUser, setUserActive, signInWithIdp, systemActor, verifyCredentials, type IdpPolicy } from "../src/index.ts";

const { db } = await useTestDatabase();
const open: IdpPolicy = { adminGroups: [], allowedGroups: [], linkLocalByEmail: false };
const tag = () => crypto.randomBytes(3).toString("hex");
const groupsOf = async (userId: string) =>
  (await db.groupMember.findMany({ where: { userId }, include: { group: true } })).map((m) => `${m.group.name}:${m.group.origin}`).sort();

describe("signInWithIdp", () => {
  it("creates the account on first sign-in with its IdP groups, then follows the claims", async () => {
    const t = tag();
    const sub = `sub-${t}`;
    const first = await signInWithIdp(db, { subject: sub, preferredUsername: `ada.${t}`, email: `ada.${t}@corp.example`, name: "Ada L", groups: [`ds-${t}`, `eu-${t}`] }, open);
    expect(first).toMatchObject({ ok: true, created: true });
    if (!first.ok) throw new Error("refused");
    expect(first.user).toMatchObject({ username: `ada.${t}`, origin: "oidc", idpSubject: `oidc:${sub}`, displayName: "Ada L", role: "USER" });
    expect(await groupsOf(first.user.id)).toEqual([`ds-${t}:idp`, `eu-${t}:idp`]);
    // no password works for it
    await expect(verifyCredentials({ db, identifier: `ada.${t}`, password: "whatever it may be 1", channel: "portal" })).rejects.toThrow();

    const again = await signInWithIdp(db, { subject: sub, preferredUsername: `ada.${t}`, groups: [`ds-${t}`, `ml-${t}`] }, open);
    expect(again).toMatchObject({ ok: true, created: false, user: { id: first.user.id } });
    expect(await groupsOf(first.user.id)).toEqual([`ds-${t}:idp`, `ml-${t}:idp`]);
    expect(await db.group.count({ where: { name: `ds-${t}` } })).toBe(1);
    expect(await db.auditEvent.count({ where: { action: "auth.sign_in", resourceId: first.user.id } })).toBe(2);
  });

  it("gives and takes the admin role with the admin groups; a demotion ends older sessions", async () => {
    const t = tag();
    const policy = { ...open, adminGroups: [`Platform-Admins-${t}`] };
    const up = await signInWithIdp(db, { subject: `adm-${t}`, preferredUsername: `root.${t}`, groups: [`platform-admins-${t}`] }, policy);
    if (!up.ok) throw new Error("refused");
    expect(up.user.role).toBe("ADMIN");
    const down = await signInWithIdp(db, { subject: `adm-${t}`, preferredUsername: `root.${t}`, groups: [] }, policy);
    if (!down.ok) throw new Error("refused");
    expect(down.user.role).toBe("USER");
    expect(down.user.sessionVersion).toBe(up.user.sessionVersion + 1);
    expect(await db.auditEvent.count({ where: { action: "user.role_change", resourceId: up.user.id } })).toBe(2);
  });

  it("refuses people outside the allowed groups, creating nothing", async () => {
    const t = tag();
    const before = await db.user.count();
    const r = await signInWithIdp(db, { subject: `out-${t}`, preferredUsername: `out.${t}`, groups: ["contractors"] }, { ...open, allowedGroups: [`modelgate-users-${t}`] });
    expect(r).toMatchObject({ ok: false, reason: "not_allowed" });
    expect(await db.user.count()).toBe(before);
    expect(await db.group.count({ where: { name: "contractors" } })).toBe(0);
    expect(await db.auditEvent.count({ where: { action: "auth.sign_in_failed", resourceId: `oidc:out-${t}` } })).toBe(1);
    const inside = await signInWithIdp(db, { subject: `in-${t}`, preferredUsername: `in.${t}`, groups: [`MODELGATE-USERS-${t}`] }, { ...open, allowedGroups: [`modelgate-users-${t}`] });
    expect(inside.ok).toBe(true);
  });

  it("a user SCIM provisioned is the same account at sign-in (by externalId, else by userName)", async () => {
    const t = tag();
    const scim = { db, actor: systemActor("scim") };
    const byExternal = await provisionUser(scim, { userName: `grace.${t}@corp.example`, externalId: `okta-${t}` });
    const r1 = await signInWithIdp(db, { subject: `okta-${t}`, preferredUsername: `someone-else-${t}` }, open);
    expect(r1).toMatchObject({ ok: true, created: false, user: { id: byExternal.id, idpSubject: `oidc:okta-${t}` } });
    const byName = await provisionUser(scim, { userName: `linus.${t}@corp.example` });
    const r2 = await signInWithIdp(db, { subject: `entra-${t}`, preferredUsername: `Linus.${t}@corp.example` }, open);
    expect(r2).toMatchObject({ ok: true, created: false, user: { id: byName.id } });
  });

  it("links a local account with the same verified email only when an admin allowed it", async () => {
    const t = tag();
    const local = await createUser({ db, actor: systemActor("test") }, { username: `local-${t}`, email: `same.${t}@corp.example`, password: "correct horse battery staple" });
    const claims = { subject: `mail-${t}`, preferredUsername: `same.${t}`, email: `same.${t}@corp.example`, emailVerified: true };
    expect(await signInWithIdp(db, claims, open)).toMatchObject({ ok: false, reason: "email_in_use" });
    expect(await signInWithIdp(db, { ...claims, emailVerified: false }, { ...open, linkLocalByEmail: true })).toMatchObject({ ok: false, reason: "email_in_use" });
    expect(await signInWithIdp(db, claims, { ...open, linkLocalByEmail: true })).toMatchObject({ ok: true, created: false, user: { id: local.id } });
  });

  it("refuses a deactivated account, keeps hand-kept groups out of the claims' reach, and makes clashing names unique", async () => {
    const t = tag();
    const first = await signInWithIdp(db, { subject: `gone-${t}`, preferredUsername: `gone.${t}` }, open);
    if (!first.ok) throw new Error("refused");
    await setUserActive({ db, actor: systemActor("admin") }, { userId: first.user.id, active: false });
    expect(await signInWithIdp(db, { subject: `gone-${t}`, preferredUsername: `gone.${t}` }, open)).toMatchObject({ ok: false, reason: "deactivated" });

    await db.group.create({ data: { name: `hand-${t}` } });
    const r = await signInWithIdp(db, { subject: `hand-${t}`, preferredUsername: `gone.${t}`, groups: [`hand-${t}`] }, open);
    if (!r.ok) throw new Error("refused");
    expect(r.user.username).toBe(`gone.${t}-2`);
    expect(await groupsOf(r.user.id)).toEqual([]);
    // without preferred_username: the email's local part
    const mailOnly = await signInWithIdp(db, { subject: `mail-only-${t}`, email: `grace.h.${t}@corp.example` }, open);
    expect(mailOnly).toMatchObject({ ok: true, user: { username: `grace.h.${t}`, email: `grace.h.${t}@corp.example` } });
  });
});

describe("PASSWORD_SIGN_IN=false", () => {
  it("refuses passwords in the portal, and on the API except the first admin's (break-glass); tokens keep working", async () => {
    const t = tag();
    const admin = await createUser({ db, actor: systemActor("test") }, { username: `breakglass-${t}`, password: "correct horse battery staple", role: "ADMIN" });
    const user = await createUser({ db, actor: systemActor("test") }, { username: `pw-${t}`, password: "correct horse battery staple" });
    const { secret } = await createToken({ db, actor: { kind: "user", userId: user.id, username: user.username, role: "USER" } }, { name: "ci" });
    try {
      configurePasswordSignIn({ allowed: false, breakGlassUsername: admin.username });
      expect(await authenticateBasic(db, { username: user.username, secret: "correct horse battery staple" })).toBeNull();
      expect(await authenticateBasic(db, { username: admin.username, secret: "correct horse battery staple" })).toMatchObject({ username: admin.username });
      expect(await authenticateBasic(db, { username: user.username, secret })).toMatchObject({ username: user.username });
      expect(await authenticateToken(db, secret)).toMatchObject({ username: user.username });
      // the portal takes no password at all, not even the break-glass admin's
      await expect(verifyCredentials({ db, identifier: admin.username, password: "correct horse battery staple", channel: "portal" })).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
    } finally {
      configurePasswordSignIn({ allowed: true, breakGlassUsername: "" });
    }
    expect(await authenticateBasic(db, { username: user.username, secret: "correct horse battery staple" })).toMatchObject({ username: user.username });
  });
});
