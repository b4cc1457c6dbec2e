export * from "./trpc/index.ts";
export * from "./rest/index.ts";
export * from "./webhooks/index.ts";
