import "server-only";

// Whether the configured OpenID Connect issuer answers its discovery document, so the sign-in page
// can say so instead of failing after a click. Remembered for a minute.

const TTL_MS = 60_000;
let last: { issuer: string; at: number; problem: string | null } | null = null;

export async function ssoProblem(issuer: string): Promise<string | null> {
  if (last && last.issuer === issuer && Date.now() - last.at < TTL_MS) return last.problem;
  const url = `${issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`;
  let problem: string | null = null;
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(3000), cache: "no-store" });
    if (!r.ok) problem = `its discovery document (${url}) answered HTTP ${r.status}`;
    else {
      const doc = (await r.json()) as { issuer?: string; authorization_endpoint?: string };
      if (doc.issuer !== issuer) problem = `its discovery document names the issuer ${JSON.stringify(doc.issuer)}, not ${JSON.stringify(issuer)}`;
      else if (!doc.authorization_endpoint) problem = "its discovery document has no authorization_endpoint";
    }
  } catch (e) {
    problem = `${url} could not be reached (${(e as Error).message})`;
  }
  last = { issuer, at: Date.now(), problem };
  return problem;
}
