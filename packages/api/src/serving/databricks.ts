import { invalid, type CreateEndpointInput, type EndpointView } from "@modelgate/core";
import { optString } from "../rest/wire.ts";
import type { EndpointStatus } from "./service.ts";

// The Databricks serving-endpoints wire shapes (ServingEndpointDetailed, served_entities), with
// Modelgate's extension: a served entity may name an alias (entity_alias) or a stage
// (entity_stage) instead of a fixed entity_version. One served entity per endpoint.

export type ServedEntityInput = Pick<CreateEndpointInput, "model_name" | "version" | "alias" | "stage">;

/** Reads `{served_entities: [{entity_name, entity_version | entity_alias | entity_stage}]}` (or legacy served_models). */
export function parseServedEntity(config: unknown): ServedEntityInput {
  if (typeof config !== "object" || config === null || Array.isArray(config)) throw invalid("Missing value for required parameter 'config': an object with served_entities");
  const c = config as Record<string, unknown>;
  const list = c.served_entities ?? c.served_models;
  if (!Array.isArray(list) || list.length !== 1 || typeof list[0] !== "object" || list[0] === null) {
    throw invalid("config.served_entities must hold exactly one served entity: Modelgate serves one registered model per endpoint");
  }
  const e = list[0] as Record<string, unknown>;
  const model_name = optString(e, "entity_name") ?? optString(e, "model_name");
  if (!model_name) throw invalid("Missing value for required parameter 'served_entities[0].entity_name': the registered model to serve");
  const rawVersion = e.entity_version ?? e.model_version;
  if (rawVersion !== undefined && rawVersion !== null && typeof rawVersion !== "string" && typeof rawVersion !== "number") {
    throw invalid(`Invalid value ${JSON.stringify(rawVersion)} for 'entity_version': expected a version number`);
  }
  return {
    model_name,
    version: rawVersion ?? undefined,
    alias: optString(e, "entity_alias"),
    stage: optString(e, "entity_stage"),
  };
}

/** ServingEndpointDetailed, plus `enabled` and `target` (Modelgate extensions). */
export function toDatabricksEndpoint(v: EndpointView, st: EndpointStatus) {
  const t = v.target;
  const version = st.served_version ?? v.served_version ?? (t.kind === "VERSION" ? t.version : null);
  const suffix = t.kind === "VERSION" ? String(t.version) : t.kind === "ALIAS" ? t.alias : t.stage;
  return {
    name: v.name,
    id: v.id,
    creator: v.creator,
    creation_timestamp: v.created_at,
    last_updated_timestamp: v.updated_at,
    state: { ready: st.ready ? "READY" : "NOT_READY", config_update: "NOT_UPDATING" },
    config: {
      served_entities: [
        {
          name: `${v.model_name}-${suffix}`,
          entity_name: v.model_name,
          ...(version !== null ? { entity_version: String(version) } : {}),
          ...(t.kind === "ALIAS" ? { entity_alias: t.alias } : {}),
          ...(t.kind === "STAGE" ? { entity_stage: t.stage } : {}),
          workload_size: "Small",
          scale_to_zero_enabled: false,
          state: { deployment: st.deployment, deployment_state_message: st.message },
        },
      ],
    },
    enabled: v.enabled,
    target: v.target_label,
    /** The caller's level on the served model (Modelgate's model levels, not CAN_QUERY/CAN_MANAGE). */
    permission_level: v.permission_level,
  };
}
