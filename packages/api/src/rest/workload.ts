import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from "jose";
import { discoverIssuer } from "@modelgate/auth/oidc-discovery";
import type { WorkloadClaims } from "@modelgate/core";

// Workload identity at the edge: a bearer value that is a JWT (not a Modelgate token) is checked
// against the identity provider: signature by one of the issuer's published keys (its JWKS, found
// through OpenID discovery and cached by jose), issuer, audience (OIDC_WORKLOAD_AUDIENCE), expiry
// and not-before (a minute of clock skew). Only then does core look up the workload's service user.

export interface WorkloadVerifier {
  issuer: string;
  audience: string;
  /** The token's workload, or a reason it is refused (never thrown to the client as a 5xx). */
  verify(token: string): Promise<{ ok: true; claims: WorkloadClaims } | { ok: false; reason: string }>;
  /** Fetches discovery and keys now: at start, so a misconfigured issuer is reported at once. */
  check(): Promise<void>;
}

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
export const looksLikeJwt = (value: string) => JWT_SHAPE.test(value);

export function createWorkloadVerifier({ issuer, audience, fetchTimeoutMs = 5000 }: { issuer: string; audience: string; fetchTimeoutMs?: number }): WorkloadVerifier {
  let jwks: ReturnType<typeof createRemoteJWKSet> | null = null;
  let discovering: Promise<ReturnType<typeof createRemoteJWKSet>> | null = null;
  const discover = () =>
    (discovering ??= (async () => {
      const d = await discoverIssuer(issuer, { timeoutMs: fetchTimeoutMs });
      if (!d.ok) throw new Error(d.problem);
      if (!d.doc.jwks_uri) throw new Error(`${d.url} has no jwks_uri`);
      jwks = createRemoteJWKSet(new URL(d.doc.jwks_uri), { timeoutDuration: fetchTimeoutMs, cooldownDuration: 30_000 });
      return jwks;
    })().catch((e: unknown) => {
      discovering = null; // try again on the next token
      throw e;
    }));

  return {
    issuer,
    audience,
    async check() {
      const keys = await discover();
      await keys.reload();
    },
    async verify(token) {
      let keys: ReturnType<typeof createRemoteJWKSet>;
      try {
        keys = jwks ?? (await discover());
      } catch (e) {
        return { ok: false, reason: `the identity provider could not be reached: ${(e as Error).message}` };
      }
      try {
        const { payload } = await jwtVerify(token, keys, { issuer, audience, clockTolerance: 60 });
        const subject = payload.sub;
        if (!subject) return { ok: false, reason: "the token has no subject (sub)" };
        return { ok: true, claims: { subject, clientId: clientIdOf(payload) } };
      } catch (e) {
        return { ok: false, reason: reasonOf(e) };
      }
    },
  };
}

function clientIdOf(p: JWTPayload): string | undefined {
  for (const k of ["azp", "client_id", "appid", "cid"]) if (typeof p[k] === "string") return p[k];
  return undefined;
}

function reasonOf(e: unknown): string {
  if (e instanceof errors.JWTExpired) return "the token has expired";
  if (e instanceof errors.JWTClaimValidationFailed) return `the token's ${e.claim} claim is not accepted here (${e.reason})`;
  if (e instanceof errors.JWSSignatureVerificationFailed || e instanceof errors.JWKSNoMatchingKey) return "the token is not signed by the identity provider's keys";
  return `the token is not valid: ${(e as Error).message}`;
}
