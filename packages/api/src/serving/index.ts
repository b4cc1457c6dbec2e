import type { ServingService } from "./service.ts";

export { createServingService, type Invocation, type ServingService, type ServingServiceOptions, type EndpointStatus } from "./service.ts";
export { createServingMetrics, type ServingMetrics, type EndpointStats } from "./metrics.ts";
export { storeFileReader } from "../store-readers.ts";

// The custom server creates one serving service; the portal's tRPC handlers run inside Next.js,
// whose bundle has its own copy of this module, so the instance is shared through globalThis.
const KEY = Symbol.for("modelgate.serving");

export function installServingService(service: ServingService | null) {
  (globalThis as Record<symbol, unknown>)[KEY] = service;
}

export function installedServingService(): ServingService | null {
  return ((globalThis as Record<symbol, unknown>)[KEY] as ServingService | undefined) ?? null;
}
