"use client";
import { Button, Modal, Select, Stack, Text, TextInput } from "@mantine/core";
import { useMutation } from "@tanstack/react-query";
import { notifyAndRefresh } from "@/components/shared/notify";
import { formOf, type FormSubmit } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";
import { useState } from "react";
import { useRegistryRefresh } from "./use-registry";

/**
 * Sets (or moves) an alias. With `versions` the version is picked from a list; with
 * `fixedVersion` the alias goes to that version (the version page).
 */
export function SetAliasModal({ name, opened, onClose, versions, fixedVersion, alias }: {
  name: string;
  opened: boolean;
  onClose: () => void;
  versions?: string[];
  fixedVersion?: string;
  /** Moving an existing alias: its name is fixed. */
  alias?: string;
}) {
  const trpc = useTRPC();
  const refresh = useRegistryRefresh();
  const [version, setVersion] = useState<string | null>(null);
  const set = useMutation(
    trpc.registry.models.setAlias.mutationOptions({ onSuccess: notifyAndRefresh((_r, v) => `@${v.alias} now points to version ${v.version}`, refresh) }),
  );
  function onSubmit(e: FormSubmit) {
    e.preventDefault();
    const target = fixedVersion ?? version;
    if (!target) return;
    const name_ = alias ?? String(new FormData(formOf(e)).get("alias") ?? "").trim();
    set.mutate({ name, alias: name_, version: target }, { onSuccess: () => { set.reset(); setVersion(null); onClose(); } });
  }
  const title = alias ? `Move @${alias}` : fixedVersion ? `Set alias on version ${fixedVersion}` : "Set alias";
  return (
    <Modal opened={opened} onClose={onClose} title={title}>
      <Stack component="form" onSubmit={onSubmit} aria-label={title}>
        {!alias && <TextInput name="alias" label="Alias" placeholder="champion" required data-autofocus error={set.error?.message} data-testid="alias-input" />}
        {!fixedVersion && (
          <Select
            label="Version"
            data={(versions ?? []).map((v) => ({ value: v, label: `Version ${v}` }))}
            value={version}
            onChange={setVersion}
            searchable
            required
            error={alias ? set.error?.message : undefined}
            data-testid="alias-version-select"
          />
        )}
        {alias && fixedVersion && set.error && <Text c="red" size="sm">{set.error.message}</Text>}
        <Button type="submit" loading={set.isPending} disabled={!fixedVersion && !version} style={{ alignSelf: "flex-end" }} data-testid="alias-submit">
          Save
        </Button>
      </Stack>
    </Modal>
  );
}
