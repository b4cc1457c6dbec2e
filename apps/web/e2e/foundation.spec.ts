import crypto from "node:crypto";
import { expect, test, type APIRequestContext } from "@playwright/test";
import { adminPassword, shot, signIn } from "./helpers.ts";


const search = (request: APIRequestContext, token: string) =>
  request.get("/api/2.0/mlflow/experiments/get?experiment_id=0", { headers: { authorization: `Bearer ${token}` } });

test("a wrong password gets one generic message", async ({ page }) => {
  await page.goto("/sign-in");
  await shot(page, "01-sign-in");
  await page.getByLabel("Username or email").fill("admin");
  await page.getByRole("textbox", { name: "Password", exact: true }).fill("definitely not it");
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.getByRole("alert").filter({ hasText: /\S/ })).toHaveText("Invalid username or password");
  await shot(page, "02-sign-in-failed");
});

test("admin creates a user; the user gets a token that works until revoked and until deactivated", async ({ browser, request }) => {
  const username = `dana-${crypto.randomBytes(3).toString("hex")}`;
  const password = "dana has a long password";

  // the admin signs in and creates a user
  const adminCtx = await browser.newContext();
  const admin = await adminCtx.newPage();
  await signIn(admin, "admin", adminPassword);
  await expect(admin).toHaveURL(/\/experiments$/);
  await shot(admin, "03-experiments");
  await admin.getByRole("link", { name: "Users" }).click();
  await admin.getByRole("button", { name: "New user" }).click();
  const form = admin.getByRole("dialog", { name: "New user" });
  await form.getByLabel("Username").fill(username);
  await form.getByLabel("Email").fill(`${username}@example.com`);
  await form.getByLabel("Initial password").fill("short");
  await form.getByRole("button", { name: "Create user" }).click();
  await expect(form.getByRole("alert")).toContainText("at least 12 characters");
  await form.getByLabel("Initial password").fill(password);
  await form.getByRole("button", { name: "Create user" }).click();
  await expect(form).toBeHidden();
  const row = admin.getByTestId(`user-row-${username}`);
  await expect(row).toContainText("active");
  await shot(admin, "04-users");

  // the user signs in (own browser context) and creates a token
  const userCtx = await browser.newContext();
  const user = await userCtx.newPage();
  await signIn(user, username, password);
  await expect(user.getByRole("link", { name: "Users" })).toHaveCount(0); // not an admin
  await user.goto("/account");
  await user.getByLabel("Token name").fill("e2e laptop");
  await user.getByRole("button", { name: "Create token" }).click();
  const secret = (await user.getByTestId("new-token-secret").textContent())?.trim() ?? "";
  expect(secret).toMatch(/^mgt_/);
  await shot(user, "05-token-created");
  await user.getByRole("button", { name: "Done" }).click();
  await expect(user.getByRole("table", { name: "Access tokens" })).toContainText("e2e laptop");

  // the token reaches the MLflow API
  const ok = await search(request, secret);
  expect(ok.status()).toBe(200);
  expect(await ok.json()).toMatchObject({ experiment: { experiment_id: "0", name: "Default" } });
  const anonymous = await request.get("/api/2.0/mlflow/experiments/search");
  expect(anonymous.status()).toBe(401);
  expect(await anonymous.json()).toMatchObject({ error_code: "UNAUTHENTICATED" });

  // revoked: 401
  await user.getByRole("button", { name: "Revoke e2e laptop" }).click();
  await expect(user.getByRole("table", { name: "Access tokens" })).toContainText("revoked");
  expect((await search(request, secret)).status()).toBe(401);
  await shot(user, "06-token-revoked");

  // a second token, then the admin deactivates the user: session and token stop working
  await user.getByLabel("Token name").fill("pipeline");
  await user.getByRole("button", { name: "Create token" }).click();
  const second = (await user.getByTestId("new-token-secret").textContent())?.trim() ?? "";
  await user.getByRole("button", { name: "Done" }).click();
  expect((await search(request, second)).status()).toBe(200);

  await admin.reload();
  await row.getByRole("button", { name: `Actions for ${username}` }).click();
  await admin.getByRole("menuitem", { name: "Deactivate" }).click();
  await expect(row).toContainText("deactivated");
  await shot(admin, "07-user-deactivated");

  expect((await search(request, second)).status()).toBe(401);
  await user.goto("/account");
  await expect(user).toHaveURL(/\/sign-in/);
  await expect(user.getByRole("button", { name: "Sign in", exact: true })).toBeVisible();

  // the audit log shows what happened
  await admin.getByRole("link", { name: "Audit log" }).click();
  const events = admin.getByRole("table", { name: "Audit events" });
  await expect(events).toContainText("user.deactivate");
  await expect(events).toContainText("token.revoke");
  await expect(events).toContainText("auth.sign_in_failed");
  await shot(admin, "08-audit-log");

  // dark mode renders too
  await admin.getByRole("button", { name: /Switch to dark mode/ }).click();
  await shot(admin, "09-audit-log-dark");
  await adminCtx.close();
  await userCtx.close();
});

test("the portal's APIs refuse non-JSON mutations and oversize bodies", async ({ request }) => {
  const form = await request.post("/api/trpc/tokens.create", { headers: { "content-type": "application/x-www-form-urlencoded" }, data: "name=x" });
  expect(form.status()).toBe(415);
  const big = await request.post("/api/trpc/tokens.create", { headers: { "content-type": "application/json" }, data: JSON.stringify({ name: "x".repeat(2 * 1024 * 1024) }) });
  expect(big.status()).toBe(413);
  const anonymous = await request.post("/api/trpc/tokens.create", { headers: { "content-type": "application/json" }, data: JSON.stringify({ json: { name: "x" } }) });
  expect(anonymous.status()).toBe(401);
});
