// What bench:tracing's phases share: the server under test (the compiled server by default), the
// OTLP parse-only ceiling, a token, the admin's credentials for the portal, and the sizes.
import { spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "@modelgate/db/embedded";
import type { Target } from "./context.ts";
import type { Endpoint } from "./mlflow-http.ts";
import type { ChildServer } from "./processes.ts";
import type { Row } from "./report.ts";

const benchDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const webDir = path.resolve(benchDir, "..");
const repoRoot = path.resolve(webDir, "../..");
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

async function waitHealthy(url: string, alive: () => boolean, logTail: () => string, timeoutMs = 180_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!alive()) throw new Error(`the server exited before it was ready:\n${logTail()}`);
    try {
      const res = await fetch(`${url}/health`);
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the server was not ready after ${timeoutMs / 1000}s:\n${logTail()}`);
}

/**
 * `node apps/web/dist/server.mjs`, as `npm start` and the image run it (both planes, pg-boss jobs,
 * artifact store under DATA_DIR), on the bench's database, with a known admin password.
 */
export async function startCompiledServer(databaseUrl: string, workDir: string, admin: { username: string; password: string }): Promise<ChildServer> {
  const port = await freePort();
  const dataDir = path.join(workDir, "data");
  fs.mkdirSync(dataDir, { recursive: true });
  const logFile = path.join(workDir, "modelgate-compiled.log");
  const out = fs.openSync(logFile, "a");
  const extra = (process.env.BENCH_CHILD_NODE_ARGS ?? "").split(" ").filter(Boolean);
  const child = spawn(process.execPath, [...extra, compiledServer], {
    cwd: repoRoot,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      HOST: "127.0.0.1",
      PORT: String(port),
      DATA_DIR: dataDir,
      AUTH_SECRET: crypto.randomBytes(24).toString("hex"),
      ADMIN_USERNAME: admin.username,
      ADMIN_PASSWORD: admin.password,
      LOG_LEVEL: "warn",
      NODE_ENV: "production",
      NEXT_TELEMETRY_DISABLED: "1",
      SHUTDOWN_DELAY_SECONDS: "0",
    },
    stdio: ["ignore", out, out],
  });
  fs.closeSync(out);
  const logTail = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8").split("\n").slice(-30).join("\n") : "");
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const killer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    await exited;
    clearTimeout(killer);
  };
  // clients use 127.0.0.1; the browser goes to localhost (portalUrl), where Auth.js expects it
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitHealthy(url, () => child.exitCode === null && child.signalCode === null, logTail);
  } catch (e) {
    await stop();
    throw e;
  }
  return { name: "modelgate-compiled", url, pid: child.pid!, stop, logTail };
}

/** The OTLP ceiling, its own process (tsx: it imports the server's TypeScript decoder). */
export async function startOtlpParseOnly(workDir: string): Promise<ChildServer> {
  const port = await freePort();
  const logFile = path.join(workDir, "otlp-parse-only.log");
  const out = fs.openSync(logFile, "a");
  const extra = (process.env.BENCH_CHILD_NODE_ARGS ?? "").split(" ").filter(Boolean);
  const child = spawn(process.execPath, [...extra, "--import", import.meta.resolve("tsx"), path.join(benchDir, "otlp-parse-only-server.ts")], {
    cwd: repoRoot,
    env: { ...process.env, PORT: String(port), NODE_ENV: "production" },
    stdio: ["ignore", out, out, "ipc"],
  });
  fs.closeSync(out);
  const logTail = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8").split("\n").slice(-30).join("\n") : "");
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(killer);
  };
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitHealthy(url, () => child.exitCode === null && child.signalCode === null, logTail, 60_000);
  } catch (e) {
    await stop();
    throw e;
  }
  return { name: "otlp-parse-only", url, pid: child.pid!, stop, logTail };
}

/** The portal's address for a browser: Next.js names the host localhost, and Auth.js wants the browser there. */
export const portalUrl = (serverUrl: string) => serverUrl.replace("//127.0.0.1:", "//localhost:");
