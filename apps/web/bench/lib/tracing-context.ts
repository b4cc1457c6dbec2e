// What bench:tracing's phases share: the server under test (the compiled server by default), the
// OTLP parse-only ceiling, a token, the admin's credentials for the portal, and the sizes.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Target } from "./context.ts";
import type { Endpoint } from "./mlflow-http.ts";
import { startChild, type ChildServer } from "./processes.ts";
import type { Row } from "./report.ts";

const benchDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const webDir = path.resolve(benchDir, "..");
export const compiledServer = path.join(webDir, "dist", "server.mjs");

export interface TracingSizes {
  /** Modelgate's measured ingest, split in rounds alternating with the ceiling's. */
  ingestRounds: number;
  ingestRoundMs: number;
  ceilingRoundMs: number;
  warmupMs: number;
  searchTraces: number;
  searchCalls: number;
  /** The deep page: after following this many page tokens. */
  deepPage: number;
  deepCalls: number;
  pageSpans: number;
  pageLoads: number;
}

export const TRACING_FULL_SIZES: TracingSizes = { ingestRounds: 2, ingestRoundMs: 12_000, ceilingRoundMs: 6_000, warmupMs: 3_000, searchTraces: 100_000, searchCalls: 200, deepPage: 100, deepCalls: 50, pageSpans: 2_000, pageLoads: 5 };
export const TRACING_QUICK_SIZES: TracingSizes = { ingestRounds: 1, ingestRoundMs: 3_000, ceilingRoundMs: 2_000, warmupMs: 1_000, searchTraces: 10_000, searchCalls: 20, deepPage: 10, deepCalls: 10, pageSpans: 500, pageLoads: 2 };

export interface TracingContext {
  api: Endpoint;
  server: ChildServer;
  /** The portal's admin (only with the compiled server, which creates it). */
  admin: { username: string; password: string } | null;
  mode: "full" | "data-plane";
  ceiling: ChildServer | null;
  databaseUrl: string;
  sizes: TracingSizes;
  stamp: string;
  log: (line: string) => void;
}

export interface TracingPhase {
  targets: (sizes: TracingSizes) => Target[];
  run: (ctx: TracingContext) => Promise<Row[]>;
}

/**
 * `node apps/web/dist/server.mjs`, as `npm start` and the image run it (both planes, pg-boss jobs,
 * artifact store under DATA_DIR), on the bench's database, with a known admin password.
 */
export async function startCompiledServer(databaseUrl: string, workDir: string, admin: { username: string; password: string }): Promise<ChildServer> {
  const dataDir = path.join(workDir, "data");
  fs.mkdirSync(dataDir, { recursive: true });
  const env = {
    DATABASE_URL: databaseUrl,
    HOST: "127.0.0.1",
    DATA_DIR: dataDir,
    AUTH_SECRET: crypto.randomBytes(24).toString("hex"),
    ADMIN_USERNAME: admin.username,
    ADMIN_PASSWORD: admin.password,
    LOG_LEVEL: "warn",
    NODE_ENV: "production",
    NEXT_TELEMETRY_DISABLED: "1",
    SHUTDOWN_DELAY_SECONDS: "0",
  };
  // clients use 127.0.0.1; the browser goes to localhost (portalUrl), where Auth.js expects it
  return startChild("modelgate-compiled", compiledServer, env, workDir, false);
}

/** The OTLP ceiling, its own process (tsx: it imports the server's TypeScript decoder). */
export function startOtlpParseOnly(workDir: string): Promise<ChildServer> {
  return startChild("otlp-parse-only", path.join(benchDir, "otlp-parse-only-server.ts"), { NODE_ENV: "production" }, workDir, true);
}

/** The portal's address for a browser: Next.js names the host localhost, and Auth.js wants the browser there. */
export const portalUrl = (serverUrl: string) => serverUrl.replace("//127.0.0.1:", "//localhost:");
