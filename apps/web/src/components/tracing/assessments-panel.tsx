"use client";
import { ActionIcon, Badge, Button, Card, Checkbox, Group, Modal, NumberInput, SegmentedControl, Stack, Table, Text, Textarea, TextInput, Tooltip } from "@mantine/core";
import { IconPencil, IconTrash } from "@tabler/icons-react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import type { AssessmentRow, PortalSpanSummary } from "@modelgate/core";
import { useState } from "react";
import { notifyAndRefresh, notifyError } from "@/components/shared/notify";
import { formatDateTime, type FormSubmit } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";
import { assessmentColor, assessmentText } from "./format";

type Kind = "feedback" | "expectation";
type ValueType = "yesno" | "number" | "text";

/** Feedback and expectations on the trace, and (for editors) a form to add one. */
export function AssessmentsPanel({
  traceId,
  assessments,
  spans,
  selected,
  canEdit,
  viewer,
}: {
  traceId: string;
  assessments: readonly AssessmentRow[];
  spans: readonly PortalSpanSummary[];
  selected: PortalSpanSummary | undefined;
  canEdit: boolean;
  viewer: string;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.tracing.pathKey() });
  const remove = useMutation(trpc.tracing.deleteAssessment.mutationOptions({ onSuccess: notifyAndRefresh("Assessment deleted", refresh), onError: notifyError }));
  const [editing, setEditing] = useState<AssessmentRow | null>(null);
  const spanName = new Map(spans.map((s) => [s.span_id, s.name]));
  const sorted = [...assessments].sort((a, b) => b.create_time - a.create_time);
  return (
    <Card withBorder p="sm" data-testid="assessments">
      <Text fw={600} mb="xs">Assessments ({assessments.length})</Text>
      {sorted.length === 0 ? (
        <Text size="sm" c="dimmed" mb="sm">No feedback or expectations yet.</Text>
      ) : (
        <Table verticalSpacing={4} fz="sm" mb="sm" aria-label="Assessments">
          <Table.Tbody>
            {sorted.map((a) => (
              <Table.Tr key={a.assessment_id} data-testid={`assessment-row-${a.name}`} style={{ opacity: a.valid ? 1 : 0.55 }}>
                <Table.Td style={{ verticalAlign: "top" }}>
                  <Text size="sm" fw={600} style={{ wordBreak: "break-word" }}>{a.name}</Text>
                  <Text size="xs" c={a.kind === "feedback" ? "violet" : "dimmed"}>{a.kind}</Text>
                  {a.span_id && <Text size="xs" c="dimmed">on span {spanName.get(a.span_id) ?? a.span_id}</Text>}
                </Table.Td>
                <Table.Td style={{ verticalAlign: "top" }}>
                  <Badge size="sm" variant="light" color={a.kind === "feedback" ? assessmentColor(a.value) : "gray"} tt="none" data-testid="assessment-value">{assessmentText(a)}</Badge>
                  {a.rationale && <Text size="xs" mt={4} style={{ whiteSpace: "pre-wrap" }} data-testid="assessment-rationale">{a.rationale}</Text>}
                </Table.Td>
                <Table.Td style={{ verticalAlign: "top" }}>
                  <Text size="xs">{a.source_type.toLowerCase().replace("_", " ")} · {a.source_id}</Text>
                  <Text size="xs" c="dimmed">{formatDateTime(a.create_time)}</Text>
                  {!a.valid && <Badge size="xs" color="gray" variant="light">overridden</Badge>}
                </Table.Td>
                <Table.Td w={64} style={{ verticalAlign: "top", whiteSpace: "nowrap" }}>
                  {canEdit && a.source_type === "HUMAN" && a.source_id === viewer && (
                    <Tooltip label="Edit your assessment">
                      <ActionIcon variant="subtle" aria-label={`Edit assessment ${a.name}`} onClick={() => setEditing(a)} data-testid={`assessment-edit-${a.name}`}>
                        <IconPencil size={14} />
                      </ActionIcon>
                    </Tooltip>
                  )}
                  {canEdit && a.source_type === "HUMAN" && a.source_id === viewer && (
                    <Tooltip label="Delete your assessment">
                      <ActionIcon variant="subtle" color="red" aria-label={`Delete assessment ${a.name}`} loading={remove.isPending && remove.variables?.assessment_id === a.assessment_id} onClick={() => remove.mutate({ trace_id: traceId, assessment_id: a.assessment_id })}>
                        <IconTrash size={14} />
                      </ActionIcon>
                    </Tooltip>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {canEdit ? <AssessmentForm traceId={traceId} selected={selected} onDone={refresh} /> : <Text size="xs" c="dimmed">You need edit permission on the experiment to add feedback.</Text>}
      {editing && <EditAssessment traceId={traceId} assessment={editing} onClose={() => setEditing(null)} onDone={refresh} />}
    </Card>
  );
}

/** Revises one's own feedback or expectation: its value (of the same type) and its rationale. */
function EditAssessment({ traceId, assessment: a, onClose, onDone }: { traceId: string; assessment: AssessmentRow; onClose: () => void; onDone: () => Promise<unknown> }) {
  const trpc = useTRPC();
  const initialType: ValueType = typeof a.value === "number" ? "number" : a.value === "yes" || a.value === "no" || typeof a.value === "boolean" ? "yesno" : "text";
  const [yesno, setYesno] = useState(a.value === true || a.value === "yes" ? "yes" : "no");
  const [num, setNum] = useState<number | string>(typeof a.value === "number" ? a.value : "");
  const [text, setText] = useState(typeof a.value === "string" ? a.value : a.value === null || a.value === undefined ? "" : JSON.stringify(a.value));
  const [rationale, setRationale] = useState(a.rationale ?? "");
  const update = useMutation(trpc.tracing.updateAssessment.mutationOptions({ onSuccess: notifyAndRefresh((_r, v) => `${v.kind === "feedback" ? "Feedback" : "Expectation"} ${a.name} updated`, onDone) }));
  const value = initialType === "yesno" ? (typeof a.value === "boolean" ? yesno === "yes" : yesno) : initialType === "number" ? (typeof num === "number" ? num : undefined) : text.trim() || undefined;

  function onSubmit(e: FormSubmit) {
    e.preventDefault();
    if (value === undefined) return;
    update.mutate({ trace_id: traceId, assessment_id: a.assessment_id, kind: a.kind, value, rationale: rationale.trim() || null }, { onSuccess: onClose });
  }
  return (
    <Modal opened onClose={onClose} title={`Edit ${a.kind} ${a.name}`} size="md">
      <Stack component="form" onSubmit={onSubmit} gap="xs" data-testid="assessment-edit-form">
        {initialType === "yesno" && <SegmentedControl size="xs" value={yesno} onChange={setYesno} data={[{ value: "yes", label: "yes" }, { value: "no", label: "no" }]} aria-label="Value" data-testid="assessment-edit-yesno" />}
        {initialType === "number" && <NumberInput size="xs" label="Value" value={num} onChange={setNum} decimalScale={6} data-testid="assessment-edit-number" />}
        {initialType === "text" && <TextInput size="xs" label="Value" value={text} onChange={(e) => setText(e.currentTarget.value)} data-testid="assessment-edit-text" />}
        <Textarea size="xs" label="Rationale" autosize minRows={2} maxRows={6} value={rationale} onChange={(e) => setRationale(e.currentTarget.value)} data-testid="assessment-edit-rationale" />
        {update.error && <Text size="xs" c="red">{update.error.message}</Text>}
        <Group justify="flex-end">
          <Button variant="default" size="xs" onClick={onClose}>Cancel</Button>
          <Button type="submit" size="xs" disabled={value === undefined} loading={update.isPending} data-testid="assessment-edit-save">Save</Button>
        </Group>
      </Stack>
    </Modal>
  );
}

function AssessmentForm({ traceId, selected, onDone }: { traceId: string; selected: PortalSpanSummary | undefined; onDone: () => Promise<unknown> }) {
  const trpc = useTRPC();
  const [kind, setKind] = useState<Kind>("feedback");
  const [name, setName] = useState("");
  const [type, setType] = useState<ValueType>("yesno");
  const [yesno, setYesno] = useState("yes");
  const [num, setNum] = useState<number | string>("");
  const [text, setText] = useState("");
  const [rationale, setRationale] = useState("");
  const [onSpan, setOnSpan] = useState(false);
  const create = useMutation(trpc.tracing.createAssessment.mutationOptions({ onSuccess: notifyAndRefresh((_r, v) => `${v.kind === "feedback" ? "Feedback" : "Expectation"} ${v.name} recorded`, onDone) }));
  const value = type === "yesno" ? yesno : type === "number" ? (typeof num === "number" ? num : undefined) : text.trim() || undefined;
  const ready = name.trim() !== "" && value !== undefined;

  function onSubmit(e: FormSubmit) {
    e.preventDefault();
    if (!ready) return;
    create.mutate(
      { trace_id: traceId, kind, name: name.trim(), value, ...(rationale.trim() ? { rationale: rationale.trim() } : {}), ...(onSpan && selected ? { span_id: selected.span_id } : {}) },
      { onSuccess: () => { setName(""); setRationale(""); setText(""); setNum(""); } },
    );
  }
  return (
    <Stack component="form" onSubmit={onSubmit} gap="xs" data-testid="assessment-form" style={{ borderTop: "1px solid var(--mantine-color-default-border)", paddingTop: 8 }}>
      <Group justify="space-between">
        <Text size="sm" fw={500}>Add</Text>
        <SegmentedControl size="xs" value={kind} onChange={(v) => setKind(v as Kind)} data={[{ value: "feedback", label: "Feedback" }, { value: "expectation", label: "Expectation" }]} aria-label="Assessment kind" />
      </Group>
      <Group gap="xs" align="flex-end" wrap="nowrap">
        <TextInput size="xs" label="Name" placeholder={kind === "feedback" ? "correctness" : "expected_response"} value={name} onChange={(e) => setName(e.currentTarget.value)} style={{ flex: 1 }} data-testid="assessment-name" />
        <SegmentedControl size="xs" value={type} onChange={(v) => setType(v as ValueType)} data={[{ value: "yesno", label: "Yes/No" }, { value: "number", label: "Number" }, { value: "text", label: "Text" }]} aria-label="Value type" />
      </Group>
      {type === "yesno" && <SegmentedControl size="xs" value={yesno} onChange={setYesno} data={[{ value: "yes", label: "yes" }, { value: "no", label: "no" }]} aria-label="Value" data-testid="assessment-yesno" />}
      {type === "number" && <NumberInput size="xs" label="Value" value={num} onChange={setNum} decimalScale={6} data-testid="assessment-number" />}
      {type === "text" && <TextInput size="xs" label="Value" value={text} onChange={(e) => setText(e.currentTarget.value)} data-testid="assessment-text" />}
      <Textarea size="xs" label="Rationale" placeholder="Why (optional)" autosize minRows={2} maxRows={6} value={rationale} onChange={(e) => setRationale(e.currentTarget.value)} data-testid="assessment-rationale-input" />
      {selected && selected.parent_span_id !== null && (
        <Checkbox size="xs" label={`On the selected span (${selected.name})`} checked={onSpan} onChange={(e) => setOnSpan(e.currentTarget.checked)} />
      )}
      {create.error && <Text size="xs" c="red">{create.error.message}</Text>}
      <Group justify="flex-end">
        <Button type="submit" size="xs" disabled={!ready} loading={create.isPending} data-testid="assessment-submit">
          Add {kind}
        </Button>
      </Group>
    </Stack>
  );
}
