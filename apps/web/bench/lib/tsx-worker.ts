import { Worker } from "node:worker_threads";

// Client threads of the benches: TypeScript workers, and one request/answer exchange with them.

/**
 * `n` worker threads running `file` (a .ts module). tsx's hooks do not reach worker threads on
 * Node 20 (neither inherited nor via --import in execArgv): each worker registers them itself
 * before importing the TypeScript worker.
 */
export function tsxWorkers(file: URL, n: number): Worker[] {
  const boot = `import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))}).then((t) => { t.register(); return import(${JSON.stringify(file.href)}); });`;
  return Array.from({ length: n }, () => new Worker(boot, { eval: true }));
}

/** Posts `msg` and waits for the answer of type `expect` (another answer, or an error, rejects). */
export function askWorker<Out extends { type: string }, T extends Out["type"]>(w: Worker, msg: unknown, expect: T, who = "worker"): Promise<Extract<Out, { type: T }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (reply: Out) => {
      w.off("error", onError);
      if (reply.type === expect) resolve(reply as Extract<Out, { type: T }>);
      else reject(new Error(`${who} answered ${reply.type}, expected ${expect}`));
    };
    const onError = (e: Error) => {
      w.off("message", onMessage);
      reject(e);
    };
    w.once("message", onMessage);
    w.once("error", onError);
    w.postMessage(msg);
  });
}
