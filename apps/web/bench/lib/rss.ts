// Server memory, read from /proc: VmRSS now, and VmHWM (the peak RSS) which `5` written to
// /proc/<pid>/clear_refs resets, so a peak between two points in time is exact, not sampled.
import fs from "node:fs";

function statusField(pid: number, field: "VmRSS" | "VmHWM"): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!m) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(m[1]) * 1024;
}

export const rssBytes = (pid: number) => statusField(pid, "VmRSS");

/** Samples RSS every `everyMs` while `work` runs; returns the peak (also from VmHWM when resettable). */
export async function peakRssDuring<T>(pid: number, work: () => Promise<T>, everyMs = 10): Promise<{ result: T; peakBytes: number; exactPeak: boolean }> {
  let exactPeak = true;
  try {
    fs.writeFileSync(`/proc/${pid}/clear_refs`, "5");
  } catch {
    exactPeak = false;
  }
  let peak = rssBytes(pid);
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, rssBytes(pid));
    } catch {
      /* the process went away: the work will fail and say so */
    }
  }, everyMs);
  try {
    const result = await work();
    peak = Math.max(peak, rssBytes(pid));
    if (exactPeak) peak = Math.max(peak, statusField(pid, "VmHWM"));
    return { result, peakBytes: peak, exactPeak };
  } finally {
    clearInterval(timer);
  }
}
