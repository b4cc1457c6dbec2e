import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";

/**
 * AUTH_SECRET from the environment, or one generated on first start and kept in DATA_DIR with
 * 0600 permissions so sessions survive restarts.
 */
export function ensureAuthSecret({ fromEnv, dataDir }: { fromEnv?: string | undefined; dataDir: string }): { secret: string; source: "env" | "file" | "generated" } {
  if (fromEnv) return { secret: fromEnv, source: "env" };
  const file = path.join(dataDir, "auth-secret");
  if (fs.existsSync(file)) {
    fs.chmodSync(file, 0o600);
    return { secret: fs.readFileSync(file, "utf8").trim(), source: "file" };
  }
  fs.mkdirSync(dataDir, { recursive: true });
  const secret = crypto.randomBytes(32).toString("base64url");
  fs.writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: "wx" });
  return { secret, source: "generated" };
}
