import { z } from "zod";
import type { Prisma } from "@modelgate/db";
import { type Ctx, actorName } from "../context.ts";
import { recordAudit, type DbOrTx } from "../audit/record-audit.ts";
import { authorize, isAdmin } from "../auth/permissions.ts";
import { denied, invalid } from "../errors.ts";
import { loadModel } from "../registry/models.ts";
import { MODEL_PERMISSION_LEVELS, STAGES, type ModelPermissionLevel, type Stage } from "../registry/types.ts";
import { parseRunFilter } from "../tracking/search/run-filter.ts";
import { parseLoggedModelFilter } from "../tracking/logged-models/search.ts";

// Approval policies: which targets (stages, aliases) are protected, and what moving a version
// into one needs. One registry-wide policy with per-model overrides; rules are matched per target,
// a model's rule replacing the registry's for the same target. Before anyone configures one, the
// default protects Production: one approval by a holder of MANAGE_PRODUCTION_VERSIONS (or MANAGE)
// who is not the requester.

export type Target = { kind: "stage"; stage: Stage } | { kind: "alias"; alias: string };

/** A target as the to_stage / alias columns that requests and activities store it in. */
export const targetColumns = (t: Target) => ({ toStage: t.kind === "stage" ? t.stage : null, alias: t.kind === "alias" ? t.alias : null });

const stageTarget = z.object({ kind: z.literal("stage"), stage: z.enum(STAGES) });
/** An alias name, or a pattern with `*` wildcards (`prod-*`). */
const aliasTarget = z.object({ kind: z.literal("alias"), pattern: z.string().min(1).max(255).regex(/^[\w*-]+$/, "alias patterns may hold letters, digits, _, - and *") });

const gatesSchema = z
  .object({
    /** The version's status must be READY. */
    require_ready: z.boolean().default(false),
    /** Its MLmodel must have a signature. */
    require_signature: z.boolean().default(false),
    /** The source run must match this run-search filter (e.g. `metrics.auc >= 0.9`). */
    metric_filter: z.string().max(2000).default(""),
    /**
     * MLflow 3: the version's logged model must match this logged-model filter (e.g.
     * `metrics.accuracy >= 0.9`), its metrics counted on `model_dataset` only when one is named.
     */
    model_filter: z.string().max(2000).optional(),
    model_dataset: z.string().max(500).optional(),
    /**
     * Evidence from GenAI traces: over the traces produced with the version's logged model active,
     * at least `min_traces` carry valid feedback `name` (numbers, booleans, yes/no) whose mean is at
     * least `min_mean` (e.g. 50 traces with feedback correctness, mean ≥ 0.8).
     */
    assessments: z
      .array(z.object({ name: z.string().min(1).max(250), min_traces: z.number().int().min(1).max(1_000_000).default(1), min_mean: z.number().min(-1e9).max(1e9).nullable().default(null) }))
      .max(10)
      .optional(),
    /** Version tags that must be set to these values (e.g. validation=passed). */
    required_tags: z.array(z.object({ key: z.string().min(1).max(250), value: z.string().max(5000) })).max(20).default([]),
  })
  .default({ require_ready: false, require_signature: false, metric_filter: "", required_tags: [] });

export const policyRuleSchema = z.object({
  target: z.discriminatedUnion("kind", [stageTarget, aliasTarget]),
  /** false in a model override: this target is not protected for this model. */
  protected: z.boolean().default(true),
  required_approvals: z.number().int().min(1).max(10).default(1),
  /** Holders of this level (or higher) on the model may approve… */
  approver_level: z.enum(MODEL_PERMISSION_LEVELS).nullable().default("MANAGE_PRODUCTION_VERSIONS"),
  /** …and so may members of these groups. */
  approver_groups: z.array(z.string().min(1).max(200)).max(20).default([]),
  /** Four-eyes by default: the requester may not approve their own request. */
  allow_self_approval: z.boolean().default(false),
  gates: gatesSchema,
});
export type PolicyRule = z.infer<typeof policyRuleSchema>;
export type Gates = PolicyRule["gates"];

export const policySchema = z.object({ rules: z.array(policyRuleSchema).max(50) });
export type PolicyInput = z.input<typeof policySchema>;

