export * from "./trpc/index.ts";
export * from "./rest/index.ts";
