import type { FastifyInstance } from "fastify";
import type { DataPlaneOptions } from "../data-plane.ts";
import { registerExperimentRoutes } from "./experiments.ts";
import { registerMetricRoutes } from "./metrics.ts";
import { registerRunRoutes } from "./runs.ts";

/** MLflow's tracking RPCs (search and artifacts are registered by their own modules). */
export async function registerTrackingRoutes(app: FastifyInstance, opts: DataPlaneOptions) {
  registerExperimentRoutes(app, opts.db);
  registerRunRoutes(app, opts.db);
  registerMetricRoutes(app, opts.db);
}
