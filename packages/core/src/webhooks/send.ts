import https from "node:https";
import type { LookupFunction } from "node:net";
import { resolveTarget, TargetRefused, type ResolvedAddress } from "./addresses.ts";

// One HTTP attempt. The address check happens in the connection's own lookup, so the address
// checked is the address connected to (no DNS rebinding between check and connect). Redirects
// are not followed: a 3xx is an answer, and following it could lead anywhere.

export interface SendTarget {
  url: string;
  enableSslVerification: boolean;
  allowPrivate: boolean;
}

export interface SendResult {
  statusCode: number | null;
  /** The start of the answer's body (at most MAX_BODY bytes). */
  body: string;
  error: string | null;
  /** Seconds from a Retry-After header, when the answer had one. */
  retryAfterSeconds: number | null;
  durationMs: number;
  /** The target was refused by the address rules: never retried. */
  refused: boolean;
}

const MAX_BODY = 64 * 1024;

/** A URL that webhooks may use: https, no credentials in it, at most 2048 characters. */
export function parseWebhookUrl(url: string): URL | null {
  if (url.length > 2048) return null;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.protocol !== "https:" || u.username || u.password || !u.hostname) return null;
  return u;
}

function pinnedLookup(addresses: ResolvedAddress[]): LookupFunction {
  return ((_hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options?.all) callback(null, addresses.map((a) => ({ address: a.address, family: a.family })));
    else callback(null, addresses[0]!.address, addresses[0]!.family);
  }) as unknown as LookupFunction;
}

export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | null {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return null;
  if (/^\d+$/.test(v.trim())) return Number(v.trim());
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - now) / 1000));
}

export async function sendWebhook(target: SendTarget, headers: Record<string, string>, body: string, timeoutMs: number): Promise<SendResult> {
  const t0 = performance.now();
  const done = (r: Omit<SendResult, "durationMs">): SendResult => ({ ...r, durationMs: Math.round(performance.now() - t0) });
  const url = parseWebhookUrl(target.url);
  if (!url) return done({ statusCode: null, body: "", error: "The webhook URL must be an https:// URL", retryAfterSeconds: null, refused: true });
  let addresses: ResolvedAddress[];
  try {
    addresses = await resolveTarget(url.hostname, target.allowPrivate);
  } catch (e) {
    const refused = e instanceof TargetRefused && !e.message.includes("could not be resolved");
    return done({ statusCode: null, body: "", error: (e as Error).message, retryAfterSeconds: null, refused });
  }
  return new Promise<SendResult>((resolve) => {
    let settled = false;
    const finish = (r: Omit<SendResult, "durationMs">) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(done(r));
    };
    const bare = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
    const req = https.request(
      {
        method: "POST",
        protocol: "https:",
        // an IP literal host skips lookup entirely: connect to the checked address directly
        host: addresses[0]!.address === bare ? bare : url.hostname,
        servername: addresses[0]!.address === bare ? undefined : url.hostname,
        port: url.port || 443,
        path: `${url.pathname}${url.search}`,
        headers: { ...headers, "content-length": String(Buffer.byteLength(body)) },
        rejectUnauthorized: target.enableSslVerification,
        lookup: pinnedLookup(addresses),
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (c: Buffer) => {
          if (size < MAX_BODY) chunks.push(c.subarray(0, MAX_BODY - size));
          size += c.length;
        });
        res.on("end", () =>
          finish({
            statusCode: res.statusCode ?? null,
            body: Buffer.concat(chunks).toString("utf8"),
            error: null,
            retryAfterSeconds: parseRetryAfter(res.headers["retry-after"]),
            refused: false,
          }),
        );
        res.on("error", (e) => finish({ statusCode: res.statusCode ?? null, body: "", error: e.message, retryAfterSeconds: null, refused: false }));
      },
    );
    const timer = setTimeout(() => {
      req.destroy(new Error(`Timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    req.on("error", (e) => finish({ statusCode: null, body: "", error: e.message, retryAfterSeconds: null, refused: false }));
    req.end(body);
  });
}
