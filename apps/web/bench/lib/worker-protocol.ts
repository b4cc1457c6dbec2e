// Messages between the bench and its client threads. Each client is a worker thread with its own
// event loop, so building and parsing JSON on the client side never runs on the server's loop (the
// server is a separate process anyway) nor on the bench's.
import type { RunShape } from "./payloads.ts";

export type LoadSpec =
  | { kind: "runs"; runIds: string[]; shape: RunShape; baseTimestamp: number }
  | { kind: "series"; runIds: string[]; key: string; from: number; to: number; baseTimestamp: number };

export interface SeedSpec {
  experimentId: string;
  namePrefix: string;
  count: number;
  shape: RunShape;
  baseTimestamp: number;
}

export type ToWorker =
  | { type: "prepare"; spec: LoadSpec }
  | { type: "send"; baseUrl: string; token: string }
  | { type: "seed"; baseUrl: string; token: string; spec: SeedSpec };

export type FromWorker =
  | { type: "prepared"; requests: number; points: number; bytes: number }
  | { type: "sent"; requests: number; error?: string; endpointMissing?: boolean }
  | { type: "seeded"; runIds: string[]; error?: string; endpointMissing?: boolean };
