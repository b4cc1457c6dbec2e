import {
  DomainError,
  assertServable,
  endpointForInvocation,
  isDomainError,
  listEnabledEndpointNames,
  notFound,
  recordServingSwitch,
  systemActor,
  unavailable,
  type Actor,
  type Ctx,
} from "@modelgate/core";
import type { Db } from "@modelgate/db";
import { versionKey, type ModelLoadError, type ScoringInputError, type LoadedModel, type MlmodelLike, type ModelRuntime, type ScoringRequest, type ScoringResult } from "@modelgate/serving";
import { httpStatusOf } from "../rest/errors.ts";
import { createServingMetrics, type ServingMetrics } from "./metrics.ts";

// What each serving endpoint serves in this process, kept live. Every endpoint has a state: its
// target, the loaded version (a lease on a runtime session) and, when it cannot serve, why.
//
// Switching: a state older than `refreshMs` is re-resolved (a poller does it for every known
// endpoint, and a request that finds it stale triggers it too), so an alias or stage move is
// served within about a second, from whichever process made it. The new version is acquired
// BEFORE the state points at it; requests already scoring keep their lease on the old session,
// which is released only when the last of them finishes. No request fails because of a switch.

export interface EndpointStatus {
  ready: boolean;
  deployment: "DEPLOYMENT_READY" | "DEPLOYMENT_CREATING" | "DEPLOYMENT_FAILED" | "DEPLOYMENT_ABORTED";
  /** Why it cannot serve (or what it is doing); empty when ready. */
  message: string;
  /** The version this process serves now (null: none loaded). */
  served_version: number | null;
  /** `fraud@champion`, `fraud/Production` or `fraud/3` (null before the first resolution). */
  target: string | null;
  model_name: string | null;
}

interface Lease {
  key: string;
  version: number;
  model: LoadedModel;
  inflight: number;
  retired: boolean;
  released: boolean;
}

interface EndpointState {
  name: string;
  enabled: boolean;
  current: Lease | null;
  /** Why the endpoint does not serve its target (null: healthy). */
  problem: string | null;
  /** When the target was last resolved (0: never). */
  checkedAt: number;
  refreshing: Promise<void> | null;
  /** The last failed load, so a broken version is retried at most every RETRY_MS. */
  failed: { key: string; at: number; reason: string } | null;
  exists: boolean;
  modelName: string | null;
  target: string | null;
}

export interface ServingServiceOptions {
  db: Db;
  runtime: ModelRuntime;
  /** How long a resolved target is trusted before it is read again (ms, ≤ 1000 by default). */
  refreshMs?: number;
  /** How long an (actor, endpoint) → allowed decision is reused on the scoring path (ms). */
  permissionTtlMs?: number;
  /** How long after a failed load the same version is tried again (ms). */
  retryMs?: number;
  log?: (message: string) => void;
}

export type Invocation = ScoringResult & { version: number };

export interface ServingService {
  readonly metrics: ServingMetrics;
  /** Throws not found unless `actor` may read the endpoint's model; decisions cached briefly. */
  authorize(actor: Actor, name: string): Promise<void>;
  /**
   * The one invocation path of every edge: authorize, score with what the endpoint serves now,
   * observe the endpoint's metrics. Throws DomainErrors (TEMPORARILY_UNAVAILABLE when it cannot
   * score now, BAD_REQUEST / UNSUPPORTED_MEDIA_TYPE / PAYLOAD_TOO_LARGE for the caller's input).
   */
  invoke(actor: Actor, name: string, req: ScoringRequest): Promise<Invocation>;
  /** The endpoint's status, after resolving and loading it if this process never did. */
  status(name: string): Promise<EndpointStatus>;
  /** The status as known now, without waiting (a first load starts in the background). */
  peekStatus(name: string): EndpointStatus;
  /** Re-resolves now (after this process changed the endpoint, an alias or a stage). */
  refresh(name: string): Promise<EndpointStatus>;
  /** Resolves every enabled endpoint in the background: loads what they serve. */
  warmUp(): Promise<void>;
  /** Stops the poller and releases every session. */
  close(): void;
}

