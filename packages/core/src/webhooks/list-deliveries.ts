import { z } from "zod";
import type { Ctx } from "../context.ts";
import { parseInput } from "../validation.ts";
import { loadWebhookAccess } from "./access.ts";

export const listWebhookDeliveriesInput = z.object({
  id: z.string(),
  limit: z.number().int().min(1).max(200).optional(),
  status: z.enum(["PENDING", "DELIVERED", "FAILED"]).optional(),
});

export interface WebhookAttemptView {
  at: number;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

export interface WebhookDeliveryView {
  id: string;
  event: string;
  status: "PENDING" | "DELIVERED" | "FAILED";
  attempts: number;
  createdAt: number;
  deliveredAt: number | null;
  payload: unknown;
  attemptLog: WebhookAttemptView[];
}

/** A webhook's delivery log, newest first, each delivery with its attempts. */
export async function listWebhookDeliveries(ctx: Ctx, raw: z.input<typeof listWebhookDeliveriesInput>): Promise<WebhookDeliveryView[]> {
  const input = parseInput(listWebhookDeliveriesInput, raw);
  const access = await loadWebhookAccess(ctx, input.id);
  const rows = await ctx.db.webhookDelivery.findMany({
    where: { webhookId: access.id, ...(input.status ? { status: input.status } : {}) },
    orderBy: [{ createdAt: "desc" }, { id: "asc" }],
    take: input.limit ?? 50,
    include: { attemptLog: { orderBy: { at: "asc" } } },
  });
  return rows.map((d) => ({
    id: d.id,
    event: d.event,
    status: d.status,
    attempts: d.attempts,
    createdAt: Number(d.createdAt),
    deliveredAt: d.deliveredAt === null ? null : Number(d.deliveredAt),
    payload: d.payload,
    attemptLog: d.attemptLog.map((a) => ({ at: Number(a.at), statusCode: a.statusCode, error: a.error, durationMs: a.durationMs })),
  }));
}
