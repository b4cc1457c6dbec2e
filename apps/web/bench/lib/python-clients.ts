// Drives the Python client, python-calls.py (log-batch bodies from N threads, the per-call table,
// the ingest shape, version creation, search): each call a fresh python3 process with
// requests.Session, so a ceiling and a server run see the same client.
import { spawn } from "node:child_process";
import type { Endpoint } from "./mlflow-http.ts";

const CALLS = new URL("../python-calls.py", import.meta.url).pathname;

export interface PythonSend {
  requests: number;
  seconds: number;
  error: string | null;
}

/** Whether python3 with `requests` is here (the bench reports the rows unmeasured otherwise). */
export async function pythonClientProblem(): Promise<string | null> {
  return new Promise((resolve) => {
    const p = spawn("python3", ["-c", "import requests"], { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    p.stderr.on("data", (c: Buffer) => (err += c.toString()));
    p.on("error", (e) => resolve(`python3 not runnable: ${e.message}`));
    p.on("close", (code) => resolve(code === 0 ? null : `python3 cannot import requests: ${err.trim().split("\n").pop() ?? ""}`));
  });
}

function runPython<T>(spec: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const p = spawn("python3", [CALLS], { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    p.stdout.on("data", (c: Buffer) => (out += c.toString()));
    p.stderr.on("data", (c: Buffer) => (err += c.toString()));
    p.on("error", reject);
    p.on("close", (code) => {
      if (code !== 0) return reject(new Error(`python-calls.py exited ${code}: ${err.slice(-500)}`));
      resolve(JSON.parse(out) as T);
    });
    p.stdin.end(JSON.stringify(spec));
  });
}

/** Sends each thread's bodies in order, one request in flight per thread; times from all threads' start. */
export const pythonSend = (target: Endpoint, bodies: string[][]) => runPython<PythonSend>({ mode: "batches", target, bodies });

export interface PythonCall {
  name: string;
  modelgate: number[];
  ceiling: number[];
}

/** The per-call table: every call of `group` sent to both, interleaved, `rounds` times after `warmup`. */
export const pythonCalls = (spec: { modelgate: Endpoint; ceiling: Endpoint; group: "tracking" | "registry"; rounds: number; warmup: number; stamp: string }) =>
  runPython<{ calls: PythonCall[]; error: string | null }>({ mode: "calls", ...spec });

/** The ingest shape (runs/create, the run's log-batch bodies with "__RUN_ID__" in them, runs/update) from one thread per list. */
export const pythonIngest = (target: Endpoint, experimentId: string, threads: string[][][]) =>
  runPython<{ seconds: number; requests: number; error: string | null }>({ mode: "ingest", target, experimentId, threads });

/** `threads` x `perThread` model-versions/create with one body. */
export const pythonVersions = (target: Endpoint, body: string, threads: number, perThread: number) =>
  runPython<{ seconds: number; versions: number[]; errors: number; error: string | null }>({ mode: "versions", target, body, threads, perThread });

/** One runs/search body, `repeats` times after `warmup`: each request's time with the answer decoded. */
export const pythonSearch = (target: Endpoint, body: string, repeats: number, warmup: number) =>
  runPython<{ ms: number[]; runs: number; error: string | null }>({ mode: "search", target, body, repeats, warmup });
