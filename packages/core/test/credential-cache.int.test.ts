// The per-request shortcuts of issue 15 cannot serve what was taken away: a revoked token, a
// deactivated user, a changed role, a removed grant, a run that is no longer writable.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase } from "@modelgate/db/test-db";
import { createDb, Prisma, sqlQuery, type Db } from "@modelgate/db";
import {
  authenticateToken,
  configureTracking,
  createExperiment,
  createRun,
  createToken,
  credentialCache,
  deleteRun,
  logMetric,
  revokeToken,
  setExperimentPermission,
  setTag,
  setUserActive,
  setUserRole,
  systemActor,
  trackingConfig,
  watchCredentials,
  type CredentialWatch,
} from "../src/index.ts";
import { experimentLevelAtLeastSql, resolveExperimentLevel, levelAtLeast } from "../src/auth/permissions.ts";
import { ctxOf, makeUser } from "./helpers.ts";

let db: Db;
let url: string;
const watches: CredentialWatch[] = [];
const others: Db[] = [];

async function live(d: Db) {
  watches.push(watchCredentials(d));
  for (let i = 0; i < 500 && !credentialCache(d).isLive; i++) await new Promise((r) => setTimeout(r, 10));
  expect(credentialCache(d).isLive).toBe(true);
}

/** Polls until `check` holds (a notification on its way), failing after `ms`; returns the time it took. */
async function within(ms: number, check: () => Promise<boolean>): Promise<number> {
  const t0 = Date.now();
  while (!(await check())) {
    if (Date.now() - t0 > ms) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 2));
  }
  return Date.now() - t0;
}

beforeAll(async () => {
  const t = await useTestDatabase();
  db = t.db;
  url = t.url;
  await live(db);
});
afterAll(async () => {
  for (const w of watches) await w.stop();
  for (const d of others) await d.$disconnect();
});

describe("the credential cache", () => {
  it("answers a checked token from memory until the token changes (a change the trigger does not announce would go unseen)", async () => {
    const { ctx } = await makeUser(db);
    const { token, secret } = await createToken(ctx, { name: "t" });
    expect(await authenticateToken(db, secret)).toMatchObject({ tokenId: token.id });
    // revoke behind the cache's back: with the trigger off nothing tells it, so it still answers
    await db.$executeRawUnsafe(`ALTER TABLE access_token DISABLE TRIGGER access_token_credentials_changed`);
    try {
      await db.$executeRaw`UPDATE access_token SET revoked_at = now() WHERE id = ${token.id}::uuid`;
      expect(await authenticateToken(db, secret)).not.toBeNull();
    } finally {
      await db.$executeRawUnsafe(`ALTER TABLE access_token ENABLE TRIGGER access_token_credentials_changed`);
    }
    // the same change with the trigger on is seen: the cache empties on the notification
    await db.$executeRaw`UPDATE access_token SET revoked_at = now() WHERE id = ${token.id}::uuid`;
    await within(2000, async () => (await authenticateToken(db, secret)) === null);
  });

  it("refuses a token revoked through this process at once, before the revoke has answered anyone", async () => {
    const { ctx } = await makeUser(db);
    const { token, secret } = await createToken(ctx, { name: "t" });
    for (let i = 0; i < 3; i++) expect(await authenticateToken(db, secret)).not.toBeNull();
    await revokeToken(ctx, { tokenId: token.id });
    // no waiting: the very next request
    expect(await authenticateToken(db, secret)).toBeNull();
  });

  it("sees a revoke, a deactivation and a role change made by another replica as soon as PostgreSQL delivers the notification", async () => {
    const other = createDb({ url, max: 2 });
    others.push(other);
    await live(other);
    const { ctx, user } = await makeUser(db);
    const admin = ctxOf(other, systemActor("test"));
    const one = await createToken(ctx, { name: "one" });
    const two = await createToken(ctx, { name: "two" });
    expect(await authenticateToken(db, one.secret)).toMatchObject({ role: "USER" });
    expect(await authenticateToken(db, two.secret)).not.toBeNull();

    await setUserRole(admin, { userId: user.id, role: "ADMIN" });
    await within(1000, async () => ((await authenticateToken(db, one.secret)) as { role?: string } | null)?.role === "ADMIN");

    await revokeToken(ctxOf(other, ctx.actor), { tokenId: one.token.id });
    await within(1000, async () => (await authenticateToken(db, one.secret)) === null);
    expect(await authenticateToken(db, two.secret)).not.toBeNull();

    await setUserActive(admin, { userId: user.id, active: false });
    await within(1000, async () => (await authenticateToken(db, two.secret)) === null);
  });

  it("never stores what was read while a change landed", async () => {
    const cache = credentialCache(db);
    const epoch = cache.begin();
    cache.invalidate(); // a notification arrives while the lookup is reading the database
    cache.store("token:raced", { actor: systemActor("x") }, epoch);
    expect(cache.get("token:raced")).toBeUndefined();
    cache.store("token:fresh", { actor: systemActor("x") }, cache.begin());
    expect(cache.get("token:fresh")).toBeDefined();
  });

  it("reads the database on every request while its listener is down; scoring's 5 s allowance is the only staleness", async () => {
    const lone = createDb({ url, max: 2 });
    others.push(lone);
    const { ctx } = await makeUser(lone);
    const { token, secret } = await createToken(ctx, { name: "t" });
    expect(credentialCache(lone).isLive).toBe(false);
    expect(await authenticateToken(lone, secret, { staleMs: 5000 })).not.toBeNull();
    await lone.$executeRaw`UPDATE access_token SET revoked_at = now() WHERE id = ${token.id}::uuid`;
    // scoring accepts a credential checked less than 5 s ago (its documented allowance)…
    expect(await authenticateToken(lone, secret, { staleMs: 5000 })).not.toBeNull();
    // …every other route asks the database
    expect(await authenticateToken(lone, secret)).toBeNull();
    expect(await authenticateToken(lone, secret, { staleMs: 5000 })).toBeNull();
  });
});

