import { Readable } from "node:stream";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import {
  isArtifactRequestError,
  isInvalidPath,
  isNotFound,
  joinArtifactPath,
  normalizeArtifactPath,
  PART_UPLOAD_ROUTE,
  type ArtifactStore,
  type UploadedPart,
} from "@modelgate/artifacts";
import { denied, findRun, getRun, invalid, notFound, requireExperimentLevel, unauthenticated, type Ctx, type PermissionLevel } from "@modelgate/core";
import type { Db } from "@modelgate/db";
import { mlflowRoute, toWireJson, type WireInput } from "./mlflow-route.ts";
import { optList, optString, reqInt, reqString } from "./wire.ts";

// The MLflow artifact proxy (`mlflow server --serve-artifacts`) over an ArtifactStore, plus the
// tracking-side artifacts/list. Bodies stream straight between the socket and the store: uploads
// bypass the global JSON body limit, downloads are never buffered.

const ARTIFACT_PREFIXES = ["/api/2.0/mlflow-artifacts", "/ajax-api/2.0/mlflow-artifacts"] as const;
const MLFLOW_ARTIFACTS_SCHEME = "mlflow-artifacts:";
// Artifact uploads may be any size: the body is a stream, never read into memory.
const UNLIMITED = Number.MAX_SAFE_INTEGER;

/** What the artifact routes need from the data plane's options (kept local: no import cycle). */
export interface ArtifactRouteOptions {
  db: Db;
  artifacts?: ArtifactStore | undefined;
}

export async function registerArtifactRoutes(app: FastifyInstance, opts: ArtifactRouteOptions) {
  const store = opts.artifacts;
  // Without a store the artifact endpoints answer like any unknown endpoint.
  if (!store) return;
  const { db } = opts;
  const ctxOf = (req: FastifyRequest): Ctx => {
    if (!req.actor) throw unauthenticated();
    return { db, actor: req.actor, requestId: req.id, ip: req.ip };
  };

  // Raw-body routes live in their own scope, where every content type (or none) is handed over
  // as the unread request stream.
  await app.register(async (raw) => {
    raw.removeAllContentTypeParsers();
    raw.addContentTypeParser("*", { bodyLimit: UNLIMITED }, (_req, payload, done) => done(null, payload));

    for (const prefix of ARTIFACT_PREFIXES) {
      raw.put(`${prefix}/artifacts/*`, { bodyLimit: UNLIMITED }, async (req, reply) => {
        const path = await authorizeArtifactPath(ctxOf(req), pathAfter(req, `${prefix}/artifacts/`), "EDIT");
        await storeCall(() => store.put(path, requestBody(req), lengthOf(req)));
        return sendJson(reply, {});
      });
    }

    // Part URLs handed out by mpu/create: presigned (HMAC), so no Authorization header is needed,
    // exactly like the cloud URLs the mlflow client is used to.
    raw.put(`${PART_UPLOAD_ROUTE}/*`, { bodyLimit: UNLIMITED, config: { auth: "public" } }, async (req, reply) => {
      const path = pathAfter(req, `${PART_UPLOAD_ROUTE}/`);
      const query = req.query as Record<string, unknown>;
      if (!storeCallSync(() => store.verifyPartUrl(path, query))) throw denied("Invalid or expired part upload URL");
      const etag = await storeCall(() => store.uploadPart(path, String(query.upload_id), Number(query.part_number), requestBody(req), lengthOf(req)));
      return reply.header("etag", etag).code(200).send();
    });
  });

  for (const prefix of ARTIFACT_PREFIXES) {
    app.get(`${prefix}/artifacts`, async (req, reply) => {
      const input = req.query as WireInput;
      const path = await authorizeArtifactPath(ctxOf(req), optString(input, "path") ?? "", "READ");
      const files = await storeCall(() => store.list(path));
      // MLflow leaves an empty repeated field out entirely: a missing dir lists as {}
      return sendJson(reply, files.length ? { files } : {});
    });

    app.get(`${prefix}/artifacts/*`, async (req, reply) => {
      const path = await authorizeArtifactPath(ctxOf(req), pathAfter(req, `${prefix}/artifacts/`), "READ");
      const file = await storeCall(() => store.get(path));
      const name = path.slice(path.lastIndexOf("/") + 1);
      return reply
        .header("content-type", file.contentType ?? "application/octet-stream")
        .header("content-length", file.size)
        .header("content-disposition", `attachment; filename="${name.replace(/["\\\r\n]/g, "_")}"; filename*=UTF-8''${encodeURIComponent(name)}`)
        .header("x-content-type-options", "nosniff")
        .send(file.stream);
    });

    app.delete(`${prefix}/artifacts/*`, async (req, reply) => {
      const path = await authorizeArtifactPath(ctxOf(req), pathAfter(req, `${prefix}/artifacts/`), "EDIT");
      await storeCall(() => store.delete(path));
      return sendJson(reply, {});
    });

    registerMultipartRoutes(app, store, prefix, ctxOf);
  }

  // The UI's listing: paths relative to the run's artifact root.
  mlflowRoute(app, db, "GET", "/artifacts/list", async ({ ctx, input }) => {
    const runId = optString(input, "run_id") || optString(input, "run_uuid") || reqString(input, "run_id");
    const run = await getRun(ctx, runId);
    const rootUri = run.info.artifact_uri;
    const sub = storeCallSync(() => normalizeArtifactPath(optString(input, "path") ?? ""));
    const root = storePathOf(rootUri);
    // a run logged to another location (an s3:// artifact_location) is not ours to list
    if (root === null) return { root_uri: rootUri };
    const files = await storeCall(() => store.list(joinArtifactPath(root, sub)));
    return files.length ? { root_uri: rootUri, files: files.map((f) => ({ ...f, path: joinArtifactPath(sub, f.path) })) } : { root_uri: rootUri };
  });
}

