import { Readable } from "node:stream";
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
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
import { artifactStorePath, authorizeArtifactPath, logTraceData, denied, findRun, getLoggedModel, invalid, notFound, type Ctx, type PermissionLevel } from "@modelgate/core";
import type { Db } from "@modelgate/db";
import { MLFLOW_PREFIXES, ctxOf, mlflowRoute, pathParam } from "./mlflow-route.ts";
import { runIdOf } from "./tracking/fields.ts";
import { optList, optString, reqInt, reqString } from "./wire.ts";

// The MLflow artifact proxy (`mlflow server --serve-artifacts`) over an ArtifactStore, plus the
// tracking-side listings of a run's and (MLflow 3) a logged model's files. Bodies stream straight between the socket and the store: uploads
// bypass the global JSON body limit, downloads are never buffered.

// mlflowRoute serves `/api/2.0/mlflow<path>` (and /ajax-api); the proxy sits beside it at
// `/api/2.0/mlflow-artifacts/...`.
const PROXY = "-artifacts";
const PROXY_PREFIXES = MLFLOW_PREFIXES.map((p) => `${p}${PROXY}`);
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

  await app.register(async (scope) => {
    // Store errors become domain errors here, once; the data plane's handler maps those to MLflow's.
    scope.setErrorHandler((err) => {
      throw toDomainError(err);
    });

    // Raw-body routes live in their own scope, where every content type (or none) is handed over
    // as the unread request stream.
    await scope.register(async (raw) => {
      raw.removeAllContentTypeParsers();
      raw.addContentTypeParser("*", { bodyLimit: UNLIMITED }, (_req, payload, done) => done(null, payload));

      for (const prefix of PROXY_PREFIXES) {
        raw.put(`${prefix}/artifacts/*`, { bodyLimit: UNLIMITED }, async (req, reply) => {
          const ctx = ctxOf(req, db);
          const path = await authorizedPath(ctx, pathAfter(req), "EDIT");
          await store.put(path, requestBody(req), lengthOf(req));
          await indexTraceData(ctx, store, path, req.log);
          return sendEmptyJson(reply);
        });
      }

      // Part URLs handed out by mpu/create: presigned (HMAC), so no Authorization header is needed,
      // exactly like the cloud URLs the mlflow client is used to.
      raw.put(`${PART_UPLOAD_ROUTE}/*`, { bodyLimit: UNLIMITED, config: { auth: "public" } }, async (req, reply) => {
        const path = pathAfter(req);
        const query = req.query as Record<string, unknown>;
        if (!store.verifyPartUrl(path, query)) throw denied("Invalid or expired part upload URL");
        const etag = await store.uploadPart(path, String(query.upload_id), Number(query.part_number), requestBody(req), lengthOf(req));
        return reply.header("etag", etag).code(200).send();
      });
    });

    for (const prefix of PROXY_PREFIXES) {
      scope.get(`${prefix}/artifacts/*`, async (req, reply) => sendFile(reply, store, await authorizedPath(ctxOf(req, db), pathAfter(req), "READ")));

      scope.delete(`${prefix}/artifacts/*`, async (req, reply) => {
        const path = await authorizedPath(ctxOf(req, db), pathAfter(req), "EDIT");
        await store.delete(path);
        return sendEmptyJson(reply);
      });
    }

    mlflowRoute(scope, db, "GET", `${PROXY}/artifacts`, async ({ ctx, input }) => {
      const files = await store.list(await authorizedPath(ctx, optString(input, "path") ?? "", "READ"));
      // MLflow leaves an empty repeated field out entirely: a missing dir lists as {}
      return files.length ? { files } : {};
    });

    // mpu/create, complete, abort: the file is `<url path>/<basename of body.path>`.
    const mpuTarget = (ctx: Ctx, req: FastifyRequest, input: Record<string, unknown>) =>
      authorizedPath(ctx, joinArtifactPath(pathAfter(req), basename(reqString(input, "path"))), "EDIT");

    mlflowRoute(scope, db, "POST", `${PROXY}/mpu/create/*`, async ({ ctx, input, req }) => {
      const path = await mpuTarget(ctx, req, input);
      const upload = await store.createMultipartUpload(path, reqInt(input, "num_parts"));
      const origin = `${req.protocol}://${req.host}`;
      return { upload_id: upload.upload_id, credentials: upload.credentials.map((c) => ({ ...c, url: new URL(c.url, origin).toString() })) };
    });

    mlflowRoute(scope, db, "POST", `${PROXY}/mpu/complete/*`, async ({ ctx, input, req }) => {
      const path = await mpuTarget(ctx, req, input);
      const parts = (optList(input, "parts") ?? []).map(readPart);
      await store.completeMultipartUpload(path, reqString(input, "upload_id"), parts);
    });

    mlflowRoute(scope, db, "POST", `${PROXY}/mpu/abort/*`, async ({ ctx, input, req }) => {
      const path = await mpuTarget(ctx, req, input);
      await store.abortMultipartUpload(path, reqString(input, "upload_id"));
    });

    /**
     * A listing under a run's or a logged model's root, paths relative to that root. A root in
     * another location (an s3:// artifact_location) is not ours to list; the same rule as every
     * other artifact route applies, so a root pointing elsewhere is refused.
     */
    const listUnder = async (ctx: Ctx, rootUri: string, rawSub: string) => {
      const sub = normalizeArtifactPath(rawSub);
      const root = artifactStorePath(rootUri);
      if (root === null) return { root_uri: rootUri };
      const files = await store.list(await authorizedPath(ctx, joinArtifactPath(root, sub), "READ"));
      return files.length ? { root_uri: rootUri, files: files.map((f) => ({ ...f, path: joinArtifactPath(sub, f.path) })) } : { root_uri: rootUri };
    };

    // The UI's listing of a run.
    // the run's root from the one access query every run read starts with (no whole view loaded)
    mlflowRoute(scope, db, "GET", "/artifacts/list", async ({ ctx, input }) => listUnder(ctx, (await findRun(ctx, runIdOf(input), "READ")).artifactUri, optString(input, "path") ?? ""));

    // MLflow 3's ListLoggedModelArtifacts, and the UI's download of one of a logged model's files.
    mlflowRoute(scope, db, "GET", "/logged-models/:model_id/artifacts/directories", async ({ ctx, input, req }) =>
      listUnder(ctx, (await getLoggedModel(ctx, pathParam(req, "model_id"))).info.artifact_uri, optString(input, "artifact_directory_path") ?? ""),
    );
    mlflowRoute(scope, db, "GET", "/logged-models/:model_id/artifacts/files", async ({ ctx, input, req, reply }) => {
      const rel = normalizeArtifactPath(reqString(input, "artifact_file_path"));
      const root = artifactStorePath((await getLoggedModel(ctx, pathParam(req, "model_id"))).info.artifact_uri);
      if (root === null || !rel) throw invalid(`Cannot download '${rel}': the model's files are not in this server's artifact store`);
      return sendFile(reply, store, await authorizedPath(ctx, joinArtifactPath(root, rel), "READ"));
    });
  });
}

