import fs from "node:fs";
import { expect, test, type Page } from "@playwright/test";
import { shot, signInAsAdmin } from "./helpers";

// Single sign-on through a real OpenID Provider (e2e/idp.ts): the code flow with PKCE, state and
// nonce, as a person goes through it in the browser. The first sign-in creates the account with
// its IdP groups; the admin group gives the admin role; people outside the allowed groups get a
// clear refusal and no account.

async function ssoSignIn(page: Page, login: string) {
  await page.goto("/sign-in");
  await page.getByTestId("sso-sign-in").click();
  // the provider's login form, then its consent page
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill("any password");
  await page.getByRole("button", { name: "Sign-in" }).click();
  await page.getByRole("button", { name: "Continue" }).click();
}

test("single sign-on: first sign-in creates the account with its groups; admins by group; outsiders refused", async ({ page, browser }) => {
  await page.goto("/sign-in");
  await expect(page.getByTestId("sso-sign-in")).toHaveText("Sign in with Corp SSO");
  await expect(page.getByLabel("Username or email")).toBeVisible();
  await shot(page, "sso-sign-in-page");

  await ssoSignIn(page, "ada.sso");
  await expect(page.getByTestId("current-user")).toHaveText("ada.sso");
  // ada is in ml-admins (OIDC_ADMIN_GROUPS): the admin pages open, and her IdP groups are there
  await page.goto("/admin/users");
  await expect(page.getByTestId("user-row-ada.sso")).toContainText("SSO");
  await expect(page.getByTestId("user-row-ada.sso")).toContainText("admin");
  await page.goto("/admin/groups");
  await expect(page.getByTestId("group-row-data-science")).toContainText("IdP");
  await expect(page.getByTestId("group-row-ml-admins")).toContainText("IdP");
  await page.getByTestId("group-row-data-science").click();
  await expect(page.getByTestId("member-row-ada.sso")).toBeVisible();
  await shot(page, "sso-groups");

  // bob: a user, not an admin
  const bobContext = await browser.newContext();
  const bob = await bobContext.newPage();
  await ssoSignIn(bob, "bob.sso");
  await expect(bob.getByTestId("current-user")).toHaveText("bob.sso");
  await bob.goto("/admin/users");
  await expect(bob.getByTestId("user-row-ada.sso")).toHaveCount(0);
  await bobContext.close();

  // the IdP moves bob from data-science to ml-admins: his next sign-in makes him an admin there
  const file = process.env.IDP_PEOPLE_FILE!;
  const people = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, { name: string; groups: string[] }>;
  people["bob.sso"]!.groups = ["ml-admins"];
  fs.writeFileSync(file, JSON.stringify(people));
  const bobAgainContext = await browser.newContext();
  const bobAgain = await bobAgainContext.newPage();
  await ssoSignIn(bobAgain, "bob.sso");
  await expect(bobAgain.getByTestId("current-user")).toHaveText("bob.sso");
  await bobAgain.goto("/admin/groups");
  await bobAgain.getByTestId("group-row-data-science").click();
  await expect(bobAgain.getByTestId("member-row-ada.sso")).toBeVisible();
  await expect(bobAgain.getByTestId("member-row-bob.sso")).toHaveCount(0);
  await bobAgain.getByTestId("group-row-ml-admins").click();
  await expect(bobAgain.getByTestId("member-row-bob.sso")).toBeVisible();
  await bobAgainContext.close();

  // mallory is only in "contractors": refused with a reason, no account made
  const malloryContext = await browser.newContext();
  const mallory = await malloryContext.newPage();
  await ssoSignIn(mallory, "mallory.sso");
  await expect(mallory.getByText("not in a group that may use Modelgate")).toBeVisible();
  await expect(mallory).toHaveURL(/\/sign-in/);
  await shot(mallory, "sso-refused");
  await malloryContext.close();

  const adminContext = await browser.newContext();
  const admin = await adminContext.newPage();
  await signInAsAdmin(admin);
  await admin.goto("/admin/users");
  await expect(admin.getByTestId("user-row-bob.sso")).toContainText("SSO");
  await expect(admin.getByTestId("user-row-mallory.sso")).toHaveCount(0);
  await adminContext.close();
});
