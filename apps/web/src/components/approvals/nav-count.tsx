"use client";
import { Badge } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/lib/trpc";

/** The number of requests the viewer can act on, for the navigation (polled every 30 s). */
export function NavApprovalsCount() {
  const trpc = useTRPC();
  const counts = useQuery(trpc.approvals.requests.counts.queryOptions(undefined, { refetchInterval: 30_000 }));
  const n = counts.data?.actionable ?? 0;
  if (n === 0) return null;
  return (
    <Badge size="sm" circle color="red" data-testid="nav-approvals-count" aria-label={`${n} requests to review`}>
      {n > 99 ? "99+" : n}
    </Badge>
  );
}
