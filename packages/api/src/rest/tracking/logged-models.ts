import type { FastifyInstance, FastifyRequest } from "fastify";
import {
  createLoggedModel,
  deleteLoggedModel,
  deleteLoggedModelTag,
  finalizeLoggedModel,
  getLoggedModel,
  logLoggedModelParams,
  logOutputs,
  searchLoggedModels,
  setLoggedModelTags,
  type LoggedModelOrderBy,
} from "@modelgate/core";
import type { Db } from "@modelgate/db";
import { mlflowRoute, pathParam, type WireInput } from "../mlflow-route.ts";
import { missing, optBool, optInt, optString, reqInt, reqString, stringList, wrongType } from "../wire.ts";
import { objects, tagList } from "./fields.ts";

// MLflow 3's logged-model RPCs (service.proto: createLoggedModel … LogLoggedModelParams) and
// runs/outputs; listLoggedModelArtifacts is with the other artifact routes (artifacts.ts). The model id travels in the path; each handler is one core call.

/** The wildcard tail of a route (a tag key may contain slashes). */
function tail(req: FastifyRequest): string {
  const v = (req.params as Record<string, string | undefined>)["*"];
  if (!v) missing("tag_key");
  return v;
}

function orderByList(input: WireInput): LoggedModelOrderBy[] {
  return objects(input, "order_by").map((o) => ({
    field_name: reqString(o, "field_name"),
    ascending: optBool(o, "ascending") ?? true,
    dataset_name: optString(o, "dataset_name") || undefined,
    dataset_digest: optString(o, "dataset_digest") || undefined,
  }));
}

function datasetList(input: WireInput) {
  return objects(input, "datasets").map((d) => ({ dataset_name: reqString(d, "dataset_name"), dataset_digest: optString(d, "dataset_digest") || undefined }));
}

/** FinalizeLoggedModel.status: the enum's name or number. */
function statusOf(input: WireInput): string | number {
  const v = input.status;
  if (v === undefined || v === null || v === "") missing("status");
  if (typeof v !== "string" && typeof v !== "number") wrongType("status", v);
  return v;
}

/** ModelOutput{model_id, step}: both required, as the proto says. */
function modelOutputs(input: WireInput) {
  const list = objects(input, "models");
  if (!list.length) missing("models");
  return list.map((m) => ({ model_id: reqString(m, "model_id"), step: reqInt(m, "step") }));
}

export function registerLoggedModelRoutes(app: FastifyInstance, db: Db) {
  mlflowRoute(app, db, "POST", "/logged-models", async ({ ctx, input }) => ({
    model: await createLoggedModel(ctx, {
      experiment_id: reqString(input, "experiment_id"),
      name: optString(input, "name"),
      model_type: optString(input, "model_type"),
      source_run_id: optString(input, "source_run_id") || undefined,
      params: tagList(input, "params"),
      tags: tagList(input),
    }),
  }));
  mlflowRoute(app, db, "POST", "/logged-models/search", ({ ctx, input }) => {
    const experimentIds = stringList(input, "experiment_ids");
    if (!experimentIds?.length) missing("experiment_ids");
    return searchLoggedModels(ctx, {
      experiment_ids: experimentIds,
      filter: optString(input, "filter") || undefined,
      datasets: datasetList(input),
      max_results: optInt(input, "max_results"),
      order_by: orderByList(input),
      page_token: optString(input, "page_token") || undefined,
    });
  });
  mlflowRoute(app, db, "GET", "/logged-models/:model_id", async ({ ctx, req }) => ({ model: await getLoggedModel(ctx, pathParam(req, "model_id")) }));
  mlflowRoute(app, db, "PATCH", "/logged-models/:model_id", async ({ ctx, input, req }) => ({
    model: await finalizeLoggedModel(ctx, { model_id: pathParam(req, "model_id"), status: statusOf(input) }),
  }));
  mlflowRoute(app, db, "DELETE", "/logged-models/:model_id", ({ ctx, req }) => deleteLoggedModel(ctx, pathParam(req, "model_id")));
  mlflowRoute(app, db, "PATCH", "/logged-models/:model_id/tags", ({ ctx, input, req }) => setLoggedModelTags(ctx, { model_id: pathParam(req, "model_id"), tags: tagList(input) }));
  mlflowRoute(app, db, "DELETE", "/logged-models/:model_id/tags/*", ({ ctx, req }) => deleteLoggedModelTag(ctx, { model_id: pathParam(req, "model_id"), key: tail(req) }));
  mlflowRoute(app, db, "POST", "/logged-models/:model_id/params", ({ ctx, input, req }) =>
    logLoggedModelParams(ctx, { model_id: pathParam(req, "model_id"), params: tagList(input, "params") }),
  );
  mlflowRoute(app, db, "POST", "/runs/outputs", ({ ctx, input }) => logOutputs(ctx, { run_id: reqString(input, "run_id"), models: modelOutputs(input) }));
  // the model's files are listed and served by the artifact routes (artifacts.ts)
}
