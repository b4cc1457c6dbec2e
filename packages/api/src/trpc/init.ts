import { initTRPC, TRPCError } from "@trpc/server";
import type { TRPC_ERROR_CODE_KEY } from "@trpc/server/rpc";
import superjson from "superjson";
import { ZodError } from "zod";
import { isDomainError, type Actor, type Ctx, type ErrorCode } from "@modelgate/core";
import type { Db } from "@modelgate/db";
import type { ServingService } from "../serving/service.ts";

export interface TrpcContext {
  db: Db;
  /** null when the request carries no valid session. */
  actor: Actor | null;
  requestId: string;
  ip?: string | undefined;
  /** The serving runtime (tests pass one; the portal finds the server's through installServingService). */
  serving?: ServingService | undefined;
}

const trpcCodeOf: Record<ErrorCode, TRPC_ERROR_CODE_KEY> = {
  INVALID_PARAMETER_VALUE: "BAD_REQUEST",
  BAD_REQUEST: "BAD_REQUEST",
  MALFORMED_REQUEST: "BAD_REQUEST",
  RESOURCE_DOES_NOT_EXIST: "NOT_FOUND",
  ENDPOINT_NOT_FOUND: "NOT_FOUND",
  RESOURCE_ALREADY_EXISTS: "CONFLICT",
  RESOURCE_CONFLICT: "CONFLICT",
  PERMISSION_DENIED: "FORBIDDEN",
  UNAUTHENTICATED: "UNAUTHORIZED",
  INVALID_STATE: "PRECONDITION_FAILED",
  REQUEST_LIMIT_EXCEEDED: "TOO_MANY_REQUESTS",
  RESOURCE_EXHAUSTED: "TOO_MANY_REQUESTS",
  NOT_IMPLEMENTED: "NOT_IMPLEMENTED",
  INTERNAL_ERROR: "INTERNAL_SERVER_ERROR",
  // the portal shows it as "cannot do that now", as it did before serving had its own code
  TEMPORARILY_UNAVAILABLE: "PRECONDITION_FAILED",
  UNSUPPORTED_MEDIA_TYPE: "UNSUPPORTED_MEDIA_TYPE",
  PAYLOAD_TOO_LARGE: "PAYLOAD_TOO_LARGE",
};

const t = initTRPC.context<TrpcContext>().create({
  transformer: superjson,
  // the one place tRPC errors are shaped: domain code kept, never a stack or SQL text
  errorFormatter({ shape, error }) {
    const domain = isDomainError(error.cause) ? error.cause : null;
    const internal = error.code === "INTERNAL_SERVER_ERROR" && !domain;
    return {
      ...shape,
      message: internal ? "Internal error" : shape.message,
      data: {
        code: shape.data.code,
        httpStatus: shape.data.httpStatus,
        domainCode: domain?.code ?? (error.cause instanceof ZodError ? "INVALID_PARAMETER_VALUE" : null),
      },
    };
  },
});

/** Maps a domain error thrown by core to a TRPCError with the same message. */
const domainErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && isDomainError(result.error.cause)) {
    const cause = result.error.cause;
    throw new TRPCError({ code: trpcCodeOf[cause.code], message: cause.message, cause });
  }
  return result;
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/** Opt-in exception to deny-by-default: callable without a session. */
export const publicProcedure = t.procedure.use(domainErrors);

/** The default: a valid, active session is required; core checks the permission itself. */
export const procedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.actor) throw new TRPCError({ code: "UNAUTHORIZED", message: "You must be signed in" });
  const core: Ctx = { db: ctx.db, actor: ctx.actor, requestId: ctx.requestId, ip: ctx.ip };
  return next({ ctx: { ...ctx, core } });
});
