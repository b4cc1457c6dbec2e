import NextAuth, { CredentialsSignin, type NextAuthConfig } from "next-auth";
import Credentials from "next-auth/providers/credentials";
import { authenticateSession, isDomainError, recordSignIn, signInWithIdp, verifyCredentials, type Actor } from "@modelgate/core";
import type { Db } from "@modelgate/db";
import { OIDC_PROVIDER_ID, idpProfile, oidcProvider, type OidcSettings } from "./oidc.ts";

class ThrottledSignIn extends CredentialsSignin {
  override code = "throttled";
}

/** Client address as the custom server recorded it (it overwrites any client-sent value). */
function clientIp(request: Request | undefined): string | undefined {
  return request?.headers.get("x-modelgate-client-ip") ?? undefined;
}

export const SESSION_MAX_AGE_S = 12 * 60 * 60;

export interface SignInOptions {
  /** Single sign-on through the team's OpenID Connect provider. */
  oidc?: OidcSettings | undefined;
}

/** Password sign-in's policy (PASSWORD_SIGN_IN) is core's: verifyCredentials refuses it when it is off. */
export function authConfig({ db, secret, oidc }: { db: Db; secret: string } & SignInOptions): NextAuthConfig {
  return {
    secret,
    trustHost: true,
    // Credentials sign-in needs JWT sessions; revocation works through the user's session
    // version, checked against the database on every request (sessionActor below).
    session: { strategy: "jwt", maxAge: SESSION_MAX_AGE_S },
    pages: { signIn: "/sign-in" },
    providers: [
      Credentials({
        credentials: { username: { label: "Username or email" }, password: { label: "Password", type: "password" } },
        async authorize(credentials, request) {
          const identifier = typeof credentials?.username === "string" ? credentials.username : "";
          const password = typeof credentials?.password === "string" ? credentials.password : "";
          const ip = clientIp(request);
          try {
            const user = await verifyCredentials({ db, identifier, password, ip, channel: "portal" });
            await recordSignIn({ db, user, ip });
            return { id: user.id, name: user.username, email: user.email, role: user.role, sv: user.sessionVersion };
          } catch (e) {
            if (isDomainError(e) && e.code === "REQUEST_LIMIT_EXCEEDED") throw new ThrottledSignIn();
            if (isDomainError(e)) return null; // one generic message for every credential failure
            throw e;
          }
        },
      }),
      ...(oidc ? [oidcProvider(oidc)] : []),
    ],
    callbacks: {
      // single sign-on: the verified claims decide the account, its role and its IdP groups (core);
      // a refusal goes back to the sign-in page with its reason. Without an adapter Auth.js hands
      // this same user object to the jwt callback, so the Modelgate account travels on it.
      async signIn({ user, account, profile }) {
        if (account?.provider !== OIDC_PROVIDER_ID) return true;
        if (!oidc || !profile) return "/sign-in?error=sso_failed";
        const claims = await idpProfile(oidc, profile as Record<string, unknown>, account.access_token);
        const r = await signInWithIdp(db, claims, oidc.policy);
        if (!r.ok) return `/sign-in?error=sso_${r.reason}`;
        Object.assign(user, { id: r.user.id, name: r.user.username, email: r.user.email, role: r.user.role, sv: r.user.sessionVersion });
        return true;
      },
      jwt({ token, user }) {
        if (user) {
          const u = user as { id: string; sv: number };
          token.uid = u.id;
          token.sv = u.sv;
        }
        return token;
      },
      session({ session, token }) {
        return { ...session, uid: token.uid, sv: token.sv } as typeof session;
      },
    },
  };
}

export function createAuth(opts: { db: Db; secret: string } & SignInOptions) {
  return NextAuth(authConfig(opts));
}

/**
 * A session as Auth.js decoded it → the acting user, or null when the user is gone, deactivated
 * or their session version moved (password reset, deactivation): access ends at once.
 */
export async function sessionActor(db: Db, session: unknown): Promise<Actor | null> {
  const s = session as { uid?: unknown; sv?: unknown } | null;
  if (!s || typeof s.uid !== "string" || typeof s.sv !== "number") return null;
  return authenticateSession(db, { userId: s.uid, sessionVersion: s.sv });
}
