import type { ModelPermissionLevel } from "./types.ts";

/** What a signed-in user may do on a model nobody granted them anything on. */
export type DefaultModelPermission = ModelPermissionLevel | "NONE";

/** Reads a file of the artifact store by store path (`<exp>/<run>/artifacts/model/MLmodel`); null when missing. */
export type ArtifactReader = (storePath: string, maxBytes: number) => Promise<Buffer | null>;

export interface RegistryConfig {
  defaultModelPermission: DefaultModelPermission;
  /** Set where the artifact store is built (the data plane); core does not depend on the store. */
  readArtifact: ArtifactReader | null;
  /** ARTIFACTS_DESTINATION when it is an s3:// URI: sources inside it are our store and checked as such. */
  s3Destination: string | null;
}

// One object per process, kept on globalThis: Next.js bundles its own copy of this package for the
// portal plane, and both copies must see what the server configured at startup.
const KEY = Symbol.for("modelgate.registryConfig");
const store = globalThis as unknown as Record<symbol, RegistryConfig | undefined>;
const config: RegistryConfig = (store[KEY] ??= { defaultModelPermission: "READ", readArtifact: null, s3Destination: null });

export function configureRegistry(opts: Partial<RegistryConfig>) {
  Object.assign(config, Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)));
}

export function registryConfig(): Readonly<RegistryConfig> {
  return config;
}
