"use client";
import { ActionIcon, Card, Code, Group, Stack, Text, Tooltip, CopyButton } from "@mantine/core";
import { IconCheck, IconCopy } from "@tabler/icons-react";

/**
 * The URIs that load this version, and a Python snippet, each copyable: `models:/` for a model,
 * `prompts:/` for a prompt (MLflow 3's prompt registry loads those with mlflow.genai.load_prompt).
 */
export function VersionUris({ name, version, aliases, prompt = false }: { name: string; version: string; aliases: string[]; prompt?: boolean }) {
  const scheme = prompt ? "prompts" : "models";
  const uri = `${scheme}:/${name}/${version}`;
  const snippet = prompt ? `import mlflow\nprompt = mlflow.genai.load_prompt("${uri}")` : `import mlflow\nmodel = mlflow.pyfunc.load_model("${uri}")`;
  return (
    <Card withBorder data-testid="version-uris">
      <Text fw={600} mb="xs">Use this version</Text>
      <Stack gap={6}>
        <CopyLine value={uri} testId="model-uri" />
        {aliases.map((a) => <CopyLine key={a} value={`${scheme}:/${name}@${a}`} testId={`alias-uri-${a}`} />)}
        <Group align="flex-start" gap="xs" wrap="nowrap" mt={4}>
          <Code block style={{ flex: 1, whiteSpace: "pre-wrap", wordBreak: "break-all" }} data-testid="python-snippet">{snippet}</Code>
          <Copy value={snippet} label="Copy snippet" />
        </Group>
      </Stack>
    </Card>
  );
}

function CopyLine({ value, testId }: { value: string; testId: string }) {
  return (
    <Group gap="xs" wrap="nowrap">
      <Code style={{ wordBreak: "break-all" }} data-testid={testId}>{value}</Code>
      <Copy value={value} label="Copy URI" />
    </Group>
  );
}

function Copy({ value, label }: { value: string; label: string }) {
  return (
    <CopyButton value={value} timeout={1500}>
      {({ copied, copy }) => (
        <Tooltip label={copied ? "Copied" : label} withArrow>
          <ActionIcon variant="subtle" color={copied ? "teal" : "gray"} onClick={copy} aria-label={`${label}: ${value}`}>
            {copied ? <IconCheck size={14} /> : <IconCopy size={14} />}
          </ActionIcon>
        </Tooltip>
      )}
    </CopyButton>
  );
}
