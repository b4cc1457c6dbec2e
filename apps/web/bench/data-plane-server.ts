// The data plane alone: the same Fastify app `npm start` serves (createDataPlaneApp, same pool size
// and body limit as server/main.ts), without Next.js. Used when there is no portal build, or with
// --server=data-plane. DATABASE_URL and PORT come from the environment.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createDataPlaneApp } from "@modelgate/api/rest";
import { createDb } from "@modelgate/db";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const version = (JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8")) as { version: string }).version;
const url = process.env.DATABASE_URL;
if (!url) throw new Error("DATABASE_URL is required");

const db = createDb({ url, max: 10 });
const app = await createDataPlaneApp({ db, version, bodyLimit: 32 * 1024 * 1024, logLevel: "warn" });
await app.listen({ port: Number(process.env.PORT), host: "127.0.0.1" });
const shutdown = () => {
  void app
    .close()
    .then(() => db.$disconnect())
    .finally(() => process.exit(0));
};
process.once("SIGTERM", shutdown);
// the bench holds an IPC channel to us: when it goes away (even killed), so do we
process.once("disconnect", shutdown);
