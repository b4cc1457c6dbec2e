import type { Db } from "@modelgate/db";

export type Tx = Parameters<Parameters<Db["$transaction"]>[0]>[0];

/**
 * A transaction followed by `after` once it has ended, committed or not: for writes that an
 * in-process cache must hear about before the caller answers (credentials, webhook subscriptions).
 */
export async function transactionThen<T>(db: Db, fn: (tx: Tx) => Promise<T>, after: () => void): Promise<T> {
  try {
    return await db.$transaction(fn);
  } finally {
    after();
  }
}
