// `npm run test:e2e`: make sure Chromium is there, give the server a fresh database and a known
// admin password, then run Playwright. The database is the DATABASE_URL server when set (a new
// database on it, dropped afterwards), otherwise an embedded PostgreSQL in a temporary DATA_DIR.
import { spawn, spawnSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort } from "@modelgate/db/embedded";
import { createScratchDatabase } from "@modelgate/db/testing";

const appDir = path.resolve(import.meta.dirname, "..");

function ensureChromium(): string {
  const wanted = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
  if (fs.existsSync(wanted)) return wanted;
  const hasApt = spawnSync("sh", ["-c", "command -v apt-get"]).status === 0;
  if (hasApt && process.getuid?.() === 0) {
    console.log("[e2e] Chromium not found: installing Debian's chromium with apt-get…");
    spawnSync("apt-get", ["update", "-qq"], { stdio: "inherit" });
    const r = spawnSync("apt-get", ["install", "-y", "-qq", "chromium"], { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
    if (r.status === 0 && fs.existsSync("/usr/bin/chromium")) return "/usr/bin/chromium";
  }
  console.log("[e2e] Chromium not found: installing Playwright's Chromium (npx playwright install chromium)…");
  const r = spawnSync("npx", ["playwright", "install", "chromium"], { stdio: "inherit", cwd: appDir });
  if (r.status !== 0) throw new Error("Could not install Chromium; set CHROMIUM_PATH to a Chromium binary");
  return ""; // Playwright's own build: no executablePath
}

const chromium = ensureChromium();
const port = await freePort();
const adminPassword = `e2e-${crypto.randomBytes(12).toString("base64url")}`;
const env: NodeJS.ProcessEnv = {
  ...process.env,
  E2E_PORT: String(port),
  ADMIN_USERNAME: "admin",
  ADMIN_PASSWORD: adminPassword,
  E2E_ADMIN_PASSWORD: adminPassword,
  // SCIM provisioning on, as an identity provider would use it (identity.spec.ts)
  SCIM_TOKEN: `scim-${crypto.randomBytes(18).toString("base64url")}`,
  CHROMIUM_PATH: chromium,
  NEXT_TELEMETRY_DISABLED: "1",
};
if (!chromium) delete env.CHROMIUM_PATH;

// the identity provider single sign-on signs in through (e2e/idp.ts, its own process)
const idpPort = await freePort();
const idpSecret = crypto.randomBytes(18).toString("base64url");
const idpPeople = path.join(os.tmpdir(), `modelgate-e2e-idp-${crypto.randomBytes(4).toString("hex")}.json`);
const idp = spawn(process.execPath, [path.resolve(appDir, "../../node_modules/tsx/dist/cli.mjs"), "e2e/idp.ts"], {
  cwd: appDir,
  env: { ...process.env, IDP_PORT: String(idpPort), IDP_CLIENT_SECRET: idpSecret, IDP_REDIRECT_URI: `http://localhost:${port}/api/auth/callback/oidc`, IDP_PEOPLE_FILE: idpPeople },
  stdio: ["ignore", "pipe", "inherit"],
});
await new Promise<void>((resolve, reject) => {
  idp.once("exit", (code) => reject(new Error(`the test identity provider exited (${code})`)));
  idp.stdout!.on("data", (c: Buffer) => {
    if (c.toString().includes("IDP_READY")) resolve();
  });
});
Object.assign(env, {
  OIDC_ISSUER: `http://127.0.0.1:${idpPort}`,
  OIDC_CLIENT_ID: "modelgate",
  OIDC_CLIENT_SECRET: idpSecret,
  OIDC_NAME: "Corp SSO",
  OIDC_SCOPES: "openid email profile groups",
  OIDC_ADMIN_GROUPS: "ml-admins",
  OIDC_ALLOWED_GROUPS: "data-science,ml-admins",
  IDP_PEOPLE_FILE: idpPeople,
});

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "modelgate-e2e-"));
let cleanup = async () => {};
if (process.env.DATABASE_URL) {
  const scratch = await createScratchDatabase(process.env.DATABASE_URL, "mg_e2e");
  env.DATABASE_URL = scratch.url;
  env.DATA_DIR = tmp;
  cleanup = scratch.drop;
  console.log(`[e2e] database ${scratch.name} on the DATABASE_URL server`);
} else {
  delete env.DATABASE_URL;
  env.DATA_DIR = tmp;
  console.log(`[e2e] embedded PostgreSQL under ${tmp}`);
}

const r = spawnSync(process.execPath, [path.resolve(appDir, "../../node_modules/@playwright/test/cli.js"), "test", "--config", "e2e/playwright.config.ts", ...process.argv.slice(2)], {
  cwd: appDir,
  stdio: "inherit",
  env,
});
idp.kill();
fs.rmSync(idpPeople, { force: true });
await cleanup().catch((e) => console.error("[e2e] cleanup:", e));
fs.rmSync(tmp, { recursive: true, force: true });
process.exit(r.status ?? 1);
