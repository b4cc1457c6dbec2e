"use client";
import { ActionIcon, Alert, Badge, Button, Card, Group, Loader, NumberInput, SegmentedControl, Select, SimpleGrid, Stack, Switch, Table, TagsInput, Text, TextInput, Tooltip } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { IconPlus, IconTrash } from "@tabler/icons-react";
import type { PolicyRule, PolicyView, Stage } from "@modelgate/core";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { formatEpoch } from "@/components/tracking/format";
import { levelLabel } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";
import { useApprovalsRefresh } from "./comments-thread";
import { APPROVER_LEVELS, approversText } from "./format";

const STAGES: Stage[] = ["Staging", "Production", "Archived", "None"];
const NO_LEVEL = "__none__";

/**
 * Edits the registry-wide approval policy (no `name`) or a model's override, and previews what it
 * protects. Core validates again on save and its message is shown as is.
 */
export function PolicyEditor({ name }: { name?: string }) {
  const trpc = useTRPC();
  const policy = useQuery(trpc.approvals.policies.get.queryOptions(name ? { name } : {}));
  if (policy.error) return <Alert color="red" title="Policy unavailable">{policy.error.message}</Alert>;
  if (!policy.data) return <Loader size="sm" />;
  return (
    <Stack gap="md">
      <RulesForm key={`${policy.data.updated_at ?? "none"}`} view={policy.data} name={name} />
      <PolicyPreview view={policy.data} />
    </Stack>
  );
}

/** What the editor starts from: the stored rules; for an unset registry policy, the default it falls back to. */
function initialRules(view: PolicyView): PolicyRule[] {
  if (view.rules) return view.rules;
  if (view.scope === "model") return [];
  const seen = new Set<string>();
  return view.effective.flatMap((e) => {
    if (!e.rule) return [];
    const key = JSON.stringify(e.rule);
    if (seen.has(key)) return [];
    seen.add(key);
    return [e.rule];
  });
}

function RulesForm({ view, name }: { view: PolicyView; name: string | undefined }) {
  const trpc = useTRPC();
  const refresh = useApprovalsRefresh();
  const [rules, setRules] = useState<PolicyRule[]>(() => initialRules(view));
  const groups = useQuery(trpc.groups.names.queryOptions());
  const set = useMutation(
    trpc.approvals.policies.set.mutationOptions({
      onSuccess: (_r, v) => {
        notifications.show({ message: v.rules === null ? "Policy reset" : "Policy saved" });
        return refresh();
      },
    }),
  );
  const update = (i: number, rule: PolicyRule) => setRules(rules.map((r, j) => (j === i ? rule : r)));
  const scopeText = view.scope === "registry" ? "registry-wide policy" : `override of model '${view.model_name}'`;
  return (
    <Card withBorder data-testid="policy-editor">
      <Group justify="space-between" mb="xs">
        <Text fw={600}>Rules of the {scopeText}</Text>
        <Text size="xs" c="dimmed" data-testid="policy-updated">
          {view.rules === null ? (view.scope === "registry" ? "Not configured: the default policy applies (shown below)." : "No override: the registry policy applies.") : `Updated ${formatEpoch(view.updated_at ?? undefined)} by ${view.updated_by ?? "—"}`}
        </Text>
      </Group>
      {view.scope === "model" && (
        <Text size="sm" c="dimmed" mb="sm">
          A rule here replaces the registry&apos;s rule for the same target; turn &quot;Protected&quot; off to lift the registry&apos;s protection for this model.
        </Text>
      )}
      <Stack gap="sm">
        {rules.length === 0 && <Text size="sm" c="dimmed">No rules: nothing {view.scope === "model" ? "is overridden" : "is protected"}.</Text>}
        {rules.map((r, i) => (
          <RuleEditor key={i} index={i} rule={r} groupNames={groups.data?.map((g) => g.name) ?? []} onChange={(rule) => update(i, rule)} onRemove={() => setRules(rules.filter((_, j) => j !== i))} />
        ))}
        <Group justify="space-between">
          <Button variant="default" leftSection={<IconPlus size={14} />} onClick={() => setRules([...rules, structuredClone(view.new_rule)])} disabled={rules.length >= 50} data-testid="add-rule">Add rule</Button>
          <Group gap="xs">
            <Button variant="subtle" color="red" loading={set.isPending && set.variables?.rules === null} disabled={view.rules === null} onClick={() => set.mutate({ ...(name ? { name } : {}), rules: null })} data-testid="policy-reset">
              {view.scope === "registry" ? "Reset to default" : "Remove override"}
            </Button>
            <Button loading={set.isPending && set.variables?.rules !== null} onClick={() => set.mutate({ ...(name ? { name } : {}), rules })} data-testid="policy-save">Save</Button>
          </Group>
        </Group>
        {set.error && <Alert color="red" data-testid="policy-error">{set.error.message}</Alert>}
      </Stack>
    </Card>
  );
}

