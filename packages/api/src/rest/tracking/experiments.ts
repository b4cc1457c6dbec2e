import type { FastifyInstance } from "fastify";
import {
  createExperiment,
  deleteExperiment,
  deleteExperimentTag,
  getExperiment,
  getExperimentByName,
  restoreExperiment,
  setExperimentTag,
  updateExperiment,
} from "@modelgate/core";
import type { Db } from "@modelgate/db";
import { mlflowRoute } from "../mlflow-route.ts";
import { optString, reqString } from "../wire.ts";
import { tagList } from "./fields.ts";

export function registerExperimentRoutes(app: FastifyInstance, db: Db) {
  mlflowRoute(app, db, "POST", "/experiments/create", ({ ctx, input }) =>
    createExperiment(ctx, { name: reqString(input, "name"), artifact_location: optString(input, "artifact_location"), tags: tagList(input) }),
  );
  mlflowRoute(app, db, "GET", "/experiments/get", async ({ ctx, input }) => ({ experiment: await getExperiment(ctx, reqString(input, "experiment_id")) }));
  mlflowRoute(app, db, "GET", "/experiments/get-by-name", async ({ ctx, input }) => ({
    experiment: await getExperimentByName(ctx, reqString(input, "experiment_name")),
  }));
  mlflowRoute(app, db, "POST", "/experiments/update", ({ ctx, input }) =>
    updateExperiment(ctx, { experiment_id: reqString(input, "experiment_id"), new_name: reqString(input, "new_name") }),
  );
  mlflowRoute(app, db, "POST", "/experiments/delete", ({ ctx, input }) => deleteExperiment(ctx, { experiment_id: reqString(input, "experiment_id") }));
  mlflowRoute(app, db, "POST", "/experiments/restore", ({ ctx, input }) => restoreExperiment(ctx, { experiment_id: reqString(input, "experiment_id") }));
  mlflowRoute(app, db, "POST", "/experiments/set-experiment-tag", ({ ctx, input }) =>
    setExperimentTag(ctx, { experiment_id: reqString(input, "experiment_id"), key: reqString(input, "key"), value: optString(input, "value") ?? "" }),
  );
  mlflowRoute(app, db, "POST", "/experiments/delete-experiment-tag", ({ ctx, input }) =>
    deleteExperimentTag(ctx, { experiment_id: reqString(input, "experiment_id"), key: reqString(input, "key") }),
  );
}
