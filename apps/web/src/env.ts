import { z } from "zod";

/**
 * The app's environment, validated in one place. The custom server fills in what it derives
 * (embedded DATABASE_URL, generated AUTH_SECRET, absolute DATA_DIR) before Next.js loads, so
 * server code in both planes reads the same values.
 */
const schema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("production"),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default("0.0.0.0"),
  DATABASE_URL: z.string().url().optional(),
  DATA_DIR: z.string().default(".data"),
  AUTH_SECRET: z.string().min(16).optional(),
  /** Key for webhook secrets at rest: 64 hex characters or base64 of 32 bytes; derived from AUTH_SECRET when unset. */
  WEBHOOK_SECRET_KEY: z.string().optional(),
  ADMIN_USERNAME: z.string().default("admin"),
  ADMIN_PASSWORD: z.string().optional(),
  /** Largest accepted request body on the data plane, in bytes. */
  BODY_LIMIT: z.coerce.number().int().min(1024).default(32 * 1024 * 1024),
  /** Largest accepted scoring request body (POST /serving-endpoints/<name>/invocations), in bytes. */
  SERVING_BODY_LIMIT: z.coerce.number().int().min(1024).default(16 * 1024 * 1024),
  /** Largest accepted OTLP trace export (POST /v1/traces), in bytes; larger ones get 413. */
  TRACE_BODY_LIMIT: z.coerce.number().int().min(1024).default(32 * 1024 * 1024),
  /** How often the trace retention job deletes traces past their experiment's retention, in minutes. */
  TRACE_RETENTION_INTERVAL_MINUTES: z.coerce.number().int().min(1).max(1440).default(60),
  /** Behind a reverse proxy: take the client address from X-Forwarded-For. */
  TRUST_PROXY: z.stringbool().default(false),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("warn"),
  /** Where artifact bytes go: a directory (default `<DATA_DIR>/artifacts`) or `s3://bucket/prefix`. */
  ARTIFACTS_DESTINATION: z.string().optional(),
  /** An S3-compatible server (MinIO) for `s3://` destinations; the AWS SDK reads AWS_* credentials itself. */
  MLFLOW_S3_ENDPOINT_URL: z.string().url().optional(),
  /** What a user may do on experiments nobody granted them anything on (NONE hides them). */
  DEFAULT_EXPERIMENT_PERMISSION: z.enum(["READ", "EDIT", "MANAGE", "NONE"]).default("READ"),
  /** What a user may do on registered models nobody granted them anything on (NONE hides them). */
  DEFAULT_MODEL_PERMISSION: z.enum(["READ", "EDIT", "MANAGE_STAGING_VERSIONS", "MANAGE_PRODUCTION_VERSIONS", "MANAGE", "NONE"]).default("READ"),
  /**
   * Connections this replica's main pool may open (the job queue keeps up to 5 more, credential
   * notifications one): replicas x (DATABASE_POOL_MAX + 6) must stay under PostgreSQL's max_connections.
   */
  DATABASE_POOL_MAX: z.coerce.number().int().min(2).max(500).default(10),
  /** The identity provider (OpenID Connect issuer URL; discovery at /.well-known/openid-configuration). */
  OIDC_ISSUER: z.string().url().optional(),
  /** Single sign-on: the confidential client registered at the issuer (redirect URI <base URL>/api/auth/callback/oidc). */
  OIDC_CLIENT_ID: z.string().min(1).optional(),
  OIDC_CLIENT_SECRET: z.string().min(1).optional(),
  /** The sign-in button's label. */
  OIDC_NAME: z.string().min(1).default("SSO"),
  OIDC_SCOPES: z.string().min(1).default("openid email profile"),
  /** The claim with the user's group names (ID token or userinfo). */
  OIDC_GROUPS_CLAIM: z.string().min(1).default("groups"),
  /** Comma list: members are admins (and lose admin when removed). */
  OIDC_ADMIN_GROUPS: z.string().default(""),
  /** Comma list: when set, only members may sign in. */
  OIDC_ALLOWED_GROUPS: z.string().default(""),
  /** Link a local account to the single sign-on account with the same verified email. */
  OIDC_LINK_LOCAL_BY_EMAIL: z.stringbool().default(false),
  /** false: no password form in the portal, and passwords refused on the API except the first admin's (tokens keep working). */
  PASSWORD_SIGN_IN: z.stringbool().default(true),
  /** Workload identity: JWTs the issuer signs for this audience are accepted as bearer credentials (service users). */
  OIDC_WORKLOAD_AUDIENCE: z.string().min(1).optional(),
  /** Bearer token of the identity provider's SCIM client: enables provisioning at /scim/v2 (unset: off). */
  SCIM_TOKEN: z.string().min(24, "SCIM_TOKEN must be at least 24 characters").optional(),
  /** At start: how long to wait for PostgreSQL to accept connections before giving up. */
  DATABASE_WAIT_SECONDS: z.coerce.number().min(0).max(3600).default(60),
  /** Apply pending migrations at start (false when a separate step applies them, e.g. a Kubernetes init container). */
  MIGRATE_ON_START: z.stringbool().default(true),
  /** On SIGTERM: seconds to keep serving while /ready says 503, so load balancers stop sending here first. */
  SHUTDOWN_DELAY_SECONDS: z.coerce.number().min(0).max(300).default(5),
  /** On SIGTERM, after the delay: at most this many seconds for the requests in flight to finish. */
  DRAIN_TIMEOUT_SECONDS: z.coerce.number().min(0).max(3600).default(20),
  /** Start although AUTH_SECRET differs from the one recorded by earlier replicas (a deliberate rotation). */
  ACCEPT_NEW_AUTH_SECRET: z.stringbool().default(false),
});

export type Env = z.infer<typeof schema>;

export function readEnv(source: Record<string, string | undefined> = process.env): Env {
  const blankless = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== ""));
  const r = schema.safeParse(blankless);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`).join("\n");
    throw new Error(`Invalid environment:\n${lines}`);
  }
  return r.data;
}

const commaList = (v: string) => v.split(",").map((x) => x.trim()).filter(Boolean);

/** Single sign-on settings, when OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET are all set. */
export function oidcSettings(env: Env) {
  if (!env.OIDC_ISSUER || !env.OIDC_CLIENT_ID || !env.OIDC_CLIENT_SECRET) return undefined;
  return {
    issuer: env.OIDC_ISSUER,
    clientId: env.OIDC_CLIENT_ID,
    clientSecret: env.OIDC_CLIENT_SECRET,
    name: env.OIDC_NAME,
    scopes: env.OIDC_SCOPES,
    groupsClaim: env.OIDC_GROUPS_CLAIM,
    policy: { adminGroups: commaList(env.OIDC_ADMIN_GROUPS), allowedGroups: commaList(env.OIDC_ALLOWED_GROUPS), linkLocalByEmail: env.OIDC_LINK_LOCAL_BY_EMAIL },
  };
}

/** For code running inside Next.js: the server has set these before Next was loaded. */
export function runtimeEnv() {
  const env = readEnv();
  if (!env.DATABASE_URL || !env.AUTH_SECRET) {
    throw new Error("DATABASE_URL and AUTH_SECRET must be set: start the portal with `npm start` (the custom server sets them)");
  }
  return { ...env, DATABASE_URL: env.DATABASE_URL, AUTH_SECRET: env.AUTH_SECRET };
}
