"use client";
import { Alert, Button, Center, Paper, PasswordInput, Stack, Text, TextInput, Title } from "@mantine/core";
import { IconAlertCircle } from "@tabler/icons-react";
import { signIn } from "next-auth/react";
import { useState } from "react";
import { formOf, type FormSubmit } from "@/lib/format";

export function SignInForm({ callbackUrl }: { callbackUrl: string }) {
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  async function onSubmit(e: FormSubmit) {
    e.preventDefault();
    const form = new FormData(formOf(e));
    setPending(true);
    setError(null);
    const res = await signIn("credentials", {
      username: String(form.get("username") ?? ""),
      password: String(form.get("password") ?? ""),
      redirect: false,
    });
    setPending(false);
    if (!res || res.error) {
      setError(res?.code === "throttled" ? "Too many failed attempts. Wait a moment and try again." : "Invalid username or password");
      return;
    }
    window.location.assign(callbackUrl);
  }

  return (
    <Center mih="100vh" p="md">
      <Paper withBorder shadow="sm" p="xl" w={380} component="form" onSubmit={onSubmit} aria-label="Sign in">
        <Stack>
          <div>
            <Title order={2}>Modelgate</Title>
            <Text c="dimmed" size="sm">
              Sign in to track experiments and promote models.
            </Text>
          </div>
          {error && (
            <Alert color="red" icon={<IconAlertCircle size={18} />} role="alert">
              {error}
            </Alert>
          )}
          <TextInput name="username" label="Username or email" autoComplete="username" required autoFocus />
          <PasswordInput name="password" label="Password" autoComplete="current-password" required />
          <Button type="submit" loading={pending} fullWidth>
            Sign in
          </Button>
        </Stack>
      </Paper>
    </Center>
  );
}
