import { z } from "zod";
import type { Prisma } from "@modelgate/db";
import type { Ctx } from "../context.ts";
import { recordAudit } from "../audit/record-audit.ts";
import { invalid } from "../errors.ts";
import { parseInput } from "../validation.ts";
import { loadWebhookAccess } from "./access.ts";
import { sendRecordedOnce } from "./deliver.ts";
import type { WebhookEvent } from "./events.ts";
import { buildPayload } from "./payload.ts";

export const testWebhookInput = z.object({ id: z.string(), event: z.string().optional() });

export interface WebhookTestResult {
  deliveryId: string;
  statusCode: number | null;
  body: string;
  error: string | null;
  durationMs: number;
}

const SAMPLE: Record<string, unknown> = { version: "1", from_stage: "None", to_stage: "Production", key: "example", value: "example", comment: "An example comment" };

/**
 * Sends one example event now, whatever the webhook's status, and records it in its delivery log.
 * The event is the one asked for (it must be one the webhook subscribes to) or its first.
 */
export async function testWebhook(ctx: Ctx, raw: z.input<typeof testWebhookInput>): Promise<WebhookTestResult> {
  const input = parseInput(testWebhookInput, raw);
  const access = await loadWebhookAccess(ctx, input.id, ctx.db, "DATABRICKS");
  const w = await ctx.db.webhook.findUniqueOrThrow({ where: { id: access.id } });
  const events = w.events as WebhookEvent[];
  if (input.event && !events.includes(input.event as WebhookEvent)) throw invalid(`The webhook does not subscribe to event '${input.event}'`);
  const event = (input.event as WebhookEvent | undefined) ?? events[0]!;
  const payload = buildPayload({ event, modelId: access.modelId ?? 0, modelName: access.modelName ?? "example-model", data: SAMPLE }, w.id, Date.now(), true);
  const r = await sendRecordedOnce(ctx.db, w, event, payload as Prisma.InputJsonValue);
  await recordAudit(ctx, ctx.db, { action: "webhook.test", resourceType: "webhook", resourceId: w.id, after: { event, status_code: r.statusCode, error: r.error } });
  return { deliveryId: r.deliveryId, statusCode: r.statusCode, body: r.body, error: r.error, durationMs: r.durationMs };
}
