// An OpenID Connect issuer's discovery document (/.well-known/openid-configuration), fetched and
// checked in one place for the sign-in flow (userinfo), workload identity (JWKS), the sign-in
// page and the start-up log.

export interface OidcDiscovery {
  issuer: string;
  authorization_endpoint?: string;
  userinfo_endpoint?: string;
  jwks_uri?: string;
}

export type Discovered = { ok: true; url: string; doc: OidcDiscovery } | { ok: false; url: string; problem: string };

/** The issuer's document, which must name that very issuer (OIDC Discovery 4.3); or what is wrong, in words. */
export async function discoverIssuer(issuer: string, { timeoutMs = 5000 }: { timeoutMs?: number } = {}): Promise<Discovered> {
  const url = `${issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), cache: "no-store" });
    if (!res.ok) return { ok: false, url, problem: `${url} answered HTTP ${res.status}` };
    const doc = (await res.json()) as Partial<OidcDiscovery>;
    if (doc.issuer !== issuer) return { ok: false, url, problem: `${url} names the issuer ${JSON.stringify(doc.issuer)}, not ${JSON.stringify(issuer)} (OIDC_ISSUER)` };
    return { ok: true, url, doc: doc as OidcDiscovery };
  } catch (e) {
    return { ok: false, url, problem: `${url} could not be reached (${(e as Error).message})` };
  }
}
