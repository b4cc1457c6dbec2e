export { createDb, isUniqueViolation, poolOf, sqlQuery, type Db, type CreateDbOptions } from "./client.ts";
export { Prisma, Role } from "./generated/prisma/client.ts";
export type { User, AccessToken, AuditEvent, Group } from "./generated/prisma/client.ts";
