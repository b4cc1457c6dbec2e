import crypto from "node:crypto";
import { expect, test } from "@playwright/test";
import { newToken, shot, signInAsAdmin } from "./helpers";

// Users and groups an identity provider keeps through SCIM, as an admin sees them: the origin of
// each account, IdP groups marked and read-only (no member form, no rename or delete).

const scimToken = process.env.SCIM_TOKEN ?? "";

test("SCIM-provisioned users and IdP groups in the admin pages", async ({ page, request }) => {
  const headers = { authorization: `Bearer ${scimToken}`, "content-type": "application/scim+json" };
  const tag = crypto.randomBytes(3).toString("hex");
  const user = await request.post("/scim/v2/Users", { headers, data: { userName: `marie.${tag}@example.com`, name: { givenName: "Marie", familyName: "Curie" }, displayName: "Marie Curie", emails: [{ value: `marie.${tag}@example.com`, primary: true }] } });
  expect(user.status(), await user.text()).toBe(201);
  const userId = ((await user.json()) as { id: string }).id;
  const groupName = `ML Platform ${tag}`;
  const group = await request.post("/scim/v2/Groups", { headers, data: { displayName: groupName, members: [{ value: userId }] } });
  expect(group.status(), await group.text()).toBe(201);

  await signInAsAdmin(page);
  await page.goto("/admin/users");
  const row = page.getByTestId(`user-row-marie.${tag}@example.com`);
  await expect(row).toContainText("SCIM");
  await expect(row).toContainText("Marie Curie");
  await expect(row).toContainText(groupName); // the groups the IdP keeps her in
  await expect(page.getByTestId("user-row-admin")).toContainText("local");
  await shot(page, "identity-users");

  await page.goto("/admin/groups");
  const groupRow = page.getByTestId(`group-row-${groupName}`);
  await expect(groupRow).toContainText("IdP");
  await groupRow.click();
  await expect(page.getByTestId("group-managed-note")).toBeVisible();
  await expect(page.getByTestId(`member-row-marie.${tag}@example.com`)).toBeVisible();
  await expect(page.getByRole("form", { name: "Add member" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: `Remove marie.${tag}@example.com` })).toHaveCount(0);
  await groupRow.getByRole("button", { name: `Actions for ${groupName}` }).click();
  await expect(page.getByRole("menuitem", { name: "Delete…" })).toBeDisabled();
  await page.keyboard.press("Escape");
  await shot(page, "identity-groups");
});

test("an admin sees a user's tokens, revokes one, and can end every session", async ({ page, request }) => {
  await signInAsAdmin(page);
  const secret = await newToken(page, "revoke-me");
  const search = () => request.get("/api/2.0/mlflow/experiments/search?max_results=1", { headers: { authorization: `Bearer ${secret}` } });
  expect((await search()).status()).toBe(200);

  await page.goto("/admin/users");
  await page.getByRole("button", { name: "Actions for admin" }).click();
  await page.getByRole("menuitem", { name: "Sessions and tokens…" }).click();
  const dialog = page.getByRole("dialog", { name: "Sessions and tokens of admin" });
  const row = dialog.locator('[data-testid^="admin-token-revoke-me-"]').first();
  await expect(row).toBeVisible();
  await shot(page, "identity-access");
  await row.getByRole("button", { name: /^Revoke / }).click();
  await expect(row).toContainText("revoked");
  expect((await search()).status()).toBe(401);

  // ending every session of this user (here the admin's own): the next page asks to sign in again
  await dialog.getByRole("button", { name: "End all sessions" }).click();
  await expect(page.getByText("Every portal session of admin has ended")).toBeVisible();
  await page.goto("/admin/users");
  await expect(page).toHaveURL(/\/sign-in/);
});
