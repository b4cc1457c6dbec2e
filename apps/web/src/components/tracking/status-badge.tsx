import { Badge } from "@mantine/core";
import type { RunStatus } from "@modelgate/core";

const statusColor: Record<RunStatus, string> = {
  RUNNING: "blue",
  SCHEDULED: "gray",
  FINISHED: "green",
  FAILED: "red",
  KILLED: "orange",
};

export function RunStatusBadge({ status }: { status: RunStatus }) {
  return (
    <Badge color={statusColor[status]} variant="light" size="sm" data-testid="run-status">
      {status.toLowerCase()}
    </Badge>
  );
}
