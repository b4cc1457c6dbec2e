// `npm run bench:rolling`: a rolling restart under load. Two replicas of the built server (node
// dist/server.mjs, as `npm start` and the image run it) share one database and one artifact store
// behind Debian's HAProxy (health check on /ready, L7 retries of refused connections and 503s).
// Clients keep logging metrics, searching runs, downloading an artifact and scoring an endpoint
// through the balancer while each replica in turn gets SIGTERM (drain: not ready, delay, stop
// accepting, finish in flight), exits and starts again. Reports requests sent and failed per kind
// (target: 0 failed), the longest a client waited for one answer, every metric point acknowledged
// is stored, and the memory of one replica idle and after the load.
//
//   --quick      shorter load phases (same checks)
import crypto from "node:crypto";
import { ensureBuilt, startCluster, type Cluster, type Replica } from "../test/replica-cluster.ts";
import { benchToken } from "./lib/bench-token.ts";
import { withPg } from "./lib/database.ts";
import { exitWith, finish, log, logMachine, withBenchEnv } from "./lib/harness.ts";
import { createExperiment, post, type Endpoint } from "./lib/mlflow-http.ts";
import { fmtInt, fmtMb, fmtMs, type Row } from "./lib/report.ts";
import { rssBytes } from "./lib/rss.ts";
import { artifactUrl, putArtifact, setUpServedModel } from "./phases/serving-setup.ts";

const quick = process.argv.includes("--quick");
const STEADY_MS = quick ? 2000 : 5000;
const SEARCH_RUNS = 200;
const ARTIFACT_BYTES = 1024 * 1024;
const CLIENTS: Record<Kind, number> = { "log-metric": 4, "runs/search": 2, "artifact download": 2, scoring: 2 };
type Kind = "log-metric" | "runs/search" | "artifact download" | "scoring";

interface Tally {
  sent: number;
  failed: number;
  errors: string[];
  /** Longest single request, in ms. */
  longest: number;
  latencies: number[];
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** VmHWM (peak RSS since start) of a process, in bytes. */
async function peakRss(pid: number): Promise<number> {
  const fs = await import("node:fs");
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) * 1024 : 0;
}

