import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "./generated/prisma/client.ts";

export type Db = PrismaClient;

export interface CreateDbOptions {
  url: string;
  /** pg pool size; the data plane and the portal share one process, so keep it modest. */
  max?: number;
}

/** A Prisma client over node-postgres (Prisma 7's Rust-free client needs a driver adapter). */
export function createDb({ url, max = 10 }: CreateDbOptions): Db {
  const adapter = new PrismaPg({ connectionString: url, max });
  // Prisma's defaults (2 s to get a connection, 5 s to finish) turn a burst of writes queued on
  // one row into errors on a small shared pool; waiting longer is what the caller wants.
  return new PrismaClient({ adapter, transactionOptions: { maxWait: 15_000, timeout: 30_000 } });
}
