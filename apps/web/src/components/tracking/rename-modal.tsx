"use client";
import { Button, Modal, Stack, TextInput } from "@mantine/core";
import { formOf, type FormSubmit } from "@/lib/format";

/** A one-field rename form in a modal; the caller runs the mutation and closes it on success. */
export function RenameModal({ opened, onClose, title, label, defaultValue, error, pending, onRename }: {
  opened: boolean;
  onClose: () => void;
  /** Also the form's accessible name. */
  title: string;
  label: string;
  defaultValue: string | undefined;
  error: string | undefined;
  pending: boolean;
  onRename: (name: string) => void;
}) {
  function onSubmit(e: FormSubmit) {
    e.preventDefault();
    onRename(String(new FormData(formOf(e)).get("name") ?? ""));
  }
  return (
    <Modal opened={opened} onClose={onClose} title={title}>
      <Stack component="form" onSubmit={onSubmit} aria-label={title}>
        <TextInput name="name" label={label} required defaultValue={defaultValue} data-autofocus error={error} />
        <Button type="submit" loading={pending} style={{ alignSelf: "flex-end" }}>Rename</Button>
      </Stack>
    </Modal>
  );
}
