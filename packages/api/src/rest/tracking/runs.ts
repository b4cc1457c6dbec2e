import type { FastifyInstance, FastifyRequest } from "fastify";
import { createRun, deleteRun, deleteTag, getRunWire, invalid, logBatch, logInputs, logMetric, logModel, logParam, restoreRun, setTag, updateRun } from "@modelgate/core";
import type { Db } from "@modelgate/db";
import { mlflowRoute } from "../mlflow-route.ts";
import { optInt, optString, reqString } from "../wire.ts";
import { datasetInputList, metricList, metricOf, modelInputList, runIdOf, statusOf, tagList } from "./fields.ts";

/** MLflow's MAX_BATCH_LOG_REQUEST_SIZE. */
const MAX_BATCH_REQUEST_BYTES = 1_000_000;

function assertBatchSize(req: FastifyRequest) {
  const header = Number(req.headers["content-length"]);
  const size = Number.isFinite(header) && header > 0 ? header : Buffer.byteLength(JSON.stringify(req.body ?? {}));
  if (size > MAX_BATCH_REQUEST_BYTES) {
    throw invalid(`Batched logging API requests must be at most ${MAX_BATCH_REQUEST_BYTES} bytes, got a request of size ${size}.`);
  }
}

export function registerRunRoutes(app: FastifyInstance, db: Db) {
  mlflowRoute(app, db, "POST", "/runs/create", async ({ ctx, input }) => ({
    run: await createRun(ctx, {
      experiment_id: optString(input, "experiment_id"),
      user_id: optString(input, "user_id"),
      run_name: optString(input, "run_name"),
      start_time: optInt(input, "start_time"),
      tags: tagList(input),
    }),
  }));
  mlflowRoute(app, db, "GET", "/runs/get", async ({ ctx, input }) => getRunWire(ctx, runIdOf(input)));
  mlflowRoute(app, db, "POST", "/runs/update", async ({ ctx, input }) => ({
    run_info: await updateRun(ctx, {
      run_id: runIdOf(input),
      status: statusOf(input),
      end_time: optInt(input, "end_time"),
      run_name: optString(input, "run_name"),
    }),
  }));
  mlflowRoute(app, db, "POST", "/runs/delete", ({ ctx, input }) => deleteRun(ctx, { run_id: reqString(input, "run_id") }));
  mlflowRoute(app, db, "POST", "/runs/restore", ({ ctx, input }) => restoreRun(ctx, { run_id: reqString(input, "run_id") }));
  mlflowRoute(app, db, "POST", "/runs/log-metric", ({ ctx, input }) => logMetric(ctx, { run_id: runIdOf(input), ...metricOf(input) }));
  mlflowRoute(app, db, "POST", "/runs/log-parameter", ({ ctx, input }) =>
    logParam(ctx, { run_id: runIdOf(input), key: reqString(input, "key"), value: optString(input, "value") ?? "" }),
  );
  mlflowRoute(app, db, "POST", "/runs/set-tag", ({ ctx, input }) =>
    setTag(ctx, { run_id: runIdOf(input), key: reqString(input, "key"), value: optString(input, "value") ?? "" }),
  );
  mlflowRoute(app, db, "POST", "/runs/delete-tag", ({ ctx, input }) => deleteTag(ctx, { run_id: runIdOf(input), key: reqString(input, "key") }));
  mlflowRoute(app, db, "POST", "/runs/log-batch", ({ ctx, input, req }) => {
    assertBatchSize(req);
    return logBatch(ctx, { run_id: runIdOf(input), metrics: metricList(input), params: tagList(input, "params"), tags: tagList(input) });
  });
  mlflowRoute(app, db, "POST", "/runs/log-model", ({ ctx, input }) => logModel(ctx, { run_id: runIdOf(input), model_json: reqString(input, "model_json") }));
  mlflowRoute(app, db, "POST", "/runs/log-inputs", ({ ctx, input }) =>
    logInputs(ctx, { run_id: reqString(input, "run_id"), datasets: datasetInputList(input), models: modelInputList(input) }),
  );
}
