// Two replicas of the built server started at the same moment on one empty database, behind a real
// HAProxy: they come up as one system (migrations and the first admin applied once), a multipart
// upload whose parts reach different replicas completes, a portal session works on both, version
// numbers stay gap-free when creations are spread over both, a replica with another AUTH_SECRET is
// refused at start, and a replica restarted with SIGTERM fails no request sent through the balancer.
import crypto from "node:crypto";
import fs from "node:fs";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createScratchDatabase, type ScratchDatabase } from "@modelgate/db/testing";
import { migrationsDir } from "@modelgate/db/migrate";
import { ensureBuilt, startCluster, type Cluster } from "./replica-cluster.ts";

let scratch: ScratchDatabase;
let cluster: Cluster;
let basic: string;

beforeAll(async () => {
  await ensureBuilt();
  scratch = await createScratchDatabase(inject("templateUrl"), "mg_replicas");
  cluster = await startCluster({ databaseUrl: scratch.url, replicas: 2 });
  basic = `Basic ${Buffer.from(`admin:${cluster.adminPassword}`).toString("base64")}`;
}, 600_000);

afterAll(async () => {
  await cluster?.close();
  await scratch?.drop();
}, 120_000);

async function sql<T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: scratch.url });
  await c.connect();
  try {
    return (await c.query<T>(text, values)).rows;
  } finally {
    await c.end();
  }
}

