import type { FastifyInstance } from "fastify";
import type { Db } from "@modelgate/db";
import { registerExperimentRoutes } from "./experiments.ts";
import { registerMetricRoutes } from "./metrics.ts";
import { registerRunRoutes } from "./runs.ts";
import { registerLoggedModelRoutes } from "./logged-models.ts";

/**
 * MLflow's tracking RPCs (search and artifacts are registered by their own modules). Takes only
 * what it uses of the data plane's options, so this module does not import data-plane.ts back.
 */
export async function registerTrackingRoutes(app: FastifyInstance, opts: { db: Db }) {
  registerExperimentRoutes(app, opts.db);
  registerRunRoutes(app, opts.db);
  registerMetricRoutes(app, opts.db);
  registerLoggedModelRoutes(app, opts.db);
}
