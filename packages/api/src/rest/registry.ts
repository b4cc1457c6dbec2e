import type { FastifyInstance } from "fastify";
import {
  createModelVersion,
  createRegisteredModel,
  deleteModelVersion,
  deleteModelVersionTag,
  deleteRegisteredModel,
  deleteRegisteredModelAlias,
  deleteRegisteredModelTag,
  getLatestVersions,
  getModelVersion,
  getModelVersionByAlias,
  getModelVersionDownloadUri,
  getRegisteredModel,
  renameRegisteredModel,
  searchModelVersions,
  searchRegisteredModels,
  setModelVersionTag,
  setRegisteredModelAlias,
  setRegisteredModelTag,
  transitionModelVersionStage,
  updateModelVersion,
  updateRegisteredModel,
} from "@modelgate/core";
import type { Db } from "@modelgate/db";
import { mlflowRoute, type WireInput } from "./mlflow-route.ts";
import { optInt, optString, reqBool, reqString, reqVersion, stringList } from "./wire.ts";
import { tagList } from "./tracking/fields.ts";

// The MLflow model registry protocol (model_registry.proto): registered models, versions, stages,
// aliases, tags, search. Handlers only read the wire fields and call core.

const nameOf = (input: WireInput) => reqString(input, "name");

function searchInput(input: WireInput) {
  return {
    filter: optString(input, "filter"),
    max_results: optInt(input, "max_results"),
    order_by: stringList(input, "order_by"),
    page_token: optString(input, "page_token"),
  };
}

export function registerRegistryRoutes(app: FastifyInstance, { db }: { db: Db }) {

  // ── registered models ──
  mlflowRoute(app, db, "POST", "/registered-models/create", async ({ ctx, input }) => ({
    registered_model: await createRegisteredModel(ctx, { name: nameOf(input), tags: tagList(input), description: optString(input, "description") }),
  }));
  mlflowRoute(app, db, "GET", "/registered-models/get", async ({ ctx, input }) => ({ registered_model: await getRegisteredModel(ctx, nameOf(input)) }));
  mlflowRoute(app, db, "POST", "/registered-models/rename", async ({ ctx, input }) => ({
    registered_model: await renameRegisteredModel(ctx, { name: nameOf(input), new_name: reqString(input, "new_name") }),
  }));
  mlflowRoute(app, db, "PATCH", "/registered-models/update", async ({ ctx, input }) => ({
    registered_model: await updateRegisteredModel(ctx, { name: nameOf(input), description: optString(input, "description") }),
  }));
  mlflowRoute(app, db, "DELETE", "/registered-models/delete", ({ ctx, input }) => deleteRegisteredModel(ctx, { name: nameOf(input) }));
  mlflowRoute(app, db, ["GET", "POST"], "/registered-models/search", ({ ctx, input }) => searchRegisteredModels(ctx, searchInput(input)));
  // MLflow 1.x's registered-models/list: every readable model, in pages.
  mlflowRoute(app, db, "GET", "/registered-models/list", async ({ ctx, input }) =>
    searchRegisteredModels(ctx, { max_results: optInt(input, "max_results"), page_token: optString(input, "page_token") }),
  );
  mlflowRoute(app, db, ["POST", "GET"], "/registered-models/get-latest-versions", async ({ ctx, input }) => ({
    model_versions: await getLatestVersions(ctx, { name: nameOf(input), stages: stringList(input, "stages") }),
  }));
  mlflowRoute(app, db, "POST", "/registered-models/set-tag", ({ ctx, input }) =>
    setRegisteredModelTag(ctx, { name: nameOf(input), key: reqString(input, "key"), value: optString(input, "value") ?? "" }),
  );
  mlflowRoute(app, db, "DELETE", "/registered-models/delete-tag", ({ ctx, input }) => deleteRegisteredModelTag(ctx, { name: nameOf(input), key: reqString(input, "key") }));
  mlflowRoute(app, db, "POST", "/registered-models/alias", ({ ctx, input }) =>
    setRegisteredModelAlias(ctx, { name: nameOf(input), alias: reqString(input, "alias"), version: reqVersion(input) }),
  );
  mlflowRoute(app, db, "DELETE", "/registered-models/alias", ({ ctx, input }) => deleteRegisteredModelAlias(ctx, { name: nameOf(input), alias: reqString(input, "alias") }));
  mlflowRoute(app, db, "GET", "/registered-models/alias", async ({ ctx, input }) => ({
    model_version: await getModelVersionByAlias(ctx, { name: nameOf(input), alias: reqString(input, "alias") }),
  }));

  // ── model versions ──
  mlflowRoute(app, db, "POST", "/model-versions/create", async ({ ctx, input }) => ({
    model_version: await createModelVersion(ctx, {
      name: nameOf(input),
      source: reqString(input, "source"),
      run_id: optString(input, "run_id"),
      tags: tagList(input),
      run_link: optString(input, "run_link"),
      description: optString(input, "description"),
      model_id: optString(input, "model_id"),
    }),
  }));
  mlflowRoute(app, db, "GET", "/model-versions/get", async ({ ctx, input }) => ({ model_version: await getModelVersion(ctx, { name: nameOf(input), version: reqVersion(input) }) }));
  mlflowRoute(app, db, "PATCH", "/model-versions/update", async ({ ctx, input }) => ({
    model_version: await updateModelVersion(ctx, { name: nameOf(input), version: reqVersion(input), description: optString(input, "description") }),
  }));
  mlflowRoute(app, db, "DELETE", "/model-versions/delete", ({ ctx, input }) => deleteModelVersion(ctx, { name: nameOf(input), version: reqVersion(input) }));
  mlflowRoute(app, db, ["GET", "POST"], "/model-versions/search", ({ ctx, input }) => searchModelVersions(ctx, searchInput(input)));
  mlflowRoute(app, db, "GET", "/model-versions/get-download-uri", ({ ctx, input }) => getModelVersionDownloadUri(ctx, { name: nameOf(input), version: reqVersion(input) }));
  mlflowRoute(app, db, "POST", "/model-versions/transition-stage", async ({ ctx, input }) => {
    const archive = reqBool(input, "archive_existing_versions");
    return {
      model_version: await transitionModelVersionStage(ctx, { name: nameOf(input), version: reqVersion(input), stage: reqString(input, "stage"), archive_existing_versions: archive }),
    };
  });
  mlflowRoute(app, db, "POST", "/model-versions/set-tag", ({ ctx, input }) =>
    setModelVersionTag(ctx, { name: nameOf(input), version: reqVersion(input), key: reqString(input, "key"), value: optString(input, "value") ?? "" }),
  );
  mlflowRoute(app, db, "DELETE", "/model-versions/delete-tag", ({ ctx, input }) =>
    deleteModelVersionTag(ctx, { name: nameOf(input), version: reqVersion(input), key: reqString(input, "key") }),
  );
}
