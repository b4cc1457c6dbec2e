import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@modelgate/api/trpc";

// Client-side helpers of the serving views (types only from core and the router).

type Outputs = inferRouterOutputs<AppRouter>;
/** An endpoint as the portal sees it: the core view, plus its state and recent traffic in this process. */
export type ServingEndpoint = Outputs["serving"]["get"];
export type EndpointStats = ServingEndpoint["stats"];

export type TargetKind = "version" | "alias" | "stage";
export interface TargetValue {
  kind: TargetKind;
  value: string;
}

export const endpointHref = (name: string) => `/serving/${encodeURIComponent(name)}`;

/** How the create/update procedures take a target: exactly one of version, alias or stage. */
export function targetInput(t: TargetValue): { version?: string; alias?: string; stage?: string } {
  const value = t.value.trim();
  return t.kind === "version" ? { version: value } : t.kind === "alias" ? { alias: value.replace(/^@/, "") } : { stage: value };
}

export function targetOf(e: Pick<ServingEndpoint, "target">): TargetValue {
  const t = e.target;
  return t.kind === "VERSION" ? { kind: "version", value: String(t.version) } : t.kind === "ALIAS" ? { kind: "alias", value: t.alias } : { kind: "stage", value: t.stage };
}

export const formatLatency = (ms: number | null | undefined) => (ms === null || ms === undefined ? "—" : ms < 10 ? `${ms.toFixed(2)} ms` : `${Math.round(ms)} ms`);
export const formatRate = (perSecond: number) => (perSecond === 0 ? "0/s" : perSecond < 1 ? `${perSecond.toFixed(2)}/s` : `${Math.round(perSecond * 10) / 10}/s`);
export const formatErrorRate = (share: number) => `${Math.round(share * 1000) / 10}%`;

export const ENDPOINTS_REFRESH_MS = 5000;
