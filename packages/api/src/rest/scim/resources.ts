import type { ProvisionedGroup, ProvisionedUser } from "@modelgate/core";

// SCIM 2.0 (RFC 7643) resources as Modelgate writes them, and the discovery documents.

export const USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User";
export const GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group";
export const LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
export const PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
export const ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error";

/** Most resources one list answer carries (ServiceProviderConfig says so). */
export const MAX_RESULTS = 200;

export function userResource(u: ProvisionedUser, base: string) {
  const formatted = [u.givenName, u.familyName].filter(Boolean).join(" ") || u.displayName || undefined;
  return {
    schemas: [USER_SCHEMA],
    id: u.id,
    ...(u.externalId ? { externalId: u.externalId } : {}),
    userName: u.userName,
    name: {
      ...(formatted ? { formatted } : {}),
      ...(u.givenName ? { givenName: u.givenName } : {}),
      ...(u.familyName ? { familyName: u.familyName } : {}),
    },
    ...(u.displayName ? { displayName: u.displayName } : {}),
    ...(u.email ? { emails: [{ value: u.email, type: "work", primary: true }] } : {}),
    active: u.active,
    groups: u.groups.map((g) => ({ value: g.id, display: g.name, $ref: `${base}/Groups/${g.id}` })),
    meta: { resourceType: "User", created: u.createdAt.toISOString(), lastModified: u.updatedAt.toISOString(), location: `${base}/Users/${u.id}` },
  };
}

export function groupResource(g: ProvisionedGroup, base: string, { members = true } = {}) {
  return {
    schemas: [GROUP_SCHEMA],
    id: g.id,
    ...(g.externalId ? { externalId: g.externalId } : {}),
    displayName: g.name,
    ...(members ? { members: g.members.map((m) => ({ value: m.id, display: m.userName, type: "User", $ref: `${base}/Users/${m.id}` })) } : {}),
    meta: { resourceType: "Group", created: g.createdAt.toISOString(), lastModified: g.createdAt.toISOString(), location: `${base}/Groups/${g.id}` },
  };
}

export const listResponse = (resources: unknown[], total: number, startIndex: number) => ({
  schemas: [LIST_SCHEMA],
  totalResults: total,
  startIndex,
  itemsPerPage: resources.length,
  Resources: resources,
});

export function serviceProviderConfig(base: string) {
  return {
    schemas: ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
    documentationUri: "https://github.com/modelgate/modelgate#single-sign-on",
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: MAX_RESULTS },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: false },
    authenticationSchemes: [
      { type: "oauthbearertoken", name: "OAuth Bearer Token", description: "The SCIM_TOKEN configured on the server, sent as Authorization: Bearer <token>", primary: true },
    ],
    meta: { resourceType: "ServiceProviderConfig", location: `${base}/ServiceProviderConfig` },
  };
}

export function resourceTypes(base: string) {
  return [
    { schemas: ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"], id: "User", name: "User", endpoint: "/Users", description: "User Account", schema: USER_SCHEMA, meta: { resourceType: "ResourceType", location: `${base}/ResourceTypes/User` } },
    { schemas: ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"], id: "Group", name: "Group", endpoint: "/Groups", description: "Group", schema: GROUP_SCHEMA, meta: { resourceType: "ResourceType", location: `${base}/ResourceTypes/Group` } },
  ];
}

const attr = (name: string, type: string, extra: Record<string, unknown> = {}) => ({
  name,
  type,
  multiValued: false,
  required: false,
  caseExact: false,
  mutability: "readWrite",
  returned: "default",
  uniqueness: "none",
  ...extra,
});

export function schemas(base: string) {
  return [
    {
      id: USER_SCHEMA,
      name: "User",
      description: "User Account",
      attributes: [
        attr("userName", "string", { required: true, uniqueness: "server" }),
        attr("externalId", "string", { caseExact: true }),
        attr("name", "complex", { subAttributes: [attr("formatted", "string"), attr("givenName", "string"), attr("familyName", "string")] }),
        attr("displayName", "string"),
        attr("emails", "complex", { multiValued: true, subAttributes: [attr("value", "string"), attr("type", "string"), attr("primary", "boolean")] }),
        attr("active", "boolean"),
        attr("groups", "complex", { multiValued: true, mutability: "readOnly", subAttributes: [attr("value", "string", { mutability: "readOnly" }), attr("display", "string", { mutability: "readOnly" })] }),
      ],
      meta: { resourceType: "Schema", location: `${base}/Schemas/${USER_SCHEMA}` },
    },
    {
      id: GROUP_SCHEMA,
      name: "Group",
      description: "Group",
      attributes: [
        attr("displayName", "string", { required: true, uniqueness: "server" }),
        attr("externalId", "string", { caseExact: true }),
        attr("members", "complex", { multiValued: true, subAttributes: [attr("value", "string", { mutability: "immutable" }), attr("display", "string", { mutability: "readOnly" })] }),
      ],
      meta: { resourceType: "Schema", location: `${base}/Schemas/${GROUP_SCHEMA}` },
    },
  ];
}
