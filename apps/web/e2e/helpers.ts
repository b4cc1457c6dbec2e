import crypto from "node:crypto";
import path from "node:path";
import { expect, type APIRequestContext, type Page } from "@playwright/test";

// What the browser tests share: sign-in, a fresh access token, screenshots, and MLflow calls made
// over HTTP the way the mlflow client makes them.

export const adminPassword = process.env.E2E_ADMIN_PASSWORD ?? "";
const screens = path.resolve(import.meta.dirname, "../test-results/screens");
export const shot = (page: Page, name: string) => page.screenshot({ path: path.join(screens, `${name}.png`), fullPage: true });

export async function signIn(page: Page, username: string, password: string) {
  await page.goto("/sign-in");
  await page.getByLabel("Username or email").fill(username);
  await page.getByRole("textbox", { name: "Password", exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.getByTestId("current-user")).toHaveText(username);
}

export const signInAsAdmin = (page: Page) => signIn(page, "admin", adminPassword);

/** Creates an access token on the Account page and returns its secret. */
export async function newToken(page: Page, prefix = "e2e"): Promise<string> {
  await page.goto("/account");
  await page.getByLabel("Token name").fill(`${prefix}-${crypto.randomBytes(3).toString("hex")}`);
  await page.getByRole("button", { name: "Create token" }).click();
  const secret = (await page.getByTestId("new-token-secret").textContent())?.trim() ?? "";
  await page.getByRole("button", { name: "Done" }).click();
  return secret;
}

/** MLflow REST calls with a bearer token (or basic credentials `user:password`); each must succeed. */
export function mlflow(request: APIRequestContext, token: string) {
  const headers = { authorization: token.includes(":") ? `Basic ${Buffer.from(token).toString("base64")}` : `Bearer ${token}` };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- wire JSON, checked by each test
  const check = async (what: string, r: Awaited<ReturnType<APIRequestContext["get"]>>): Promise<any> => {
    expect(r.status(), `${what}: ${await r.text()}`).toBe(200);
    return r.json();
  };
  const post = async (endpoint: string, data: unknown) => check(endpoint, await request.post(`/api/2.0/mlflow/${endpoint}`, { headers, data }));
  const get = async (endpoint: string, params: Record<string, string>) => check(endpoint, await request.get(`/api/2.0/mlflow/${endpoint}`, { headers, params }));
  const put = async (artifactPath: string, body: string | Buffer, contentType = "application/octet-stream") => {
    const r = await request.put(`/api/2.0/mlflow-artifacts/artifacts/${artifactPath}`, { headers: { ...headers, "content-type": contentType }, data: typeof body === "string" ? Buffer.from(body) : body });
    expect(r.status(), `PUT ${artifactPath}: ${await r.text()}`).toBe(200);
  };
  return { post, get, put };
}
