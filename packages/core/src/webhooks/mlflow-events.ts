import { invalid } from "../errors.ts";
import { PROMPT_TAG } from "../registry/types.ts";
import type { RegistryEvent, RegistryEventName } from "./event-types.ts";

// MLflow 3's webhook events (entity.action pairs, mlflow/entities/webhook.py) and how a registry
// event becomes one. As MLflow's server does, a change to a prompt (a registered model tagged
// mlflow.prompt.is_prompt=true) is reported as a prompt event instead of a model event, and a
// registered model's own tags are reported for prompts only.
//
// Modelgate adds three events on the same mechanism, on entities of their own so that MLflow's
// entities keep exactly MLflow's actions:
//   model_version_stage.transitioned  a version moved to another stage (system archiving included)
//   transition_request.created        someone asked to move a version to a stage (approval flow;
//                                     the entity and action our Databricks envelope carries too)
//   comment.created                   a comment on a model version (review discussion; likewise)
// MLflow's own client cannot parse these three in an answer (its protobuf enums lack them): a
// webhook that subscribes to them is for Modelgate's REST API and portal.

/** Actions per entity: MLflow's, then ours (the last three). */
const ACTIONS = {
  registered_model: ["created"],
  model_version: ["created"],
  model_version_tag: ["set", "deleted"],
  model_version_alias: ["created", "deleted"],
  prompt: ["created"],
  prompt_version: ["created"],
  prompt_tag: ["set", "deleted"],
  prompt_version_tag: ["set", "deleted"],
  prompt_alias: ["created", "deleted"],
  model_version_stage: ["transitioned"],
  transition_request: ["created"],
  comment: ["created"],
} as const satisfies Record<string, readonly string[]>;

type Entity = keyof typeof ACTIONS;
export type MlflowWebhookEvent = { [E in Entity]: `${E}.${(typeof ACTIONS)[E][number]}` }[Entity];

/** Every event, "entity.action", in the catalogue's order. */
export const MLFLOW_WEBHOOK_EVENTS: readonly MlflowWebhookEvent[] = Object.entries(ACTIONS).flatMap(([e, actions]) => actions.map((a) => `${e}.${a}` as MlflowWebhookEvent));

/** The tags that carry a prompt's type and template (mlflow/prompt/constants.py); PROMPT_TAG marks one. */
const PROMPT_TYPE_TAG = "_mlflow_prompt_type";
const PROMPT_TEXT_TAG = "mlflow.prompt.text";

/**
 * An event from its entity and action, as names in either case ("MODEL_VERSION" on MLflow's JSON
 * wire, "model_version" in its Python API); MLflow's message for a pair that does not go together.
 */
export function mlflowWebhookEvent(entity: string, action: string): MlflowWebhookEvent {
  const e = entity.toLowerCase();
  const a = action.toLowerCase();
  const valid: readonly string[] | undefined = ACTIONS[e as Entity];
  if (!valid) throw invalid(`Invalid webhook entity '${entity}'. Valid entities are: ${Object.keys(ACTIONS).join(", ")}`);
  if (!valid.includes(a)) throw invalid(`Invalid action '${a}' for entity '${e}'. Valid actions are: [${[...valid].sort().map((x) => `'${x}'`).join(", ")}]`);
  return `${e}.${a}` as MlflowWebhookEvent;
}

/** An "entity.action" string checked against the catalogue. */
export function parseMlflowWebhookEvent(name: string): MlflowWebhookEvent {
  const parts = name.split(".");
  if (parts.length !== 2 || !parts[0] || !parts[1]) throw invalid(`Invalid event string format: '${name}'. Expected format: 'entity.action' (e.g. 'registered_model.created')`);
  return mlflowWebhookEvent(parts[0], parts[1]);
}

/** The event as MLflow's JSON wire writes it: protobuf enum names. */
export function mlflowEventWire(name: MlflowWebhookEvent): { entity: string; action: string } {
  const [entity, action] = name.split(".") as [string, string];
  return { entity: entity.toUpperCase(), action: action.toUpperCase() };
}

// What each registry event becomes: [for a model, for a prompt] (null: nothing is sent)
const MAPPED: Partial<Record<RegistryEventName, [MlflowWebhookEvent | null, MlflowWebhookEvent]>> = {
  REGISTERED_MODEL_CREATED: ["registered_model.created", "prompt.created"],
  MODEL_VERSION_CREATED: ["model_version.created", "prompt_version.created"],
  MODEL_VERSION_TAG_SET: ["model_version_tag.set", "prompt_version_tag.set"],
  MODEL_VERSION_TAG_DELETED: ["model_version_tag.deleted", "prompt_version_tag.deleted"],
  MODEL_VERSION_ALIAS_CREATED: ["model_version_alias.created", "prompt_alias.created"],
  MODEL_VERSION_ALIAS_DELETED: ["model_version_alias.deleted", "prompt_alias.deleted"],
  REGISTERED_MODEL_TAG_SET: [null, "prompt_tag.set"],
  REGISTERED_MODEL_TAG_DELETED: [null, "prompt_tag.deleted"],
  MODEL_VERSION_TRANSITIONED_STAGE: ["model_version_stage.transitioned", "model_version_stage.transitioned"],
  TRANSITION_REQUEST_CREATED: ["transition_request.created", "transition_request.created"],
  COMMENT_CREATED: ["comment.created", "comment.created"],
};

