// Child processes under test: the Modelgate server (as `npm start` runs it, or its data plane
// alone) and the parse-only ceiling. Each is a plain `node --import tsx <file>` process, so its pid
// is the server itself (what the memory sampler reads), not a wrapper.
import { spawn, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "@modelgate/db/embedded";

const benchDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const webDir = path.resolve(benchDir, "..");
export const repoRoot = path.resolve(webDir, "../..");

export type ServerMode = "full" | "data-plane";

export interface ChildServer {
  name: string;
  url: string;
  pid: number;
  stop: () => Promise<void>;
  logTail: () => string;
}

export const hasPortalBuild = () => fs.existsSync(path.join(webDir, ".next", "BUILD_ID"));

async function waitReady(url: string, child: ChildProcess, name: string, log: () => string, timeoutMs = 180_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode} before it was ready:\n${log()}`);
    try {
      const res = await fetch(`${url}/health`);
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${name} was not ready after ${timeoutMs / 1000}s:\n${log()}`);
}

/**
 * A server under test on a free port, its output in `<logDir>/<name>.log`, ready once /health
 * answers. `ipc`: only for the bench's own scripts, which exit when the channel closes (Next.js
 * reacts to process.send). A `.mjs` script (the compiled server) runs on plain node, others under tsx.
 */
export async function startChild(name: string, script: string, env: Record<string, string>, logDir: string, ipc: boolean): Promise<ChildServer> {
  const port = await freePort();
  const logFile = path.join(logDir, `${name}.log`);
  const out = fs.openSync(logFile, "a");
  // BENCH_CHILD_NODE_ARGS: extra node flags for the servers under test (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof")
  const extra = (process.env.BENCH_CHILD_NODE_ARGS ?? "").split(" ").filter(Boolean);
  const loader = script.endsWith(".mjs") ? [] : ["--import", import.meta.resolve("tsx")];
  const child = spawn(process.execPath, [...extra, ...loader, script], {
    cwd: repoRoot,
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ipc ? ["ignore", out, out, "ipc"] : ["ignore", out, out],
  });
  fs.closeSync(out);
  const logTail = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8").split("\n").slice(-30).join("\n") : "");
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const killer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    await exited;
    clearTimeout(killer);
  };
  try {
    await waitReady(url, child, name, logTail);
  } catch (e) {
    await stop();
    throw e;
  }
  return { name, url, pid: child.pid!, stop, logTail };
}

/**
 * "full": apps/web/server/main.ts, the process `npm start` runs after its build check (both
 * planes; the data plane is reached through the same http server and path dispatch).
 * "data-plane": createDataPlaneApp alone (bench/data-plane-server.ts).
 */
export function startModelgate(mode: ServerMode, databaseUrl: string, workDir: string, { serving = false, artifacts = false }: { serving?: boolean; artifacts?: boolean } = {}): Promise<ChildServer> {
  const dataDir = path.join(workDir, "data");
  fs.mkdirSync(dataDir, { recursive: true });
  const env = {
    DATABASE_URL: databaseUrl,
    HOST: "127.0.0.1",
    DATA_DIR: dataDir,
    AUTH_SECRET: crypto.randomBytes(24).toString("hex"),
    ADMIN_PASSWORD: crypto.randomBytes(12).toString("hex"),
    LOG_LEVEL: "warn",
    NODE_ENV: "production",
    NEXT_TELEMETRY_DISABLED: "1",
    // bench:serving: the data-plane server wires the artifact store, serving runtime and batch
    // worker as server/main.ts does (main.ts always does; its artifacts go under DATA_DIR)
    ...(serving ? { BENCH_SERVING: "1" } : {}),
    ...(artifacts ? { BENCH_ARTIFACTS: "1" } : {}),
  };
  const script = mode === "full" ? path.join(webDir, "server", "main.ts") : path.join(benchDir, "data-plane-server.ts");
  return startChild(`modelgate-${mode}`, script, env, workDir, mode === "data-plane");
}

export function startParseOnly(workDir: string): Promise<ChildServer> {
  return startChild("parse-only", path.join(benchDir, "parse-only-server.ts"), {}, workDir, true);
}

/** bench:serving's ceiling: parses scoring requests like the real route, answers without scoring. */
export function startScoringParseOnly(workDir: string): Promise<ChildServer> {
  return startChild("serving-parse-only", path.join(benchDir, "serving-parse-only-server.ts"), {}, workDir, true);
}
