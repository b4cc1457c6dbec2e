"use client";
import { Alert, Button, Center, Divider, Paper, PasswordInput, Stack, Text, TextInput, Title } from "@mantine/core";
import { IconAlertCircle } from "@tabler/icons-react";
import { signIn } from "next-auth/react";
import { useState } from "react";
import { formOf, type FormSubmit } from "@/lib/format";

/** What the sign-in page says after a refused single sign-on (core's reasons) or an Auth.js error. */
const SSO_ERRORS: Record<string, string> = {
  sso_not_allowed: "Your account is not in a group that may use Modelgate. Ask your administrator for access.",
  sso_deactivated: "Your Modelgate account is deactivated. Ask your administrator.",
  sso_email_in_use: "An account with your email address already exists here. Ask an administrator to link it to your single sign-on account.",
  sso_failed: "Single sign-on failed. Try again, or ask your administrator.",
  OAuthCallbackError: "Single sign-on failed: the identity provider's answer could not be verified. Try again.",
  OAuthSignin: "Single sign-on could not start: the identity provider did not answer. Try again later.",
  Configuration: "Single sign-on failed. Try again, or ask your administrator.",
  AccessDenied: "Access denied.",
};

export interface SsoOption {
  name: string;
  /** Set when the issuer does not answer its discovery document. */
  problem: string | null;
}

export function SignInForm({ callbackUrl, sso, passwordSignIn, error: initialError }: { callbackUrl: string; sso: SsoOption | null; passwordSignIn: boolean; error: string | null }) {
  const [error, setError] = useState<string | null>(initialError ? (SSO_ERRORS[initialError] ?? "Sign-in failed. Try again.") : null);
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
          {sso && (
            <>
              <Button variant={passwordSignIn ? "default" : "filled"} fullWidth onClick={() => void signIn("oidc", { callbackUrl })} data-testid="sso-sign-in">
                Sign in with {sso.name}
              </Button>
              {sso.problem && (
                <Alert color="yellow" icon={<IconAlertCircle size={18} />} data-testid="sso-problem">
                  {sso.name} is not answering: {sso.problem}.{passwordSignIn ? " Password sign-in still works." : ""}
                </Alert>
              )}
              {passwordSignIn && <Divider label="or" labelPosition="center" />}
            </>
          )}
          {passwordSignIn && (
            <>
              <TextInput name="username" label="Username or email" autoComplete="username" required autoFocus={!sso} />
              <PasswordInput name="password" label="Password" autoComplete="current-password" required />
              <Button type="submit" loading={pending} fullWidth>
                Sign in
              </Button>
            </>
          )}
        </Stack>
      </Paper>
    </Center>
  );
}
