"use client";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/lib/trpc";

/** Refreshes every registry query: a stage or alias move shows on lists, pages and histories. */
export function useRegistryRefresh() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return () => queryClient.invalidateQueries({ queryKey: trpc.registry.pathKey() });
}

/** What the caller may do on the model (the page shows only allowed actions; core enforces). */
export function useModelAccess(name: string) {
  const trpc = useTRPC();
  return useQuery(trpc.registry.models.myAccess.queryOptions({ name })).data;
}
