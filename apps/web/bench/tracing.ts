// `npm run bench:tracing`: GenAI tracing through HTTP. OTLP/HTTP protobuf ingest from 4 exporters
// next to a parse-only ceiling measured in the same run, trace search over 100,000 traces with tag
// filters, and the portal's trace page on a 2,000-span trace in Chromium. Prints target vs
// measured and exits 1 on a miss.
//
//   --only=ingest,search,page      run some phases
//   --server=full|data-plane       node apps/web/dist/server.mjs, the compiled server `npm start`
//                                  runs (default; built first when missing, as bench:rolling does),
//                                  or the data-plane app alone (bench/data-plane-server.ts: no
//                                  portal, so no page phase)
//   --quick                        small sizes to try the bench out (never passes)
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { ensureBuilt } from "../test/replica-cluster.ts";
import { benchToken } from "./lib/bench-token.ts";
import { arg, errorText, exitWith, finish, log, logMachine, runPhases, secondsSince, unmeasured, withBenchEnv } from "./lib/harness.ts";
import { startModelgate, type ChildServer } from "./lib/processes.ts";
import { TRACING_FULL_SIZES, TRACING_QUICK_SIZES, startCompiledServer, startOtlpParseOnly, type TracingContext, type TracingPhase } from "./lib/tracing-context.ts";
import { tracingIngestPhase } from "./phases/tracing-ingest.ts";
import { tracingPagePhase } from "./phases/tracing-page.ts";
import { tracingSearchPhase } from "./phases/tracing-search.ts";

const PHASES: Record<string, TracingPhase> = { ingest: tracingIngestPhase, search: tracingSearchPhase, page: tracingPagePhase };
const webDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const TRACE_PAGE_SOURCE = path.join(webDir, "src/app/(portal)/experiments/[experimentId]/traces/[traceId]/page.tsx");
const TRACE_PAGE_BUILT = path.join(webDir, ".next/server/app/(portal)/experiments/[experimentId]/traces/[traceId]/page.js");

/** The portal build, made when missing (and again when the trace page is in the sources but not in the build). */
async function ensurePortal(wantPage: boolean) {
  if (wantPage && fs.existsSync(TRACE_PAGE_SOURCE) && fs.existsSync(path.join(webDir, ".next", "BUILD_ID")) && !fs.existsSync(TRACE_PAGE_BUILT)) {
    log("the portal build predates the trace page: rebuilding it (next build)…");
    const next = path.resolve(webDir, "../../node_modules/next/dist/bin/next");
    const r = spawnSync(process.execPath, [next, "build"], { cwd: webDir, stdio: "inherit", env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", NODE_ENV: "production" } });
    if (r.status !== 0) throw new Error("next build failed");
  }
  // builds the portal when it is missing; the server bundle always from the current sources
  await ensureBuilt();
}

async function main() {
  const known = Object.keys(PHASES);
  const only = (arg("only") ?? known.join(",")).split(",").filter(Boolean);
  const unknown = only.filter((p) => !PHASES[p]);
  if (unknown.length) throw new Error(`unknown phase(s): ${unknown.join(", ")}; known: ${known.join(", ")}`);
  const mode = (arg("server") ?? "full") as "full" | "data-plane";
  if (mode !== "full" && mode !== "data-plane") throw new Error("--server must be full or data-plane");
  const quick = arg("quick") !== undefined;
  const sizes = quick ? TRACING_QUICK_SIZES : TRACING_FULL_SIZES;
  if (mode === "full") await ensurePortal(only.includes("page"));

  const { rows, t0 } = await withBenchEnv("mg-bench-tracing-", async (env) => {
    const { db, workDir } = env;
    const rows = await logMachine(env, quick, [
      `server under test: ${mode === "full" ? "node apps/web/dist/server.mjs (the compiled server `npm start` runs: both planes, jobs, artifact store)" : "createDataPlaneApp alone (bench/data-plane-server.ts)"}`,
      "OTLP clients: 4 exporters on 2 worker threads (node:http keep-alive, one request in flight each), pre-encoded protobuf bodies",
      "ceiling: otlp-parse-only-server.ts, node:http + the server's decodeProtobuf (protobufjs), answers an empty ExportTraceServiceResponse",
    ]);
    const admin = { username: "admin", password: `bench-${crypto.randomBytes(12).toString("base64url")}` };
    const server: ChildServer = mode === "full" ? await startCompiledServer(db.url, workDir, admin) : await startModelgate("data-plane", db.url, workDir);
    env.onCleanup(() => server.stop());
    // after the server's start: its first-admin bootstrap only runs on a database without users
    const token = await benchToken(db.url);
    log(`server up after ${secondsSince(env.t0)} s (pid ${server.pid}, ${server.url})`);
    let ceiling: ChildServer | null = null;
    if (only.includes("ingest")) {
      try {
        ceiling = await startOtlpParseOnly(workDir);
        env.onCleanup(ceiling.stop);
        log(`parse-only OTLP server up (pid ${ceiling.pid})`);
      } catch (e) {
        return [...rows, ...unmeasured(PHASES, only, sizes, `parse-only server failed: ${errorText(e)}`)];
      }
    }
    const ctx: TracingContext = { api: { baseUrl: server.url, token }, server, admin: mode === "full" ? admin : null, mode, ceiling, databaseUrl: db.url, sizes, stamp: Date.now().toString(36), log };
    return [...rows, ...(await runPhases(PHASES, only, ctx))];
  });
  return finish(rows, quick, t0);
}

exitWith(main);
