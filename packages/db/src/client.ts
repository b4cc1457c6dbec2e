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
  return new PrismaClient({ adapter });
}
