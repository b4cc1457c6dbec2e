import type { PermissionLevel } from "./types.ts";

/** What a signed-in user may do on an experiment nobody granted them anything on. */
export type DefaultExperimentPermission = PermissionLevel | "NONE";

export interface TrackingConfig {
  defaultExperimentPermission: DefaultExperimentPermission;
}

// One object per process, kept on globalThis: Next.js bundles its own copy of this package for the
// portal plane, and both copies must see what the server configured at startup.
const KEY = Symbol.for("modelgate.trackingConfig");
const store = globalThis as unknown as Record<symbol, TrackingConfig | undefined>;
const config: TrackingConfig = (store[KEY] ??= { defaultExperimentPermission: "READ" });

/** Called once at startup (apps/web/server/main.ts) from the validated environment. */
export function configureTracking(opts: Partial<TrackingConfig>) {
  if (opts.defaultExperimentPermission) config.defaultExperimentPermission = opts.defaultExperimentPermission;
}

export function trackingConfig(): Readonly<TrackingConfig> {
  return config;
}
