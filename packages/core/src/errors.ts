/**
 * Domain errors carry a code from MLflow's ErrorCode enum (databricks.proto); each edge maps
 * codes to its own shape once (REST: MLflow's {error_code, message} + status; tRPC: error formatter).
 */
export type ErrorCode =
  | "INVALID_PARAMETER_VALUE"
  | "BAD_REQUEST"
  | "MALFORMED_REQUEST"
  | "RESOURCE_DOES_NOT_EXIST"
  | "RESOURCE_ALREADY_EXISTS"
  | "ENDPOINT_NOT_FOUND"
  | "PERMISSION_DENIED"
  | "UNAUTHENTICATED"
  | "INVALID_STATE"
  | "RESOURCE_CONFLICT"
  | "REQUEST_LIMIT_EXCEEDED"
  | "RESOURCE_EXHAUSTED"
  | "NOT_IMPLEMENTED"
  | "INTERNAL_ERROR"
  /** The resource exists and the caller may use it, but it cannot serve now (a model not loaded, an endpoint disabled). */
  | "TEMPORARILY_UNAVAILABLE"
  /** A request body in a format the endpoint does not read (scoring takes JSON or CSV). */
  | "UNSUPPORTED_MEDIA_TYPE"
  /** A request body larger than the endpoint accepts. */
  | "PAYLOAD_TOO_LARGE";

export class DomainError extends Error {
  override readonly name = "DomainError";
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Seconds the caller should wait before retrying (throttling). */
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

export const invalid = (message: string) => new DomainError("INVALID_PARAMETER_VALUE", message);
export const notFound = (message: string) => new DomainError("RESOURCE_DOES_NOT_EXIST", message);
export const alreadyExists = (message: string) => new DomainError("RESOURCE_ALREADY_EXISTS", message);
export const denied = (message = "Permission denied") => new DomainError("PERMISSION_DENIED", message);
export const unauthenticated = (message = "You must be signed in") => new DomainError("UNAUTHENTICATED", message);
export const unavailable = (message: string) => new DomainError("TEMPORARILY_UNAVAILABLE", message);

export function isDomainError(e: unknown): e is DomainError {
  return e instanceof DomainError || (e instanceof Error && e.name === "DomainError" && "code" in e);
}
