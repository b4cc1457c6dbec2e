// A real OpenID Provider for the browser tests (oidc-provider, the certified implementation), in
// its own process: e2e/run.ts starts it and points the server at it. Its development login form
// accepts any password; the account named decides the claims (groups below). Requested claims
// are served from userinfo, as many IdPs do, so the groups come from there.
import fs from "node:fs";
import Provider from "oidc-provider";

const port = Number(process.env.IDP_PORT);
const redirectUri = process.env.IDP_REDIRECT_URI ?? "";
const clientSecret = process.env.IDP_CLIENT_SECRET ?? "";
const issuer = `http://127.0.0.1:${port}`;

/** The people of this test company and their groups; a test may change them (IDP_PEOPLE_FILE) between sign-ins. */
const defaults: Record<string, { name: string; groups: string[] }> = {
  "ada.sso": { name: "Ada Lovelace", groups: ["ml-admins", "data-science"] },
  "bob.sso": { name: "Bob Builder", groups: ["data-science"] },
  "mallory.sso": { name: "Mallory Outsider", groups: ["contractors"] },
};
const peopleFile = process.env.IDP_PEOPLE_FILE;
if (peopleFile) fs.writeFileSync(peopleFile, JSON.stringify(defaults, null, 2));
const people = (): typeof defaults => (peopleFile ? (JSON.parse(fs.readFileSync(peopleFile, "utf8")) as typeof defaults) : defaults);

const provider = new Provider(issuer, {
  clients: [{ client_id: "modelgate", client_secret: clientSecret, redirect_uris: [redirectUri], response_types: ["code"], grant_types: ["authorization_code"] }],
  scopes: ["openid", "email", "profile", "groups"],
  claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name", "preferred_username"], groups: ["groups"] },
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ["modelgate-e2e-idp"] },
  async findAccount(_ctx, id) {
    const person = people()[id];
    if (!person) return undefined;
    return { accountId: id, claims: async () => ({ sub: `sub-${id}`, preferred_username: id, email: `${id}@corp.example`, email_verified: true, name: person.name, groups: person.groups }) };
  },
});
provider.listen(port, "127.0.0.1", () => console.log(`IDP_READY ${issuer}`));
