// CPU time from /proc, to say where a load-bound figure went: the server process's own time and
// the whole machine's busy share (server, clients and Postgres share it).
import fs from "node:fs";
import os from "node:os";

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** utime + stime of a process, in seconds. */
export function processCpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** Busy and total jiffies of all cores since boot. */
function machineJiffies(): { busy: number; total: number } {
  const [, ...nums] = fs.readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/);
  const v = nums.map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0); // idle + iowait
  return { busy: total - idle, total };
}

/** CPU seconds of every process named `postgres` (all backends of the server, whatever their database). */
function postgresCpuSeconds(): number {
  let total = 0;
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      if (stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")) === "postgres") total += processCpuSeconds(Number(entry));
    } catch {
      /* gone meanwhile */
    }
  }
  return total;
}

export interface CpuSplit {
  /** In cores (1 = one core fully busy) over the work's wall time. */
  server: number;
  clients: number;
  postgres: number;
  other: number;
  machineBusy: number;
  cores: number;
}

/** Runs `work` and splits the machine's CPU over it: the server, this process (the clients), Postgres, the rest. */
export async function cpuDuring<T>(serverPid: number, work: () => Promise<T>): Promise<{ result: T; cpu: CpuSplit }> {
  const s0 = processCpuSeconds(serverPid);
  const c0 = process.cpuUsage();
  const p0 = postgresCpuSeconds();
  const m0 = machineJiffies();
  const t0 = performance.now();
  const result = await work();
  const seconds = (performance.now() - t0) / 1000;
  const m1 = machineJiffies();
  const c1 = process.cpuUsage(c0);
  const cores = os.cpus().length;
  const machine = ((m1.busy - m0.busy) / Math.max(1, m1.total - m0.total)) * cores;
  const server = (processCpuSeconds(serverPid) - s0) / seconds;
  const clients = (c1.user + c1.system) / 1e6 / seconds;
  // backends that exited meanwhile (other work's connections) take their time with them: never below 0
  const postgres = Math.max(0, (postgresCpuSeconds() - p0) / seconds);
  return { result, cpu: { server, clients, postgres, other: Math.max(0, machine - server - clients - postgres), machineBusy: machine / cores, cores } };
}

export const describeCpu = (c: CpuSplit) =>
  `CPU in cores: server ${c.server.toFixed(2)}, clients ${c.clients.toFixed(2)}, Postgres (all backends) ${c.postgres.toFixed(2)}, other processes ${c.other.toFixed(2)}; machine ${(c.machineBusy * 100).toFixed(0)} % busy of ${c.cores} cores`;

/** The machine's busy share over `ms` with nothing of ours running: other work skews every figure. */
export async function machineBusyOver(ms: number): Promise<number> {
  const m0 = machineJiffies();
  await new Promise((r) => setTimeout(r, ms));
  const m1 = machineJiffies();
  return (m1.busy - m0.busy) / Math.max(1, m1.total - m0.total);
}
