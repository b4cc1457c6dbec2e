"use client";
import { Card, Code, CopyButton, Group, Stack, Text, Button } from "@mantine/core";
import { useOrigin } from "./use-serving";

const shellQuote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

/** Where to send scoring requests, and a curl command that does it with an access token. */
export function ScoringUrl({ name, body }: { name: string; body: unknown }) {
  const origin = useOrigin();
  const path = `/serving-endpoints/${encodeURIComponent(name)}/invocations`;
  const curl = [
    `curl -X POST "$MLFLOW_TRACKING_URI${path}" \\`,
    `  -H "Authorization: Bearer $MLFLOW_TRACKING_TOKEN" \\`,
    `  -H 'Content-Type: application/json' \\`,
    `  -d ${shellQuote(JSON.stringify(body))}`,
  ].join("\n");
  return (
    <Card withBorder data-testid="endpoint-scoring-url">
      <Text fw={600} mb="xs">Scoring</Text>
      <Stack gap="xs">
        <Group gap="xs" wrap="nowrap">
          <Code style={{ wordBreak: "break-all", flex: 1 }} data-testid="endpoint-url">{origin}{path}</Code>
          <CopyButton value={`${origin}${path}`}>{({ copied, copy }) => <Button size="compact-xs" variant="default" onClick={copy}>{copied ? "Copied" : "Copy"}</Button>}</CopyButton>
        </Group>
        <Text size="xs" c="dimmed">
          MLflow&apos;s scoring protocol: JSON with <Code>dataframe_split</Code>, <Code>dataframe_records</Code>, <Code>instances</Code> or <Code>inputs</Code> (and <Code>params</Code>), or CSV. A token with READ on the model may call it
          (tokens come from the Account page; <Code>MLFLOW_TRACKING_URI={origin || "http://localhost:3000"}</Code>).
        </Text>
        <Code block data-testid="endpoint-curl" style={{ whiteSpace: "pre-wrap", wordBreak: "break-all" }}>{curl}</Code>
        <CopyButton value={curl}>{({ copied, copy }) => <Button size="compact-xs" variant="default" onClick={copy} style={{ alignSelf: "flex-start" }}>{copied ? "Copied" : "Copy curl"}</Button>}</CopyButton>
        <Text size="xs" c="dimmed">
          Health: <Code>GET {path.replace("/invocations", "/ping")}</Code>, <Code>/health</Code>, <Code>/version</Code>.
        </Text>
      </Stack>
    </Card>
  );
}
