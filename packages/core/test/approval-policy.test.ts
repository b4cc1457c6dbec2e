import { describe, expect, it } from "vitest";
import { DEFAULT_POLICY, effectiveRule, policyRuleSchema, type PolicyRule } from "../src/approvals/policy.ts";

// Which rule governs a target: the model's override, then the registry's, then the default
// (Production protected: one approval by a production manager who is not the requester).

const rule = (r: Partial<PolicyRule> & Pick<PolicyRule, "target">): PolicyRule => policyRuleSchema.parse(r);

describe("effectiveRule", () => {
  it("protects Production by default: one approval from MANAGE_PRODUCTION_VERSIONS, four-eyes", () => {
    const e = effectiveRule({ registry: null, model: null }, { kind: "stage", stage: "Production" }, "fraud");
    expect(e).toEqual({ rule: DEFAULT_POLICY[0], source: "the default approval policy" });
    expect(e?.rule).toMatchObject({ required_approvals: 1, approver_level: "MANAGE_PRODUCTION_VERSIONS", allow_self_approval: false });
    expect(effectiveRule({ registry: null, model: null }, { kind: "stage", stage: "Staging" }, "fraud")).toBeNull();
    expect(effectiveRule({ registry: null, model: null }, { kind: "stage", stage: "Archived" }, "fraud")).toBeNull();
    expect(effectiveRule({ registry: null, model: null }, { kind: "alias", alias: "champion" }, "fraud")).toBeNull();
  });

  it("a configured registry policy replaces the default, even when it protects nothing", () => {
    expect(effectiveRule({ registry: [], model: null }, { kind: "stage", stage: "Production" }, "fraud")).toBeNull();
    const staging = rule({ target: { kind: "stage", stage: "Staging" }, required_approvals: 2 });
    const e = effectiveRule({ registry: [staging], model: null }, { kind: "stage", stage: "Staging" }, "fraud");
    expect(e).toEqual({ rule: staging, source: "the registry approval policy" });
  });

  it("a model's rule overrides the registry's for the same target, and can unprotect it", () => {
    const registry = [rule({ target: { kind: "stage", stage: "Production" }, required_approvals: 1 })];
    const model = [rule({ target: { kind: "stage", stage: "Production" }, required_approvals: 3, approver_groups: ["risk"] })];
    expect(effectiveRule({ registry, model }, { kind: "stage", stage: "Production" }, "fraud")).toMatchObject({
      rule: { required_approvals: 3, approver_groups: ["risk"] },
      source: "the approval policy of model 'fraud'",
    });
    const off = [rule({ target: { kind: "stage", stage: "Production" }, protected: false })];
    expect(effectiveRule({ registry, model: off }, { kind: "stage", stage: "Production" }, "fraud")).toBeNull();
    // targets the model does not mention fall back to the registry
    expect(effectiveRule({ registry, model: off }, { kind: "stage", stage: "Staging" }, "fraud")).toBeNull();
    expect(effectiveRule({ registry, model: [] }, { kind: "stage", stage: "Production" }, "fraud")?.source).toBe("the registry approval policy");
  });

  it("matches alias patterns, an exact name beating a pattern", () => {
    const pattern = rule({ target: { kind: "alias", pattern: "prod-*" }, required_approvals: 2 });
    const exact = rule({ target: { kind: "alias", pattern: "prod-eu" }, required_approvals: 1 });
    const registry = [pattern, exact];
    expect(effectiveRule({ registry, model: null }, { kind: "alias", alias: "prod-us" }, "m")?.rule).toBe(pattern);
    expect(effectiveRule({ registry, model: null }, { kind: "alias", alias: "prod-eu" }, "m")?.rule).toBe(exact);
    expect(effectiveRule({ registry, model: null }, { kind: "alias", alias: "production" }, "m")).toBeNull();
    expect(effectiveRule({ registry, model: null }, { kind: "alias", alias: "xprod-us" }, "m")).toBeNull();
  });

  it("fills defaults and refuses malformed rules", () => {
    expect(rule({ target: { kind: "alias", pattern: "champion" } })).toMatchObject({
      protected: true,
      required_approvals: 1,
      approver_level: "MANAGE_PRODUCTION_VERSIONS",
      approver_groups: [],
      allow_self_approval: false,
      gates: { require_ready: false, require_signature: false, metric_filter: "", required_tags: [] },
    });
    expect(policyRuleSchema.safeParse({ target: { kind: "stage", stage: "Prod" } }).success).toBe(false);
    expect(policyRuleSchema.safeParse({ target: { kind: "alias", pattern: "a b" } }).success).toBe(false);
    expect(policyRuleSchema.safeParse({ target: { kind: "stage", stage: "Production" }, required_approvals: 0 }).success).toBe(false);
  });
});
