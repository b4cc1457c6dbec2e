import "server-only";
import { discoverIssuer } from "@modelgate/auth/oidc-discovery";

// Whether the configured OpenID Connect issuer answers its discovery document, so the sign-in page
// can say so instead of failing after a click. Remembered for a minute.

const TTL_MS = 60_000;
let last: { issuer: string; at: number; problem: string | null } | null = null;

export async function ssoProblem(issuer: string): Promise<string | null> {
  if (last && last.issuer === issuer && Date.now() - last.at < TTL_MS) return last.problem;
  const d = await discoverIssuer(issuer, { timeoutMs: 3000 });
  const problem = !d.ok ? d.problem : d.doc.authorization_endpoint ? null : `${d.url} has no authorization_endpoint`;
  last = { issuer, at: Date.now(), problem };
  return problem;
}
