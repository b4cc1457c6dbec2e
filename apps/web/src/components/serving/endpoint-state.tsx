"use client";
import { Badge, Tooltip } from "@mantine/core";
import type { ServingEndpoint } from "./format";

/** Ready, disabled, loading or failed; the reason it cannot serve on hover and as `title`. */
export function EndpointStateBadge({ endpoint, testId }: { endpoint: Pick<ServingEndpoint, "enabled" | "status">; testId?: string }) {
  const { status } = endpoint;
  const [label, color] = !endpoint.enabled
    ? ["disabled", "gray"]
    : status.ready
      ? ["ready", "green"]
      : status.deployment === "DEPLOYMENT_CREATING"
        ? ["loading", "blue"]
        : ["not ready", "red"];
  const badge = (
    <Badge color={color} variant="light" size="sm" data-testid={testId} data-ready={status.ready} data-deployment={status.deployment} title={status.message || undefined}>
      {label}
    </Badge>
  );
  return status.message ? <Tooltip label={status.message} multiline maw={420}>{badge}</Tooltip> : badge;
}
