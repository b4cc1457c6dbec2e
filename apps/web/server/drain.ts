import type http from "node:http";

// Shutting a replica down without failing a request (SIGTERM from Kubernetes, Compose or a rolling
// restart): /ready answers 503 at once while requests are still served for a delay, long enough for
// the balancer to stop sending new ones here; then the listener closes (new connections go to the
// other replicas), keep-alive connections are closed as soon as they are idle, every response sent
// from then on says `Connection: close`, and what is in flight gets a bounded time to finish.

const POLL_MS = 50;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface Drain {
  /** True from the first signal: /ready says 503. */
  readonly draining: boolean;
  /** Counts a request until its response is done; once draining, its connection closes after it. */
  track(res: http.ServerResponse): void;
  /** Marks the replica as draining (for a close that does not go through run). */
  begin(): void;
  /** The whole drain; resolves with how many requests were still running when it gave up (0: all finished). */
  run(server: http.Server, opts: { delayMs: number; drainMs: number; log: (line: string) => void }): Promise<number>;
}

export function createDrain(): Drain {
  let draining = false;
  let inFlight = 0;
  return {
    get draining() {
      return draining;
    },
    track(res) {
      inFlight++;
      // the client (or balancer) opens a new connection for its next request, to another replica
      if (draining) res.setHeader("connection", "close");
      res.once("close", () => inFlight--);
    },
    begin() {
      draining = true;
    },
    async run(server, { delayMs, drainMs, log }) {
      draining = true;
      if (delayMs > 0) await sleep(delayMs);
      log(`no longer accepting connections; ${inFlight} request(s) in flight`);
      server.close();
      const deadline = Date.now() + drainMs;
      // a keep-alive connection whose response was already under way when draining began becomes
      // idle only after it: close idle ones until nothing is in flight or time is up
      do {
        server.closeIdleConnections();
        if (inFlight === 0) break;
        await sleep(POLL_MS);
      } while (Date.now() < deadline);
      const left = inFlight;
      server.closeAllConnections();
      return left;
    },
  };
}
