import type { Prisma } from "@modelgate/db";
import type { Ctx } from "../context.ts";

// Registry events that webhooks subscribe to (Databricks' registry-webhook events). Core calls
// `emitRegistryEvent` inside the transaction of the change it reports, so an event exists exactly
// when its change does; delivery happens later, from a job queue.

export const WEBHOOK_EVENTS = [
  "MODEL_VERSION_CREATED",
  "MODEL_VERSION_TRANSITIONED_STAGE",
  "TRANSITION_REQUEST_CREATED",
  "COMMENT_CREATED",
  "REGISTERED_MODEL_CREATED",
  "MODEL_VERSION_TAG_SET",
  "MODEL_VERSION_TRANSITIONED_TO_STAGING",
  "MODEL_VERSION_TRANSITIONED_TO_PRODUCTION",
  "MODEL_VERSION_TRANSITIONED_TO_ARCHIVED",
  "TRANSITION_REQUEST_TO_STAGING_CREATED",
  "TRANSITION_REQUEST_TO_PRODUCTION_CREATED",
  "TRANSITION_REQUEST_TO_ARCHIVED_CREATED",
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export interface RegistryEvent {
  event: WebhookEvent;
  modelId: number;
  modelName: string;
  /** The event's fields as delivered (e.g. version, from_stage, to_stage, comment, text). */
  data: Record<string, unknown>;
}

/** Records deliveries for every active webhook subscribed to the event (filled in by the webhooks work). */
export async function emitRegistryEvent(_ctx: Ctx, _tx: Prisma.TransactionClient, _event: RegistryEvent): Promise<void> {
  // deliberately empty until webhook delivery lands
}
