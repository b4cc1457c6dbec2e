import crypto from "node:crypto";
import { LRUCache } from "lru-cache";
import pg from "pg";
import { poolOf, type Db } from "@modelgate/db";
import type { Actor } from "../context.ts";
import { transactionThen, type Tx } from "../transaction.ts";

/**
 * Credentials (a token, a username and password, a portal session) checked against the database
 * once, then answered from memory until something about them changes: the per-request round trip
 * that every MLflow call would otherwise pay before doing its work.
 *
 * How stale it can be, and why that is safe:
 * - Anything that can change who a credential is or whether it still works (a token revoked,
 *   re-owned or given an expiry; a user deactivated, deleted, renamed, given another role, another
 *   password or a new session version) fires a trigger that NOTIFYs `modelgate_credentials`
 *   (migration 20261206220000_credential_notify). Every process LISTENs on its own connection and
 *   forgets every entry when a notification arrives: a change made by any replica, by SQL or by a
 *   future sync job is seen by all of them as soon as PostgreSQL delivers it, which it does at
 *   commit. The process that made the change also forgets at once, before it answers
 *   (`credentialsChanged`), so a client that revoked a token and then uses it on the same replica
 *   is always refused; on another replica the window is the notification's delivery, well under a
 *   millisecond on one host.
 * - A lookup that was reading the database while a change landed is not stored (the epoch it
 *   started in has passed), so a stale answer cannot be written back after the change.
 * - Entries are used only while the LISTEN connection is up: until it is (at start-up, after a lost
 *   connection, until it is re-established and the cache emptied) every request reads the database,
 *   except where a caller accepts a bounded staleness (scoring: `staleMs`, 5 s).
 * - A token's expiry is checked against the clock on every use; an entry is read again from the
 *   database after CREDENTIAL_TTL_MS at the latest, whatever the notifications said.
 * - Failures are never stored.
 */
export const CREDENTIAL_TTL_MS = 30_000;
const MAX_ENTRIES = 10_000;
export const CREDENTIAL_CHANNEL = "modelgate_credentials";

export interface CredentialFacts {
  actor: Actor;
  /** A token's expiry (ms since the epoch), checked on every use. */
  expiresAt?: number | null;
}

interface Entry extends CredentialFacts {
  checkedAt: number;
  epoch: number;
}

export class CredentialCache {
  private entries = new LRUCache<string, Entry>({ max: MAX_ENTRIES });
  private epoch = 0;
  private live = false;

  /** Whether entries may be served without a staleness allowance (the LISTEN connection is up). */
  get isLive() {
    return this.live;
  }

  /** Take before reading the database; pass to store(). */
  begin(): number {
    return this.epoch;
  }

  /** The stored facts if they may be used now, else undefined. `staleMs`: accepted age while not live. */
  get(key: string, staleMs = 0): CredentialFacts | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    const now = Date.now();
    const age = now - e.checkedAt;
    const fresh = (this.live && e.epoch === this.epoch && age < CREDENTIAL_TTL_MS) || age < staleMs;
    if (!fresh || (e.expiresAt != null && e.expiresAt <= now)) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }

  store(key: string, facts: CredentialFacts, epoch: number) {
    if (epoch !== this.epoch) return; // something changed while it was being read
    this.entries.set(key, { ...facts, checkedAt: Date.now(), epoch });
  }

  /** Forget everything (a credential changed somewhere). */
  invalidate() {
    this.epoch++;
    this.entries.clear();
  }

  setLive(live: boolean) {
    this.invalidate();
    this.live = live;
  }
}

const caches = new WeakMap<Db, CredentialCache>();

/** The cache of one Db (one process's pool: a replica, or one app in a test). */
export function credentialCache(db: Db): CredentialCache {
  let c = caches.get(db);
  if (!c) caches.set(db, (c = new CredentialCache()));
  return c;
}

/** A credential changed through this process: forget before answering (others learn by NOTIFY). */
export const credentialsChanged = (db: Db) => credentialCache(db).invalidate();

/** The cache key of a secret: a digest, so the map never holds one in clear. */
export const credentialKey = (kind: string, ...parts: string[]) => `${kind}:${crypto.createHash("sha256").update(parts.join("\0")).digest("base64")}`;

export interface CredentialWatch {
  stop: () => Promise<void>;
}

const RECONNECT_MS = 1_000;
const PING_MS = 10_000;

/**
 * LISTENs for credential changes on a connection of its own (same settings as `db`'s pool) and
 * keeps `db`'s cache live while it is up. A dropped or silent connection (a ping every 10 s that
 * fails or is still unanswered at the next) turns the cache off until it is back; it reconnects every second meanwhile.
 */
export function watchCredentials(db: Db, log: (msg: string) => void = () => {}): CredentialWatch {
  // one connection per Db however many apps over it ask (the last stop() ends it)
  let shared = watches.get(db);
  if (!shared) watches.set(db, (shared = { users: 0, watch: listen(db, log) }));
  shared.users++;
  let stopped = false;
  const mine = shared;
  return {
    stop: async () => {
      if (stopped) return;
      stopped = true;
      if (--mine.users > 0) return;
      watches.delete(db);
      await mine.watch.stop();
    },
  };
}

const watches = new WeakMap<Db, { users: number; watch: CredentialWatch }>();

function listen(db: Db, log: (msg: string) => void): CredentialWatch {
  const cache = credentialCache(db);
  const options = poolOf(db).options;
  let client: pg.Client | null = null;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let ping: NodeJS.Timeout | null = null;

  const down = (why: string) => {
    if (cache.isLive) log(`credential cache off: ${why}`);
    cache.setLive(false);
    if (ping) clearInterval(ping);
    ping = null;
    const c = client;
    client = null;
    c?.removeAllListeners();
    c?.on("error", () => {});
    void c?.end().catch(() => {});
    if (!stopped && !timer) timer = setTimeout(connect, RECONNECT_MS);
  };

  async function connect() {
    timer = null;
    if (stopped) return;
    const c = new pg.Client({ ...options, application_name: "modelgate-credential-watch" } as pg.ClientConfig);
    client = c;
    c.on("error", (e) => down(e.message));
    c.on("end", () => client === c && down("connection ended"));
    c.on("notification", () => cache.invalidate());
    try {
      await c.connect();
      await c.query(`LISTEN ${CREDENTIAL_CHANNEL}`);
      if (stopped || client !== c) return void c.end().catch(() => {});
      cache.setLive(true);
      let waiting = false;
      ping = setInterval(() => {
        if (waiting) return down(`no answer to a ping in ${PING_MS / 1000} s`);
        waiting = true;
        c.query("SELECT 1").then(
          () => (waiting = false),
          (e: Error) => client === c && down(e.message),
        );
      }, PING_MS);
      ping.unref();
    } catch (e) {
      if (client === c) down((e as Error).message);
    }
  }

  void connect();
  return {
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      if (ping) clearInterval(ping);
      cache.setLive(false);
      const c = client;
      client = null;
      c?.removeAllListeners();
      c?.on("error", () => {});
      await c?.end().catch(() => {});
    },
  };
}

/**
 * A transaction that changes credentials (users, tokens): once it has committed, this process's
 * cache is emptied before the caller answers; other processes empty theirs on the trigger's NOTIFY.
 */
export const credentialTx = <T>(db: Db, fn: (tx: Tx) => Promise<T>): Promise<T> => transactionThen(db, fn, () => credentialsChanged(db));
