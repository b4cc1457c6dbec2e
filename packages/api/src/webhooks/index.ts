export { startWebhookDelivery, WEBHOOK_QUEUE, type WebhookDelivery, type WebhookDeliveryOptions } from "./worker.ts";
