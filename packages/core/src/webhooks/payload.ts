import type { RegistryEvent, WebhookEvent } from "./event-types.ts";

// One body that serves receivers written for MLflow 3 and for Databricks:
// {
//   "entity": "model_version", "action": "transitioned_stage",       MLflow 3 envelope
//   "timestamp": "2026-11-25T16:20:00.000Z",
//   "data": { "name": "m", "version": "3", "from_stage": "None", "to_stage": "Production" },
//   "event": "MODEL_VERSION_TRANSITIONED_STAGE",                       Databricks registry webhook
//   "webhook_id": "…32 hex…", "event_timestamp": 1764087600000,
//   "model_name": "m", "version": "3", "from_stage": "None", "to_stage": "Production",
//   "text": "Registered model 'm' version 3 transitioned from None to Production."
// }
// Databricks' fields sit at the top level (as its receivers read them); MLflow's `data` holds the
// same fields with `name` for the model. `test: true` marks a test delivery.

const ENTITY_ACTION: Record<WebhookEvent, [string, string]> = {
  REGISTERED_MODEL_CREATED: ["registered_model", "created"],
  MODEL_VERSION_CREATED: ["model_version", "created"],
  MODEL_VERSION_TAG_SET: ["model_version_tag", "set"],
  MODEL_VERSION_TRANSITIONED_STAGE: ["model_version", "transitioned_stage"],
  MODEL_VERSION_TRANSITIONED_TO_STAGING: ["model_version", "transitioned_to_staging"],
  MODEL_VERSION_TRANSITIONED_TO_PRODUCTION: ["model_version", "transitioned_to_production"],
  MODEL_VERSION_TRANSITIONED_TO_ARCHIVED: ["model_version", "transitioned_to_archived"],
  TRANSITION_REQUEST_CREATED: ["transition_request", "created"],
  TRANSITION_REQUEST_TO_STAGING_CREATED: ["transition_request", "created_to_staging"],
  TRANSITION_REQUEST_TO_PRODUCTION_CREATED: ["transition_request", "created_to_production"],
  TRANSITION_REQUEST_TO_ARCHIVED_CREATED: ["transition_request", "created_to_archived"],
  COMMENT_CREATED: ["comment", "created"],
};

function describe(e: RegistryEvent<WebhookEvent>): string {
  const d = e.data;
  const v = d.version === undefined ? "" : ` version ${String(d.version)}`;
  switch (e.event) {
    case "REGISTERED_MODEL_CREATED":
      return `Registered model '${e.modelName}' created.`;
    case "MODEL_VERSION_CREATED":
      return `Registered model '${e.modelName}'${v} created.`;
    case "MODEL_VERSION_TAG_SET":
      return `Tag '${String(d.key)}' set on registered model '${e.modelName}'${v}.`;
    case "COMMENT_CREATED":
      return `New comment on registered model '${e.modelName}'${v}.`;
    default:
      if (e.event.startsWith("MODEL_VERSION_TRANSITIONED")) return `Registered model '${e.modelName}'${v} transitioned from ${String(d.from_stage)} to ${String(d.to_stage)}.`;
      return `Transition of registered model '${e.modelName}'${v} to ${String(d.to_stage)} requested.`;
  }
}

export function buildPayload(e: RegistryEvent<WebhookEvent>, webhookId: string, at: number, test = false): Record<string, unknown> {
  const [entity, action] = ENTITY_ACTION[e.event];
  const data = { name: e.modelName, ...e.data };
  return {
    entity,
    action,
    timestamp: new Date(at).toISOString(),
    data,
    event: e.event,
    webhook_id: webhookId,
    event_timestamp: at,
    model_name: e.modelName,
    ...e.data,
    text: typeof e.data.text === "string" ? e.data.text : describe(e),
    ...(test ? { test: true } : {}),
  };
}
