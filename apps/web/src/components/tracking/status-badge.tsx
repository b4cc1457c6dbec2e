import { Badge } from "@mantine/core";
import type { RunStatus } from "@modelgate/core";
import { statusColor } from "./format";

export function RunStatusBadge({ status }: { status: RunStatus }) {
  return (
    <Badge color={statusColor[status]} variant="light" size="sm" data-testid="run-status">
      {status.toLowerCase()}
    </Badge>
  );
}
