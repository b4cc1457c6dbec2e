"use client";
import { Autocomplete, Group, SegmentedControl, Select, Stack, Text } from "@mantine/core";
import type { TargetKind, TargetValue } from "./format";

const STAGES = ["Production", "Staging", "None", "Archived"];

/** What an endpoint serves: a fixed version, an alias (moves with it) or a stage (its latest version). */
export function TargetFields({ value, onChange, aliases = [], versions = [] }: { value: TargetValue; onChange: (t: TargetValue) => void; aliases?: string[]; versions?: string[] }) {
  const setKind = (kind: string) => onChange({ kind: kind as TargetKind, value: kind === "stage" ? "Production" : kind === "alias" ? (aliases[0] ?? "champion") : (versions[0] ?? "") });
  return (
    <Stack gap={4}>
      <Text size="sm" fw={500}>Target</Text>
      <Group gap="sm" align="flex-start" wrap="nowrap">
        <SegmentedControl
          value={value.kind}
          onChange={setKind}
          data={[
            { value: "alias", label: "Alias" },
            { value: "stage", label: "Stage" },
            { value: "version", label: "Version" },
          ]}
          data-testid="endpoint-target-kind"
        />
        {value.kind === "stage" ? (
          <Select
            aria-label="Stage"
            data={STAGES}
            value={value.value}
            onChange={(v) => onChange({ kind: "stage", value: v ?? "Production" })}
            allowDeselect={false}
            style={{ flex: 1 }}
            data-testid="endpoint-target-value"
          />
        ) : value.kind === "alias" ? (
          <Autocomplete aria-label="Alias" placeholder="champion" data={aliases} value={value.value} onChange={(v) => onChange({ kind: "alias", value: v })} style={{ flex: 1 }} data-testid="endpoint-target-value" />
        ) : (
          <Autocomplete aria-label="Version" placeholder="1" data={versions} value={value.value} onChange={(v) => onChange({ kind: "version", value: v })} style={{ flex: 1 }} data-testid="endpoint-target-value" />
        )}
      </Group>
      <Text size="xs" c="dimmed">
        {value.kind === "alias"
          ? "Follows the alias: when it moves (e.g. through an approved request) the endpoint serves the new version within seconds."
          : value.kind === "stage"
            ? "Serves the latest version in this stage, and follows promotions."
            : "Always serves this version."}
      </Text>
    </Stack>
  );
}
