"use client";
import { Button, Menu } from "@mantine/core";
import { IconDots, IconTrash } from "@tabler/icons-react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import type { LoggedModelView } from "@modelgate/core";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { ConfirmDeleteModal } from "@/components/registry/confirm-modal";
import { notifyError } from "@/components/shared/notify";
import { useTRPC } from "@/lib/trpc";

/** Deleting a logged model (MANAGE on its experiment): its files and registered versions stay. */
export function LoggedModelActions({ model: { info }, canDelete }: { model: LoggedModelView; canDelete: boolean }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const remove = useMutation(
    trpc.loggedModels.delete.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.loggedModels.pathKey() });
        router.push(`/experiments/${info.experiment_id}?tab=models`);
      },
      onError: notifyError,
    }),
  );
  if (!canDelete) return null;
  return (
    <>
      <Menu position="bottom-end">
        <Menu.Target>
          <Button variant="default" rightSection={<IconDots size={14} />}>Actions</Button>
        </Menu.Target>
        <Menu.Dropdown>
          <Menu.Item color="red" leftSection={<IconTrash size={14} />} onClick={() => setConfirming(true)}>Delete</Menu.Item>
        </Menu.Dropdown>
      </Menu>
      <ConfirmDeleteModal
        opened={confirming}
        onClose={() => setConfirming(false)}
        title="Delete logged model"
        confirmText={info.name}
        pending={remove.isPending}
        error={remove.error?.message}
        onConfirm={() => remove.mutate({ model_id: info.model_id })}
      >
        The model disappears from the experiment&apos;s list and from search. Its files and the versions registered from it stay.
      </ConfirmDeleteModal>
    </>
  );
}