async function api<T = Record<string, never>>(base: string, method: string, route: string, body?: unknown): Promise<T> {
  const res = await fetch(`${base}/api/2.0/mlflow/${route}`, {
    method,
    headers: { authorization: basic, ...(body ? { "content-type": "application/json" } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${route} on ${base}: HTTP ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

interface RunOut {
  run: { info: { run_id: string; artifact_uri: string } };
}

/** How many times a replica answered a route, from its own /metrics. */
async function served(base: string, route: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  return text
    .split("\n")
    .filter((l) => l.startsWith("modelgate_http_requests_total{") && l.includes(`route="${route}"`))
    .reduce((sum, l) => sum + Number(l.split(" ").at(-1)), 0);
}

describe("replicas behind a load balancer", () => {
  it("both came up on the empty database: every migration applied once, by one replica; one first admin", async () => {
    const dirs = fs.readdirSync(migrationsDir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
    const rows = await sql<{ migration_name: string; n: string }>("SELECT migration_name, count(*) AS n FROM _prisma_migrations WHERE finished_at IS NOT NULL GROUP BY 1");
    expect(rows.map((r) => r.migration_name).sort()).toEqual(dirs.sort());
    expect(rows.every((r) => r.n === "1")).toBe(true);
    const appliers = cluster.replicas.filter((r) => r.output.some((l) => l.includes("applied migrations:")));
    expect(appliers).toHaveLength(1);
    expect(await sql("SELECT id FROM \"user\"")).toHaveLength(1);
    expect(await sql("SELECT id FROM audit_event WHERE action = 'user.bootstrap_admin'")).toHaveLength(1);
    expect(cluster.replicas.filter((r) => r.output.some((l) => l.includes("First start: created the admin account")))).toHaveLength(1);
    for (const r of cluster.replicas) {
      const ready = (await (await fetch(`${r.url}/ready`)).json()) as { ready: boolean };
      expect(ready.ready).toBe(true);
    }
  });

  it("a multipart upload whose parts go to different replicas completes, and reads back through the balancer", async () => {
    const [a, b] = cluster.replicas as [Cluster["replicas"][0], Cluster["replicas"][0]];
    const { experiment_id } = await api<{ experiment_id: string }>(cluster.url, "POST", "experiments/create", { name: `mpu-${crypto.randomUUID()}` });
    const { run } = await api<RunOut>(cluster.url, "POST", "runs/create", { experiment_id });
    const dir = String(run.info.artifact_uri).replace(/^mlflow-artifacts:\/+/, "");
    const create = await fetch(`${a.url}/api/2.0/mlflow-artifacts/mpu/create/${dir}/model`, {
      method: "POST",
      headers: { authorization: basic, "content-type": "application/json" },
      body: JSON.stringify({ path: "weights.bin", num_parts: 2 }),
    });
    expect(create.status).toBe(200);
    const { upload_id, credentials } = (await create.json()) as { upload_id: string; credentials: { url: string; part_number: number }[] };
    const data = [crypto.randomBytes(200_000), crypto.randomBytes(5_000)];
    const parts = [];
    // part 1 to the replica that made the URLs, part 2 to the other one (no Authorization, as the client sends parts)
    for (const [i, replica] of [a, b].entries()) {
      const u = new URL(credentials[i]!.url);
      const put = await fetch(`${replica.url}${u.pathname}${u.search}`, { method: "PUT", body: data[i] });
      expect(put.status, `part ${i + 1} on ${replica.name}`).toBe(200);
      parts.push({ part_number: i + 1, etag: String(put.headers.get("etag")), url: credentials[i]!.url });
    }
    const done = await fetch(`${b.url}/api/2.0/mlflow-artifacts/mpu/complete/${dir}/model`, {
      method: "POST",
      headers: { authorization: basic, "content-type": "application/json" },
      body: JSON.stringify({ path: "weights.bin", upload_id, parts }),
    });
    expect(done.status).toBe(200);
    const got = await fetch(`${cluster.url}/api/2.0/mlflow-artifacts/artifacts/${dir}/model/weights.bin`, { headers: { authorization: basic } });
    expect(Buffer.from(await got.arrayBuffer()).equals(Buffer.concat(data))).toBe(true);
  });

  it("a portal session made through the balancer works on each replica", async () => {
    const csrf = await fetch(`${cluster.url}/api/auth/csrf`);
    const { csrfToken } = (await csrf.json()) as { csrfToken: string };
    const cookies = csrf.headers.getSetCookie().map((c) => c.split(";")[0]);
    const signIn = await fetch(`${cluster.url}/api/auth/callback/credentials`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", cookie: cookies.join("; ") },
      body: new URLSearchParams({ csrfToken, username: "admin", password: cluster.adminPassword, callbackUrl: "/" }),
    });
    const session = signIn.headers.getSetCookie().map((c) => c.split(";")[0]!).find((c) => c.includes("session-token="));
    expect(session, "a session cookie").toBeTruthy();
    for (const r of cluster.replicas) {
      const me = await fetch(`${r.url}/api/auth/session`, { headers: { cookie: session! } });
      expect(((await me.json()) as { user?: { name?: string } }).user?.name, r.name).toBe("admin");
      // and the data plane's /ajax-api (the portal's own reads) accepts it on each replica
      const ajax = await fetch(`${r.url}/ajax-api/2.0/mlflow/experiments/search?max_results=1`, { headers: { cookie: session! } });
      expect(ajax.status, r.name).toBe(200);
    }
  });

  it("concurrent version creations spread over both replicas are numbered 1..N without gaps", async () => {
    const name = `replicated-${crypto.randomUUID()}`;
    await api(cluster.url, "POST", "registered-models/create", { name });
    const before = await Promise.all(cluster.replicas.map((r) => served(r.url, "/api/2.0/mlflow/model-versions/create")));
    const n = 24;
    // sent to the replicas in turn, not through the balancer: under a loaded CI machine a slow health
    // check can take a replica out of rotation for a moment, and the point here is the numbering
    // when both write at once (the balancer's own behaviour has its tests above and below)
    const out = await Promise.all(
      Array.from({ length: n }, (_, i) => api<{ model_version: { version: string } }>(cluster.replicas[i % cluster.replicas.length]!.url, "POST", "model-versions/create", { name, source: "s3://bucket/model" })),
    );
    expect(out.map((o) => Number(o.model_version.version)).sort((x, y) => x - y)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    const after = await Promise.all(cluster.replicas.map((r) => served(r.url, "/api/2.0/mlflow/model-versions/create")));
    after.forEach((count, i) => expect(count - before[i]!, `${cluster.replicas[i]!.name} served some`).toBeGreaterThan(0));
  });

  it("a replica started with another AUTH_SECRET refuses to start and says why", async () => {
    const { code, output } = await cluster.startExpectingFailure({ AUTH_SECRET: crypto.randomBytes(32).toString("base64url") });
    expect(code).toBe(1);
    expect(output).toContain("AUTH_SECRET differs from the one this database's other replicas use");
  });

  it("a replica restarted with SIGTERM drains: not ready at once, exits 0, and no request through the balancer fails", async () => {
    const [a] = cluster.replicas as [Cluster["replicas"][0]];
    const { experiment_id } = await api<{ experiment_id: string }>(cluster.url, "POST", "experiments/create", { name: `drain-${crypto.randomUUID()}` });
    const { run } = await api<RunOut>(cluster.url, "POST", "runs/create", { experiment_id });
    let sent = 0;
    const failures: string[] = [];
    let running = true;
    const client = async (k: number) => {
      for (let step = 0; running; step++) {
        sent++;
        try {
          await api(cluster.url, "POST", "runs/log-metric", { run_id: run.info.run_id, key: `m${k}`, value: step, timestamp: Date.now(), step });
        } catch (e) {
          failures.push((e as Error).message);
        }
      }
    };
    const clients = [0, 1, 2, 3].map(client);
    await new Promise((r) => setTimeout(r, 500));
    const stopped = cluster.stop(a);
    await new Promise((r) => setTimeout(r, 300));
    const ready = await fetch(`${a.url}/ready`).catch(() => null);
    expect(ready?.status, "not ready while draining").toBe(503);
    expect(await stopped).toBe(0);
    await cluster.start(a);
    await new Promise((r) => setTimeout(r, 1500));
    running = false;
    await Promise.all(clients);
    expect(failures).toEqual([]);
    expect(sent).toBeGreaterThan(50);
    // every acknowledged point is stored
    const stored = await sql<{ n: string }>("SELECT count(*) AS n FROM metric m JOIN run r ON r.pk = m.run_pk WHERE r.id = $1", [run.info.run_id]);
    expect(Number(stored[0]!.n)).toBe(sent);
    expect(a.output.some((l) => l.includes("SIGTERM: draining"))).toBe(true);
  }, 120_000);
});
