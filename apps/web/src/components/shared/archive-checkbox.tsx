"use client";
import { Checkbox } from "@mantine/core";

/** archive_existing_versions, as the transition and approval dialogs ask it. */
export function ArchiveExistingCheckbox({ stage, checked, onChange, testId }: { stage: string; checked: boolean; onChange: (checked: boolean) => void; testId: string }) {
  return <Checkbox label={`Archive the versions currently in ${stage}`} checked={checked} onChange={(e) => onChange(e.currentTarget.checked)} data-testid={testId} />;
}