/** The MLflow events a registry event may become (whether the model is a prompt is not known yet). */
export function mlflowCandidates(name: RegistryEventName): MlflowWebhookEvent[] {
  const pair = MAPPED[name];
  return pair ? [...new Set(pair.flatMap((x) => (x === null ? [] : [x])))] : [];
}

/**
 * Creations decide by the tags they carry (MLflow's server looks for the prompt tag among the
 * request's tags); every other event by the model's prompt tag, which the caller looks up.
 */
export const decidedByOwnTags = (name: RegistryEventName) => name === "REGISTERED_MODEL_CREATED" || name === "MODEL_VERSION_CREATED";

type Tag = { key: string; value: string };
const tagList = (v: unknown): Tag[] => (Array.isArray(v) ? (v as Tag[]) : []);
const tagMap = (tags: Tag[], drop: string[] = []) => Object.fromEntries(tags.filter((t) => !drop.includes(t.key)).map((t) => [t.key, t.value]));

/** The MLflow event and its `data` for a registry event; null when MLflow 3 webhooks hear nothing of it. */
export function toMlflowDelivery(e: RegistryEvent, modelIsPrompt: boolean): { event: MlflowWebhookEvent; data: Record<string, unknown> } | null {
  const pair = MAPPED[e.event];
  if (!pair) return null;
  const d = e.data;
  const tags = tagList(d.tags);
  const prompt = decidedByOwnTags(e.event) ? tags.some((t) => t.key === PROMPT_TAG) : modelIsPrompt;
  const event = pair[prompt ? 1 : 0];
  if (!event) return null;
  const name = e.modelName;
  const version = d.version === undefined ? undefined : String(d.version);
  switch (e.event) {
    case "REGISTERED_MODEL_CREATED":
      return { event, data: { name, tags: tagMap(tags, prompt ? [PROMPT_TAG, PROMPT_TYPE_TAG] : []), description: d.description ?? null } };
    case "MODEL_VERSION_CREATED": {
      const description = d.description || null;
      if (!prompt) return { event, data: { name, version, source: d.source, run_id: d.run_id || null, tags: tagMap(tags), description } };
      const template = tags.find((t) => t.key === PROMPT_TEXT_TAG)?.value ?? null;
      return { event, data: { name, version, template, tags: tagMap(tags, [PROMPT_TAG, PROMPT_TYPE_TAG, PROMPT_TEXT_TAG]), description } };
    }
    case "MODEL_VERSION_TAG_SET":
      return { event, data: { name, version, key: d.key, value: d.value } };
    case "MODEL_VERSION_TAG_DELETED":
      return { event, data: { name, version, key: d.key } };
    case "MODEL_VERSION_ALIAS_CREATED":
      return { event, data: { name, alias: d.alias, version } };
    case "MODEL_VERSION_ALIAS_DELETED":
      return { event, data: { name, alias: d.alias } };
    case "REGISTERED_MODEL_TAG_SET":
      return { event, data: { name, key: d.key, value: d.value } };
    case "REGISTERED_MODEL_TAG_DELETED":
      return { event, data: { name, key: d.key } };
    case "TRANSITION_REQUEST_CREATED":
      return { event, data: { name, version, from_stage: d.from_stage, to_stage: d.to_stage, comment: d.text ?? "" } };
    case "COMMENT_CREATED":
      return { event, data: { name, version, comment: d.comment } };
    default: // MODEL_VERSION_TRANSITIONED_STAGE: version, from_stage, to_stage (system, reason)
      return { event, data: { name, ...d, version } };
  }
}

/** MLflow's delivery body: {entity, action, timestamp (ISO 8601), data}. */
export function mlflowEnvelope(event: MlflowWebhookEvent, data: Record<string, unknown>, at: number): Record<string, unknown> {
  const [entity, action] = event.split(".") as [string, string];
  return { entity, action, timestamp: new Date(at).toISOString(), data };
}

/** Example data for a test delivery of each event. */
export function mlflowExampleData(event: MlflowWebhookEvent): Record<string, unknown> {
  const model = event.startsWith("prompt") ? "example-prompt" : "example-model";
  const tags = { team: "example" };
  switch (event) {
    case "registered_model.created":
    case "prompt.created":
      return { name: model, tags, description: "An example" };
    case "model_version.created":
      return { name: model, version: "1", source: "models:/m-00000000000000000000000000000000", run_id: "0".repeat(32), tags, description: "An example" };
    case "prompt_version.created":
      return { name: model, version: "1", template: "Summarise {{text}}", tags, description: "An example" };
    case "model_version_tag.set":
    case "prompt_version_tag.set":
      return { name: model, version: "1", key: "team", value: "example" };
    case "model_version_tag.deleted":
    case "prompt_version_tag.deleted":
      return { name: model, version: "1", key: "team" };
    case "prompt_tag.set":
      return { name: model, key: "team", value: "example" };
    case "prompt_tag.deleted":
      return { name: model, key: "team" };
    case "model_version_alias.created":
    case "prompt_alias.created":
      return { name: model, alias: "champion", version: "1" };
    case "model_version_alias.deleted":
    case "prompt_alias.deleted":
      return { name: model, alias: "champion" };
    case "model_version_stage.transitioned":
      return { name: model, version: "1", from_stage: "Staging", to_stage: "Production" };
    case "transition_request.created":
      return { name: model, version: "1", from_stage: "Staging", to_stage: "Production", comment: "Ready for production" };
    case "comment.created":
      return { name: model, version: "1", comment: "Looks good" };
  }
}
