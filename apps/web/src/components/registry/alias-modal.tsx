"use client";
import { Button, Group, Modal, Select, Stack, Text, TextInput } from "@mantine/core";
import { useMutation } from "@tanstack/react-query";
import { isProtectedError } from "@/components/approvals/request-modal";
import { notifyAndRefresh } from "@/components/shared/notify";
import { formOf, type FormSubmit } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";
import { useState } from "react";
import { useRegistryRefresh } from "./use-registry";

/**
 * Sets (or moves) an alias. With `versions` the version is picked from a list; with
 * `fixedVersion` the alias goes to that version (the version page).
 */
export function SetAliasModal({ name, opened, onClose, versions, fixedVersion, alias, onRequestInstead }: {
  name: string;
  opened: boolean;
  onClose: () => void;
  versions?: string[];
  fixedVersion?: string;
  /** Moving an existing alias: its name is fixed. */
  alias?: string;
  /** Offered when the alias is protected: ask for the move instead (the version page). */
  onRequestInstead?: (alias: string) => void;
}) {
  const trpc = useTRPC();
  const refresh = useRegistryRefresh();
  const [version, setVersion] = useState<string | null>(null);
  const [typed, setTyped] = useState("");
  const set = useMutation(
    trpc.registry.models.setAlias.mutationOptions({ onSuccess: notifyAndRefresh((_r, v) => `@${v.alias} now points to version ${v.version}`, refresh) }),
  );
  function onSubmit(e: FormSubmit) {
    e.preventDefault();
    const target = fixedVersion ?? version;
    if (!target) return;
    const name_ = alias ?? String(new FormData(formOf(e)).get("alias") ?? "").trim();
    setTyped(name_);
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
        <Group justify="flex-end" gap="xs">
          {onRequestInstead && isProtectedError(set.error?.message) && (
            <Button variant="light" onClick={() => { set.reset(); onRequestInstead(typed); }} data-testid="request-instead">Request it instead</Button>
          )}
          <Button type="submit" loading={set.isPending} disabled={!fixedVersion && !version} data-testid="alias-submit">
            Save
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
