import { Badge } from "@mantine/core";
import type { ApprovalStatus, RequestView } from "@modelgate/core";
import { AliasBadge, StageBadge } from "@/components/registry/badges";
import { statusColor } from "./format";

/** A request's target: a stage badge, or the alias. */
export function TargetBadge({ request, testId }: { request: Pick<RequestView, "target_kind" | "to_stage" | "alias">; testId?: string }) {
  if (request.target_kind === "STAGE" && request.to_stage) return <StageBadge stage={request.to_stage} {...(testId ? { testId } : {})} />;
  return <AliasBadge alias={request.alias ?? "?"} {...(testId ? { testId } : {})} />;
}

export function StatusBadge({ status, testId }: { status: ApprovalStatus; testId?: string }) {
  return (
    <Badge color={statusColor[status]} variant="light" size="sm" data-testid={testId} data-status={status}>
      {status}
    </Badge>
  );
}
