import { Prisma } from "@modelgate/db";
import { actorIdentity, type Actor, type Ctx } from "../context.ts";
import type { AuditAction, AuditResourceType } from "./events.ts";

export type DbOrTx = Ctx["db"] | Prisma.TransactionClient;

export interface AuditInput {
  action: AuditAction;
  resourceType: AuditResourceType;
  resourceId?: string | null;
  before?: unknown;
  after?: unknown;
  /** Overrides the context's actor (e.g. a failed sign-in names the account tried, not a user). */
  actorName?: string;
}

function actorColumns(actor: Actor) {
  return { ...actorIdentity(actor), tokenId: actor.kind === "user" ? (actor.tokenId ?? null) : null };
}

const json = (v: unknown) => (v === undefined ? undefined : (v as Prisma.InputJsonValue));

/**
 * The one function every mutation calls, inside the mutation's transaction (pass `tx`), so an
 * event exists exactly when its change does. Secrets never go in `before`/`after`.
 */
export async function recordAudit(ctx: Pick<Ctx, "actor" | "requestId" | "ip">, tx: DbOrTx, event: AuditInput) {
  const cols = actorColumns(ctx.actor);
  await tx.auditEvent.create({
    data: {
      ...cols,
      actorName: event.actorName ?? cols.actorName,
      action: event.action,
      resourceType: event.resourceType,
      resourceId: event.resourceId ?? null,
      before: json(event.before),
      after: json(event.after),
      requestId: ctx.requestId ?? null,
      ip: ctx.ip ?? null,
    },
  });
}

/**
 * The same event as an INSERT for use inside a larger statement (a CTE), where the mutation is
 * one statement and must stay one: `after` may be SQL (e.g. built from the CTE's RETURNING rows)
 * and the statement must select FROM the row source named by `from`.
 */
export function auditInsertSql(
  ctx: Pick<Ctx, "actor" | "requestId" | "ip">,
  event: { action: AuditAction; resourceType: AuditResourceType; resourceId: Prisma.Sql; after: Prisma.Sql; from: Prisma.Sql },
): Prisma.Sql {
  const cols = actorColumns(ctx.actor);
  return Prisma.sql`INSERT INTO audit_event (actor_id, actor_name, token_id, action, resource_type, resource_id, after, request_id, ip)
    SELECT ${cols.actorId}::uuid, ${cols.actorName}, ${cols.tokenId}::uuid, ${event.action}, ${event.resourceType}, ${event.resourceId}, ${event.after}, ${ctx.requestId ?? null}, ${ctx.ip ?? null}
    FROM ${event.from}`;
}
