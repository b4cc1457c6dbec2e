"use client";
import { Alert, Anchor, Badge, Button, Code, Group, Image, Loader, ScrollArea, Stack, Table, Text, Title } from "@mantine/core";
import { IconDownload } from "@tabler/icons-react";
import { useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import Papa from "papaparse";
import { parse as parseYaml } from "yaml";
import { InputExample } from "@/components/registry/mlmodel-card";
import { errorMessage } from "@/lib/format";
import { artifactUrl, baseName, dirName, extensionOf, fetchText, formatBytes, IMAGE_TYPES, previewKind, PREVIEW_LIMIT, type ArtifactFile, type ArtifactRoot } from "./artifacts-api";

const CSV_ROWS = 500;

interface PreviewProps {
  root: ArtifactRoot;
  file: ArtifactFile;
}

export function ArtifactPreview({ root, file }: PreviewProps) {
  const url = artifactUrl(root, file.path);
  const kind = previewKind(file.path);
  const tooBig = (file.file_size ?? 0) > PREVIEW_LIMIT && kind !== "image";
  return (
    <Stack gap="sm" data-testid="artifact-preview">
      <Group justify="space-between" wrap="nowrap">
        <Stack gap={0} style={{ minWidth: 0 }}>
          <Title order={5} style={{ wordBreak: "break-all" }}>{baseName(file.path)}</Title>
          <Text size="xs" c="dimmed" style={{ wordBreak: "break-all" }}>{file.path} · {formatBytes(file.file_size)}</Text>
        </Stack>
        <Button component="a" href={url} download={baseName(file.path)} size="xs" variant="light" leftSection={<IconDownload size={14} />} data-testid="artifact-download">
          Download
        </Button>
      </Group>
      {tooBig ? (
        <Text size="sm" c="dimmed">This file is too large to preview ({formatBytes(file.file_size)}). Download it instead.</Text>
      ) : kind === "image" ? (
        <ImagePreview url={url} path={file.path} />
      ) : kind === "none" ? (
        <Text size="sm" c="dimmed">No preview for this file type.</Text>
      ) : (
        <TextPreview url={url} kind={kind} root={root} path={file.path} />
      )}
    </Stack>
  );
}

/**
 * The server sends some images (SVG) as text/plain with nosniff, so that opening one can never run
 * script on our origin. Here the bytes are re-typed in a blob and shown in an <img>, where SVG
 * scripts do not run.
 */
function ImagePreview({ url, path }: { url: string; path: string }) {
  const [src, setSrc] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let objectUrl: string | null = null;
    let cancelled = false;
    const type = IMAGE_TYPES[extensionOf(path)] ?? "application/octet-stream";
    fetch(url, { credentials: "same-origin" })
      .then(async (res) => {
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        const blob = new Blob([await res.arrayBuffer()], { type });
        if (cancelled) return;
        objectUrl = URL.createObjectURL(blob);
        setSrc(objectUrl);
      })
      .catch((e: unknown) => setError(errorMessage(e)));
    return () => {
      cancelled = true;
      if (objectUrl) URL.revokeObjectURL(objectUrl);
    };
  }, [url, path]);
  if (error) return <Alert color="red">{error}</Alert>;
  if (!src) return <Loader size="sm" />;
  return <Image src={src} alt={path} fit="contain" mah={600} w="auto" maw="100%" data-testid="artifact-image" />;
}

function TextPreview({ url, kind, root, path }: { url: string; kind: "json" | "yaml" | "csv" | "mlmodel" | "text"; root: ArtifactRoot; path: string }) {
  const content = useQuery({ queryKey: ["artifact-text", url], queryFn: () => fetchText(url), staleTime: 60_000 });
  if (content.isPending) return <Loader size="sm" />;
  if (content.error) return <Alert color="red">{content.error.message}</Alert>;
  const { text, truncated } = content.data;
  return (
    <>
      {truncated && <Text size="xs" c="orange">Showing the first megabyte only.</Text>}
      {kind === "csv" ? (
        <CsvTable text={text} delimiter={path.toLowerCase().endsWith(".tsv") ? "\t" : ""} />
      ) : kind === "mlmodel" ? (
        <MlModelPreview text={text} root={root} dir={dirName(path)} />
      ) : (
        <Code block style={{ maxHeight: 600, overflow: "auto", whiteSpace: "pre" }} data-testid="artifact-text">
          {kind === "json" ? prettyJson(text) : text}
        </Code>
      )}
    </>
  );
}

function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

