import crypto from "node:crypto";
import type { Db, Group, Prisma, User } from "@modelgate/db";
import { credentialTx } from "../auth/credential-cache.ts";
import { recordAudit } from "../audit/record-audit.ts";
import { systemActor } from "../context.ts";
import { createIdpAccount, createIdpGroup } from "./idp-accounts.ts";
import { auditUser } from "./user-view.ts";

// Single sign-on through the team's OpenID Connect provider: the claims of a verified ID token
// (Auth.js checks state, nonce, PKCE and the signature) become a Modelgate account. The account
// is found by the IdP's subject; a user SCIM provisioned is the same account (externalId = sub,
// else userName = preferred_username); a local password account with the same verified email is
// linked only when an admin allowed it (OIDC_LINK_LOCAL_BY_EMAIL); otherwise a new account is
// made (origin "oidc", no password). At each sign-in the claims decide: the admin role (members
// of OIDC_ADMIN_GROUPS, and only them), whether the person may sign in at all
// (OIDC_ALLOWED_GROUPS), and their memberships in IdP-managed groups (created on first sight).

export interface IdpProfile {
  subject: string;
  preferredUsername?: string | undefined;
  email?: string | undefined;
  emailVerified?: boolean | undefined;
  name?: string | undefined;
  givenName?: string | undefined;
  familyName?: string | undefined;
  /** The groups claim (OIDC_GROUPS_CLAIM): group names. */
  groups?: readonly string[] | undefined;
}

export interface IdpPolicy {
  /** Members are admins; everyone else signing in through the IdP is not. Empty: roles are kept as they are. */
  adminGroups: readonly string[];
  /** When not empty, only members may sign in. */
  allowedGroups: readonly string[];
  /** An admin allowed linking a local account to the IdP account with the same verified email. */
  linkLocalByEmail: boolean;
}

export type IdpSignIn =
  | { ok: true; user: User; created: boolean }
  /** What the sign-in page tells the person is its business (the reasons are stable codes). */
  | { ok: false; reason: IdpRefusal };

export type IdpRefusal = "not_allowed" | "deactivated" | "email_in_use";

const subjectKey = (sub: string) => `oidc:${sub}`;
/** Who the audit log says made the changes a sign-in brings. */
const SSO = { actor: systemActor("sso") };
const lower = (xs: readonly string[]) => new Set(xs.map((x) => x.trim().toLowerCase()).filter(Boolean));

/** A user name from the claims (preferred_username, else the email's local part), in the characters user names allow (letters, digits, . _ - @ +). */
function baseUsername(p: IdpProfile): string {
  const raw = p.preferredUsername || p.email?.split("@")[0] || `user-${crypto.createHash("sha256").update(p.subject).digest("hex").slice(0, 10)}`;
  const clean = raw.replace(/[^A-Za-z0-9._@+-]+/g, "-").replace(/^[^A-Za-z0-9]+/, "").slice(0, 120);
  return clean.length >= 2 ? clean : `user-${clean}${crypto.randomBytes(2).toString("hex")}`;
}

/** The account these claims belong to (linked or created here), inside the sign-in's transaction. */
async function accountFor(tx: Prisma.TransactionClient, p: IdpProfile, policy: IdpPolicy): Promise<{ user: User; created: boolean } | { problem: "email_in_use" }> {
  const key = subjectKey(p.subject);
  const known = await tx.user.findUnique({ where: { idpSubject: key } });
  if (known) return { user: known, created: false };
  // provisioned by SCIM before the first sign-in
  const scim = await tx.user.findFirst({
    where: {
      origin: "scim",
      idpSubject: null,
      deprovisionedAt: null,
      OR: [{ externalId: p.subject }, ...(p.preferredUsername ? [{ username: { equals: p.preferredUsername, mode: "insensitive" as const } }] : [])],
    },
    orderBy: { createdAt: "asc" },
  });
  if (scim) return { user: await tx.user.update({ where: { id: scim.id }, data: { idpSubject: key } }), created: false };
  const sameEmail = p.email ? await tx.user.findFirst({ where: { email: { equals: p.email, mode: "insensitive" } } }) : null;
  if (sameEmail) {
    if (policy.linkLocalByEmail && p.emailVerified && !sameEmail.idpSubject) {
      return { user: await tx.user.update({ where: { id: sameEmail.id }, data: { idpSubject: key } }), created: false };
    }
    return { problem: "email_in_use" };
  }
  const user = await createIdpAccount(tx, SSO, {
    username: baseUsername(p),
    origin: "oidc",
    idpSubject: key,
    email: p.email ?? null,
    displayName: p.name ?? null,
    givenName: p.givenName ?? null,
    familyName: p.familyName ?? null,
  });
  return { user, created: true };
}

