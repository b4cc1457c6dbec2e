// npm run db:migrate -- <name>   create a migration from prisma/schema.prisma and apply it (dev)
// npm run db:deploy              apply pending migrations to DATABASE_URL
import { parseArgs } from "node:util";
import { applyMigrations, createMigration, migrationStatus } from "../src/migrate.ts";

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { url: { type: "string" }, "accept-data-loss": { type: "boolean", default: false }, "create-only": { type: "boolean", default: false } },
});
const url = values.url ?? process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/modelgate_dev";
const [cmd = "dev", name = "migration"] = positionals;
if (cmd === "deploy") {
  console.log("applied:", await applyMigrations(url));
} else if (cmd === "status") {
  console.log(JSON.stringify(await migrationStatus(url), null, 2));
} else {
  const created = await createMigration(url, cmd === "dev" ? name : cmd, { acceptDataLoss: values["accept-data-loss"] });
  console.log(created ? `created ${created}` : "Already in sync, no schema change.");
  if (created && !values["create-only"]) console.log("applied:", await applyMigrations(url));
}
process.exit(0);
