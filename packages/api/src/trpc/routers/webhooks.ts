import { z } from "zod";
import {
  createWebhook,
  createWebhookInput,
  deleteWebhook,
  getWebhook,
  listWebhookDeliveries,
  listWebhookDeliveriesInput,
  listWebhooks,
  listWebhooksInput,
  testWebhook,
  testWebhookInput,
  updateWebhook,
  updateWebhookInput,
  WEBHOOK_EVENTS,
} from "@modelgate/core";
import { procedure, router } from "../init.ts";

// Registry webhooks for the portal: the same core functions as the Databricks REST edge.
const byId = z.object({ id: z.string() });

export const webhooksRouter = router({
  events: procedure.query(() => [...WEBHOOK_EVENTS]),
  list: procedure.input(listWebhooksInput.optional()).query(({ ctx, input }) => listWebhooks(ctx.core, input ?? {})),
  get: procedure.input(byId).query(({ ctx, input }) => getWebhook(ctx.core, input)),
  create: procedure.input(createWebhookInput).mutation(({ ctx, input }) => createWebhook(ctx.core, input)),
  update: procedure.input(updateWebhookInput).mutation(({ ctx, input }) => updateWebhook(ctx.core, input)),
  delete: procedure.input(byId).mutation(({ ctx, input }) => deleteWebhook(ctx.core, input)),
  test: procedure.input(testWebhookInput).mutation(({ ctx, input }) => testWebhook(ctx.core, input)),
  deliveries: procedure.input(listWebhookDeliveriesInput).query(({ ctx, input }) => listWebhookDeliveries(ctx.core, input)),
});
