"use client";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useSyncExternalStore } from "react";
import { useTRPC } from "@/lib/trpc";

/** Refreshes every serving query (lists, endpoint pages, the model and version cards). */
export function useServingRefresh() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return () => queryClient.invalidateQueries({ queryKey: trpc.serving.pathKey() });
}

/** A model's aliases and versions, to suggest targets (nothing until the model exists). */
export function useModelTargets(model: string, enabled: boolean) {
  const trpc = useTRPC();
  const m = useQuery({ ...trpc.registry.models.get.queryOptions({ name: model }), enabled: enabled && model !== "", retry: false });
  const versions = useQuery({ ...trpc.registry.versions.list.queryOptions({ name: model, max_results: 100 }), enabled: enabled && model !== "" && m.isSuccess, retry: false });
  return {
    aliases: (m.data?.aliases ?? []).map((a) => a.alias),
    versions: (versions.data?.model_versions ?? []).map((v) => v.version),
  };
}

/** The page's origin, once mounted (the scoring URL and curl example are absolute). */
export function useOrigin(): string {
  return useSyncExternalStore(noSubscription, () => window.location.origin, () => "");
}
const noSubscription = () => () => {};
