import type { FastifyInstance } from "fastify";
import { searchExperiments, searchRunsWire, type ViewType } from "@modelgate/core";
import type { Db } from "@modelgate/db";
import { mlflowRoute, type WireInput } from "./mlflow-route.ts";
import { optInt, optString, stringList, wrongType } from "./wire.ts";

// runs/search and experiments/search. The client POSTs both; GET works too (query string).
// toWireJson leaves out empty lists and an unset next_page_token, as MLflow does.

const VIEW_TYPES: Record<string, ViewType> = { ACTIVE_ONLY: "ACTIVE_ONLY", DELETED_ONLY: "DELETED_ONLY", ALL: "ALL", "1": "ACTIVE_ONLY", "2": "DELETED_ONLY", "3": "ALL" };

/** A ViewType enum by name or number, as protobuf's JSON parser accepts it. */
function optViewType(input: WireInput, name: string): ViewType | undefined {
  const raw = input[name];
  const v = Array.isArray(raw) && raw.length === 1 ? raw[0] : raw;
  if (v === undefined || v === null || v === "") return undefined;
  const found = typeof v === "string" || typeof v === "number" ? VIEW_TYPES[String(v)] : undefined;
  return found ?? wrongType(name, v);
}

export async function registerSearchRoutes(app: FastifyInstance, opts: { db: Db }) {
  const { db } = opts;

  mlflowRoute(app, db, ["POST", "GET"], "/runs/search", async ({ ctx, input }) => {
    const out = await searchRunsWire(ctx, {
      experiment_ids: stringList(input, "experiment_ids") ?? [],
      filter: optString(input, "filter"),
      run_view_type: optViewType(input, "run_view_type"),
      max_results: optInt(input, "max_results"),
      order_by: stringList(input, "order_by"),
      page_token: optString(input, "page_token"),
    });
    return out;
  });

  mlflowRoute(app, db, ["POST", "GET"], "/experiments/search", async ({ ctx, input }) => {
    const out = await searchExperiments(ctx, {
      filter: optString(input, "filter"),
      max_results: optInt(input, "max_results"),
      order_by: stringList(input, "order_by"),
      view_type: optViewType(input, "view_type"),
      page_token: optString(input, "page_token"),
    });
    return out;
  });

  // MLflow 1.x's experiments/list (removed in 2.0 but still called by older clients, such as the
  // `mlflow` package on npm): every readable experiment of a view type, all pages at once.
  mlflowRoute(app, db, "GET", "/experiments/list", async ({ ctx, input }) => {
    const view_type = optViewType(input, "view_type");
    const experiments = [];
    let page_token: string | undefined;
    do {
      const out = await searchExperiments(ctx, { max_results: 50_000, view_type, page_token });
      experiments.push(...out.experiments);
      page_token = out.next_page_token;
    } while (page_token);
    return { experiments };
  });
}