describe("run writes that check access in the same statement", () => {
  it("decide exactly as resolveExperimentLevel, for every actor, grant, ownership and experiment", async () => {
    const { actor } = await makeUser(db);
    const actors = [actor, { ...actor, role: "ADMIN" as const }, { ...actor, endpointScope: "ep" }, systemActor("t")];
    const before = trackingConfig().defaultExperimentPermission;
    try {
      for (const dflt of ["NONE", "READ", "EDIT", "MANAGE"] as const) {
        configureTracking({ defaultExperimentPermission: dflt });
        for (const a of actors) {
          for (const needed of ["READ", "EDIT", "MANAGE"] as const) {
            const cond = experimentLevelAtLeastSql(a, needed, "x");
            for (const grant of [null, "READ", "EDIT", "MANAGE"]) {
              for (const owner of [null, a.kind === "user" ? a.userId : null, "00000000-0000-0000-0000-000000000000"]) {
                for (const experimentId of [0, 7]) {
                  const [row] = await db.$queryRaw<{ ok: boolean }[]>`
                    SELECT ${cond} AS ok FROM (SELECT ${grant}::text AS grant_level, ${owner}::text AS owner_id, ${experimentId}::int AS experiment_id) x`;
                  const want = levelAtLeast(resolveExperimentLevel(a, { experimentId, ownerId: owner, grant }), needed);
                  expect(row!.ok, JSON.stringify({ dflt, a, needed, grant, owner, experimentId })).toBe(want);
                }
              }
            }
          }
        }
      }
    } finally {
      configureTracking({ defaultExperimentPermission: before });
    }
  });

  it("refuse at once after a grant is removed, and leave nothing written; a deleted run takes no more writes", async () => {
    const owner = await makeUser(db);
    const guest = await makeUser(db);
    const { experiment_id } = await createExperiment(owner.ctx, { name: `grants-${Date.now()}` });
    const run = await createRun(owner.ctx, { experiment_id });
    const runId = run.info.run_id;
    await setExperimentPermission(owner.ctx, { experiment_id, username: guest.user.username, level: "EDIT" });
    await logMetric(guest.ctx, { run_id: runId, key: "m", value: 1, timestamp: 1, step: 0 });
    await setExperimentPermission(owner.ctx, { experiment_id, username: guest.user.username, level: "READ" });
    await expect(logMetric(guest.ctx, { run_id: runId, key: "m", value: 2, timestamp: 2, step: 1 })).rejects.toMatchObject({ code: "PERMISSION_DENIED" });
    await expect(setTag(guest.ctx, { run_id: runId, key: "t", value: "v" })).rejects.toMatchObject({ code: "PERMISSION_DENIED" });
    await setExperimentPermission(owner.ctx, { experiment_id, username: guest.user.username, level: null });
    // the default (READ) still lets them see it: still a 403; nothing of theirs landed
    await expect(logMetric(guest.ctx, { run_id: runId, key: "m", value: 3, timestamp: 3, step: 2 })).rejects.toMatchObject({ code: "PERMISSION_DENIED" });
    const points = await db.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM metric m JOIN run r ON r.pk = m.run_pk WHERE r.id = ${runId}`;
    expect(points[0]!.n).toBe(1);
    const tags = await db.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM run_tag t JOIN run r ON r.pk = t.run_pk WHERE r.id = ${runId} AND t.key = 't'`;
    expect(tags[0]!.n).toBe(0);
    await deleteRun(owner.ctx, { run_id: runId });
    await expect(logMetric(owner.ctx, { run_id: runId, key: "m", value: 4, timestamp: 4, step: 3 })).rejects.toMatchObject({ code: "INVALID_PARAMETER_VALUE" });
  });
});

describe("a Db used only through sqlQuery", () => {
  it("outlives PostgreSQL closing its idle connections, and $disconnect ends its pool", async () => {
    const d = createDb({ url, max: 2 });
    expect(await sqlQuery<{ n: number }>(d, Prisma.sql`SELECT 1::int AS n`, { prepare: true })).toEqual([{ n: 1 }]);
    const [me] = await sqlQuery<{ pid: number }>(d, Prisma.sql`SELECT pg_backend_pid() AS pid`);
    // as a restart or a dropped database would: the pool hears an error on an idle connection
    await db.$executeRaw`SELECT pg_terminate_backend(${me!.pid}::int)`;
    await new Promise((r) => setTimeout(r, 100));
    expect(await sqlQuery<{ n: number }>(d, Prisma.sql`SELECT 2::int AS n`, { prepare: true })).toEqual([{ n: 2 }]);
    await d.$disconnect();
    await expect(sqlQuery(d, Prisma.sql`SELECT 1`)).rejects.toThrow();
  });
});