/** mpu/create, complete, abort: JSON bodies; the file is `<url path>/<basename of body.path>`. */
function registerMultipartRoutes(app: FastifyInstance, store: ArtifactStore, prefix: string, ctxOf: (req: FastifyRequest) => Ctx) {
  const target = async (req: FastifyRequest, action: string) => {
    const input = bodyOf(req);
    const dir = pathAfter(req, `${prefix}/mpu/${action}/`);
    const path = await authorizeArtifactPath(ctxOf(req), joinArtifactPath(dir, basename(reqString(input, "path"))), "EDIT");
    return { input, path };
  };

  app.post(`${prefix}/mpu/create/*`, async (req, reply) => {
    const { input, path } = await target(req, "create");
    const upload = await storeCall(() => store.createMultipartUpload(path, reqInt(input, "num_parts")));
    const origin = `${req.protocol}://${req.host}`;
    const credentials = upload.credentials.map((c) => ({ ...c, url: new URL(c.url, origin).toString() }));
    return sendJson(reply, { upload_id: upload.upload_id, credentials });
  });

  app.post(`${prefix}/mpu/complete/*`, async (req, reply) => {
    const { input, path } = await target(req, "complete");
    const parts = (optList(input, "parts") ?? []).map(readPart);
    await storeCall(() => store.completeMultipartUpload(path, reqString(input, "upload_id"), parts));
    return sendJson(reply, {});
  });

  app.post(`${prefix}/mpu/abort/*`, async (req, reply) => {
    const { input, path } = await target(req, "abort");
    await storeCall(() => store.abortMultipartUpload(path, reqString(input, "upload_id")));
    return sendJson(reply, {});
  });
}

/**
 * The permission an artifact path needs. Artifacts live at `<experiment_id>/<run_id>/artifacts/…`:
 * reading needs READ on the experiment, writing EDIT; a run must belong to the experiment its path
 * names. Paths outside that layout are not addressable through the API (404).
 */
