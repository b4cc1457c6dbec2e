// The registry events webhooks subscribe to (Databricks' registry-webhook events), apart from
// events.ts so that payload building and emission can share them without an import cycle.

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

type NamedStage = "Staging" | "Production" | "Archived";
const STAGE_EVENTS = {
  transitioned: { Staging: "MODEL_VERSION_TRANSITIONED_TO_STAGING", Production: "MODEL_VERSION_TRANSITIONED_TO_PRODUCTION", Archived: "MODEL_VERSION_TRANSITIONED_TO_ARCHIVED" },
  requested: { Staging: "TRANSITION_REQUEST_TO_STAGING_CREATED", Production: "TRANSITION_REQUEST_TO_PRODUCTION_CREATED", Archived: "TRANSITION_REQUEST_TO_ARCHIVED_CREATED" },
} as const satisfies Record<string, Record<NamedStage, WebhookEvent>>;

/** The per-stage event of a transition or a transition request (none for the None stage). */
export function stageEvent(kind: keyof typeof STAGE_EVENTS, stage: string): WebhookEvent | null {
  return stage === "None" ? null : (STAGE_EVENTS[kind][stage as NamedStage] ?? null);
}

export interface RegistryEvent {
  event: WebhookEvent;
  modelId: number;
  modelName: string;
  /** The event's fields as delivered (e.g. version, from_stage, to_stage, comment, text). */
  data: Record<string, unknown>;
}
