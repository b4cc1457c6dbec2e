import { Badge } from "@mantine/core";

const STATE: Record<string, { label: string; color: string }> = {
  OK: { label: "OK", color: "green" },
  ERROR: { label: "ERROR", color: "red" },
  IN_PROGRESS: { label: "IN_PROGRESS", color: "blue" },
  STATE_UNSPECIFIED: { label: "UNKNOWN", color: "gray" },
};

/** A trace's state (TraceInfoV3.State) or a span's status. */
export function TraceStateBadge({ state, size = "sm" }: { state: string; size?: "xs" | "sm" }) {
  const s = STATE[state] ?? { label: state, color: "gray" };
  return (
    <Badge color={s.color} variant="light" size={size} data-testid="trace-state">
      {s.label}
    </Badge>
  );
}
