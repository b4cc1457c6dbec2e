import path from "node:path";
import { defineConfig } from "@playwright/test";

// Started by e2e/run.ts, which prepares Chromium, a fresh database and the admin password.
const port = Number(process.env.E2E_PORT ?? 3100);
const appDir = path.resolve(import.meta.dirname, "..");

export default defineConfig({
  testDir: ".",
  testMatch: "*.spec.ts",
  timeout: 90_000,
  expect: { timeout: 15_000 },
  workers: 1,
  reporter: [["list"]],
  outputDir: path.join(appDir, "test-results/artifacts"),
  use: {
    // Next.js normalises 127.0.0.1 to localhost; Auth.js needs the browser on the same host
    baseURL: `http://localhost:${port}`,
    viewport: { width: 1280, height: 800 },
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync"],
    },
  },
  projects: [{ name: "chromium", use: { browserName: "chromium" } }],
  webServer: {
    command: `${process.execPath} server/start.mjs`,
    cwd: appDir,
    url: `http://localhost:${port}/health`,
    reuseExistingServer: false,
    timeout: 240_000,
    stdout: "pipe",
    stderr: "pipe",
    env: { ...(process.env as Record<string, string>), PORT: String(port), HOST: "127.0.0.1" },
  },
});
