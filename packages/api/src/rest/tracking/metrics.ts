import type { FastifyInstance } from "fastify";
import { getMetricHistoryBulkInterval, getMetricHistoryWire } from "@modelgate/core";
import type { Db } from "@modelgate/db";
import { mlflowRoute } from "../mlflow-route.ts";
import { missing, optInt, optString, reqString, stringList } from "../wire.ts";
import { runIdOf } from "./fields.ts";

export function registerMetricRoutes(app: FastifyInstance, db: Db) {
  // Pages of at most 25,000 points (keyset tokens), written as JSON by Postgres: memory stays
  // bounded on any history size.
  mlflowRoute(app, db, "GET", "/metrics/get-history", ({ ctx, input }) =>
    getMetricHistoryWire(ctx, {
      run_id: runIdOf(input),
      metric_key: reqString(input, "metric_key"),
      page_token: optString(input, "page_token") || undefined,
      max_results: optInt(input, "max_results"),
    }),
  );
  mlflowRoute(app, db, "GET", "/metrics/get-history-bulk-interval", async ({ ctx, input }) => {
    const runIds = stringList(input, "run_ids");
    if (!runIds?.length) missing("run_ids");
    const metrics = await getMetricHistoryBulkInterval(ctx, {
      run_ids: runIds,
      metric_key: reqString(input, "metric_key"),
      start_step: optInt(input, "start_step"),
      end_step: optInt(input, "end_step"),
      max_results: optInt(input, "max_results"),
    });
    return { metrics };
  });
}
