import type { FastifyInstance, FastifyRequest } from "fastify";
import { isArtifactRequestError, isInvalidPath, isNotFound, joinArtifactPath, normalizeArtifactPath, type ArtifactStore } from "@modelgate/artifacts";
import {
  artifactStorePath,
  authorizeArtifactPath,
  createLoggedModel,
  deleteLoggedModel,
  deleteLoggedModelTag,
  finalizeLoggedModel,
  getLoggedModel,
  invalid,
  logLoggedModelParams,
  logOutputs,
  notFound,
  searchLoggedModels,
  setLoggedModelTags,
  type Ctx,
  type LoggedModelOrderBy,
} from "@modelgate/core";
import type { Db } from "@modelgate/db";
import { mlflowRoute, type WireInput } from "../mlflow-route.ts";
import { missing, optBool, optInt, optString, reqInt, reqString, stringList, wrongType } from "../wire.ts";
import { objects, tagList } from "./fields.ts";

// MLflow 3's logged-model RPCs (service.proto: createLoggedModel … listLoggedModelArtifacts) and
// runs/outputs. The model id travels in the path; each handler is one core call.

/** A path parameter, percent-decoded once by the router. */
function param(req: FastifyRequest, name: string): string {
  const v = (req.params as Record<string, string | undefined>)[name];
  if (!v) missing(name);
  return v;
}

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

export interface LoggedModelRouteOptions {
  db: Db;
  artifacts?: ArtifactStore | undefined;
}

export function registerLoggedModelRoutes(app: FastifyInstance, opts: LoggedModelRouteOptions) {
  const { db } = opts;
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
  mlflowRoute(app, db, "GET", "/logged-models/:model_id", async ({ ctx, req }) => ({ model: await getLoggedModel(ctx, param(req, "model_id")) }));
  mlflowRoute(app, db, "PATCH", "/logged-models/:model_id", async ({ ctx, input, req }) => ({
    model: await finalizeLoggedModel(ctx, { model_id: param(req, "model_id"), status: statusOf(input) }),
  }));
  mlflowRoute(app, db, "DELETE", "/logged-models/:model_id", ({ ctx, req }) => deleteLoggedModel(ctx, param(req, "model_id")));
  mlflowRoute(app, db, "PATCH", "/logged-models/:model_id/tags", ({ ctx, input, req }) => setLoggedModelTags(ctx, { model_id: param(req, "model_id"), tags: tagList(input) }));
  mlflowRoute(app, db, "DELETE", "/logged-models/:model_id/tags/*", ({ ctx, req }) => deleteLoggedModelTag(ctx, { model_id: param(req, "model_id"), key: tail(req) }));
  mlflowRoute(app, db, "POST", "/logged-models/:model_id/params", ({ ctx, input, req }) =>
    logLoggedModelParams(ctx, { model_id: param(req, "model_id"), params: tagList(input, "params") }),
  );
  mlflowRoute(app, db, "POST", "/runs/outputs", ({ ctx, input }) => logOutputs(ctx, { run_id: reqString(input, "run_id"), models: modelOutputs(input) }));

  const store = opts.artifacts;
  if (!store) return;
  // ListLoggedModelArtifacts: paths relative to the model's artifact root, like runs' artifacts/list
  mlflowRoute(app, db, "GET", "/logged-models/:model_id/artifacts/directories", storeErrors(async ({ ctx, input, req }) => {
    const { root, rootUri } = await modelRoot(ctx, param(req, "model_id"));
    const sub = normalizeArtifactPath(optString(input, "artifact_directory_path") ?? "");
    if (root === null) return { root_uri: rootUri };
    const dir = joinArtifactPath(root, sub);
    await authorizeArtifactPath(ctx, dir, "READ");
    const files = await store.list(dir);
    return files.length ? { root_uri: rootUri, files: files.map((f) => ({ ...f, path: joinArtifactPath(sub, f.path) })) } : { root_uri: rootUri };
  }));
  // The UI's download of one of the model's files
  mlflowRoute(app, db, "GET", "/logged-models/:model_id/artifacts/files", storeErrors(async ({ ctx, input, req, reply }) => {
    const rel = normalizeArtifactPath(reqString(input, "artifact_file_path"));
    const { root } = await modelRoot(ctx, param(req, "model_id"));
    if (root === null || !rel) throw invalid(`Cannot download '${rel}': the model's files are not in this server's artifact store`);
    const path = joinArtifactPath(root, rel);
    await authorizeArtifactPath(ctx, path, "READ");
    const file = await store.get(path);
    return reply
      .header("content-type", file.contentType ?? "application/octet-stream")
      .header("content-length", file.size)
      .header("x-content-type-options", "nosniff")
      .send(file.stream);
  }));
}

/**
 * These routes live outside the artifact proxy's scope, whose error handler maps the store's
 * errors: a refused path (`..`) or a missing file must answer 400/404 here too, not 500.
 */
function storeErrors<A>(handler: (args: A) => Promise<unknown>): (args: A) => Promise<unknown> {
  return async (args) => {
    try {
      return await handler(args);
    } catch (e) {
      if (isInvalidPath(e)) throw invalid("Invalid path");
      if (isNotFound(e)) throw notFound(`Artifact not found: ${e.path}`);
      if (isArtifactRequestError(e)) throw invalid(e.message);
      throw e;
    }
  };
}

/** The model's artifact root as a store path (null when its files live elsewhere, e.g. an s3:// experiment root). */
async function modelRoot(ctx: Ctx, modelId: string): Promise<{ root: string | null; rootUri: string }> {
  const model = await getLoggedModel(ctx, modelId);
  const rootUri = model.info.artifact_uri;
  const root = artifactStorePath(rootUri);
  return { root: root === null ? null : normalizeArtifactPath(root), rootUri };
}