export const DEFAULT_POLICY: PolicyRule[] = [
  {
    target: { kind: "stage", stage: "Production" },
    protected: true,
    required_approvals: 1,
    approver_level: "MANAGE_PRODUCTION_VERSIONS",
    approver_groups: [],
    allow_self_approval: false,
    gates: { require_ready: false, require_signature: false, metric_filter: "", required_tags: [] },
  },
];

function matches(rule: PolicyRule, target: Target): boolean {
  if (target.kind === "stage") return rule.target.kind === "stage" && rule.target.stage === target.stage;
  if (rule.target.kind !== "alias") return false;
  const re = new RegExp(`^${rule.target.pattern.split("*").map((p) => p.replace(/[-]/g, "\\-")).join("[\\w-]*")}$`);
  return re.test(target.alias);
}

/** The most specific matching rule: an exact alias name beats a pattern. */
function findRule(rules: readonly PolicyRule[], target: Target): PolicyRule | undefined {
  const hits = rules.filter((r) => matches(r, target));
  return hits.find((r) => r.target.kind === "stage" || !r.target.pattern.includes("*")) ?? hits[0];
}

export interface EffectiveRule {
  rule: PolicyRule;
  /** Where it came from, for messages: "the policy of model 'fraud'", "the registry policy", "the default policy". */
  source: string;
}

/** The rule that governs `target` for a model, or null when the target is not protected. */
export function effectiveRule(policies: { registry: PolicyRule[] | null; model: PolicyRule[] | null }, target: Target, modelName: string): EffectiveRule | null {
  const fromModel = policies.model ? findRule(policies.model, target) : undefined;
  if (fromModel) return fromModel.protected ? { rule: fromModel, source: `the approval policy of model '${modelName}'` } : null;
  const registry = policies.registry ?? DEFAULT_POLICY;
  const fromRegistry = findRule(registry, target);
  if (fromRegistry?.protected) return { rule: fromRegistry, source: policies.registry ? "the registry approval policy" : "the default approval policy" };
  return null;
}

export const targetLabel = (t: Target) => (t.kind === "stage" ? t.stage : `@${t.alias}`);

const REGISTRY_SCOPE = "registry";
const modelScope = (modelId: number) => `model:${modelId}`;

function parseStored(rules: Prisma.JsonValue): PolicyRule[] {
  const r = policySchema.safeParse({ rules });
  return r.success ? r.data.rules : [];
}

export async function loadPolicies(db: DbOrTx, modelId: number): Promise<{ registry: PolicyRule[] | null; model: PolicyRule[] | null }> {
  const rows = await db.approvalPolicy.findMany({ where: { scope: { in: [REGISTRY_SCOPE, modelScope(modelId)] } } });
  const registry = rows.find((r) => r.scope === REGISTRY_SCOPE);
  const model = rows.find((r) => r.scope !== REGISTRY_SCOPE);
  return { registry: registry ? parseStored(registry.rules) : null, model: model ? parseStored(model.rules) : null };
}

function validatePolicy(input: PolicyInput): PolicyRule[] {
  const r = policySchema.safeParse(input);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw invalid(`Invalid approval policy: ${issue.path.join(".") || "rules"}: ${issue.message}`);
  }
  for (const rule of r.data.rules) {
    if (rule.gates.metric_filter) {
      try {
        parseRunFilter(rule.gates.metric_filter);
      } catch (e) {
        throw invalid(`Invalid approval policy: gate filter '${rule.gates.metric_filter}': ${(e as Error).message}`);
      }
    }
    if (rule.gates.model_filter) {
      try {
        parseLoggedModelFilter(rule.gates.model_filter);
      } catch (e) {
        throw invalid(`Invalid approval policy: logged model gate filter '${rule.gates.model_filter}': ${(e as Error).message}`);
      }
    }
    if (rule.protected && rule.approver_level === null && rule.approver_groups.length === 0) {
      throw invalid(`Invalid approval policy: the rule for ${rule.target.kind === "stage" ? rule.target.stage : `@${rule.target.pattern}`} names no approvers (a level or groups)`);
    }
  }
  return r.data.rules;
}

