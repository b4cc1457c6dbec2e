"use client";
import { Button, PasswordInput, Stack } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { formOf, type FormSubmit } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";

export function ChangePasswordForm() {
  const trpc = useTRPC();
  const [error, setError] = useState<string | null>(null);
  const change = useMutation(trpc.me.changePassword.mutationOptions());

  function onSubmit(e: FormSubmit) {
    e.preventDefault();
    const formEl = formOf(e);
    const form = new FormData(formEl);
    const newPassword = String(form.get("newPassword"));
    if (newPassword !== String(form.get("confirm"))) return setError("The new passwords do not match");
    setError(null);
    change.mutate(
      { currentPassword: String(form.get("currentPassword")), newPassword },
      {
        onSuccess: () => {
          formEl.reset();
          notifications.show({ color: "green", message: "Password changed" });
        },
        onError: (err) => setError(err.message),
      },
    );
  }

  return (
    <Stack component="form" onSubmit={onSubmit} gap="sm" aria-label="Change password">
      <PasswordInput name="currentPassword" label="Current password" autoComplete="current-password" required />
      <PasswordInput name="newPassword" label="New password" description="At least 12 characters, not your username" autoComplete="new-password" required />
      <PasswordInput name="confirm" label="Repeat new password" autoComplete="new-password" required error={error} />
      <Button type="submit" loading={change.isPending} variant="light" style={{ alignSelf: "flex-start" }}>
        Change password
      </Button>
    </Stack>
  );
}
