import crypto from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import {
  deprovisionGroup,
  deprovisionUser,
  getProvisionedGroup,
  getProvisionedUser,
  isDomainError,
  listProvisionedGroups,
  listProvisionedUsers,
  provisionGroup,
  provisionUser,
  recordScimRefusal,
  systemActor,
  updateProvisionedGroup,
  updateProvisionedUser,
  type Ctx,
} from "@modelgate/core";
import type { Db } from "@modelgate/db";
import { GROUP_FILTERS, ScimError, USER_FILTERS, groupInput, groupPatch, paging, parseFilter, userInput, userPatch } from "./requests.ts";
import { ERROR_SCHEMA, MAX_RESULTS, groupResource, listResponse, resourceTypes, schemas, serviceProviderConfig, userResource } from "./resources.ts";

// SCIM 2.0 provisioning (RFC 7643/7644 core) at /scim/v2, for the team's identity provider (Okta,
// Microsoft Entra ID, …): Users and Groups, with discovery documents. Authenticated by one bearer
// token (SCIM_TOKEN), compared in constant time; without SCIM_TOKEN every path answers 404 with a
// SCIM error saying how to enable it. Changes are made by core as the system actor "scim" and
// audited there. Errors use SCIM's error schema.

export const SCIM_PREFIX = "/scim/v2";
const SCIM_JSON = "application/scim+json";

const digest = (s: string) => crypto.createHash("sha256").update(s).digest();

const DOMAIN_STATUS: Record<string, { status: number; scimType?: string }> = {
  INVALID_PARAMETER_VALUE: { status: 400, scimType: "invalidValue" },
  BAD_REQUEST: { status: 400, scimType: "invalidValue" },
  MALFORMED_REQUEST: { status: 400, scimType: "invalidSyntax" },
  RESOURCE_ALREADY_EXISTS: { status: 409, scimType: "uniqueness" },
  RESOURCE_DOES_NOT_EXIST: { status: 404 },
  PERMISSION_DENIED: { status: 403 },
};

function sendScim(reply: FastifyReply, status: number, body: unknown) {
  return reply.code(status).type(SCIM_JSON).send(JSON.stringify(body));
}

function sendError(reply: FastifyReply, status: number, detail: string, scimType?: string) {
  return sendScim(reply, status, { schemas: [ERROR_SCHEMA], status: String(status), ...(scimType ? { scimType } : {}), detail });
}

export interface ScimOptions {
  db: Db;
  /** SCIM_TOKEN: the bearer token the identity provider sends; unset: provisioning is off. */
  token?: string | undefined;
}

