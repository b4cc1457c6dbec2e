"use client";
import { Stack } from "@mantine/core";
import { PageHeader } from "@/components/shell/page-header";
import { PolicyEditor } from "./policy-editor";

/** Admin → Policies: the registry-wide approval policy. */
export function PoliciesAdmin() {
  return (
    <Stack maw={1400} gap={0}>
      <PageHeader
        title="Approval policies"
        description="Which stages and aliases are protected registry-wide, who approves moves into them, and the gates a version must pass. Models may override rules on their Policy tab."
      />
      <PolicyEditor />
    </Stack>
  );
}
