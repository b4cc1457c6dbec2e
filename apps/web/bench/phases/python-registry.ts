// The Python-client section of bench:registry: the registry's single calls one at a time (the
// per-call table), and 32 Python threads x 10 model-versions/create on one model, each next to the
// parse-only server driven by the same client in the same run. The versions must come out 1..320
// with zero errors, whatever the speed.
import { cpuDuring, describeCpu } from "../lib/cpu.ts";
import { withPg } from "../lib/database.ts";
import { errorText } from "../lib/harness.ts";
import { createExperiment, post } from "../lib/mlflow-http.ts";
import { pythonClientProblem, pythonVersions } from "../lib/python-clients.ts";
import { callRows, callTargets, REGISTRY_CALLS } from "../lib/python-rows.ts";
import type { RegistryContext, RegistryPhase } from "../lib/registry-context.ts";
import { fmtInt, notMeasured, type Row } from "../lib/report.ts";
import { createRunWithUri } from "./registry-create.ts";

const THREADS = 32;
const PER_THREAD = 10;
const versionsTarget = { target: `python: ${THREADS} threads x ${PER_THREAD} model-versions/create, one model`, required: ">= 60 % of ceiling, 1..N, 0 errors" };
const targets = () => [...callTargets(REGISTRY_CALLS), versionsTarget];

/** The version numbers SQL holds for the model: null when exactly 1..n, one stage event each. */
async function gapFree(ctx: RegistryContext, model: string, n: number): Promise<string | null> {
  return withPg(ctx.databaseUrl, async (c) => {
    const r = await c.query<{ n: string; d: string; lo: number | null; hi: number | null; st: string }>(
      `SELECT count(v.pk) AS n, count(DISTINCT v.version) AS d, min(v.version) AS lo, max(v.version) AS hi,
         (SELECT count(*) FROM stage_transition s WHERE s.model_id = m.id) AS st
       FROM registered_model m LEFT JOIN model_version v ON v.model_id = m.id WHERE m.name = $1 GROUP BY m.id`,
      [model],
    );
    const row = r.rows[0]!;
    const ok = Number(row.n) === n && Number(row.d) === n && row.lo === 1 && row.hi === n && Number(row.st) === n;
    return ok ? null : `SQL: ${row.n} versions, ${row.d} distinct, ${row.lo}..${row.hi}, ${row.st} stage events (expected 1..${n})`;
  });
}

async function versionsRow(ctx: RegistryContext): Promise<Row> {
  const ceiling = ctx.ceiling;
  const exp = await createExperiment(ctx.api, `bench-py-versions-${ctx.stamp}`);
  const run = await createRunWithUri(ctx.api, exp, "py-versions");
  const body = (model: string) => JSON.stringify({ name: model, source: `${run.artifactUri}/model`, run_id: run.runId });
  const warmModel = `py-versions-warm-${ctx.stamp}`;
  const model = `py-versions-${ctx.stamp}`;
  await post(ctx.api, "registered-models/create", { name: warmModel });
  await post(ctx.api, "registered-models/create", { name: model });
  const warm = await pythonVersions(ctx.api, body(warmModel), THREADS, 3);
  if (warm.error) return notMeasured(versionsTarget, warm.error);
  const ceilings = [];
  for (let i = 0; i < 3; i++) ceilings.push(await pythonVersions(ceiling, body(model), THREADS, PER_THREAD));
  const bad = ceilings.find((c) => c.error);
  if (bad) return notMeasured(versionsTarget, bad.error!);
  const n = THREADS * PER_THREAD;
  const ceilingRate = Math.max(...ceilings.map((c) => n / c.seconds));
  const { result, cpu } = await cpuDuring(ctx.serverPid, () => pythonVersions(ctx.api, body(model), THREADS, PER_THREAD));
  const rate = result.versions.length / result.seconds;
  const numbers = [...result.versions].sort((a, b) => a - b);
  const answered = numbers.length === n && numbers.every((v, i) => v === i + 1) ? null : `answers carried ${new Set(numbers).size} distinct numbers for ${numbers.length} versions`;
  const problem = result.error ?? answered ?? (await gapFree(ctx, model, n));
  ctx.log(`python versions: ceiling ${fmtInt(ceilingRate)}/s, server ${fmtInt(rate)}/s, ${result.errors} errors`);
  return {
    ...versionsTarget,
    measured: `${fmtInt(rate)} versions/s`,
    ceiling: `${fmtInt(ceilingRate)} requests/s`,
    ratio: `${((rate / ceilingRate) * 100).toFixed(0)} %`,
    pass: rate >= 0.6 * ceilingRate && problem === null && result.errors === 0,
    note: `${THREADS} Python threads (a requests.Session each) x ${PER_THREAD} creates on one model in ${result.seconds.toFixed(2)} s, ${result.errors} errors; ceiling best of 3; ${problem ? `WRONG RESULT: ${problem}` : `numbers exactly 1..${n} in the answers and in SQL, one stage event each`}. ${describeCpu(cpu)}`,
  };
}

async function run(ctx: RegistryContext): Promise<Row[]> {
  const problem = await pythonClientProblem();
  if (problem) {
    ctx.log(`python rows skipped: ${problem}`);
    return targets().map((t) => ({ ...notMeasured(t, problem), pass: null }));
  }
  const rows = await callRows("registry", ctx.api, ctx.ceiling, ctx.databaseUrl, ctx.stamp, ctx.log);
  try {
    rows.push(await versionsRow(ctx));
  } catch (e) {
    rows.push(notMeasured(versionsTarget, errorText(e)));
  }
  return rows;
}

export const pythonRegistryPhase: RegistryPhase = { targets, run };
