import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { appRouter } from "@modelgate/api/trpc";
import { currentActor, getDb } from "@/server/services";

export const dynamic = "force-dynamic";

function handler(req: Request) {
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req,
    router: appRouter,
    createContext: async () => ({
      db: getDb(),
      actor: await currentActor(),
      requestId: req.headers.get("x-request-id") ?? crypto.randomUUID(),
      ip: req.headers.get("x-modelgate-client-ip") ?? undefined,
    }),
    onError({ error, path }) {
      if (error.code === "INTERNAL_SERVER_ERROR") console.error(`tRPC ${path ?? "?"} failed:`, error.cause ?? error);
    },
  });
}

export { handler as GET, handler as POST };
