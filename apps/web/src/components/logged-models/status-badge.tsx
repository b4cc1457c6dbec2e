import { Badge, Tooltip } from "@mantine/core";
import type { LoggedModelStatusName } from "@modelgate/core";
import { statusLabel } from "./format";

/** A logged model's upload status: pending while the client uploads its files, then ready or failed. */
export function LoggedModelStatusBadge({ status, message }: { status: LoggedModelStatusName; message?: string | undefined }) {
  const { label, color } = statusLabel[status];
  const badge = (
    <Badge color={color} variant="light" size="sm" data-testid="logged-model-status" data-status={status}>
      {label}
    </Badge>
  );
  return message ? <Tooltip label={message}>{badge}</Tooltip> : badge;
}
