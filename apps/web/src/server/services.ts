import "server-only";
import { createDb, type Db } from "@modelgate/db";
import { createAuth, sessionActor } from "@modelgate/auth/next-auth";
import { configurePasswordSignIn, type Actor } from "@modelgate/core";
import { oidcSettings, runtimeEnv } from "../env";

// One database client and one Auth.js instance per process (kept across dev hot reloads).
const g = globalThis as unknown as { __mgWeb?: { db: Db; auth: ReturnType<typeof createAuth> } };

function services() {
  if (!g.__mgWeb) {
    const env = runtimeEnv();
    const db = createDb({ url: env.DATABASE_URL, max: 5 });
    configurePasswordSignIn({ allowed: env.PASSWORD_SIGN_IN, breakGlassUsername: env.ADMIN_USERNAME });
    g.__mgWeb = { db, auth: createAuth({ db, secret: env.AUTH_SECRET, oidc: oidcSettings(env) }) };
  }
  return g.__mgWeb;
}

export const getDb = () => services().db;
export const getAuth = () => services().auth;

/** The signed-in, active user of this request, or null. */
export async function currentActor(): Promise<Actor | null> {
  const session = await getAuth().auth();
  return sessionActor(getDb(), session);
}
