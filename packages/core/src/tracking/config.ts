import type { PermissionLevel } from "./types.ts";

/** What a signed-in user may do on an experiment nobody granted them anything on. */
export type DefaultExperimentPermission = PermissionLevel | "NONE";

export interface TrackingConfig {
  defaultExperimentPermission: DefaultExperimentPermission;
}

const config: TrackingConfig = { defaultExperimentPermission: "READ" };

/** Called once at startup (apps/web/server/main.ts) from the validated environment. */
export function configureTracking(opts: Partial<TrackingConfig>) {
  if (opts.defaultExperimentPermission) config.defaultExperimentPermission = opts.defaultExperimentPermission;
}

export function trackingConfig(): Readonly<TrackingConfig> {
  return config;
}
