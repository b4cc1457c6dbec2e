import crypto from "node:crypto";
import { createToken, createUser, systemActor } from "@modelgate/core";
import { createDb } from "@modelgate/db";

/** A user and an access token, made through core as the portal would. */
export async function benchToken(databaseUrl: string): Promise<string> {
  const db = createDb({ url: databaseUrl, max: 2 });
  try {
    const user = await createUser({ db, actor: systemActor("bench") }, { username: "bench", password: crypto.randomBytes(16).toString("hex"), role: "USER" });
    const actor = { kind: "user" as const, userId: user.id, username: user.username, role: user.role };
    const { secret } = await createToken({ db, actor }, { name: "bench" });
    return secret;
  } finally {
    await db.$disconnect();
  }
}
