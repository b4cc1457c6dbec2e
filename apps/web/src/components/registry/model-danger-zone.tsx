"use client";
import { Button, Card, Group, Stack, Text } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { RenameModal } from "@/components/tracking/rename-modal";
import { useTRPC } from "@/lib/trpc";
import { ConfirmDeleteModal } from "./confirm-modal";
import { modelHref } from "./format";
import { useRegistryRefresh } from "./use-registry";

/** Rename and delete the model, for those allowed. */
export function ModelDangerZone({ name, canRename, canDelete }: { name: string; canRename: boolean; canDelete: boolean }) {
  const trpc = useTRPC();
  const router = useRouter();
  const refresh = useRegistryRefresh();
  const [renaming, setRenaming] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const rename = useMutation(trpc.registry.models.rename.mutationOptions());
  const remove = useMutation(trpc.registry.models.delete.mutationOptions());
  if (!canRename && !canDelete) return null;
  const onRename = (new_name: string) =>
    rename.mutate(
      { name, new_name },
      {
        onSuccess: () => {
          notifications.show({ message: `Model renamed to ${new_name}` });
          setRenaming(false);
          void refresh();
          router.replace(modelHref(new_name));
        },
      },
    );
  const onDelete = () =>
    remove.mutate(
      { name },
      {
        onSuccess: () => {
          notifications.show({ message: `Model ${name} deleted` });
          void refresh();
          router.push("/models");
        },
      },
    );
  return (
    <Card withBorder style={{ borderColor: "var(--mantine-color-red-4)" }} data-testid="danger-zone">
      <Text fw={600} c="red" mb="sm">Danger zone</Text>
      <Stack gap="sm">
        {canRename && (
          <Group justify="space-between">
            <Text size="sm">Rename the model. Versions, aliases, history and permissions follow; <code>models:/</code> URIs with the old name stop resolving.</Text>
            <Button variant="default" onClick={() => setRenaming(true)} data-testid="rename-model-button">Rename</Button>
          </Group>
        )}
        {canDelete && (
          <Group justify="space-between">
            <Text size="sm">Delete the model and all its versions.</Text>
            <Button color="red" variant="light" onClick={() => setDeleting(true)} data-testid="delete-model-button">Delete model</Button>
          </Group>
        )}
      </Stack>
      <RenameModal opened={renaming} onClose={() => setRenaming(false)} title="Rename model" label="New name" defaultValue={name} error={rename.error?.message} pending={rename.isPending} onRename={onRename} />
      <ConfirmDeleteModal opened={deleting} onClose={() => setDeleting(false)} title="Delete model" confirmText={name} pending={remove.isPending} error={remove.error?.message} onConfirm={onDelete}>
        This deletes {name} and every version of it. Clients loading it by name, version or alias will fail.
      </ConfirmDeleteModal>
    </Card>
  );
}
