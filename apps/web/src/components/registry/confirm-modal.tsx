"use client";
import { Button, Group, Modal, Stack, Text, TextInput } from "@mantine/core";
import { useState, type ReactNode } from "react";

/** A destructive action confirmed by typing `confirmText` (e.g. the model's name). */
export function ConfirmDeleteModal({ opened, onClose, title, children, confirmText, pending, error, onConfirm }: {
  opened: boolean;
  onClose: () => void;
  title: string;
  children: ReactNode;
  confirmText: string;
  pending: boolean;
  error: string | undefined;
  onConfirm: () => void;
}) {
  const [typed, setTyped] = useState("");
  return (
    <Modal opened={opened} onClose={onClose} title={title}>
      <Stack>
        <Text size="sm">{children}</Text>
        <TextInput label={`Type “${confirmText}” to confirm`} value={typed} onChange={(e) => setTyped(e.currentTarget.value)} data-autofocus error={error} data-testid="confirm-delete-input" />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>Cancel</Button>
          <Button color="red" disabled={typed !== confirmText} loading={pending} onClick={onConfirm} data-testid="confirm-delete">Delete</Button>
        </Group>
      </Stack>
    </Modal>
  );
}
