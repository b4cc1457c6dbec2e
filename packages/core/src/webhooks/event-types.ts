// The registry events webhooks subscribe to (Databricks' registry-webhook events), apart from
// events.ts so that payload building and emission can share them without an import cycle. Core
// emits a few more that only MLflow 3 webhooks receive (see mlflow-events.ts).

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

/** Registry changes Databricks has no webhook event for; only MLflow 3 webhooks hear of them. */
export const MLFLOW_ONLY_REGISTRY_EVENTS = [
  "MODEL_VERSION_TAG_DELETED",
  "MODEL_VERSION_ALIAS_CREATED",
  "MODEL_VERSION_ALIAS_DELETED",
  "REGISTERED_MODEL_TAG_SET",
  "REGISTERED_MODEL_TAG_DELETED",
] as const;
export type RegistryEventName = WebhookEvent | (typeof MLFLOW_ONLY_REGISTRY_EVENTS)[number];

export const isDatabricksEvent = (name: string): name is WebhookEvent => (WEBHOOK_EVENTS as readonly string[]).includes(name);

type NamedStage = "Staging" | "Production" | "Archived";
const STAGE_EVENTS = {
  transitioned: { Staging: "MODEL_VERSION_TRANSITIONED_TO_STAGING", Production: "MODEL_VERSION_TRANSITIONED_TO_PRODUCTION", Archived: "MODEL_VERSION_TRANSITIONED_TO_ARCHIVED" },
  requested: { Staging: "TRANSITION_REQUEST_TO_STAGING_CREATED", Production: "TRANSITION_REQUEST_TO_PRODUCTION_CREATED", Archived: "TRANSITION_REQUEST_TO_ARCHIVED_CREATED" },
} as const satisfies Record<string, Record<NamedStage, WebhookEvent>>;

/** The per-stage event of a transition or a transition request (none for the None stage). */
export function stageEvent(kind: keyof typeof STAGE_EVENTS, stage: string): WebhookEvent | null {
  return stage === "None" ? null : (STAGE_EVENTS[kind][stage as NamedStage] ?? null);
}

export interface RegistryEvent<E extends RegistryEventName = RegistryEventName> {
  event: E;
  modelId: number;
  modelName: string;
  /** The event's fields as delivered (e.g. version, from_stage, to_stage, comment, text). */
  data: Record<string, unknown>;
}
