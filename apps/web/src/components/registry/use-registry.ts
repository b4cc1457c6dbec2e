"use client";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "@/lib/trpc";

/**
 * Refreshes every registry query, and the approvals ones (activity, open requests): a stage or
 * alias move shows on lists, pages, histories and feeds.
 */
export function useRegistryRefresh() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return () => Promise.all([queryClient.invalidateQueries({ queryKey: trpc.registry.pathKey() }), queryClient.invalidateQueries({ queryKey: trpc.approvals.pathKey() })]);
}

/** What the caller may do on the model (the page shows only allowed actions; core enforces). */
export function useModelAccess(name: string) {
  const trpc = useTRPC();
  return useQuery(trpc.registry.models.myAccess.queryOptions({ name })).data;
}