function RuleEditor({ index, rule, groupNames, onChange, onRemove }: { index: number; rule: PolicyRule; groupNames: string[]; onChange: (r: PolicyRule) => void; onRemove: () => void }) {
  const gates = rule.gates;
  const setGates = (g: Partial<PolicyRule["gates"]>) => onChange({ ...rule, gates: { ...gates, ...g } });
  return (
    <Card withBorder p="sm" bg="var(--mantine-color-default-hover)" data-testid={`policy-rule-${index}`}>
      <Stack gap="xs">
        <Group justify="space-between" align="flex-end">
          <Group align="flex-end" gap="sm">
            <SegmentedControl
              size="xs"
              data={[{ value: "stage", label: "Stage" }, { value: "alias", label: "Alias" }]}
              value={rule.target.kind}
              onChange={(k) => onChange({ ...rule, target: k === "stage" ? { kind: "stage", stage: "Production" } : { kind: "alias", pattern: "champion" } })}
              data-testid="rule-target-kind"
            />
            {rule.target.kind === "stage" ? (
              <Select label="Stage" size="xs" w={150} data={STAGES} value={rule.target.stage} allowDeselect={false} onChange={(s) => s && onChange({ ...rule, target: { kind: "stage", stage: s as Stage } })} data-testid="rule-stage" />
            ) : (
              <TextInput
                label="Alias or pattern"
                description="e.g. champion, prod-*"
                size="xs"
                w={200}
                value={rule.target.pattern}
                onChange={(e) => onChange({ ...rule, target: { kind: "alias", pattern: e.currentTarget.value } })}
                data-testid="rule-alias"
              />
            )}
            <Switch label="Protected" checked={rule.protected} onChange={(e) => onChange({ ...rule, protected: e.currentTarget.checked })} data-testid="rule-protected" />
          </Group>
          <Tooltip label="Remove rule">
            <ActionIcon variant="subtle" color="red" aria-label={`Remove rule ${index + 1}`} onClick={onRemove} data-testid="rule-remove"><IconTrash size={16} /></ActionIcon>
          </Tooltip>
        </Group>
        {rule.protected && (
          <>
            <SimpleGrid cols={{ base: 1, md: 3 }}>
              <NumberInput label="Required approvals" size="xs" min={1} max={10} clampBehavior="strict" allowDecimal={false} value={rule.required_approvals} onChange={(v) => onChange({ ...rule, required_approvals: typeof v === "number" ? v : 1 })} data-testid="rule-required" />
              <Select
                label="Approver level (or higher)"
                size="xs"
                data={[{ value: NO_LEVEL, label: "none (groups only)" }, ...APPROVER_LEVELS.map((l) => ({ value: l, label: levelLabel(l) }))]}
                value={rule.approver_level ?? NO_LEVEL}
                allowDeselect={false}
                onChange={(l) => onChange({ ...rule, approver_level: !l || l === NO_LEVEL ? null : (l as PolicyRule["approver_level"]) })}
                data-testid="rule-level"
              />
              <TagsInput label="Approver groups" size="xs" data={groupNames} value={rule.approver_groups} onChange={(g) => onChange({ ...rule, approver_groups: g })} placeholder="group name" data-testid="rule-groups" />
            </SimpleGrid>
            <Switch label="Allow self-approval (the requester may approve)" size="xs" checked={rule.allow_self_approval} onChange={(e) => onChange({ ...rule, allow_self_approval: e.currentTarget.checked })} data-testid="rule-self-approval" />
            <Text size="xs" fw={700} tt="uppercase" c="dimmed" mt={4}>Gates</Text>
            <Group gap="lg">
              <Switch label="Status is READY" size="xs" checked={gates.require_ready} onChange={(e) => setGates({ require_ready: e.currentTarget.checked })} data-testid="rule-gate-ready" />
              <Switch label="Has a signature" size="xs" checked={gates.require_signature} onChange={(e) => setGates({ require_signature: e.currentTarget.checked })} data-testid="rule-gate-signature" />
            </Group>
            <SimpleGrid cols={{ base: 1, md: 2 }}>
              <TextInput label="Source run filter" description="A run-search filter, e.g. metrics.auc >= 0.9" size="xs" value={gates.metric_filter} onChange={(e) => setGates({ metric_filter: e.currentTarget.value })} data-testid="rule-gate-filter" />
              <Group gap="xs" grow align="flex-start">
                <TextInput
                  label="Logged model filter"
                  description="e.g. metrics.accuracy >= 0.9"
                  size="xs"
                  value={gates.model_filter ?? ""}
                  onChange={(e) => setGates({ model_filter: e.currentTarget.value })}
                  data-testid="rule-gate-model-filter"
                />
                <TextInput
                  label="On dataset"
                  description="optional"
                  size="xs"
                  value={gates.model_dataset ?? ""}
                  onChange={(e) => setGates({ model_dataset: e.currentTarget.value })}
                  data-testid="rule-gate-model-dataset"
                />
              </Group>
              <TagsInput
                label="Required version tags"
                description="key=value, Enter after each"
                size="xs"
                value={gates.required_tags.map((t) => `${t.key}=${t.value}`)}
                onChange={(items) => setGates({ required_tags: items.flatMap((s) => { const i = s.indexOf("="); return i > 0 ? [{ key: s.slice(0, i).trim(), value: s.slice(i + 1).trim() }] : []; }) })}
                data-testid="rule-gate-tags"
              />
              <TagsInput
                label="Trace feedback (GenAI)"
                description="name:min traces:min mean, e.g. correctness:50:0.8 — over the traces of the version's logged model"
                size="xs"
                value={(gates.assessments ?? []).map((a) => `${a.name}:${a.min_traces}${a.min_mean !== null ? `:${a.min_mean}` : ""}`)}
                onChange={(items) => setGates({ assessments: items.flatMap(parseAssessmentGate) })}
                data-testid="rule-gate-assessments"
              />
            </SimpleGrid>
          </>
        )}
      </Stack>
    </Card>
  );
}

