// Replicas of the built server (node dist/server.mjs) behind a real HAProxy, as production runs
// them: one database, one AUTH_SECRET, one artifact destination. Used by the replicas integration
// test and by the rolling-restart benchmark.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "@modelgate/db/embedded";

const appDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const serverEntry = path.join(appDir, "dist", "server.mjs");

/** The built server and portal: built here when missing (`npm test` builds them before the integration tests). */
export async function ensureBuilt(): Promise<void> {
  if (!fs.existsSync(path.join(appDir, ".next", "BUILD_ID"))) {
    const next = path.resolve(appDir, "../../node_modules/next/dist/bin/next");
    const r = spawnSync(process.execPath, [next, "build"], { cwd: appDir, stdio: "inherit", env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", NODE_ENV: "production" } });
    if (r.status !== 0) throw new Error("next build failed");
  }
  // the server bundle is quick to make: always from the current sources
  const { buildServer } = (await import(path.join(appDir, "server", "build.mjs"))) as { buildServer: (o: { quiet: boolean }) => Promise<void> };
  await buildServer({ quiet: true });
}

export function haproxyBinary(): string {
  for (const p of ["/usr/sbin/haproxy", "/usr/bin/haproxy", "/usr/local/sbin/haproxy"]) if (fs.existsSync(p)) return p;
  throw new Error("HAProxy is not installed (Debian: apt-get install haproxy; .ci/run installs it)");
}

export interface Replica {
  name: string;
  port: number;
  url: string;
  /** Everything the process printed, line by line, across its restarts. */
  output: string[];
  process: ChildProcess | null;
  /** Exit codes of its earlier processes, in order. */
  exits: (number | null)[];
}

export interface ClusterOptions {
  databaseUrl: string;
  replicas?: number;
  /** Shared by every replica unless overridden per replica. */
  authSecret?: string;
  env?: Record<string, string>;
}

export interface Cluster {
  /** The balancer's URL: what clients use. */
  url: string;
  replicas: Replica[];
  adminPassword: string;
  authSecret: string;
  artifactsDir: string;
  /** Starts (or starts again) one replica; resolves when it is ready. */
  start(r: Replica, env?: Record<string, string>): Promise<void>;
  /** SIGTERM, then waits for the exit; resolves with the exit code. */
  stop(r: Replica): Promise<number | null>;
  /** Starts a process of the server that is expected to fail; resolves with its exit code and output. */
  startExpectingFailure(env: Record<string, string>, timeoutMs?: number): Promise<{ code: number | null; output: string }>;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function waitFor(what: string, fn: () => Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await fn().catch(() => false)) return;
    await sleep(100);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

function haproxyConfig(port: number, replicas: Replica[]): string {
  return [
    "global",
    "  maxconn 2000",
    "defaults",
    "  mode http",
    "  timeout connect 2s",
    "  timeout client 120s",
    "  timeout server 120s",
    // the retry policy of deploy/compose/haproxy.cfg: a refused connection is retried on the other
    // replica for any request; a request already sent is re-sent only if it is a GET (a POST is
    // never replayed), so zero failures here come from the drain, not from replays
    "  retries 3",
    "  option redispatch 1",
    "  retry-on conn-failure empty-response response-timeout",
    "frontend modelgate",
    `  bind 127.0.0.1:${port}`,
    "  default_backend replicas",
    "backend replicas",
    "  balance roundrobin",
    "  http-request disable-l7-retry unless METH_GET || METH_OPTIONS",
    "  option httpchk GET /ready",
    "  http-check expect status 200",
    "  default-server inter 500ms fall 1 rise 2",
    ...replicas.map((r) => `  server ${r.name} 127.0.0.1:${r.port} check`),
    "",
  ].join("\n");
}

export async function startCluster(opts: ClusterOptions): Promise<Cluster> {
  const n = opts.replicas ?? 2;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "modelgate-replicas-"));
  const artifactsDir = path.join(tmp, "artifacts");
  const adminPassword = `adm-${crypto.randomBytes(12).toString("base64url")}`;
  const authSecret = opts.authSecret ?? crypto.randomBytes(32).toString("base64url");
  const replicas: Replica[] = [];
  for (let i = 0; i < n; i++) {
    const port = await freePort();
    replicas.push({ name: `r${i + 1}`, port, url: `http://127.0.0.1:${port}`, output: [], process: null, exits: [] });
  }
  const baseEnv = (dataDir: string): NodeJS.ProcessEnv => ({
    ...process.env,
    NODE_ENV: "production",
    HOST: "127.0.0.1",
    DATABASE_URL: opts.databaseUrl,
    AUTH_SECRET: authSecret,
    ADMIN_USERNAME: "admin",
    ADMIN_PASSWORD: adminPassword,
    DATA_DIR: dataDir,
    ARTIFACTS_DESTINATION: artifactsDir,
    SHUTDOWN_DELAY_SECONDS: "2",
    DRAIN_TIMEOUT_SECONDS: "15",
    LOG_LEVEL: "warn",
    ...opts.env,
  });
  const spawnServer = (env: NodeJS.ProcessEnv, output: string[]) => {
    const child = spawn(process.execPath, [serverEntry], { env, stdio: ["ignore", "pipe", "pipe"] });
    for (const stream of [child.stdout!, child.stderr!]) {
      let rest = "";
      stream.on("data", (chunk: Buffer) => {
        const lines = (rest + chunk.toString("utf8")).split("\n");
        rest = lines.pop() ?? "";
        output.push(...lines);
      });
    }
    return child;
  };
  const start = async (r: Replica, env: Record<string, string> = {}) => {
    const dataDir = path.join(tmp, r.name);
    fs.mkdirSync(dataDir, { recursive: true });
    const child = spawnServer({ ...baseEnv(dataDir), PORT: String(r.port), ...env }, r.output);
    r.process = child;
    let exited = false;
    child.once("exit", (code) => {
      exited = true;
      r.exits.push(code);
      if (r.process === child) r.process = null;
    });
    await waitFor(`${r.name} to be ready`, async () => {
      if (exited) throw new Error(`${r.name} exited while starting:\n${r.output.slice(-30).join("\n")}`);
      return (await fetch(`${r.url}/ready`)).ok;
    }, 180_000).catch((e: unknown) => {
      if (exited) throw new Error(`${r.name} exited while starting:\n${r.output.slice(-30).join("\n")}`);
      throw e;
    });
  };
  const stop = async (r: Replica) => {
    const child = r.process;
    if (!child) return r.exits.at(-1) ?? null;
    const done = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    child.kill("SIGTERM");
    return done;
  };
  const startExpectingFailure = async (env: Record<string, string>, timeoutMs = 60_000) => {
    const output: string[] = [];
    const dataDir = path.join(tmp, `fail-${crypto.randomBytes(3).toString("hex")}`);
    const child = spawnServer({ ...baseEnv(dataDir), PORT: String(await freePort()), ...env }, output);
    const code = await Promise.race([
      new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c))),
      sleep(timeoutMs).then(() => {
        child.kill("SIGKILL");
        return -1;
      }),
    ]);
    return { code, output: output.join("\n") };
  };

  let haproxy: ChildProcess | null = null;
  const close = async () => {
    await Promise.all(replicas.map((r) => stop(r)));
    if (haproxy) {
      const h = haproxy;
      const gone = new Promise((resolve) => h.once("exit", resolve));
      h.kill("SIGTERM");
      await gone;
    }
    fs.rmSync(tmp, { recursive: true, force: true });
  };
  try {
    // every replica at the same moment, as a rollout or `compose up --scale` starts them
    await Promise.all(replicas.map((r) => start(r)));
    const lbPort = await freePort();
    const cfg = path.join(tmp, "haproxy.cfg");
    fs.writeFileSync(cfg, haproxyConfig(lbPort, replicas));
    const lbOutput: string[] = [];
    haproxy = spawn(haproxyBinary(), ["-f", cfg, "-db"], { stdio: ["ignore", "pipe", "pipe"] });
    haproxy.stdout!.on("data", (c: Buffer) => lbOutput.push(c.toString()));
    haproxy.stderr!.on("data", (c: Buffer) => lbOutput.push(c.toString()));
    const url = `http://127.0.0.1:${lbPort}`;
    await waitFor("HAProxy to send requests to the replicas", async () => (await fetch(`${url}/ready`)).ok, 30_000).catch((e: unknown) => {
      throw new Error(`${(e as Error).message}\n${lbOutput.join("")}`);
    });
    return { url, replicas, adminPassword, authSecret, artifactsDir, start, stop, startExpectingFailure, close };
  } catch (e) {
    await close().catch(() => {});
    throw e;
  }
}
