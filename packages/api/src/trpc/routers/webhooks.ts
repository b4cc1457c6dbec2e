import { z } from "zod";
import {
  createMlflowWebhook,
  createMlflowWebhookInput,
  createWebhook,
  createWebhookInput,
  deleteMlflowWebhook,
  deleteWebhook,
  getWebhook,
  listMlflowWebhooks,
  listMlflowWebhooksInput,
  listWebhookDeliveries,
  listWebhookDeliveriesInput,
  listWebhooks,
  listWebhooksInput,
  MLFLOW_WEBHOOK_EVENTS,
  mlflowWebhookIdInput,
  testMlflowWebhook,
  testMlflowWebhookInput,
  testWebhook,
  testWebhookInput,
  updateMlflowWebhook,
  updateMlflowWebhookInput,
  updateWebhook,
  updateWebhookInput,
  WEBHOOK_EVENTS,
} from "@modelgate/core";
import { procedure, router } from "../init.ts";

// Registry webhooks for the portal: the same core functions as the REST edges, Databricks' API at
// the top, MLflow 3's under `mlflow`. The delivery log serves both.
const byId = z.object({ id: z.string() });

const mlflow = router({
  events: procedure.query(() => [...MLFLOW_WEBHOOK_EVENTS]),
  list: procedure.input(listMlflowWebhooksInput.optional()).query(({ ctx, input }) => listMlflowWebhooks(ctx.core, input ?? {})),
  create: procedure.input(createMlflowWebhookInput).mutation(({ ctx, input }) => createMlflowWebhook(ctx.core, input)),
  update: procedure.input(updateMlflowWebhookInput).mutation(({ ctx, input }) => updateMlflowWebhook(ctx.core, input)),
  delete: procedure.input(mlflowWebhookIdInput).mutation(({ ctx, input }) => deleteMlflowWebhook(ctx.core, input)),
  test: procedure.input(testMlflowWebhookInput).mutation(({ ctx, input }) => testMlflowWebhook(ctx.core, input)),
});

export const webhooksRouter = router({
  events: procedure.query(() => [...WEBHOOK_EVENTS]),
  list: procedure.input(listWebhooksInput.optional()).query(({ ctx, input }) => listWebhooks(ctx.core, input ?? {})),
  get: procedure.input(byId).query(({ ctx, input }) => getWebhook(ctx.core, input)),
  create: procedure.input(createWebhookInput).mutation(({ ctx, input }) => createWebhook(ctx.core, input)),
  update: procedure.input(updateWebhookInput).mutation(({ ctx, input }) => updateWebhook(ctx.core, input)),
  delete: procedure.input(byId).mutation(({ ctx, input }) => deleteWebhook(ctx.core, input)),
  test: procedure.input(testWebhookInput).mutation(({ ctx, input }) => testWebhook(ctx.core, input)),
  deliveries: procedure.input(listWebhookDeliveriesInput).query(({ ctx, input }) => listWebhookDeliveries(ctx.core, input)),
  mlflow,
});