function CsvTable({ text, delimiter }: { text: string; delimiter: string }) {
  const parsed = Papa.parse<string[]>(text, { skipEmptyLines: true, delimiter, preview: CSV_ROWS + 1 });
  const [header, ...rows] = parsed.data;
  if (!header) return <Text size="sm" c="dimmed">Empty file.</Text>;
  return (
    <ScrollArea h={560} type="auto">
      <Table striped withTableBorder withColumnBorders fz="xs" stickyHeader aria-label="CSV preview">
        <Table.Thead>
          <Table.Tr>{header.map((h, i) => <Table.Th key={i}>{h}</Table.Th>)}</Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((r, i) => (
            <Table.Tr key={i}>{r.map((c, j) => <Table.Td key={j}>{c}</Table.Td>)}</Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {rows.length >= CSV_ROWS && <Text size="xs" c="dimmed" mt={4}>First {CSV_ROWS} rows shown.</Text>}
    </ScrollArea>
  );
}

interface MlModel {
  artifact_path?: string;
  flavors?: Record<string, Record<string, unknown>>;
  signature?: { inputs?: string; outputs?: string; params?: string };
  saved_input_example_info?: { artifact_path?: string; type?: string };
  model_uuid?: string;
  utc_time_created?: string;
  mlflow_version?: string;
}

interface SignatureColumn {
  name?: string;
  type?: string;
  required?: boolean;
  "tensor-spec"?: { dtype?: string; shape?: number[] };
}

function parseSignature(json: string | undefined): SignatureColumn[] | null {
  if (!json) return null;
  try {
    return JSON.parse(json) as SignatureColumn[];
  } catch {
    return null;
  }
}

/** An MLmodel file the way a reviewer reads it: flavors, the signature as tables, the input example. */
function MlModelPreview({ text, root, dir }: { text: string; root: ArtifactRoot; dir: string }) {
  let model: MlModel;
  try {
    model = (parseYaml(text) ?? {}) as MlModel;
  } catch (e) {
    return <Alert color="red" title="Not valid YAML">{errorMessage(e)}</Alert>;
  }
  const example = model.saved_input_example_info?.artifact_path;
  return (
    <Stack gap="md" data-testid="mlmodel-preview">
      <Group gap="xs">
        <Text size="sm" fw={600}>Flavors</Text>
        {Object.keys(model.flavors ?? {}).map((f) => <Badge key={f} variant="light">{f}</Badge>)}
        {model.mlflow_version && <Text size="xs" c="dimmed">mlflow {model.mlflow_version}</Text>}
      </Group>
      {Object.entries(model.flavors ?? {}).map(([name, conf]) => (
        <Text key={name} size="xs" c="dimmed">
          <b>{name}</b>: {Object.entries(conf).filter(([, v]) => typeof v !== "object").map(([k, v]) => `${k}=${String(v)}`).join(", ")}
        </Text>
      ))}
      <SignatureTable title="Inputs" columns={parseSignature(model.signature?.inputs)} />
      <SignatureTable title="Outputs" columns={parseSignature(model.signature?.outputs)} />
      {!model.signature && <Text size="sm" c="dimmed">No signature logged with this model.</Text>}
      {example && <ExampleFile url={artifactUrl(root, dir ? `${dir}/${example}` : example)} />}
      <details>
        <summary><Anchor component="span" size="xs">Raw MLmodel</Anchor></summary>
        <Code block>{text}</Code>
      </details>
    </Stack>
  );
}

function SignatureTable({ title, columns }: { title: string; columns: SignatureColumn[] | null }) {
  if (!columns) return null;
  return (
    <Stack gap={4}>
      <Text size="sm" fw={600}>{title}</Text>
      <Table withTableBorder fz="xs" aria-label={`Signature ${title.toLowerCase()}`}>
        <Table.Thead>
          <Table.Tr><Table.Th>Name</Table.Th><Table.Th>Type</Table.Th><Table.Th>Required</Table.Th></Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {columns.map((c, i) => (
            <Table.Tr key={i}>
              <Table.Td>{c.name ?? `(${i})`}</Table.Td>
              <Table.Td><Code>{c.type === "tensor" ? `tensor ${c["tensor-spec"]?.dtype ?? ""} ${JSON.stringify(c["tensor-spec"]?.shape ?? [])}` : c.type}</Code></Table.Td>
              <Table.Td>{c.required === false ? "no" : "yes"}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Stack>
  );
}

/** The model's saved input example, shown as the registry's version page shows it (a frame as a table). */
function ExampleFile({ url }: { url: string }) {
  const content = useQuery({ queryKey: ["artifact-text", url], queryFn: () => fetchText(url, 100_000) });
  if (content.isPending) return <Loader size="xs" />;
  if (content.error) return <Text size="xs" c="dimmed">Input example: {content.error.message}</Text>;
  let value: unknown;
  try {
    value = JSON.parse(content.data.text);
  } catch {
    return <Code block style={{ maxHeight: 300, overflow: "auto" }}>{content.data.text}</Code>;
  }
  return <InputExample value={value} />;
}
