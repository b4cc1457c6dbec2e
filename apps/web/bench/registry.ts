// `npm run bench:registry`: the model registry through HTTP and the MLflow wire protocol:
// concurrent version creation on one model (rate, and gap-free numbers), and the two searches over
// 10 000 models x 10 versions. Prints target vs measured and exits 1 on a miss.
//
//   --only=create,search,python    run some phases
//   --server=data-plane|full       the data-plane app as `npm start` builds it (default), or
//                                  server/main.ts with both planes (needs apps/web/.next)
//   --quick                        small sizes to try the bench out (never passes)
import { benchToken } from "./lib/bench-token.ts";
import { exitWith, finish, log, logMachine, parseBenchArgs, runPhases, secondsSince, withBenchEnv } from "./lib/harness.ts";
import { startModelgate, startParseOnly } from "./lib/processes.ts";
import { REGISTRY_FULL_SIZES, REGISTRY_QUICK_SIZES, type RegistryContext, type RegistryPhase } from "./lib/registry-context.ts";
import { registryCreatePhase } from "./phases/registry-create.ts";
import { registrySearchPhase } from "./phases/registry-search.ts";
import { pythonRegistryPhase } from "./phases/python-registry.ts";

const PHASES: Record<string, RegistryPhase> = { create: registryCreatePhase, search: registrySearchPhase, python: pythonRegistryPhase };
/** createDb's max in data-plane-server.ts (and server/main.ts). */
const SERVER_POOL_SIZE = 10;

async function main() {
  const { quick, only, mode } = parseBenchArgs(PHASES);
  const sizes = quick ? REGISTRY_QUICK_SIZES : REGISTRY_FULL_SIZES;
  const { rows, t0 } = await withBenchEnv("mg-bench-registry-", async (env) => {
    const { db, workDir } = env;
    const rows = await logMachine(env, quick, [
      `server under test: ${mode === "full" ? "apps/web/server/main.ts (both planes, one process)" : "createDataPlaneApp alone (bench/data-plane-server.ts)"}; clients: async loops in this process (node:http keep-alive for create, fetch for search)`,
    ]);
    const token = await benchToken(db.url);

    const server = await startModelgate(mode, db.url, workDir, { artifacts: true });
    env.onCleanup(() => server.stop());
    const parseOnly = await startParseOnly(workDir);
    env.onCleanup(parseOnly.stop);
    log(`servers up after ${secondsSince(env.t0)} s (modelgate pid ${server.pid}, parse-only pid ${parseOnly.pid})`);
    const ctx: RegistryContext = { api: { baseUrl: server.url, token }, ceiling: { baseUrl: parseOnly.url, token }, serverPid: server.pid, databaseUrl: db.url, serverPoolSize: SERVER_POOL_SIZE, sizes, stamp: Date.now().toString(36), log };
    return [...rows, ...(await runPhases(PHASES, only, ctx))];
  });
  return finish(rows, quick, t0);
}

exitWith(main);