export async function authorizeArtifactPath(ctx: Ctx, raw: string, level: PermissionLevel): Promise<string> {
  const path = storeCallSync(() => normalizeArtifactPath(raw));
  const [exp, runId, area] = path.split("/");
  if (!exp || !/^\d{1,10}$/.test(exp) || Number(exp) > 2 ** 31 - 1) throw notFound(`No artifacts at '${path}'`);
  const experimentId = Number(exp);
  if (!runId) {
    if (level !== "READ") throw notFound(`No artifacts at '${path}'`);
    await requireExperimentLevel(ctx, experimentId, level);
    return path;
  }
  const run = await findRun(ctx, runId, level);
  if (run.experimentId !== experimentId) throw notFound(`No artifacts at '${path}'`);
  // writes go under the run's artifact root only
  if (level !== "READ" && area !== "artifacts") throw notFound(`No artifacts at '${path}'`);
  return path;
}

/** `mlflow-artifacts:/1/abc/artifacts` (or `mlflow-artifacts://host/1/...`) → `1/abc/artifacts`. */
function storePathOf(uri: string): string | null {
  if (!uri.startsWith(MLFLOW_ARTIFACTS_SCHEME)) return null;
  let rest = uri.slice(MLFLOW_ARTIFACTS_SCHEME.length);
  if (rest.startsWith("//")) rest = rest.slice(rest.indexOf("/", 2) + 1 || rest.length);
  return rest.replace(/^\/+/, "");
}

/**
 * The artifact path from the raw URL (not the router's decoding): everything after `prefix`,
 * percent-decoded once. Further encodings are caught by normalizeArtifactPath.
 */
function pathAfter(req: FastifyRequest, prefix: string): string {
  const url = req.url.split("?", 1)[0]!;
  if (!url.startsWith(prefix)) throw invalid("Invalid path");
  try {
    return decodeURIComponent(url.slice(prefix.length));
  } catch {
    throw invalid("Invalid path");
  }
}

function basename(p: string): string {
  return p.slice(Math.max(p.lastIndexOf("/"), p.lastIndexOf("\\")) + 1);
}

function readPart(v: unknown): UploadedPart {
  const p = (v ?? {}) as Record<string, unknown>;
  const part_number = Number(p.part_number);
  if (!Number.isInteger(part_number) || typeof p.etag !== "string") throw invalid("Each part needs an integer part_number and a string etag");
  return { part_number, etag: p.etag, ...(typeof p.url === "string" ? { url: p.url } : {}) };
}

function bodyOf(req: FastifyRequest): WireInput {
  const b = req.body;
  if (b === undefined || b === null || b === "") return {};
  if (typeof b !== "object" || Array.isArray(b)) throw invalid("The request body must be a JSON object");
  return b as WireInput;
}

/** The unread request stream; no body at all (Content-Length: 0) is an empty file. */
function requestBody(req: FastifyRequest): Readable {
  return req.body instanceof Readable ? req.body : Readable.from([]);
}

function lengthOf(req: FastifyRequest): { contentLength?: number } {
  const n = Number(req.headers["content-length"]);
  return req.headers["content-length"] !== undefined && Number.isSafeInteger(n) && n >= 0 ? { contentLength: n } : {};
}

function sendJson(reply: FastifyReply, body: unknown) {
  return reply.type("application/json").send(toWireJson(body));
}

/** Store errors → domain errors (the edge maps those to MLflow's codes once). */
function mapStoreError(e: unknown): unknown {
  if (isInvalidPath(e)) return invalid("Invalid path");
  if (isNotFound(e)) return notFound(`Artifact not found: ${e.path}`);
  if (isArtifactRequestError(e)) return invalid(e.message);
  return e;
}

async function storeCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw mapStoreError(e);
  }
}

function storeCallSync<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw mapStoreError(e);
  }
}
