// `npm run bench:serving`: model serving through HTTP. A 10-feature linear ONNX model is logged,
// registered and put behind an endpoint through the API; then online scoring (10 clients, 1-row
// requests) next to a parse-only ceiling measured in the same run, and batch scoring of a
// 1 000 000-row CSV. Prints target vs measured and exits 1 on a miss.
//
//   --only=online,batch            run some phases
//   --server=data-plane|full       the data-plane app wired for serving as server/main.ts wires it
//                                  (default), or server/main.ts itself (needs apps/web/.next)
//   --quick                        small sizes to try the bench out (never passes)
import { benchToken } from "./lib/bench-token.ts";
import { errorText, exitWith, finish, log, logMachine, parseBenchArgs, runPhases, secondsSince, unmeasured, withBenchEnv } from "./lib/harness.ts";
import { startModelgate, startScoringParseOnly } from "./lib/processes.ts";
import { SERVING_FULL_SIZES, SERVING_QUICK_SIZES, type ServedModel, type ServingContext, type ServingPhase } from "./lib/serving-context.ts";
import { servingBatchPhase } from "./phases/serving-batch.ts";
import { servingOnlinePhase } from "./phases/serving-online.ts";
import { setUpServedModel } from "./phases/serving-setup.ts";

const PHASES: Record<string, ServingPhase> = { online: servingOnlinePhase, batch: servingBatchPhase };

async function main() {
  const { quick, only, mode } = parseBenchArgs(PHASES);
  const sizes = quick ? SERVING_QUICK_SIZES : SERVING_FULL_SIZES;
  const { rows, t0 } = await withBenchEnv("mg-bench-serving-", async (env) => {
    const { db, workDir } = env;
    const rows = await logMachine(env, quick, [
      `server under test: ${mode === "full" ? "apps/web/server/main.ts (both planes, one process)" : "createDataPlaneApp with the artifact store, serving runtime and batch worker (bench/data-plane-server.ts, BENCH_SERVING=1)"}; artifacts in a local store under ${workDir}`,
    ]);
    const token = await benchToken(db.url);

    const server = await startModelgate(mode, db.url, workDir, { serving: true });
    env.onCleanup(() => server.stop());
    log(`server up after ${secondsSince(env.t0)} s (modelgate pid ${server.pid})`);
    const ceiling = only.includes("online") ? await startScoringParseOnly(workDir) : null;
    if (ceiling) {
      env.onCleanup(() => ceiling.stop());
      log(`parse-only scoring server up (pid ${ceiling.pid})`);
    }
    const api = { baseUrl: server.url, token };
    const stamp = Date.now().toString(36);
    let model: ServedModel;
    try {
      model = await setUpServedModel(api, stamp, log);
    } catch (e) {
      const why = errorText(e);
      log(`set-up failed: ${why}\n${server.logTail()}`);
      return [...rows, ...unmeasured(PHASES, only, sizes, `set-up failed: ${why}`)];
    }
    const ctx: ServingContext = { api, serverPid: server.pid, ceiling, model, sizes, stamp, log };
    return [...rows, ...(await runPhases(PHASES, only, ctx))];
  });
  return finish(rows, quick, t0);
}

exitWith(main);
