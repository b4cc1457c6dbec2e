import zlib from "node:zlib";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { logSpans, type SpanInput } from "@modelgate/core";
import type { Db } from "@modelgate/db";
import { ctxOf } from "../mlflow-route.ts";
import { toMlflowError } from "../errors.ts";
import { EMPTY_RESPONSE_PROTOBUF, OtlpError, decodeJson, decodeProtobuf, encodeStatus } from "./otlp-proto.ts";

// POST /v1/traces: OTLP/HTTP trace export (https://opentelemetry.io/docs/specs/otlp/#otlphttp),
// what the MLflow 3.x client (≥ 3.4 servers) and any OpenTelemetry SDK send. The experiment comes
// from the x-mlflow-experiment-id header. Answers and errors are in the request's encoding:
// ExportTraceServiceResponse, or google.rpc.Status with the HTTP status OTLP prescribes.

export const OTLP_TRACES_PATH = "/v1/traces";
export const EXPERIMENT_HEADER = "x-mlflow-experiment-id";
const PROTOBUF = "application/x-protobuf";
const JSON_TYPE = "application/json";

/** gRPC status codes (google.rpc.Code) per HTTP status. */
const GRPC_CODE: Record<number, number> = { 400: 3, 401: 16, 403: 7, 404: 5, 409: 6, 413: 8, 415: 3, 429: 8, 503: 14 };

const wantsJson = (req: FastifyRequest) => (req.headers["content-type"] ?? "").toLowerCase().startsWith(JSON_TYPE);

/** An OTLP error answer: google.rpc.Status in the request's encoding. */
export function sendOtlpError(req: FastifyRequest, reply: FastifyReply, status: number, message: string) {
  const code = GRPC_CODE[status] ?? (status >= 500 ? 13 : 3);
  if (wantsJson(req)) return reply.code(status).type(JSON_TYPE).send(JSON.stringify({ code, message }));
  return reply.code(status).type(PROTOBUF).send(encodeStatus(code, message));
}

function parseJson(body: Buffer): unknown {
  if (!body.length) return {};
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    throw new OtlpError("Malformed JSON in request body");
  }
}

/** The body as sent (identity) or inflated (gzip), never larger than the limit once inflated. */
function inflated(body: Buffer, encoding: string | string[] | undefined, limit: number): Buffer {
  const e = (Array.isArray(encoding) ? encoding.join(",") : (encoding ?? "")).trim().toLowerCase();
  if (e === "" || e === "identity") return body;
  if (e !== "gzip") throw Object.assign(new OtlpError(`Unsupported Content-Encoding '${e}': send gzip or none`), { statusCode: 415 });
  try {
    return zlib.gunzipSync(body, { maxOutputLength: limit });
  } catch (err) {
    if ((err as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") throw Object.assign(new OtlpError(`The inflated request body is larger than the limit of ${limit} bytes (TRACE_BODY_LIMIT)`), { statusCode: 413 });
    throw new OtlpError("The gzip-compressed body could not be inflated");
  }
}

export function registerOtlpRoutes(app: FastifyInstance, opts: { db: Db; bodyLimit: number }) {
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    // both encodings arrive as bytes: a body may be gzip-compressed (Content-Encoding: gzip, the
    // OpenTelemetry Collector's default) and is inflated before it is read
    scope.addContentTypeParser([PROTOBUF, JSON_TYPE], { parseAs: "buffer", bodyLimit: opts.bodyLimit }, (_req, body, done) => done(null, body));
    scope.addContentTypeParser("*", { parseAs: "buffer", bodyLimit: opts.bodyLimit }, (req, _body, done) =>
      done(Object.assign(new OtlpError(`Invalid Content-Type: ${req.headers["content-type"] ?? "(none)"}. Expected: ${PROTOBUF} or ${JSON_TYPE}`), { statusCode: 415 }), undefined),
    );
    scope.setErrorHandler((err, req, reply) => {
      if (err instanceof OtlpError) return sendOtlpError(req, reply, (err as { statusCode?: number }).statusCode ?? 400, err.message);
      const e = toMlflowError(err);
      if (e.status >= 500 && e.code !== "TEMPORARILY_UNAVAILABLE") req.log.error({ err }, "OTLP export failed");
      const message = e.status === 413 ? `The request body is larger than the limit of ${opts.bodyLimit} bytes (TRACE_BODY_LIMIT)` : e.message;
      return sendOtlpError(req, reply, e.status, message);
    });

    scope.post(OTLP_TRACES_PATH, { config: { errors: "otlp" }, bodyLimit: opts.bodyLimit }, async (req, reply) => {
      const experimentId = req.headers[EXPERIMENT_HEADER];
      if (typeof experimentId !== "string" || !experimentId) throw new OtlpError(`Missing the ${EXPERIMENT_HEADER} header: the experiment to log the spans to`);
      if (!Buffer.isBuffer(req.body)) throw new OtlpError("The request has no body");
      const body = inflated(req.body, req.headers["content-encoding"], opts.bodyLimit);
      const spans: SpanInput[] = wantsJson(req) ? decodeJson(parseJson(body)) : decodeProtobuf(body);
      if (!spans.length && !wantsJson(req) && body.length > 0) throw new OtlpError("Invalid OpenTelemetry protobuf format - no spans found");
      await logSpans(ctxOf(req, opts.db), experimentId, spans);
      if (wantsJson(req)) return reply.type(JSON_TYPE).send("{}");
      return reply.type(PROTOBUF).send(EMPTY_RESPONSE_PROTOBUF);
    });
  });
}