/** `name:min_traces[:min_mean]` → an assessment gate; anything else is dropped as the user types. */
export function parseAssessmentGate(s: string): NonNullable<PolicyRule["gates"]["assessments"]> {
  const [name, traces, mean] = s.split(":").map((p) => p.trim());
  const minTraces = traces === undefined || traces === "" ? 1 : Number(traces);
  const minMean = mean === undefined || mean === "" ? null : Number(mean);
  if (!name || !Number.isInteger(minTraces) || minTraces < 1 || (minMean !== null && !Number.isFinite(minMean))) return [];
  return [{ name, min_traces: minTraces, min_mean: minMean }];
}

/** What each target resolves to under the saved policy. */
function PolicyPreview({ view }: { view: PolicyView }) {
  return (
    <Card withBorder p={0} data-testid="policy-preview">
      <Text fw={600} p="sm" pb={0}>Effective policy{view.model_name ? ` for ${view.model_name}` : ""}</Text>
      <Text size="xs" c="dimmed" px="sm" mb="xs">Saved rules, per target: which rule protects it and who may approve.</Text>
      <Table verticalSpacing="xs" aria-label="Effective policy">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Target</Table.Th>
            <Table.Th>Protected by</Table.Th>
            <Table.Th>Approvers</Table.Th>
            <Table.Th>Gates</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {view.effective.map((e) => (
            <Table.Tr key={e.target} data-testid={`policy-preview-${e.target}`} data-protected={Boolean(e.rule)}>
              <Table.Td><Text size="sm" fw={500}>{e.target}</Text></Table.Td>
              <Table.Td>{e.rule ? <Text size="sm">{e.source}</Text> : <Badge variant="light" color="gray" size="sm">not protected</Badge>}</Table.Td>
              <Table.Td><Text size="sm">{e.rule ? approversText(e.rule) : "—"}</Text></Table.Td>
              <Table.Td><Text size="sm">{e.rule ? gatesText(e.rule) : "—"}</Text></Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Card>
  );
}

function gatesText(rule: PolicyRule): string {
  const g = rule.gates;
  const parts = [
    ...(g.require_ready ? ["READY"] : []),
    ...(g.require_signature ? ["signature"] : []),
    ...(g.metric_filter ? [g.metric_filter] : []),
    ...(g.model_filter ? [`model: ${g.model_filter}${g.model_dataset ? ` on ${g.model_dataset}` : ""}`] : []),
    ...g.required_tags.map((t) => `${t.key}=${t.value}`),
    ...(g.assessments ?? []).map((a) => `≥ ${a.min_traces} traces with ${a.name}${a.min_mean !== null ? ` mean ≥ ${a.min_mean}` : ""}`),
  ];
  return parts.length ? parts.join(", ") : "none";
}
