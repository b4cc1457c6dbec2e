"use client";
import { Alert, Button, Group, Modal, Stack, Text } from "@mantine/core";
import { IconTarget, IconTrash } from "@tabler/icons-react";
import { useMutation } from "@tanstack/react-query";
import { notifications } from "@mantine/notifications";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { ConfirmDeleteModal } from "@/components/registry/confirm-modal";
import { errorMessage } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";
import { targetInput, targetOf, type ServingEndpoint, type TargetValue } from "./format";
import { TargetFields } from "./target-fields";
import { useModelTargets, useServingRefresh } from "./use-serving";

/** Change target and delete; shown only when core says the caller may (it enforces either way). */
export function EndpointActions({ endpoint }: { endpoint: ServingEndpoint }) {
  const [changing, setChanging] = useState(false);
  const [deleting, setDeleting] = useState(false);
  return (
    <Group gap="xs">
      {endpoint.can.update && (
        <Button variant="default" leftSection={<IconTarget size={16} />} onClick={() => setChanging(true)} data-testid="change-target-button">Change target</Button>
      )}
      {endpoint.can.delete && (
        <Button variant="light" color="red" leftSection={<IconTrash size={16} />} onClick={() => setDeleting(true)} data-testid="delete-endpoint-button">Delete</Button>
      )}
      {changing && <ChangeTargetModal endpoint={endpoint} onClose={() => setChanging(false)} />}
      {deleting && <DeleteEndpointModal name={endpoint.name} onClose={() => setDeleting(false)} />}
    </Group>
  );
}

function ChangeTargetModal({ endpoint, onClose }: { endpoint: ServingEndpoint; onClose: () => void }) {
  const trpc = useTRPC();
  const refresh = useServingRefresh();
  const [target, setTarget] = useState<TargetValue>(targetOf(endpoint));
  const { aliases, versions } = useModelTargets(endpoint.model_name, true);
  const update = useMutation(trpc.serving.update.mutationOptions());
  const submit = () =>
    update.mutate(
      { name: endpoint.name, ...targetInput(target) },
      {
        onSuccess: async (e) => {
          notifications.show({ message: `${e.name} now serves ${e.target_label}` });
          await refresh();
          onClose();
        },
      },
    );
  return (
    <Modal opened onClose={onClose} title={`Change what ${endpoint.name} serves`} size="lg">
      <Stack>
        <Text size="sm">Model <b>{endpoint.model_name}</b>, now <code>{endpoint.target_label}</code>. The switch happens without dropping requests.</Text>
        <TargetFields value={target} onChange={setTarget} aliases={aliases} versions={versions} />
        {update.error && <Alert color="red" data-testid="change-target-error" style={{ whiteSpace: "pre-wrap" }}>{update.error.message}</Alert>}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>Cancel</Button>
          <Button onClick={submit} loading={update.isPending} disabled={!target.value.trim()} data-testid="change-target-submit">Save</Button>
        </Group>
      </Stack>
    </Modal>
  );
}

function DeleteEndpointModal({ name, onClose }: { name: string; onClose: () => void }) {
  const trpc = useTRPC();
  const router = useRouter();
  const refresh = useServingRefresh();
  const remove = useMutation(trpc.serving.delete.mutationOptions());
  const onConfirm = () =>
    remove.mutate(
      { name },
      {
        onSuccess: async () => {
          notifications.show({ message: `Endpoint ${name} deleted` });
          router.push("/serving");
          await refresh();
        },
      },
    );
  return (
    <ConfirmDeleteModal opened onClose={onClose} title="Delete serving endpoint" confirmText={name} pending={remove.isPending} error={remove.error ? errorMessage(remove.error) : undefined} onConfirm={onConfirm}>
      Requests to /serving-endpoints/{name}/invocations will fail with 404. The model and its versions are not touched.
    </ConfirmDeleteModal>
  );
}
