// The Python-client section's rows: the per-call table (Modelgate next to the parse-only server,
// interleaved in one Python process) and the durable-commit floor shown beside the writes.
import type { Target } from "./context.ts";
import { withPg } from "./database.ts";
import { pythonCalls, pythonClientProblem, type PythonCall } from "./python-clients.ts";
import type { Endpoint } from "./mlflow-http.ts";
import { fmtMs, median, notMeasured, type Row } from "./report.ts";

export const CALL_ROUNDS = 60;
const WARMUP = 8;

/** The calls the issue names, with their limit as a multiple of the parse-only server's median. */
const LIMITS: Record<string, { limit: number; why: string }> = {
  "runs/log-batch (500 points)": { limit: 4.7, why: "no regression: the issue measured 10.3 ms against 2.2 ms before (4.7x)" },
};
const WRITES = new Set(["runs/create", "runs/log-parameter", "runs/log-metric", "runs/set-tag", "runs/delete-tag", "runs/log-batch (500 points)", "runs/update", "model-versions/create"]);

export const TRACKING_CALLS = ["runs/create", "runs/log-parameter", "runs/log-metric", "runs/set-tag", "runs/delete-tag", "runs/log-batch (500 points)", "runs/get", "artifacts/list", "runs/update", "experiments/get", "experiments/get-by-name"];
export const REGISTRY_CALLS = ["registered-models/get", "model-versions/create", "model-versions/get", "registered-models/get-latest-versions"];

const limitOf = (name: string) => LIMITS[name]?.limit ?? 2;
const targetOf = (name: string): Target => ({ target: `python: ${name}`, required: `<= ${limitOf(name)}x parse-only` });
export const callTargets = (names: string[]): Target[] => names.map(targetOf);

/** A bare INSERT + COMMIT from Node over pg, median of 300: what one durable write costs here at least. */
export async function commitFloorMs(databaseUrl: string): Promise<number> {
  return withPg(databaseUrl, async (c) => {
    // a logged table (a temporary one would skip the WAL, and so the flush this measures)
    await c.query("CREATE TABLE IF NOT EXISTS bench_commit_floor (v int)");
    const times: number[] = [];
    for (let i = 0; i < 330; i++) {
      const t0 = performance.now();
      await c.query("INSERT INTO bench_commit_floor (v) VALUES ($1)", [i]);
      if (i >= 30) times.push(performance.now() - t0);
    }
    await c.query("DROP TABLE bench_commit_floor");
    return median(times);
  });
}

/** The per-call rows of one group: each call's median next to the parse-only server's, same rounds. */
export async function callRows(group: "tracking" | "registry", modelgate: Endpoint, ceiling: Endpoint, databaseUrl: string, stamp: string, log: (l: string) => void): Promise<Row[]> {
  const names = group === "tracking" ? TRACKING_CALLS : REGISTRY_CALLS;
  const problem = await pythonClientProblem();
  if (problem) return names.map((n) => notMeasured(targetOf(n), problem));
  const floor = await commitFloorMs(databaseUrl);
  const out = await pythonCalls({ modelgate, ceiling, group, rounds: CALL_ROUNDS, warmup: WARMUP, stamp });
  if (out.error) return names.map((n) => notMeasured(targetOf(n), out.error!));
  log(`python calls (${group}): ${CALL_ROUNDS} rounds, durable commit floor ${fmtMs(floor)}`);
  return out.calls.map((c: PythonCall) => {
    const mg = median(c.modelgate);
    const po = median(c.ceiling);
    const ratio = mg / po;
    const write = WRITES.has(c.name);
    return {
      ...targetOf(c.name),
      measured: fmtMs(mg),
      ceiling: fmtMs(po),
      ratio: `${ratio.toFixed(2)}x`,
      pass: ratio <= limitOf(c.name),
      note: `median of ${c.modelgate.length} (python3 + requests.Session, interleaved with the parse-only server)${write ? `; a durable INSERT + COMMIT from Node costs ${fmtMs(floor)} here, so 2x parse-only (${fmtMs(2 * po)}) leaves room for it` : ""}${LIMITS[c.name] ? `; ${LIMITS[c.name]!.why}` : ""}`,
    };
  });
}