async function main(): Promise<boolean> {
  const { rows, t0 } = await withBenchEnv("mg-bench-rolling-", async (env) => {
    const rows = await logMachine(env, quick, ["server under test: 2 replicas of apps/web/dist/server.mjs (both planes) behind HAProxy (Debian), artifacts in one local store shared by both"]);
    await ensureBuilt();
    const cluster: Cluster = await startCluster({ databaseUrl: env.db.url, replicas: 2, env: { SHUTDOWN_DELAY_SECONDS: "3", DRAIN_TIMEOUT_SECONDS: "20" } });
    env.onCleanup(() => cluster.close());
    const [first] = cluster.replicas as [Replica];
    const idleRss = rssBytes(first.process!.pid!);
    log(`2 replicas ready behind HAProxy at ${cluster.url}; replica r1 idle RSS ${fmtMb(idleRss)}`);
    const ep: Endpoint = { baseUrl: cluster.url, token: await benchToken(env.db.url) };
    const stamp = Date.now().toString(36);

    // set-up through the balancer, as users would
    const model = await setUpServedModel(ep, stamp, log);
    const searchExp = await createExperiment(ep, `rolling-search-${stamp}`);
    for (let i = 0; i < SEARCH_RUNS; i++) {
      const r = await post<{ run: { info: { run_id: string } } }>(ep, "runs/create", { experiment_id: searchExp, run_name: `r${i}`, start_time: Date.now(), tags: [] });
      await post(ep, "runs/log-batch", { run_id: r.run.info.run_id, metrics: [{ key: "acc", value: Math.random(), timestamp: Date.now(), step: 0 }], params: [{ key: "lr", value: String(i) }], tags: [] });
    }
    const artifact = crypto.randomBytes(ARTIFACT_BYTES);
    const artifactAt = artifactUrl(ep, `mlflow-artifacts:/${model.artifactUri.replace(/^mlflow-artifacts:\/+/, "")}`, "data/blob.bin");
    await putArtifact(ep, artifactAt, artifact);
    const logRun = (await post<{ run: { info: { run_id: string } } }>(ep, "runs/create", { experiment_id: searchExp, run_name: "training", start_time: Date.now(), tags: [] })).run.info.run_id;
    log(`set up: ${SEARCH_RUNS} runs to search, a ${fmtMb(ARTIFACT_BYTES)} artifact, endpoint ${model.endpointName}`);

    const auth = { authorization: `Bearer ${ep.token}` };
    const scoreBody = JSON.stringify({ dataframe_split: { columns: model.columns, data: [Array.from({ length: model.features }, (_, i) => i / 10)] } });
    const searchBody = JSON.stringify({ experiment_ids: [searchExp], filter: "metrics.acc > 0.5", max_results: 100, order_by: ["metrics.acc DESC"] });
    let acknowledged = 0;
    const calls: Record<Kind, (n: number, step: number) => Promise<Response>> = {
      "log-metric": async (n, step) => {
        const res = await fetch(`${cluster.url}/api/2.0/mlflow/runs/log-metric`, {
          method: "POST",
          headers: { ...auth, "content-type": "application/json" },
          body: JSON.stringify({ run_id: logRun, key: `loss_${n}`, value: 1 / (step + 1), timestamp: Date.now(), step }),
        });
        if (res.ok) acknowledged++;
        return res;
      },
      "runs/search": () => fetch(`${cluster.url}/api/2.0/mlflow/runs/search`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: searchBody }),
      "artifact download": () => fetch(artifactAt, { headers: auth }),
      scoring: () => fetch(`${cluster.url}/serving-endpoints/${model.endpointName}/invocations`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: scoreBody }),
    };
    const tallies = Object.fromEntries(Object.keys(CLIENTS).map((k) => [k, { sent: 0, failed: 0, errors: [], longest: 0, latencies: [] } as Tally])) as Record<Kind, Tally>;
    let running = true;
    const client = async (kind: Kind, n: number) => {
      const t = tallies[kind];
      for (let step = 0; running; step++) {
        t.sent++;
        const s0 = performance.now();
        try {
          const res = await calls[kind](n, step);
          const body = Buffer.from(await res.arrayBuffer());
          if (!res.ok) throw new Error(`HTTP ${res.status} ${body.toString("utf8").slice(0, 200)}`);
          if (kind === "artifact download" && !body.equals(artifact)) throw new Error("artifact bytes differ");
        } catch (e) {
          t.failed++;
          if (t.errors.length < 5) t.errors.push((e as Error).message);
        }
        const ms = performance.now() - s0;
        t.latencies.push(ms);
        if (ms > t.longest) t.longest = ms;
      }
    };
    const loads = (Object.entries(CLIENTS) as [Kind, number][]).flatMap(([kind, n]) => Array.from({ length: n }, (_, i) => client(kind, i)));

    await sleep(STEADY_MS);
    const restarts: string[] = [];
    const exitCodes: (number | null)[] = [];
    for (const r of cluster.replicas) {
      const s0 = performance.now();
      exitCodes.push(await cluster.stop(r));
      const down = performance.now();
      await cluster.start(r);
      restarts.push(`${r.name}: drained and exited in ${((down - s0) / 1000).toFixed(1)} s (exit ${String(exitCodes.at(-1))}), ready again ${((performance.now() - down) / 1000).toFixed(1)} s later`);
      log(restarts.at(-1)!);
      await sleep(STEADY_MS);
    }
    const loadedRss = rssBytes(cluster.replicas[1]!.process!.pid!);
    const peak = await peakRss(cluster.replicas[1]!.process!.pid!);
    running = false;
    await Promise.all(loads);

    const stored = await withPg(env.db.url, async (c) => Number((await c.query<{ n: string }>("SELECT count(*) AS n FROM metric m JOIN run r ON r.pk = m.run_pk WHERE r.id = $1", [logRun])).rows[0]!.n));
    const total = Object.values(tallies).reduce((s, t) => ({ sent: s.sent + t.sent, failed: s.failed + t.failed }), { sent: 0, failed: 0 });
    const longest = Math.max(...Object.values(tallies).map((t) => t.longest));
    const out: Row[] = [
      {
        target: "rolling restart: failed requests",
        required: "0",
        measured: `${fmtInt(total.failed)} of ${fmtInt(total.sent)}`,
        ceiling: "-",
        ratio: "-",
        pass: total.failed === 0 && exitCodes.every((c) => c === 0) && stored === acknowledged,
        note: `${(Object.entries(tallies) as [Kind, Tally][]).map(([k, t]) => `${k} ${fmtInt(t.sent)} sent, ${t.failed} failed${t.errors.length ? ` (${t.errors.join("; ")})` : ""}`).join("; ")}. ${restarts.join("; ")}. Metric points acknowledged ${fmtInt(acknowledged)}, stored ${fmtInt(stored)}. ${Object.values(CLIENTS).reduce((a, b) => a + b, 0)} clients, one request in flight each, through HAProxy`,
      },
      {
        target: "rolling restart: longest wait for one answer",
        required: "-",
        measured: fmtMs(longest),
        ceiling: "-",
        ratio: "-",
        pass: null,
        note: (Object.entries(tallies) as [Kind, Tally][]).map(([k, t]) => `${k}: longest ${fmtMs(t.longest)}, median ${fmtMs(t.latencies.sort((a, b) => a - b)[Math.floor(t.latencies.length / 2)] ?? 0)}`).join("; "),
      },
      {
        target: "memory of one replica (compiled server)",
        required: "-",
        measured: `idle ${fmtMb(idleRss)}, after load ${fmtMb(loadedRss)} (peak ${fmtMb(peak)})`,
        ceiling: "-",
        ratio: "-",
        pass: null,
        note: "RSS of node dist/server.mjs: r1 right after it became ready (idle, nothing served yet); r2 at the end of the load (after its restart) and its VmHWM",
      },
    ];
    return [...rows, ...out];
  });
  return finish(rows, quick, t0);
}

exitWith(main);
