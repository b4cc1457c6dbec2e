import { z } from "zod";
import type { Ctx } from "../context.ts";
import { authorize } from "../auth/permissions.ts";

export const listAuditEventsInput = z.object({
  actor: z.string().trim().max(200).optional(),
  action: z.string().trim().max(100).optional(),
  resourceType: z.string().trim().max(100).optional(),
  resourceId: z.string().trim().max(200).optional(),
  from: z.coerce.date().optional(),
  to: z.coerce.date().optional(),
  /** Keyset cursor: the id of the last event of the previous page. */
  cursor: z.string().regex(/^\d+$/).optional(),
  limit: z.number().int().min(1).max(500).default(50),
});
export type ListAuditEventsInput = z.input<typeof listAuditEventsInput>;

export interface AuditEventView {
  id: string;
  at: Date;
  actorId: string | null;
  actorName: string | null;
  tokenId: string | null;
  action: string;
  resourceType: string;
  resourceId: string | null;
  before: unknown;
  after: unknown;
  requestId: string | null;
  ip: string | null;
}

/** Newest first, filtered, keyset-paginated. Admins only. */
export async function listAuditEvents(ctx: Ctx, input: ListAuditEventsInput) {
  authorize(ctx.actor, "audit:read");
  const q = listAuditEventsInput.parse(input);
  const rows = await ctx.db.auditEvent.findMany({
    where: {
      ...(q.actor ? { actorName: { contains: q.actor, mode: "insensitive" } } : {}),
      ...(q.action ? { action: { startsWith: q.action } } : {}),
      ...(q.resourceType ? { resourceType: q.resourceType } : {}),
      ...(q.resourceId ? { resourceId: q.resourceId } : {}),
      ...(q.from || q.to ? { at: { ...(q.from ? { gte: q.from } : {}), ...(q.to ? { lte: q.to } : {}) } } : {}),
      ...(q.cursor ? { id: { lt: BigInt(q.cursor) } } : {}),
    },
    orderBy: { id: "desc" },
    take: q.limit + 1,
  });
  const page = rows.slice(0, q.limit);
  const events: AuditEventView[] = page.map((r) => ({ ...r, id: r.id.toString() }));
  return { events, nextCursor: rows.length > q.limit ? page[page.length - 1]!.id.toString() : null };
}
