"use client";
import { Badge, Card, Code, Group, ScrollArea, Stack, Table, Text } from "@mantine/core";
import type { MlmodelView, ParamSpec, SchemaView } from "@modelgate/core";
import { cellText, specText, splitFrame } from "./format";

/** A registered version's MLmodel: flavors, the signature as a table, the input example. */
export function MlmodelCard({ mlmodel, inputExample }: { mlmodel: MlmodelView | null; inputExample: unknown }) {
  return (
    <Card withBorder data-testid="mlmodel">
      <Text fw={600} mb="xs">Model</Text>
      {!mlmodel ? (
        <Text size="sm" c="dimmed">No MLmodel file was found at the version&apos;s source.</Text>
      ) : (
        <Stack gap="md">
          <Group gap="xs" data-testid="flavors">
            <Text size="sm" fw={500}>Flavors</Text>
            {mlmodel.flavor_names.map((f) => <Badge key={f} variant="light" tt="none" data-testid={`flavor-${f}`}>{f}</Badge>)}
            {mlmodel.mlflow_version && <Text size="xs" c="dimmed">mlflow {mlmodel.mlflow_version}</Text>}
            {mlmodel.utc_time_created && <Text size="xs" c="dimmed">created {mlmodel.utc_time_created} UTC</Text>}
          </Group>
          {Object.entries(mlmodel.flavors).map(([name, conf]) => (
            <Text key={name} size="xs" c="dimmed">
              <b>{name}</b>: {Object.entries(conf).filter(([, v]) => typeof v !== "object").map(([k, v]) => `${k}=${String(v)}`).join(", ")}
            </Text>
          ))}
          <SignatureTable signature={mlmodel.signature} />
          <InputExample value={inputExample} />
        </Stack>
      )}
    </Card>
  );
}

type Section = "inputs" | "outputs" | "params";
type SigRow = { section: Section; name: string; type: string; shape: string; required: string; default: string };

function schemaRows(section: "inputs" | "outputs", schema: SchemaView | null): SigRow[] {
  return (schema?.specs ?? []).map((s, i) =>
    s.kind === "tensor"
      ? { section, name: s.name ?? `[${i}]`, type: `tensor ${s.dtype}`, shape: `[${s.shape.join(", ")}]`, required: "yes", default: "" }
      : { section, name: s.name ?? `[${i}]`, type: specText({ ...s, required: true }), shape: "", required: s.required ? "yes" : "no", default: "" },
  );
}

function paramRows(params: ParamSpec[] | null): SigRow[] {
  return (params ?? []).map((p) => ({ section: "params", name: p.name, type: p.type, shape: p.shape ? `[${p.shape.join(", ")}]` : "", required: "no", default: JSON.stringify(p.default) ?? "null" }));
}

export function SignatureTable({ signature }: { signature: MlmodelView["signature"] }) {
  if (!signature) return <Text size="sm" c="dimmed" data-testid="signature-table">No signature logged with this model.</Text>;
  const rows = [...schemaRows("inputs", signature.inputs), ...schemaRows("outputs", signature.outputs), ...paramRows(signature.params)];
  const sections = (["inputs", "outputs", "params"] as const).filter((s) => rows.some((r) => r.section === s));
  return (
    <Stack gap={4}>
      <Text size="sm" fw={500}>Signature</Text>
      <Table withTableBorder withColumnBorders fz="sm" verticalSpacing={4} aria-label="Signature" data-testid="signature-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Name</Table.Th>
            <Table.Th>Type</Table.Th>
            <Table.Th>Shape</Table.Th>
            <Table.Th>Required</Table.Th>
            <Table.Th>Default</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {sections.map((s) => [
            <Table.Tr key={`h-${s}`}>
              <Table.Td colSpan={5} bg="var(--mantine-color-default-hover)"><Text size="xs" fw={700} tt="uppercase" c="dimmed">{s}</Text></Table.Td>
            </Table.Tr>,
            ...rows.filter((r) => r.section === s).map((r, i) => (
              <Table.Tr key={`${s}-${i}`} data-testid={`signature-${s}-${r.name}`}>
                <Table.Td fw={500}>{r.name}</Table.Td>
                <Table.Td><Code>{r.type}</Code></Table.Td>
                <Table.Td>{r.shape}</Table.Td>
                <Table.Td>{r.required}</Table.Td>
                <Table.Td>{r.default}</Table.Td>
              </Table.Tr>
            )),
          ])}
        </Table.Tbody>
      </Table>
    </Stack>
  );
}

/** An input example: a pandas "split" frame as a table, anything else as JSON. */
export function InputExample({ value }: { value: unknown }) {
  if (value === null || value === undefined) return null;
  const frame = splitFrame(value);
  return (
    <Stack gap={4} data-testid="input-example">
      <Text size="sm" fw={500}>Input example</Text>
      {frame ? (
        <ScrollArea.Autosize mah={360} type="auto">
          <Table withTableBorder withColumnBorders striped fz="xs" aria-label="Input example">
            <Table.Thead>
              <Table.Tr>{frame.columns.map((c, i) => <Table.Th key={i}>{c}</Table.Th>)}</Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {frame.data.slice(0, 200).map((row, i) => (
                <Table.Tr key={i}>{row.map((c, j) => <Table.Td key={j}>{cellText(c)}</Table.Td>)}</Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </ScrollArea.Autosize>
      ) : (
        <Code block style={{ maxHeight: 360, overflow: "auto" }}>{JSON.stringify(value, null, 2)}</Code>
      )}
    </Stack>
  );
}
