import { describe, expect, it } from "vitest";
import { readEnv } from "./env";

describe("environment", () => {
  it("has safe defaults and no default credentials", () => {
    const env = readEnv({});
    expect(env.PORT).toBe(3000);
    expect(env.DATA_DIR).toBe(".data");
    expect(env.ADMIN_USERNAME).toBe("admin");
    expect(env.ADMIN_PASSWORD).toBeUndefined();
    expect(env.AUTH_SECRET).toBeUndefined();
    expect(env.DATABASE_URL).toBeUndefined();
  });
  it("honours PORT and treats blank values as unset", () => {
    expect(readEnv({ PORT: "4100", DATABASE_URL: "" }).PORT).toBe(4100);
    expect(readEnv({ DATABASE_URL: "" }).DATABASE_URL).toBeUndefined();
  });
  it("rejects invalid values with a readable message", () => {
    expect(() => readEnv({ PORT: "eighty" })).toThrow(/PORT/);
    expect(() => readEnv({ DATABASE_URL: "not a url" })).toThrow(/DATABASE_URL/);
  });
});
