import { InvalidArtifactPathError } from "./errors.ts";

// Path safety: every path a caller sends passes through here before a store touches anything.
// We check the string as received and every further percent-decoding of it (so `%2e%2e` and the
// double-encoded `%252e%252e` are caught even if some layer decodes once more), then normalise.

const FORBIDDEN_CHARS = /[\\\0;#]/;
const MAX_DECODE_ROUNDS = 5;

function decodeOnce(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    // a stray `%` that is not an escape: the string cannot be decoded further
    return s;
  }
}

function assertSafeForm(s: string) {
  if (FORBIDDEN_CHARS.test(s)) throw new InvalidArtifactPathError("forbidden character");
  if (s.startsWith("/") || /^[a-zA-Z]:/.test(s)) throw new InvalidArtifactPathError("absolute path");
  if (s.split("/").some((seg) => seg === "..")) throw new InvalidArtifactPathError("parent segment");
}

/**
 * A caller-supplied artifact path → its normal form: relative, `/`-separated, no empty or `.`
 * segments, no trailing slash. `""` is the root. Throws InvalidArtifactPathError for anything
 * that could escape the root or be read differently by another layer.
 */
export function normalizeArtifactPath(raw: string): string {
  if (typeof raw !== "string") throw new InvalidArtifactPathError("not a string");
  let form = raw;
  for (let round = 0; ; round++) {
    assertSafeForm(form);
    const next = decodeOnce(form);
    if (next === form) break;
    if (round >= MAX_DECODE_ROUNDS) throw new InvalidArtifactPathError("too many encodings");
    form = next;
  }
  return raw
    .split("/")
    .filter((seg) => seg !== "" && seg !== ".")
    .join("/");
}

/** `a/b` + `c` → `a/b/c`; either side may be the root `""`. */
export function joinArtifactPath(dir: string, name: string): string {
  return dir ? (name ? `${dir}/${name}` : dir) : name;
}

/** normalizeArtifactPath for one store operation: the root `""` is accepted only where `allowRoot`. */
export function storePath(raw: string, { allowRoot = false } = {}): string {
  const rel = normalizeArtifactPath(raw);
  if (!rel && !allowRoot) throw new InvalidArtifactPathError("empty path");
  return rel;
}
