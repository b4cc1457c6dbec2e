import type { FastifyInstance } from "fastify";
import { cancelBatchJob, createBatchJob, getBatchJob, invalid, listBatchJobs, type Ctx } from "@modelgate/core";
import type { Db } from "@modelgate/db";
import { wireRoute, type HttpMethod, type WireInput } from "./mlflow-route.ts";
import { optInt, optString, reqString, reqVersion } from "./wire.ts";

// Batch scoring jobs for services: /api/2.0/serving-jobs/{create,get,list,cancel}, the same core
// functions as the portal. create takes
//   {model_name, version, experiment_id, format?, run_name?, input: {run_id, path} | {upload_path}}
// and answers {job}; get/cancel take {id}; list takes {model_name?, status?, max_results?, page_token?}.

const BATCH_JOBS_PREFIX = "/api/2.0/serving-jobs";

function inputOf(input: WireInput) {
  const v = input.input;
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw invalid("Missing value for required parameter 'input': {run_id, path} or {upload_path}");
  const i = v as WireInput;
  return i.upload_path !== undefined ? { upload_path: reqString(i, "upload_path") } : { run_id: reqString(i, "run_id"), path: reqString(i, "path") };
}

export function registerBatchRoutes(app: FastifyInstance, { db }: { db: Db }) {
  const route = (method: HttpMethod, path: string, handler: (ctx: Ctx, input: WireInput) => Promise<unknown>) =>
    wireRoute(app, db, method, `${BATCH_JOBS_PREFIX}${path}`, ({ ctx, input }) => handler(ctx, input));

  route("POST", "/create", async (ctx, input) => {
    const version = reqVersion(input);
    const format = optString(input, "format");
    const job = await createBatchJob(ctx, {
      model_name: reqString(input, "model_name"),
      version,
      experiment_id: reqString(input, "experiment_id"),
      input: inputOf(input),
      ...(format ? { format: format as "csv" | "jsonl" } : {}),
      ...(optString(input, "run_name") ? { run_name: optString(input, "run_name")! } : {}),
    });
    return { job };
  });

  route("GET", "/get", async (ctx, input) => ({ job: await getBatchJob(ctx, { id: reqString(input, "id") }) }));

  route("GET", "/list", async (ctx, input) =>
    listBatchJobs(ctx, {
      model_name: optString(input, "model_name") || undefined,
      status: (optString(input, "status") || undefined) as "QUEUED" | undefined,
      max_results: optInt(input, "max_results"),
      page_token: optString(input, "page_token") || undefined,
    }),
  );

  route("POST", "/cancel", async (ctx, input) => ({ job: await cancelBatchJob(ctx, { id: reqString(input, "id") }) }));
}
