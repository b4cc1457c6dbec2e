import type { FastifyInstance } from "fastify";
import { createWebhook, deleteWebhook, listWebhooks, testWebhook, updateWebhook } from "@modelgate/core";
import type { Db } from "@modelgate/db";
import { mlflowRoute, type WireInput } from "./mlflow-route.ts";
import { registerMlflowWebhookRoutes } from "./mlflow-webhooks.ts";
import { optBool, optInt, optString, reqString, stringList, withQuery, wrongType } from "./wire.ts";

// Databricks' registry webhooks (/api/2.0/mlflow/registry-webhooks/*): the wire fields read here,
// every rule in core. `allow_private` (ours, admins only) may sit in http_url_spec or at the top.
// MLflow 3's webhooks API (/mlflow/webhooks) is registered from here too (mlflow-webhooks.ts).

function urlSpec(input: WireInput): WireInput | undefined {
  const spec = input.http_url_spec;
  if (spec === undefined || spec === null) return undefined;
  if (typeof spec !== "object" || Array.isArray(spec)) wrongType("http_url_spec", spec);
  return spec as WireInput;
}

function refuseJobSpec(input: WireInput) {
  if (input.job_spec !== undefined && input.job_spec !== null) wrongType("job_spec", input.job_spec);
}

const statusOf = (input: WireInput) => optString(input, "status") as "ACTIVE" | "DISABLED" | "TEST_MODE" | undefined;

/** DELETE: Databricks' SDK sends the fields as query parameters; a JSON body works too. */
export function registerWebhookRoutes(app: FastifyInstance, { db }: { db: Db }) {
  mlflowRoute(app, db, "POST", "/registry-webhooks/create", async ({ ctx, input }) => {
    refuseJobSpec(input);
    const spec = urlSpec(input) ?? {};
    const webhook = await createWebhook(ctx, {
      events: stringList(input, "events") ?? [],
      url: reqString(spec, "url"),
      description: optString(input, "description"),
      secret: optString(spec, "secret") || undefined,
      authorization: optString(spec, "authorization") || undefined,
      enableSslVerification: optBool(spec, "enable_ssl_verification"),
      allowPrivate: optBool(spec, "allow_private") ?? optBool(input, "allow_private"),
      modelName: optString(input, "model_name") || undefined,
      status: statusOf(input),
    });
    return { webhook };
  });

  mlflowRoute(app, db, "GET", "/registry-webhooks/list", async ({ ctx, input }) =>
    listWebhooks(ctx, {
      modelName: optString(input, "model_name") || undefined,
      events: stringList(input, "events"),
      maxResults: optInt(input, "max_results"),
      pageToken: optString(input, "page_token") || undefined,
    }),
  );

  mlflowRoute(app, db, "PATCH", "/registry-webhooks/update", async ({ ctx, input }) => {
    refuseJobSpec(input);
    const spec = urlSpec(input);
    const webhook = await updateWebhook(ctx, {
      id: reqString(input, "id"),
      events: stringList(input, "events"),
      description: optString(input, "description"),
      status: statusOf(input),
      ...(spec
        ? {
            url: optString(spec, "url") || undefined,
            secret: optString(spec, "secret"),
            authorization: optString(spec, "authorization"),
            enableSslVerification: optBool(spec, "enable_ssl_verification"),
            allowPrivate: optBool(spec, "allow_private"),
          }
        : {}),
      ...(optBool(input, "allow_private") !== undefined ? { allowPrivate: optBool(input, "allow_private") } : {}),
    });
    return { webhook };
  });

  mlflowRoute(app, db, "DELETE", "/registry-webhooks/delete", async ({ ctx, input, req }) => {
    await deleteWebhook(ctx, { id: reqString(withQuery(input, req.query), "id") });
    return {};
  });

  mlflowRoute(app, db, "POST", "/registry-webhooks/test", async ({ ctx, input }) => {
    const r = await testWebhook(ctx, { id: reqString(input, "id"), event: optString(input, "event") || undefined });
    return { webhook: { body: r.error ?? r.body, status_code: r.statusCode ?? 0 } };
  });

  registerMlflowWebhookRoutes(app, { db });
}
