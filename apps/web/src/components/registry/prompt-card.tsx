"use client";
import { Badge, Card, Code, Group, Paper, Select, Stack, Text } from "@mantine/core";
import type { ModelVersionView } from "@modelgate/core";
import { useState, type ReactNode } from "react";
import { promptTemplateOf } from "./prompt";

/** A prompt version the way its author wrote it: the template, its type and variables, and the commit message. */
export function PromptCard({ version, title, actions }: { version: ModelVersionView; title?: string; actions?: ReactNode }) {
  const prompt = promptTemplateOf(version.tags);
  return (
    <Card withBorder data-testid="prompt-view">
      <Group justify="space-between" mb="xs">
        <Group gap="xs">
          <Text fw={600}>{title ?? "Prompt template"}</Text>
          {prompt && <Badge variant="light" color="grape" size="sm" data-testid="prompt-type">{prompt.type}</Badge>}
        </Group>
        <Group gap="md">
          {prompt && prompt.variables.length > 0 && (
            <Group gap={4} data-testid="prompt-variables">
              <Text size="xs" c="dimmed">Variables</Text>
              {prompt.variables.map((v) => <Badge key={v} variant="outline" size="sm" tt="none" ff="monospace">{v}</Badge>)}
            </Group>
          )}
          {actions}
        </Group>
      </Group>
      <Text size="sm" mb="sm" data-testid="prompt-commit-message">
        <Text span c="dimmed" size="sm">Commit message: </Text>
        {version.description || <Text span c="dimmed" size="sm">—</Text>}
      </Text>
      {!prompt ? (
        <Text size="sm" c="dimmed">This version has no template (no mlflow.prompt.text tag).</Text>
      ) : prompt.messages ? (
        <Stack gap="xs" data-testid="prompt-messages">
          {prompt.messages.map((m, i) => (
            <Paper key={i} withBorder p="xs" radius="sm" data-testid={`prompt-message-${i}`}>
              <Badge variant="light" size="xs" mb={4}>{m.role || "?"}</Badge>
              <Text size="sm" ff="monospace" style={{ whiteSpace: "pre-wrap", wordBreak: "break-word" }}>{m.content}</Text>
            </Paper>
          ))}
        </Stack>
      ) : (
        <Code block style={{ whiteSpace: "pre-wrap", wordBreak: "break-word", maxHeight: 480, overflow: "auto" }} data-testid="prompt-text">{prompt.text}</Code>
      )}
      {prompt?.responseFormat && (
        <Stack gap={4} mt="sm">
          <Text size="sm" fw={500}>Response format</Text>
          <Code block>{prompt.responseFormat}</Code>
        </Stack>
      )}
    </Card>
  );
}

/** A prompt model's templates: the latest version's, or another version's when picked. */
export function PromptVersionsCard({ versions }: { versions: ModelVersionView[] }) {
  const [picked, setPicked] = useState<string | null>(null);
  const shown = versions.find((v) => v.version === picked) ?? versions[0];
  if (!shown) return null;
  const select = (
    <Select
      size="xs"
      w={170}
      aria-label="Prompt version"
      data={versions.map((v) => ({ value: v.version, label: `Version ${v.version}${v === versions[0] ? " (latest)" : ""}` }))}
      value={shown.version}
      onChange={setPicked}
      allowDeselect={false}
      data-testid="prompt-version-select"
    />
  );
  return <PromptCard version={shown} title={`Prompt template · version ${shown.version}`} actions={select} />;
}
