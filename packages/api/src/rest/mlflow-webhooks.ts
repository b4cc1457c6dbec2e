import type { FastifyInstance, FastifyRequest } from "fastify";
import {
  createMlflowWebhook,
  deleteMlflowWebhook,
  getMlflowWebhook,
  invalid,
  listMlflowWebhooks,
  mlflowEventWire,
  mlflowWebhookEvent,
  parseMlflowWebhookEvent,
  testMlflowWebhook,
  updateMlflowWebhook,
  type MlflowWebhookStatus,
  type MlflowWebhookView,
} from "@modelgate/core";
import type { Db } from "@modelgate/db";
import { mlflowRoute, type WireInput } from "./mlflow-route.ts";
import { missing, optBool, optInt, optList, optString, reqString, wrongType } from "./wire.ts";

// MLflow 3's webhooks API (mlflow/protos/webhooks.proto): the wire fields read and written here,
// every rule in core (webhooks/mlflow-webhooks.ts). On the JSON wire an event is
// {"entity": "MODEL_VERSION", "action": "CREATED"} (protobuf enum names; their numbers and the
// lower-case names of MLflow's Python API are read too) and a status is "ACTIVE" or "DISABLED".
// As MLflow's server, an update ignores empty fields. Ours on top: `allow_private` and
// `enable_ssl_verification` (the Databricks API's), read and returned.

// protobuf enum numbers (webhooks.proto)
const ENTITIES = ["ENTITY_UNSPECIFIED", "REGISTERED_MODEL", "MODEL_VERSION", "MODEL_VERSION_TAG", "MODEL_VERSION_ALIAS", "PROMPT", "PROMPT_VERSION", "PROMPT_TAG", "PROMPT_VERSION_TAG", "PROMPT_ALIAS"];
const ACTIONS = ["ACTION_UNSPECIFIED", "CREATED", "UPDATED", "DELETED", "SET"];
const STATUSES: Record<string, MlflowWebhookStatus> = { ACTIVE: "ACTIVE", DISABLED: "DISABLED", "1": "ACTIVE", "2": "DISABLED" };

function enumName(field: string, v: unknown, numbers: string[]): string {
  if (v === undefined || v === null || v === "" || v === 0) missing(field);
  if (typeof v === "string") return v;
  if (typeof v === "number" && Number.isInteger(v) && numbers[v]) return numbers[v];
  return wrongType(field, v);
}

/** One event: {entity, action} as MLflow's client sends it, or an "entity.action" string. */
function wireEvent(v: unknown): string {
  if (typeof v === "string") return parseMlflowWebhookEvent(v);
  if (typeof v !== "object" || v === null || Array.isArray(v)) return wrongType("events", v);
  const e = v as WireInput;
  return mlflowWebhookEvent(enumName("entity", e.entity, ENTITIES), enumName("action", e.action, ACTIONS));
}

const wireEvents = (input: WireInput) => optList(input, "events")?.map(wireEvent);

function wireStatus(input: WireInput): MlflowWebhookStatus | undefined {
  const v = input.status;
  if (v === undefined || v === null || v === "") return undefined;
  if (typeof v !== "string" && typeof v !== "number") return wrongType("status", v);
  const status = STATUSES[String(v).toUpperCase()];
  if (!status) throw invalid(`Invalid webhook status '${String(v)}'. Valid statuses are: ACTIVE, DISABLED`);
  return status;
}

/** MLflow's Webhook message (no secret), with our two fields. */
function toWire(w: MlflowWebhookView) {
  return {
    webhook_id: w.webhook_id,
    name: w.name,
    ...(w.description ? { description: w.description } : {}),
    url: w.url,
    events: w.events.map(mlflowEventWire),
    status: w.status,
    creation_timestamp: w.creation_timestamp,
    last_updated_timestamp: w.last_updated_timestamp,
    allow_private: w.allow_private,
    enable_ssl_verification: w.enable_ssl_verification,
  };
}

const idOf = (req: FastifyRequest) => (req.params as { webhook_id: string }).webhook_id;

export function registerMlflowWebhookRoutes(app: FastifyInstance, { db }: { db: Db }) {
  mlflowRoute(app, db, "POST", "/webhooks", async ({ ctx, input }) => {
    const name = reqString(input, "name");
    const url = reqString(input, "url");
    const events = wireEvents(input);
    if (!events?.length) missing("events");
    const webhook = await createMlflowWebhook(ctx, {
      name,
      url,
      events,
      description: optString(input, "description") || undefined,
      secret: optString(input, "secret") || undefined,
      status: wireStatus(input),
      allowPrivate: optBool(input, "allow_private"),
      enableSslVerification: optBool(input, "enable_ssl_verification"),
    });
    return { webhook: toWire(webhook) };
  });

  mlflowRoute(app, db, "GET", "/webhooks", async ({ ctx, input }) => {
    const page = await listMlflowWebhooks(ctx, { maxResults: optInt(input, "max_results"), pageToken: optString(input, "page_token") || undefined });
    return { webhooks: page.webhooks.map(toWire), ...(page.next_page_token ? { next_page_token: page.next_page_token } : {}) };
  });

  mlflowRoute(app, db, "GET", "/webhooks/:webhook_id", async ({ ctx, req }) => ({ webhook: toWire(await getMlflowWebhook(ctx, { id: idOf(req) })) }));

  mlflowRoute(app, db, "PATCH", "/webhooks/:webhook_id", async ({ ctx, input, req }) => {
    const events = wireEvents(input);
    const webhook = await updateMlflowWebhook(ctx, {
      id: idOf(req),
      name: optString(input, "name") || undefined,
      description: optString(input, "description") || undefined,
      url: optString(input, "url") || undefined,
      events: events?.length ? events : undefined,
      secret: optString(input, "secret") || undefined,
      status: wireStatus(input),
      allowPrivate: optBool(input, "allow_private"),
      enableSslVerification: optBool(input, "enable_ssl_verification"),
    });
    return { webhook: toWire(webhook) };
  });

  mlflowRoute(app, db, "DELETE", "/webhooks/:webhook_id", async ({ ctx, req }) => {
    await deleteMlflowWebhook(ctx, { id: idOf(req) });
    return {};
  });

  mlflowRoute(app, db, "POST", "/webhooks/:webhook_id/test", async ({ ctx, input, req }) => {
    const event = input.event === undefined || input.event === null ? undefined : wireEvent(input.event);
    const r = await testMlflowWebhook(ctx, { id: idOf(req), event });
    return {
      result: {
        success: r.success,
        ...(r.statusCode !== null ? { response_status: r.statusCode, response_body: r.body } : {}),
        ...(r.error !== null ? { error_message: r.error } : {}),
      },
    };
  });
}