/** Sets the user's memberships in IdP-managed groups to the claim, creating such groups on first sight. */
async function syncGroups(tx: Prisma.TransactionClient, user: User, claimed: readonly string[]) {
  const wanted = new Map([...new Set(claimed.map((g) => g.trim()).filter(Boolean))].map((g) => [g.toLowerCase(), g]));
  const groups = new Map<string, Group>();
  for (const [lc, name] of wanted) {
    const g = (await tx.group.findFirst({ where: { name: { equals: name, mode: "insensitive" } } })) ?? (await createIdpGroup(tx, SSO, { name: name.slice(0, 256) }));
    // a group kept by hand with the same name stays the admins' business
    if (g.origin === "idp") groups.set(lc, g);
  }
  const current = await tx.groupMember.findMany({ where: { userId: user.id, group: { origin: "idp" } }, include: { group: true } });
  const has = new Set(current.map((m) => m.groupId));
  const want = new Set([...groups.values()].map((g) => g.id));
  for (const g of groups.values()) {
    if (has.has(g.id)) continue;
    await tx.groupMember.create({ data: { groupId: g.id, userId: user.id } });
    await recordAudit(SSO, tx, { action: "group.member_add", resourceType: "group", resourceId: g.id, after: { group: g.name, username: user.username } });
  }
  for (const m of current) {
    if (want.has(m.groupId)) continue;
    await tx.groupMember.delete({ where: { groupId_userId: { groupId: m.groupId, userId: user.id } } });
    await recordAudit(SSO, tx, { action: "group.member_remove", resourceType: "group", resourceId: m.groupId, before: { group: m.group.name, username: user.username } });
  }
}

/**
 * One sign-in through the IdP, from the verified claims: the account (found, linked or created),
 * its role and IdP group memberships set from the claims, the sign-in recorded. Refusals are
 * audited and change nothing else.
 */
export async function signInWithIdp(db: Db, profile: IdpProfile, policy: IdpPolicy, meta: { ip?: string | undefined } = {}): Promise<IdpSignIn> {
  const claimed = profile.groups ?? [];
  const inGroups = lower(claimed);
  const refuse = async (reason: IdpRefusal, userId?: string): Promise<IdpSignIn> => {
    await recordAudit({ ...SSO, ip: meta.ip }, db, {
      action: "auth.sign_in_failed",
      resourceType: "session",
      resourceId: userId ?? subjectKey(profile.subject),
      after: { channel: "sso", reason, subject: profile.subject, username: profile.preferredUsername ?? profile.email ?? null },
    });
    return { ok: false, reason };
  };
  const allowed = lower(policy.allowedGroups);
  if (allowed.size && ![...inGroups].some((g) => allowed.has(g))) {
    return refuse("not_allowed");
  }
  const admins = lower(policy.adminGroups);
  const outcome = await credentialTx(db, async (tx) => {
    const found = await accountFor(tx, profile, policy);
    if ("problem" in found) return found;
    let { user } = found;
    if (!user.active) return { inactive: user };
    const role = admins.size ? ([...inGroups].some((g) => admins.has(g)) ? "ADMIN" : "USER") : user.role;
    const data: Prisma.UserUpdateInput = {
      lastSignInAt: new Date(),
      ...(role !== user.role ? { role, ...(role === "USER" ? { sessionVersion: { increment: 1 } } : {}) } : {}),
      ...(profile.name && profile.name !== user.displayName ? { displayName: profile.name } : {}),
      ...(profile.givenName !== undefined && profile.givenName !== user.givenName ? { givenName: profile.givenName || null } : {}),
      ...(profile.familyName !== undefined && profile.familyName !== user.familyName ? { familyName: profile.familyName || null } : {}),
    };
    const before = user;
    user = await tx.user.update({ where: { id: user.id }, data });
    if (role !== before.role) {
      await recordAudit(SSO, tx, { action: "user.role_change", resourceType: "user", resourceId: user.id, before: auditUser(before), after: auditUser(user) });
    }
    await syncGroups(tx, user, claimed);
    await recordAudit({ actor: { kind: "user", userId: user.id, username: user.username, role: user.role }, ip: meta.ip }, tx, {
      action: "auth.sign_in",
      resourceType: "session",
      resourceId: user.id,
      after: { channel: "sso" },
    });
    return { user, created: found.created };
  });
  if ("problem" in outcome) return refuse("email_in_use");
  if ("inactive" in outcome && outcome.inactive) return refuse("deactivated", outcome.inactive.id);
  return { ok: true, user: outcome.user, created: outcome.created };
}
