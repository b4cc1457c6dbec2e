"use client";
import { Alert, Anchor, Badge, Button, Card, Code, Group, JsonInput, Loader, ScrollArea, SimpleGrid, Stack, Table, Tabs, Text, TextInput } from "@mantine/core";
import { IconPlayerPlay } from "@tabler/icons-react";
import type { ModelVersionDetail } from "@modelgate/core";
import { useMutation } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { cellText, versionHref } from "@/components/registry/format";
import { errorMessage, type FormSubmit } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";
import { exampleBody, exampleRow, formBody, formColumns, isNumeric, type FormColumn } from "./scoring-body";

/**
 * "Try it": a form with one input per column of the served version's signature, prefilled from
 * its input example, or the raw JSON request in any MLflow scoring format. Scores through the
 * portal with the caller's own access.
 */
export function TryIt({ endpoint, model, version, onBody }: { endpoint: string; model: string; version: ModelVersionDetail | null; onBody: (body: unknown) => void }) {
  const columns = formColumns(version?.mlmodel?.signature?.inputs);
  const [tab, setTab] = useState<string | null>(columns ? "form" : "json");
  const [values, setValues] = useState<Record<string, string>>(() => (columns ? exampleRow(version?.input_example, columns) : {}));
  const [json, setJson] = useState(() => JSON.stringify(columns ? formBody(columns, values) : exampleBody(version?.input_example), null, 2));
  const [jsonError, setJsonError] = useState<string | null>(null);
  const trpc = useTRPC();
  const invoke = useMutation(trpc.serving.invoke.mutationOptions());

  const setValue = (name: string, v: string) => {
    const next = { ...values, [name]: v };
    setValues(next);
    if (columns) onBody(formBody(columns, next));
  };

  function onTab(next: string | null) {
    // the editor starts from what the form holds, so a tweak is one edit away
    if (next === "json" && columns) setJson(JSON.stringify(formBody(columns, values), null, 2));
    setTab(next);
  }

  function onSubmit(e: FormSubmit) {
    e.preventDefault();
    setJsonError(null);
    let body: unknown;
    if (tab === "form" && columns) body = formBody(columns, values);
    else {
      try {
        body = JSON.parse(json) as unknown;
      } catch (err) {
        setJsonError(`Not valid JSON: ${errorMessage(err)}`);
        return;
      }
    }
    onBody(body);
    invoke.mutate({ name: endpoint, body });
  }

  return (
    <Card withBorder>
      <Stack component="form" onSubmit={onSubmit} gap="sm" data-testid="try-it-form" aria-label="Try it">
        <Group justify="space-between">
          <Text fw={600}>Try it</Text>
          {version && <Text size="xs" c="dimmed">Signature of version {version.version}</Text>}
        </Group>
        <Tabs value={tab} onChange={onTab} keepMounted={false}>
          <Tabs.List mb="sm">
            <Tabs.Tab value="form" disabled={!columns} data-testid="try-it-tab-form">Form</Tabs.Tab>
            <Tabs.Tab value="json" data-testid="try-it-tab-json">JSON</Tabs.Tab>
          </Tabs.List>
          <Tabs.Panel value="form">
            {columns && <ColumnInputs columns={columns} values={values} onChange={setValue} />}
          </Tabs.Panel>
          <Tabs.Panel value="json">
            <Stack gap={4}>
              {!columns && (
                <Text size="xs" c="dimmed">
                  {version?.mlmodel?.signature?.inputs ? "The signature takes tensors: send them as " : "No column signature to build a form from: send "}
                  <Code>inputs</Code>, <Code>instances</Code>, <Code>dataframe_split</Code> or <Code>dataframe_records</Code>.
                </Text>
              )}
              <JsonInput value={json} onChange={setJson} autosize minRows={6} maxRows={20} formatOnBlur validationError="Not valid JSON" aria-label="Request body" data-testid="try-it-json" error={jsonError ?? undefined} />
            </Stack>
          </Tabs.Panel>
        </Tabs>
        <Group>
          <Button type="submit" leftSection={<IconPlayerPlay size={16} />} loading={invoke.isPending} data-testid="try-it-submit">Score</Button>
          {invoke.isPending && <Loader size="xs" />}
        </Group>
        {invoke.error && (
          <Alert color="red" title="Scoring failed" data-testid="try-it-error" style={{ whiteSpace: "pre-wrap" }}>{invoke.error.message}</Alert>
        )}
        {invoke.data && !invoke.isPending && <Predictions model={model} result={invoke.data} />}
      </Stack>
    </Card>
  );
}

function ColumnInputs({ columns, values, onChange }: { columns: FormColumn[]; values: Record<string, string>; onChange: (name: string, v: string) => void }) {
  return (
    <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }} spacing="sm">
      {columns.map((c) => (
        <TextInput
          key={c.name}
          label={c.name}
          description={`${c.type}${c.required ? "" : " (optional)"}`}
          value={values[c.name] ?? ""}
          onChange={(e) => onChange(c.name, e.currentTarget.value)}
          inputMode={isNumeric(c.type) ? "decimal" : undefined}
          placeholder={c.type === "boolean" ? "true / false" : c.type === "array" || c.type === "object" ? "JSON" : undefined}
          ff={isNumeric(c.type) ? "monospace" : undefined}
          data-testid={`try-it-input-${c.name}`}
        />
      ))}
    </SimpleGrid>
  );
}

function Predictions({ model, result }: { model: string; result: { predictions: unknown; version: number | string } }) {
  const rows = Array.isArray(result.predictions) ? result.predictions : null;
  const objectRows = rows?.every((r) => r && typeof r === "object" && !Array.isArray(r)) ? (rows as Record<string, unknown>[]) : null;
  const keys = objectRows ? [...new Set(objectRows.flatMap((r) => Object.keys(r)))] : [];
  return (
    <Stack gap={4} data-testid="try-it-predictions">
      <Group gap="xs">
        <Text size="sm" fw={500}>Predictions</Text>
        <Badge variant="light" size="sm" data-testid="try-it-version">
          answered by <Anchor component={Link} href={versionHref(model, result.version)} size="xs" inherit>version {result.version}</Anchor>
        </Badge>
      </Group>
      {rows && rows.length > 0 && rows.length <= 200 ? (
        <ScrollArea.Autosize mah={320} type="auto">
          <Table withTableBorder withColumnBorders fz="sm" verticalSpacing={4} aria-label="Predictions">
            <Table.Thead>
              <Table.Tr>
                <Table.Th w={60}>row</Table.Th>
                {objectRows ? keys.map((k) => <Table.Th key={k}>{k}</Table.Th>) : <Table.Th>prediction</Table.Th>}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((r, i) => (
                <Table.Tr key={i} data-testid={`try-it-prediction-${i}`}>
                  <Table.Td c="dimmed">{i}</Table.Td>
                  {objectRows ? keys.map((k) => <Table.Td key={k} ff="monospace">{cellText((r as Record<string, unknown>)[k])}</Table.Td>) : <Table.Td ff="monospace">{cellText(r)}</Table.Td>}
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </ScrollArea.Autosize>
      ) : (
        <Code block style={{ maxHeight: 320, overflow: "auto" }}>{JSON.stringify(result.predictions, null, 2)}</Code>
      )}
    </Stack>
  );
}