export interface PolicyView {
  scope: "registry" | "model";
  model_name: string | null;
  /** null: nothing configured here (the registry falls back to the default policy). */
  rules: PolicyRule[] | null;
  updated_at: number | null;
  updated_by: string | null;
  /** What applies: for the registry, its rules or the default; for a model, registry rules overridden by the model's. */
  effective: { target: string; rule: PolicyRule | null; source: string }[];
  /** A new rule as an editor should start it: the default rule. */
  new_rule: PolicyRule;
}

/** Targets worth previewing: every stage, plus every alias named by a rule or already set on the model. */
async function previewTargets(db: DbOrTx, modelId: number | null, rules: PolicyRule[][]): Promise<Target[]> {
  const aliases = new Set<string>();
  for (const list of rules) for (const r of list) if (r.target.kind === "alias" && !r.target.pattern.includes("*")) aliases.add(r.target.pattern);
  if (modelId !== null) for (const a of await db.registeredModelAlias.findMany({ where: { modelId }, select: { alias: true } })) aliases.add(a.alias);
  return [...STAGES.filter((s) => s !== "None").map((stage) => ({ kind: "stage" as const, stage })), ...[...aliases].sort().map((alias) => ({ kind: "alias" as const, alias }))];
}

/** The registry policy (anyone may read it) or a model's (READ on the model), with a preview. */
export async function getPolicy(ctx: Ctx, input: { name?: string | undefined }): Promise<PolicyView> {
  authorize(ctx.actor, "mlflow:use");
  const model = input.name ? await loadModel(ctx, input.name, "READ") : null;
  const policies = model ? await loadPolicies(ctx.db, model.id) : { registry: await registryRules(ctx.db), model: null };
  const row = await ctx.db.approvalPolicy.findUnique({ where: { scope: model ? modelScope(model.id) : REGISTRY_SCOPE } });
  const targets = await previewTargets(ctx.db, model?.id ?? null, [policies.registry ?? DEFAULT_POLICY, policies.model ?? []]);
  return {
    scope: model ? "model" : "registry",
    model_name: model?.name ?? null,
    rules: row ? parseStored(row.rules) : null,
    updated_at: row ? Number(row.updatedAt) : null,
    updated_by: row?.updatedBy ?? null,
    effective: targets.map((t) => {
      const e = effectiveRule(policies, t, model?.name ?? "");
      return { target: targetLabel(t), rule: e?.rule ?? null, source: e?.source ?? "not protected" };
    }),
    new_rule: DEFAULT_POLICY[0]!,
  };
}

async function registryRules(db: DbOrTx): Promise<PolicyRule[] | null> {
  const row = await db.approvalPolicy.findUnique({ where: { scope: REGISTRY_SCOPE } });
  return row ? parseStored(row.rules) : null;
}

/**
 * Sets (or with `rules: null`, removes) the registry-wide policy (admins) or a model's override
 * (MANAGE on the model). Keyed by the model's id, so a rename keeps it.
 */
export async function setPolicy(ctx: Ctx, input: { name?: string | undefined; rules: PolicyInput["rules"] | null }): Promise<PolicyView> {
  authorize(ctx.actor, "mlflow:use");
  const model = input.name ? await loadModel(ctx, input.name, "MANAGE") : null;
  if (!model && !isAdmin(ctx.actor)) throw denied("Permission denied: only admins may change the registry approval policy");
  const rules = input.rules === null ? null : validatePolicy({ rules: input.rules });
  const scope = model ? modelScope(model.id) : REGISTRY_SCOPE;
  const by = actorName(ctx.actor);
  await ctx.db.$transaction(async (tx) => {
    const before = await tx.approvalPolicy.findUnique({ where: { scope } });
    if (rules === null) await tx.approvalPolicy.deleteMany({ where: { scope } });
    else {
      const data = { rules: rules as unknown as Prisma.InputJsonValue, updatedAt: BigInt(Date.now()), updatedBy: by };
      await tx.approvalPolicy.upsert({ where: { scope }, create: { scope, modelId: model?.id ?? null, ...data }, update: data });
    }
    await recordAudit(ctx, tx, {
      action: "approval.policy_set",
      resourceType: model ? "registered_model" : "registry",
      resourceId: model ? String(model.id) : null,
      before: before ? { rules: before.rules } : null,
      after: { rules },
    });
  });
  return getPolicy(ctx, { name: input.name });
}

export type { ModelPermissionLevel };
