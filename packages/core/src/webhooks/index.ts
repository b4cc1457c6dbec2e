// Registry webhooks (Databricks' API and MLflow 3's): management, event emission, delivery (the queue lives in packages/api).
export { WEBHOOK_EVENTS, emitRegistryEvent, type WebhookEvent, type RegistryEvent } from "./events.ts";
export { configureWebhooks, webhookConfig, webhookSecretKey, DEFAULT_RETRY, type WebhookQueue, type DeliveryJob, type RetryPolicy } from "./config.ts";
export { classifyAddress, resolveTarget, TargetRefused, type AddressClass } from "./addresses.ts";
export { mlflowSignature, databricksSignature, verifyMlflowSignature, deliveryHeaders } from "./signature.ts";
export { buildPayload } from "./payload.ts";
export {
  createWebhook,
  getWebhook,
  updateWebhook,
  deleteWebhook,
  listWebhooks,
  createWebhookInput,
  updateWebhookInput,
  listWebhooksInput,
  WEBHOOK_STATUSES,
  type WebhookView,
  type WebhookStatus,
  type CreateWebhookInput,
  type UpdateWebhookInput,
  type ListWebhooksInput,
} from "./manage-webhooks.ts";
export { processDelivery, pendingDeliveryIds, retryDelayMs, type DeliveryOutcome } from "./deliver.ts";
export { testWebhook, testWebhookInput, type WebhookTestResult } from "./test-webhook.ts";
export { listWebhookDeliveries, listWebhookDeliveriesInput, type WebhookDeliveryView, type WebhookAttemptView } from "./list-deliveries.ts";
export { MLFLOW_WEBHOOK_EVENTS, mlflowWebhookEvent, parseMlflowWebhookEvent, mlflowEventWire, type MlflowWebhookEvent } from "./mlflow-events.ts";
export {
  createMlflowWebhook,
  getMlflowWebhook,
  listMlflowWebhooks,
  updateMlflowWebhook,
  deleteMlflowWebhook,
  testMlflowWebhook,
  createMlflowWebhookInput,
  updateMlflowWebhookInput,
  listMlflowWebhooksInput,
  mlflowWebhookIdInput,
  testMlflowWebhookInput,
  MLFLOW_WEBHOOK_STATUSES,
  type MlflowWebhookView,
  type MlflowWebhookStatus,
  type MlflowWebhookTestResult,
  type CreateMlflowWebhookInput,
  type UpdateMlflowWebhookInput,
} from "./mlflow-webhooks.ts";