export async function registerScimRoutes(app: FastifyInstance, { db, token }: ScimOptions) {
  const expected = token ? digest(token) : null;
  await app.register(
    async (scope) => {
      scope.addContentTypeParser(SCIM_JSON, { parseAs: "string" }, scope.getDefaultJsonParser("error", "error"));

      scope.addHook("onRequest", async (req, reply) => {
        if (!expected) throw new ScimError(404, "SCIM provisioning is not enabled on this server: set SCIM_TOKEN");
        const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? "");
        if (!m || !crypto.timingSafeEqual(digest(m[1]!), expected)) {
          await recordScimRefusal(db, { ip: req.ip, requestId: req.id });
          reply.header("www-authenticate", 'Bearer realm="scim"');
          throw new ScimError(401, "A valid SCIM bearer token is required (Authorization: Bearer <SCIM_TOKEN>)");
        }
      });

      scope.setErrorHandler((err, req, reply) => {
        if (err instanceof ScimError) return sendError(reply, err.status, err.message, err.scimType);
        if (isDomainError(err)) {
          const m = DOMAIN_STATUS[err.code] ?? { status: 400 };
          return sendError(reply, m.status, err.message, m.scimType);
        }
        const status = (err as { statusCode?: number }).statusCode;
        if (status === 413) return sendError(reply, 413, "Request body too large");
        if (status && status >= 400 && status < 500) return sendError(reply, status, (err as Error).message, status === 400 ? "invalidSyntax" : undefined);
        req.log.error({ err }, "SCIM request failed");
        return sendError(reply, 500, "Internal error");
      });

      const ctx = (): Ctx => ({ db, actor: systemActor("scim") });
      // where resources live, as the client reached us (X-Forwarded-* with TRUST_PROXY)
      const base = (req: FastifyRequest) => `${req.protocol}://${req.host}${SCIM_PREFIX}`;
      const query = (req: FastifyRequest) => req.query as Record<string, string | undefined>;
      const id = (req: FastifyRequest) => (req.params as { id: string }).id;
      const withoutMembers = (req: FastifyRequest) => /(^|,)\s*members\s*(,|$)/i.test(query(req).excludedAttributes ?? "");
      const opts = { config: { auth: "public" as const } };

      // discovery
      scope.get("/ServiceProviderConfig", opts, async (req, reply) => sendScim(reply, 200, serviceProviderConfig(base(req))));
      scope.get("/ResourceTypes", opts, async (req, reply) => sendScim(reply, 200, listResponse(resourceTypes(base(req)), 2, 1)));
      scope.get("/ResourceTypes/:id", opts, async (req, reply) => {
        const t = resourceTypes(base(req)).find((r) => r.id === id(req));
        return t ? sendScim(reply, 200, t) : sendError(reply, 404, `Resource type ${id(req)} not found`);
      });
      scope.get("/Schemas", opts, async (req, reply) => sendScim(reply, 200, listResponse(schemas(base(req)), 2, 1)));
      scope.get("/Schemas/:id", opts, async (req, reply) => {
        const s = schemas(base(req)).find((r) => r.id === id(req));
        return s ? sendScim(reply, 200, s) : sendError(reply, 404, `Schema ${id(req)} not found`);
      });

      // users
      scope.get("/Users", opts, async (req, reply) => {
        const { startIndex, count } = paging(query(req), MAX_RESULTS);
        const filter = parseFilter(query(req).filter, USER_FILTERS);
        const { total, users } = await listProvisionedUsers(ctx(), { filter, startIndex, count });
        return sendScim(reply, 200, listResponse(users.map((u) => userResource(u, base(req))), total, startIndex));
      });
      scope.post("/Users", opts, async (req, reply) => {
        const u = await provisionUser(ctx(), userInput(req.body));
        const r = userResource(u, base(req));
        return sendScim(reply.header("location", r.meta.location), 201, r);
      });
      scope.get("/Users/:id", opts, async (req, reply) => sendScim(reply, 200, userResource(await getProvisionedUser(ctx(), id(req)), base(req))));
      scope.put("/Users/:id", opts, async (req, reply) => {
        const q = userInput(req.body);
        // a replace: attributes left out are cleared
        const u = await updateProvisionedUser(ctx(), id(req), { ...q, externalId: q.externalId ?? null, email: q.email ?? null, displayName: q.displayName ?? null, givenName: q.givenName ?? null, familyName: q.familyName ?? null });
        return sendScim(reply, 200, userResource(u, base(req)));
      });
      scope.patch("/Users/:id", opts, async (req, reply) => sendScim(reply, 200, userResource(await updateProvisionedUser(ctx(), id(req), userPatch(req.body)), base(req))));
      scope.delete("/Users/:id", opts, async (req, reply) => {
        await deprovisionUser(ctx(), id(req));
        return reply.code(204).send();
      });

      // groups
      scope.get("/Groups", opts, async (req, reply) => {
        const { startIndex, count } = paging(query(req), MAX_RESULTS);
        const filter = parseFilter(query(req).filter, GROUP_FILTERS);
        const { total, groups } = await listProvisionedGroups(ctx(), { filter, startIndex, count });
        const members = !withoutMembers(req);
        return sendScim(reply, 200, listResponse(groups.map((g) => groupResource(g, base(req), { members })), total, startIndex));
      });
      scope.post("/Groups", opts, async (req, reply) => {
        const g = await provisionGroup(ctx(), groupInput(req.body));
        const r = groupResource(g, base(req));
        return sendScim(reply.header("location", r.meta.location), 201, r);
      });
      scope.get("/Groups/:id", opts, async (req, reply) => sendScim(reply, 200, groupResource(await getProvisionedGroup(ctx(), id(req)), base(req), { members: !withoutMembers(req) })));
      scope.put("/Groups/:id", opts, async (req, reply) => {
        const q = groupInput(req.body);
        const g = await updateProvisionedGroup(ctx(), id(req), { displayName: q.displayName, externalId: q.externalId, members: q.members });
        return sendScim(reply, 200, groupResource(g, base(req)));
      });
      scope.patch("/Groups/:id", opts, async (req, reply) => sendScim(reply, 200, groupResource(await updateProvisionedGroup(ctx(), id(req), groupPatch(req.body)), base(req))));
      scope.delete("/Groups/:id", opts, async (req, reply) => {
        await deprovisionGroup(ctx(), id(req));
        return reply.code(204).send();
      });

      // anything else under /scim/v2 is SCIM's own 404, behind the same token (and, as a declared
      // public route, never the MLflow API's authentication)
      const unknown = async (req: FastifyRequest, reply: FastifyReply) => sendError(reply, 404, `No SCIM endpoint ${req.method} ${req.url.split("?", 1)[0]}`);
      scope.all("/", opts, unknown);
      scope.all("/*", opts, unknown);
    },
    { prefix: SCIM_PREFIX },
  );
}

