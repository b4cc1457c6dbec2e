import { describe, expect, it } from "vitest";
import { assertPasswordPolicy, can, generateTokenSecret, parseTokenSecret, throttleDelaySeconds, tokenMatches, type Actor } from "../src/index.ts";

describe("password policy", () => {
  it("needs 12 characters and not the username", () => {
    expect(() => assertPasswordPolicy("elevenchars", "bob")).toThrow(/at least 12/);
    expect(() => assertPasswordPolicy("twelve chars", "bob")).not.toThrow();
    expect(() => assertPasswordPolicy("Administrator", "administrator")).toThrow(/not be the username/);
    expect(() => assertPasswordPolicy("x".repeat(1025), "bob")).toThrow(/at most/);
  });
});

describe("sign-in delay", () => {
  it("is free for 3 failures, then doubles up to 5 minutes", () => {
    expect([0, 1, 2, 3, 4, 5, 6].map(throttleDelaySeconds)).toEqual([0, 0, 0, 1, 2, 4, 8]);
    expect(throttleDelaySeconds(100)).toBe(300);
  });
});

describe("token secrets", () => {
  it("round-trip: the prefix finds the row, the hash proves the secret", () => {
    const { prefix, secret, hash } = generateTokenSecret();
    expect(parseTokenSecret(secret)).toEqual({ prefix });
    expect(tokenMatches(hash, secret)).toBe(true);
    expect(tokenMatches(hash, `${secret}x`)).toBe(false);
    expect(tokenMatches(hash.subarray(1), secret)).toBe(false);
    expect(parseTokenSecret("mgt_short_x")).toBeNull();
    expect(generateTokenSecret().secret).not.toBe(secret);
  });
});

describe("permissions", () => {
  const user: Actor = { kind: "user", userId: "u", username: "u", role: "USER" };
  const admin: Actor = { ...user, role: "ADMIN" };
  it("gives admins administration and users only their own things", () => {
    expect(can(admin, "users:manage")).toBe(true);
    expect(can(admin, "audit:read")).toBe(true);
    expect(can(user, "users:manage")).toBe(false);
    expect(can(user, "audit:read")).toBe(false);
    expect(can(user, "tokens:manage-own")).toBe(true);
  });
  it("denies unknown roles and permissions", () => {
    const odd = { ...user, role: "SUPERUSER" } as unknown as Actor;
    expect(can(odd, "self:read")).toBe(false);
    expect(can(admin, "experiments:drop-all" as never)).toBe(false);
  });
});
