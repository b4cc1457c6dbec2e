import type { OIDCConfig } from "next-auth/providers";
import type { IdpPolicy, IdpProfile } from "@modelgate/core";
import { discoverIssuer } from "./oidc-discovery.ts";

// OpenID Connect sign-in (Auth.js provider id "oidc": the redirect URI is
// <base URL>/api/auth/callback/oidc). Auth.js runs the code flow with PKCE, state and nonce and
// verifies the ID token; this file turns its claims (and the userinfo's, where the IdP puts the
// groups only there) into core's IdpProfile.

export interface OidcSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The sign-in button's label. */
  name: string;
  scopes: string;
  /** The claim holding a list of group names (ID token or userinfo). */
  groupsClaim: string;
  policy: IdpPolicy;
}

export const OIDC_PROVIDER_ID = "oidc";

type Claims = Record<string, unknown>;

export function oidcProvider(s: OidcSettings): OIDCConfig<Claims> {
  return {
    id: OIDC_PROVIDER_ID,
    name: s.name,
    type: "oidc",
    issuer: s.issuer,
    clientId: s.clientId,
    clientSecret: s.clientSecret,
    checks: ["pkce", "state", "nonce"],
    authorization: { params: { scope: s.scopes } },
    profile: (p) => ({ id: String(p.sub), name: typeof p.name === "string" ? p.name : null, email: typeof p.email === "string" ? p.email : null }),
  };
}

const text = (v: unknown) => (typeof v === "string" && v ? v : undefined);

/** A groups claim as a list of names: an array of strings, or one string (some IdPs send one group so). */
function groupList(v: unknown): string[] | undefined {
  if (Array.isArray(v)) return v.filter((g): g is string => typeof g === "string");
  if (typeof v === "string") return [v];
  return undefined;
}

let discovered: { issuer: string; userinfo: Promise<string | null> } | null = null;
function userinfoEndpoint(issuer: string): Promise<string | null> {
  if (discovered?.issuer !== issuer) discovered = { issuer, userinfo: discoverIssuer(issuer).then((d) => (d.ok ? (d.doc.userinfo_endpoint ?? null) : null)) };
  return discovered.userinfo;
}

/** The userinfo claims for an access token (where IdPs such as oidc-provider or Keycloak put requested claims). */
async function userinfo(issuer: string, accessToken: string): Promise<Claims> {
  const endpoint = await userinfoEndpoint(issuer);
  if (!endpoint) return {};
  try {
    const r = await fetch(endpoint, { headers: { authorization: `Bearer ${accessToken}` }, signal: AbortSignal.timeout(5000) });
    return r.ok ? ((await r.json()) as Claims) : {};
  } catch {
    return {};
  }
}

/** The person's claims from the verified ID token, completed from userinfo when the groups (or names) are not in it. */
export async function idpProfile(s: OidcSettings, idToken: Claims, accessToken: string | undefined): Promise<IdpProfile> {
  let claims = idToken;
  if (accessToken && (groupList(idToken[s.groupsClaim]) === undefined || !text(idToken.preferred_username))) {
    const extra = await userinfo(s.issuer, accessToken);
    // the ID token's subject decides: userinfo for another subject is ignored (OIDC Core 5.3.2)
    if (extra.sub === idToken.sub) claims = { ...extra, ...idToken, [s.groupsClaim]: idToken[s.groupsClaim] ?? extra[s.groupsClaim] };
  }
  return {
    subject: String(idToken.sub),
    preferredUsername: text(claims.preferred_username),
    email: text(claims.email),
    emailVerified: claims.email_verified === true || claims.email_verified === "true",
    name: text(claims.name),
    givenName: text(claims.given_name),
    familyName: text(claims.family_name),
    groups: groupList(claims[s.groupsClaim]) ?? [],
  };
}
