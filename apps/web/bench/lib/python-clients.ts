// Drives python-client.py: the yardstick, N Python threads with requests.Session sending
// log-batch bodies. One Python process per send, so a ceiling and a server run see the same client.
import { spawn } from "node:child_process";
import type { Endpoint } from "./mlflow-http.ts";

const SCRIPT = new URL("../python-client.py", import.meta.url).pathname;

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

/** Sends each thread's bodies in order, one request in flight per thread; times from all threads' start. */
export function pythonSend(target: Endpoint, bodies: string[][]): Promise<PythonSend> {
  return new Promise((resolve, reject) => {
    const p = spawn("python3", [SCRIPT], { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    p.stdout.on("data", (c: Buffer) => (out += c.toString()));
    p.stderr.on("data", (c: Buffer) => (err += c.toString()));
    p.on("error", reject);
    p.on("close", (code) => {
      if (code !== 0) return reject(new Error(`python-client.py exited ${code}: ${err.slice(-500)}`));
      resolve(JSON.parse(out) as PythonSend);
    });
    p.stdin.end(JSON.stringify({ baseUrl: target.baseUrl, token: target.token, bodies }));
  });
}
