import dns from "node:dns/promises";
import net from "node:net";

// Which addresses a webhook may target. Deliveries leave our network, so anything that reaches
// inside it is refused: private, loopback, link-local, unique-local, multicast, unspecified and
// reserved ranges, for IPv4 and IPv6, IPv4 embedded in IPv6 (mapped, compatible, NAT64, 6to4)
// classified as the IPv4 address it carries. An admin may allow a private target per webhook.

export type AddressClass = "public" | "private" | "loopback" | "link-local" | "unique-local" | "multicast" | "unspecified" | "reserved";

const v4Ranges: [string, number, AddressClass][] = [
  ["0.0.0.0", 8, "unspecified"],
  ["10.0.0.0", 8, "private"],
  ["100.64.0.0", 10, "private"], // carrier-grade NAT
  ["127.0.0.0", 8, "loopback"],
  ["169.254.0.0", 16, "link-local"],
  ["172.16.0.0", 12, "private"],
  ["192.0.0.0", 24, "reserved"],
  ["192.0.2.0", 24, "reserved"],
  ["192.88.99.0", 24, "reserved"],
  ["192.168.0.0", 16, "private"],
  ["198.18.0.0", 15, "reserved"],
  ["198.51.100.0", 24, "reserved"],
  ["203.0.113.0", 24, "reserved"],
  ["224.0.0.0", 4, "multicast"],
  ["240.0.0.0", 4, "reserved"], // includes 255.255.255.255
];

function v4ToInt(ip: string): number {
  return ip.split(".").reduce((n, o) => n * 256 + Number(o), 0);
}

const v4Parsed = v4Ranges.map(([base, bits, cls]) => ({ base: v4ToInt(base), bits, cls }));

function classifyV4(ip: string): AddressClass {
  const n = v4ToInt(ip);
  for (const r of v4Parsed) {
    const size = 2 ** (32 - r.bits);
    if (n >= r.base && n < r.base + size) return r.cls;
  }
  return "public";
}

/** The eight 16-bit groups of an IPv6 address (a trailing dotted IPv4 part included). */
export function ipv6Groups(ip: string): number[] {
  let s = ip.split("%", 1)[0]!.toLowerCase();
  const tail: number[] = [];
  const dotted = s.match(/(\d+\.\d+\.\d+\.\d+)$/);
  if (dotted) {
    const n = v4ToInt(dotted[1]!);
    tail.push(Math.floor(n / 65536), n % 65536);
    s = s.slice(0, -dotted[1]!.length);
    if (s.endsWith(":") && !s.endsWith("::")) s = s.slice(0, -1);
  }
  const parse = (part: string) => (part === "" ? [] : part.split(":").map((h) => parseInt(h, 16)));
  const [head, rest] = s.includes("::") ? s.split("::") : [s, undefined];
  const left = parse(head!);
  const right = rest === undefined ? [] : parse(rest);
  const fill = 8 - left.length - right.length - tail.length;
  return [...left, ...(rest === undefined ? [] : new Array<number>(Math.max(fill, 0)).fill(0)), ...right, ...tail];
}

const groupsToV4 = (hi: number, lo: number) => [hi >> 8, hi & 255, lo >> 8, lo & 255].join(".");

function classifyV6(ip: string): AddressClass {
  const g = ipv6Groups(ip);
  if (g.length !== 8) return "reserved";
  const zeroUpTo = (k: number) => g.slice(0, k).every((x) => x === 0);
  if (zeroUpTo(8)) return "unspecified";
  if (zeroUpTo(7) && g[7] === 1) return "loopback";
  // IPv4-mapped ::ffff:a.b.c.d and the deprecated IPv4-compatible ::a.b.c.d
  if (zeroUpTo(5) && g[5] === 0xffff) return classifyV4(groupsToV4(g[6]!, g[7]!));
  if (zeroUpTo(6)) return "reserved";
  // NAT64 64:ff9b::/96 carries an IPv4 address; 64:ff9b:1::/48 is for local use
  if (g[0] === 0x64 && g[1] === 0xff9b) return g[2] === 1 ? "private" : classifyV4(groupsToV4(g[6]!, g[7]!));
  // 6to4 2002:V4ADDR::/48
  if (g[0] === 0x2002) return classifyV4(groupsToV4(g[1]!, g[2]!));
  const first = g[0]!;
  if ((first & 0xfe00) === 0xfc00) return "unique-local";
  if ((first & 0xffc0) === 0xfe80) return "link-local";
  if ((first & 0xffc0) === 0xfec0) return "private"; // site-local (deprecated)
  if ((first & 0xff00) === 0xff00) return "multicast";
  if (first === 0x2001 && g[1] === 0x0db8) return "reserved"; // documentation
  if (first === 0x0100 && g[1] === 0 && g[2] === 0 && g[3] === 0) return "reserved"; // discard
  return "public";
}

/** The class of an IP address literal (IPv6 with or without brackets); "reserved" when it is not one. */
export function classifyAddress(address: string): AddressClass {
  const ip = address.startsWith("[") && address.endsWith("]") ? address.slice(1, -1) : address;
  const family = net.isIP(ip.split("%", 1)[0]!);
  if (family === 4) return classifyV4(ip);
  if (family === 6) return classifyV6(ip);
  return "reserved";
}

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Thrown when a webhook target is refused or cannot be resolved (the message is safe to show). */
export class TargetRefused extends Error {
  override readonly name = "TargetRefused";
}

/**
 * Resolves `host` (a hostname or an IP literal) and checks every address: one non-public address
 * refuses the whole host, so a name cannot mix a public and a private answer. Returns the
 * addresses to connect to (the caller connects to exactly these: no second lookup to rebind).
 */
export async function resolveTarget(host: string, allowPrivate: boolean): Promise<ResolvedAddress[]> {
  const bare = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  let addresses: ResolvedAddress[];
  const literal = net.isIP(bare);
  if (literal) addresses = [{ address: bare, family: literal as 4 | 6 }];
  else {
    try {
      addresses = (await dns.lookup(bare, { all: true, verbatim: true })).map((a) => ({ address: a.address, family: a.family as 4 | 6 }));
    } catch {
      throw new TargetRefused(`Webhook host '${bare}' could not be resolved`);
    }
    if (addresses.length === 0) throw new TargetRefused(`Webhook host '${bare}' could not be resolved`);
  }
  if (!allowPrivate) {
    for (const a of addresses) {
      const cls = classifyAddress(a.address);
      if (cls !== "public") {
        throw new TargetRefused(`Webhook host '${bare}' resolves to a ${cls} address; only public addresses may receive webhooks (an admin can allow a private target for one webhook)`);
      }
    }
  }
  return addresses;
}
