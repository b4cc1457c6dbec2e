import { z } from "zod";
import type { AccessToken } from "@modelgate/db";
import type { Ctx } from "../context.ts";
import { credentialTx } from "../auth/credential-cache.ts";
import { authorize, requireUser } from "../auth/permissions.ts";
import { recordAudit } from "../audit/record-audit.ts";
import { notFound } from "../errors.ts";
import { parseInput } from "../validation.ts";
import { getServingEndpoint } from "../serving/endpoints.ts";
import { generateTokenSecret } from "./token-secret.ts";

export interface TokenView {
  id: string;
  name: string;
  /** What lists show: `mgt_<prefix>_…`. */
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
  /** The serving endpoint a scoped token may score (null: a token for the whole API). */
  endpoint: string | null;
}

type TokenRow = AccessToken & { endpoint?: { name: string } | null };

export const toTokenView = (t: TokenRow): TokenView => ({
  id: t.id,
  name: t.name,
  prefix: `mgt_${t.prefix}_…`,
  createdAt: t.createdAt,
  lastUsedAt: t.lastUsedAt,
  expiresAt: t.expiresAt,
  revokedAt: t.revokedAt,
  endpoint: t.endpoint?.name ?? null,
});

const auditToken = (t: AccessToken) => ({ name: t.name, prefix: t.prefix, expiresAt: t.expiresAt, revokedAt: t.revokedAt, userId: t.userId });

export const createTokenInput = z.object({
  name: z.string().trim().min(1, "Token name is required").max(100, "Token name must be at most 100 characters"),
  /** Days until expiry; omitted or null means it does not expire. */
  expiresInDays: z.number().int().min(1).max(3650).nullable().optional(),
  /** A serving endpoint's name: the token may then only score that endpoint. */
  endpoint: z.string().trim().min(1).max(63).nullable().optional(),
});

/** Creates a token for the caller. The secret is returned here once and never stored. */
export async function createToken(ctx: Ctx, input: z.input<typeof createTokenInput>): Promise<{ token: TokenView; secret: string }> {
  authorize(ctx.actor, "tokens:manage-own");
  const me = requireUser(ctx.actor);
  const q = parseInput(createTokenInput, input);
  const { prefix, secret, hash } = generateTokenSecret();
  const expiresAt = q.expiresInDays ? new Date(Date.now() + q.expiresInDays * 86_400_000) : null;
  // a scoped token is for an endpoint the caller may call (READ on its model)
  const endpoint = q.endpoint ? await getServingEndpoint(ctx, q.endpoint) : null;
  return ctx.db.$transaction(async (tx) => {
    const row = await tx.accessToken.create({
      data: { userId: me.userId, name: q.name, prefix, secretHash: new Uint8Array(hash), expiresAt, endpointId: endpoint?.id ?? null },
      include: { endpoint: { select: { name: true } } },
    });
    await recordAudit(ctx, tx, { action: "token.create", resourceType: "token", resourceId: row.id, after: { ...auditToken(row), endpoint: endpoint?.name ?? null } });
    return { token: toTokenView(row), secret };
  });
}

export async function listTokens(ctx: Ctx): Promise<TokenView[]> {
  authorize(ctx.actor, "tokens:manage-own");
  return tokensOf(ctx.db, requireUser(ctx.actor).userId);
}

/** A user's tokens, revoked ones included, newest first. */
async function tokensOf(db: Ctx["db"], userId: string): Promise<TokenView[]> {
  const rows = await db.accessToken.findMany({ where: { userId }, orderBy: { createdAt: "desc" }, include: { endpoint: { select: { name: true } } } });
  return rows.map(toTokenView);
}

/** Revokes one of the caller's tokens (admins may revoke anyone's). Takes effect on the next request. */
export async function revokeToken(ctx: Ctx, input: { tokenId: string }): Promise<TokenView> {
  authorize(ctx.actor, "tokens:manage-own");
  const me = requireUser(ctx.actor);
  const { tokenId } = parseInput(z.object({ tokenId: z.uuid("Invalid token id") }), input);
  return credentialTx(ctx.db, async (tx) => {
    const before = await tx.accessToken.findUnique({ where: { id: tokenId } });
    // someone else's token looks exactly like a missing one, unless the caller is an admin
    if (!before || (before.userId !== me.userId && me.role !== "ADMIN")) throw notFound(`Token with id=${tokenId} not found`);
    if (before.revokedAt) return toTokenView(before);
    const row = await tx.accessToken.update({ where: { id: tokenId }, data: { revokedAt: new Date() }, include: { endpoint: { select: { name: true } } } });
    await recordAudit(ctx, tx, { action: "token.revoke", resourceType: "token", resourceId: row.id, before: auditToken(before), after: auditToken(row) });
    return toTokenView(row);
  });
}

/** Another user's tokens, for an admin (Admin → Users → Access): revoked ones included, newest first. */
export async function listUserTokens(ctx: Ctx, input: { userId: string }): Promise<TokenView[]> {
  authorize(ctx.actor, "users:manage");
  return tokensOf(ctx.db, parseInput(z.object({ userId: z.uuid("Invalid user id") }), input).userId);
}
