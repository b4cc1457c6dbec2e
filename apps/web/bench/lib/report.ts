// The result table: one row per target (pass/fail) or per informational figure (pass = null).

export interface Row {
  target: string;
  required: string;
  measured: string;
  ceiling: string;
  ratio: string;
  /** null: informational, not a target. */
  pass: boolean | null;
  note?: string;
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

export const fmtInt = (n: number) => Math.round(n).toLocaleString("en-US");
export const fmtMs = (n: number) => `${n.toFixed(1)} ms`;
export const fmtMb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/** A target that could not be measured is a miss, with the reason in the measured column. */
export function notMeasured(t: { target: string; required: string }, reason: string): Row {
  const short = /ENDPOINT_NOT_FOUND|HTTP 404 :/.test(reason) ? `endpoint missing (${/^([\w/-]+):/.exec(reason)?.[1] ?? "?"})` : "error";
  return { ...t, measured: `not measured: ${short}`, ceiling: "-", ratio: "-", pass: false, note: reason };
}

const MAX_CELL = 60;
const cell = (v: string) => (v.length > MAX_CELL ? `${v.slice(0, MAX_CELL - 1)}…` : v);

export function printTable(rows: Row[]) {
  const head = ["target", "required", "measured", "ceiling (parse-only)", "ratio", "result"];
  const cells = rows.map((r) => [r.target, r.required, r.measured, r.ceiling, r.ratio, r.pass === null ? "info" : r.pass ? "PASS" : "FAIL"].map(cell));
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((v, i) => v.padEnd(widths[i]!)).join(" | ");
  console.log(line(head));
  console.log(widths.map((w) => "-".repeat(w)).join("-+-"));
  for (const c of cells) console.log(line(c));
  const notes = rows.filter((r) => r.note);
  if (notes.length) {
    console.log("");
    for (const r of notes) console.log(`  * ${r.target}: ${r.note}`);
  }
}

/**
 * Median latency of `fn`: warm-up calls (one, or up to `warmups` while they are quick), then up to
 * `repeats` measured ones, stopping early once `budgetMs` is spent, so that a slow endpoint cannot
 * eat the bench's time budget (a 40 s call is measured once, not 23 times).
 */
export async function medianLatency(fn: () => Promise<unknown>, repeats: number, { warmups = 3, budgetMs = 15_000 } = {}): Promise<{ ms: number; samples: number }> {
  const start = performance.now();
  for (let i = 0; i < warmups && (i === 0 || performance.now() - start < budgetMs / 10); i++) await fn();
  const times: number[] = [];
  while (times.length < repeats && (times.length === 0 || performance.now() - start < budgetMs)) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return { ms: median(times), samples: times.length };
}
