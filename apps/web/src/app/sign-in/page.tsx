import { redirect } from "next/navigation";
import { SignInForm } from "@/components/auth/sign-in-form";
import { oidcSettings, runtimeEnv } from "@/env";
import { currentActor } from "@/server/services";
import { ssoProblem } from "@/server/sso-status";

export const dynamic = "force-dynamic";
export const metadata = { title: "Sign in" };

export default async function SignInPage({ searchParams }: { searchParams: Promise<{ callbackUrl?: string; error?: string }> }) {
  const { callbackUrl, error } = await searchParams;
  const safe = callbackUrl?.startsWith("/") && !callbackUrl.startsWith("//") ? callbackUrl : "/";
  if (await currentActor()) redirect(safe);
  const env = runtimeEnv();
  const oidc = oidcSettings(env);
  const sso = oidc ? { name: oidc.name, problem: await ssoProblem(oidc.issuer) } : null;
  return <SignInForm callbackUrl={safe} sso={sso} passwordSignIn={env.PASSWORD_SIGN_IN} error={error ?? null} />;
}