export function createServingService(opts: ServingServiceOptions): ServingService {
  const { db, runtime } = opts;
  const refreshMs = opts.refreshMs ?? 1000;
  const permissionTtlMs = opts.permissionTtlMs ?? 5000;
  const retryMs = opts.retryMs ?? 10_000;
  const log = opts.log ?? ((m: string) => console.warn(`[serving] ${m}`));
  const metrics = createServingMetrics();
  const states = new Map<string, EndpointState>();
  const system: Ctx = { db, actor: systemActor("serving") };

  // Scoring must stay fast for single rows, so the permission decision is not read from the
  // database on every request: an "allowed" is reused for permissionTtlMs. A revoked grant, a
  // demoted user or a deleted endpoint therefore takes effect within that many seconds on the
  // scoring path (management calls always check afresh). Refusals are never cached, so a new
  // grant works at once. Tokens are keyed apart, since a token may be revoked on its own.
  const allowed = new Map<string, number>();

  function actorKey(actor: Actor) {
    return actor.kind === "user" ? `u:${actor.userId}:${actor.tokenId ?? ""}:${actor.role}` : `s:${actor.reason}`;
  }

  async function authorize(actor: Actor, name: string) {
    const key = `${actorKey(actor)}\n${name}`;
    const until = allowed.get(key);
    if (until !== undefined && until > Date.now()) return;
    await endpointForInvocation({ db, actor }, name); // throws not found (no READ) or invalid name
    if (allowed.size > 10_000) allowed.clear();
    allowed.set(key, Date.now() + permissionTtlMs);
  }

  function release(lease: Lease) {
    if (lease.released) return;
    lease.released = true;
    runtime.release(lease.key);
  }

  /** The state stops using `lease`; its session goes when the last request on it finishes. */
  function retire(lease: Lease | null) {
    if (!lease || lease.retired) return;
    lease.retired = true;
    if (lease.inflight === 0) release(lease);
  }

  function stateOf(name: string): EndpointState {
    let s = states.get(name);
    if (!s) states.set(name, (s = { name, enabled: true, current: null, problem: null, checkedAt: 0, refreshing: null, failed: null, exists: true, modelName: null, target: null }));
    return s;
  }

  function refresh(s: EndpointState): Promise<void> {
    s.refreshing ??= resolve(s)
      .catch((e: unknown) => {
        // the database may be away for a moment: keep serving what is loaded, say why otherwise
        log(`endpoint '${s.name}': refresh failed: ${(e as Error).message}`);
        if (!s.current) s.problem = "Could not resolve what the endpoint serves; retrying";
      })
      .finally(() => {
        s.checkedAt = Date.now();
        s.refreshing = null;
      });
    return s.refreshing;
  }

  async function resolve(s: EndpointState) {
    let found: Awaited<ReturnType<typeof endpointForInvocation>>;
    try {
      found = await endpointForInvocation(system, s.name);
    } catch (e) {
      // an invalid name cannot name an endpoint either
      if (!isDomainError(e) || (e.code !== "RESOURCE_DOES_NOT_EXIST" && e.code !== "INVALID_PARAMETER_VALUE")) throw e;
      s.exists = false;
      retire(s.current);
      s.current = null;
      states.delete(s.name);
      metrics.forget(s.name);
      return;
    }
    const { endpoint, modelId, resolved } = found;
    s.enabled = endpoint.enabled;
    s.modelName = endpoint.model_name;
    if (!endpoint.enabled) {
      retire(s.current);
      s.current = null;
      s.problem = "The endpoint is disabled";
      return;
    }
    s.target = endpoint.target_label;
    try {
      assertServable(endpoint.model_name, resolved, endpoint.target);
    } catch (e) {
      // the target moved to something that cannot be served (alias removed, version deleted): stop
      retire(s.current);
      s.current = null;
      s.problem = (e as Error).message;
      return;
    }
    const version = resolved!.version;
    if (s.current?.version !== version) {
      const key = versionKey(modelId, version);
      if (s.failed?.key === key && Date.now() - s.failed.at < retryMs) return;
      let model: LoadedModel;
      try {
        model = await runtime.acquire({ key, storePath: resolved!.storePath!, mlmodel: resolved!.mlmodel as unknown as MlmodelLike });
      } catch (e) {
        const reason = `Version ${version} of '${endpoint.model_name}' failed to load: ${(e as Error).message}`;
        s.failed = { key, at: Date.now(), reason };
        s.problem = s.current ? `${reason} (still serving version ${s.current.version})` : reason;
        log(`endpoint '${s.name}': ${reason}`);
        return;
      }
      const old = s.current;
      s.current = { key, version, model, inflight: 0, retired: false, released: false };
      s.failed = null;
      retire(old);
    }
    s.problem = null;
    // recorded once: the compare-and-set in core makes every other process's attempt a no-op
    if (endpoint.served_version !== version) await recordServingSwitch(system, { endpointId: endpoint.id, from: endpoint.served_version, to: version });
  }

  /** The state, resolved at least once; a stale one is refreshed in the background. */
  async function ready(name: string): Promise<EndpointState> {
    const s = stateOf(name);
    if (s.checkedAt === 0) await refresh(s);
    else if (Date.now() - s.checkedAt > refreshMs) void refresh(s);
    if (!s.exists) throw notFound(`Serving endpoint '${name}' does not exist`);
    return s;
  }

  function statusOf(s: EndpointState): EndpointStatus {
    const known = { served_version: s.current?.version ?? null, target: s.target, model_name: s.modelName };
    if (s.checkedAt === 0) return { ready: false, deployment: "DEPLOYMENT_CREATING", message: "Loading the model", ...known };
    if (!s.enabled) return { ready: false, deployment: "DEPLOYMENT_ABORTED", message: s.problem ?? "The endpoint is disabled", ...known };
    if (s.problem) return { ready: false, deployment: "DEPLOYMENT_FAILED", message: s.problem, ...known };
    return { ready: known.served_version !== null, deployment: "DEPLOYMENT_READY", message: "", ...known };
  }

  const poller = setInterval(() => {
    for (const s of states.values()) if (Date.now() - s.checkedAt >= refreshMs) void refresh(s);
  }, refreshMs);
  poller.unref();

  async function score(name: string, req: ScoringRequest): Promise<Invocation> {
    const s = await ready(name);
    const lease = s.current;
    if (!lease) throw unavailable(s.problem ?? `Serving endpoint '${name}' has no model loaded`);
    lease.inflight++;
    try {
      return { ...(await lease.model.score(req)), version: lease.version };
    } finally {
      lease.inflight--;
      if (lease.retired && lease.inflight === 0) release(lease);
    }
  }

  return {
    metrics,
    authorize,
    async invoke(actor, name, req) {
      await authorize(actor, name);
      // only endpoints the caller may use get a series: unknown names would grow the label set
      const t0 = performance.now();
      let status = 200;
      try {
        return await score(name, req);
      } catch (e) {
        const err = toDomainError(e);
        status = httpStatusOf(err);
        throw err;
      } finally {
        metrics.observe(name, status, (performance.now() - t0) / 1000);
      }
    },
    async status(name) {
      return statusOf(await ready(name));
    },
    peekStatus(name) {
      const s = stateOf(name);
      if (s.checkedAt === 0) void refresh(s);
      return statusOf(s);
    },
    async refresh(name) {
      const s = stateOf(name);
      if (s.refreshing) await s.refreshing; // a resolution already running may predate the change
      await refresh(s);
      return statusOf(s);
    },
    async warmUp() {
      const names = await listEnabledEndpointNames(db);
      await Promise.all(names.map((name) => refresh(stateOf(name))));
    },
    close() {
      clearInterval(poller);
      for (const s of states.values()) retire(s.current);
      states.clear();
    },
  };
}

const INPUT_ERROR_CODES = { 400: "BAD_REQUEST", 413: "PAYLOAD_TOO_LARGE", 415: "UNSUPPORTED_MEDIA_TYPE" } as const;

/**
 * The runtime's errors as domain errors: the caller's input, or a model that could not load.
 * Matched by name: Next.js bundles its own copy of @modelgate/serving.
 */
function toDomainError(e: unknown): unknown {
  const err = e as Partial<ScoringInputError | ModelLoadError> | null;
  if (err?.name === "ScoringInputError") return new DomainError(INPUT_ERROR_CODES[(err as ScoringInputError).status] ?? "BAD_REQUEST", err.message ?? "");
  if (err?.name === "ModelLoadError") return unavailable(err.message ?? "");
  return e;
}
