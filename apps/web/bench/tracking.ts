// `npm run bench:tracking`: the tracking data plane under load, through HTTP and the MLflow wire
// protocol, next to a parse-only ceiling measured in the same run (server, clients and Postgres
// share the machine, so only the ratio travels). Prints target vs measured and exits 1 on a miss.
//
//   --only=ingest,search,history,logged-models,python   run some phases
//   --server=data-plane|full       the data-plane app as `npm start` builds it (default), or
//                                  server/main.ts with both planes (needs apps/web/.next)
//   --quick                        small sizes to try the bench out (never passes)
import { ClientPool } from "./lib/client-pool.ts";
import { FULL_SIZES, QUICK_SIZES, type BenchContext, type Phase } from "./lib/context.ts";
import { benchToken } from "./lib/bench-token.ts";
import { exitWith, finish, log, logMachine, parseBenchArgs, runPhases, secondsSince, withBenchEnv } from "./lib/harness.ts";
import { startModelgate, startParseOnly, type ChildServer } from "./lib/processes.ts";
import { historyPhase } from "./phases/history.ts";
import { ingestPhase } from "./phases/ingest.ts";
import { searchPhase } from "./phases/search.ts";
import { loggedModelsPhase } from "./phases/logged-models.ts";
import { pythonTrackingPhase } from "./phases/python-tracking.ts";

const CLIENTS = 4;
const PHASES: Record<string, Phase> = { ingest: ingestPhase, search: searchPhase, history: historyPhase, "logged-models": loggedModelsPhase, python: pythonTrackingPhase };

async function main() {
  const { quick, only, mode } = parseBenchArgs(PHASES);
  const sizes = quick ? QUICK_SIZES : FULL_SIZES;
  const { rows, t0 } = await withBenchEnv("mg-bench-", async (env) => {
    const { db, workDir } = env;
    const rows = await logMachine(env, quick, [
      `server under test: ${mode === "full" ? "apps/web/server/main.ts (as `npm start` runs it: both planes, one process)" : "createDataPlaneApp alone (bench/data-plane-server.ts)"}; ${CLIENTS} clients in worker threads (fetch, keep-alive)`,
      `ceiling: bare node:http server in its own process that JSON-parses each body and answers {}`,
    ]);
    const token = await benchToken(db.url);

    // with an artifact store, as `npm start` has: the log_model sequence uploads and reads an MLmodel
    let server: ChildServer = await startModelgate(mode, db.url, workDir, { artifacts: true });
    env.onCleanup(() => server.stop());
    const parseOnly = await startParseOnly(workDir);
    env.onCleanup(parseOnly.stop);
    log(`servers up after ${secondsSince(env.t0)} s (modelgate pid ${server.pid}, parse-only pid ${parseOnly.pid})`);
    const pool = new ClientPool(CLIENTS);
    env.onCleanup(() => pool.close());
    const ctx: BenchContext = {
      restart: async () => {
        await server.stop();
        server = await startModelgate(mode, db.url, workDir, { artifacts: true });
        return server;
      },
      api: () => ({ baseUrl: server.url, token }),
      serverPid: () => server.pid,
      ceiling: { baseUrl: parseOnly.url, token },
      pool,
      databaseUrl: db.url,
      sizes,
      stamp: Date.now().toString(36),
      log,
    };
    return [...rows, ...(await runPhases(PHASES, only, ctx))];
  });
  return finish(rows, quick, t0);
}

exitWith(main);