/** A stored file as a download, streamed. */
async function sendFile(reply: FastifyReply, store: ArtifactStore, path: string) {
  const file = await store.get(path);
  const name = path.slice(path.lastIndexOf("/") + 1);
  return reply
    .header("content-type", file.contentType ?? "application/octet-stream")
    .header("content-length", file.size)
    .header("content-disposition", `attachment; filename="${name.replace(/["\\\r\n]/g, "_")}"; filename*=UTF-8''${encodeURIComponent(name)}`)
    .header("x-content-type-options", "nosniff")
    .send(file.stream);
}

/** Normalises (path safety, in the store package) and then asks core whether `level` is allowed. */
async function authorizedPath(ctx: Ctx, raw: string, level: PermissionLevel): Promise<string> {
  const path = normalizeArtifactPath(raw);
  await authorizeArtifactPath(ctx, path, level);
  return path;
}

/**
 * The artifact path from the raw URL (not the router's decoding): whatever the route's `*` matched,
 * percent-decoded once. Further encodings are caught by normalizeArtifactPath.
 */
function pathAfter(req: FastifyRequest): string {
  const prefix = req.routeOptions.url!.slice(0, -"*".length);
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

/** The unread request stream; no body at all (Content-Length: 0) is an empty file. */
function requestBody(req: FastifyRequest): Readable {
  return req.body instanceof Readable ? req.body : Readable.from([]);
}

function lengthOf(req: FastifyRequest): { contentLength?: number } {
  const n = Number(req.headers["content-length"]);
  return req.headers["content-length"] !== undefined && Number.isSafeInteger(n) && n >= 0 ? { contentLength: n } : {};
}

function sendEmptyJson(reply: FastifyReply) {
  return reply.type("application/json").send("{}");
}

/** Store errors → domain errors; anything else passes through unchanged. */
function toDomainError(e: unknown): unknown {
  if (isInvalidPath(e)) return invalid("Invalid path");
  if (isNotFound(e)) return notFound(`Artifact not found: ${e.path}`);
  if (isArtifactRequestError(e)) return invalid(e.message);
  return e;
}

/** `<experiment>/traces/<trace id>/artifacts/traces.json`: the spans a 2.x client uploads. */
const TRACE_DATA = /^\d+\/traces\/([^/]+)\/artifacts\/traces\.json$/;
const TRACE_DATA_LIMIT = 64 * 1024 * 1024;

/**
 * After a 2.x client uploads a trace's spans as traces.json, the spans are also stored with the
 * trace (core logTraceData), so search and the portal see them. The upload has succeeded either
 * way: the file is the client's copy, and a file this cannot read is only logged.
 */
async function indexTraceData(ctx: Ctx, store: ArtifactStore, path: string, log: FastifyBaseLogger) {
  const m = TRACE_DATA.exec(path);
  if (!m) return;
  try {
    const obj = await store.get(path);
    if (obj.size > TRACE_DATA_LIMIT) return;
    const chunks: Buffer[] = [];
    for await (const c of obj.stream) chunks.push(Buffer.from(c as Uint8Array));
    await logTraceData(ctx, m[1]!, JSON.parse(Buffer.concat(chunks).toString("utf8")));
  } catch (err) {
    log.warn({ err, path }, "trace data not indexed");
  }
}
