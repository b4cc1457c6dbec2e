"use client";
import { Badge, Code, Paper, Stack, Text } from "@mantine/core";
import type { ChatTurn } from "@modelgate/core";

const ROLE_COLOR: Record<string, string> = { user: "blue", assistant: "green", system: "gray", tool: "orange", developer: "gray" };

/** A span's chat messages as a conversation: the request's turns, then the answer. */
export function ChatView({ turns }: { turns: readonly ChatTurn[] }) {
  return (
    <Stack gap="sm" data-testid="span-chat">
      {turns.map((m, i) => {
        const mine = m.role === "user";
        return (
          <Paper
            key={i}
            withBorder
            p="sm"
            radius="md"
            data-testid={`chat-turn-${m.role}`}
            style={{ marginLeft: mine ? 0 : 24, marginRight: mine ? 24 : 0, background: m.role === "assistant" ? "var(--mantine-color-green-light)" : mine ? "var(--mantine-color-blue-light)" : undefined }}
          >
            <Badge size="xs" variant="filled" color={ROLE_COLOR[m.role] ?? "gray"} mb={6}>{m.role}</Badge>
            {m.content ? (
              <Text size="sm" style={{ whiteSpace: "pre-wrap", wordBreak: "break-word" }}>{m.content}</Text>
            ) : (
              !m.tool_calls && <Text size="sm" c="dimmed">(no content)</Text>
            )}
            {m.tool_calls !== undefined && (
              <>
                <Text size="xs" c="dimmed" mt={4}>Tool calls</Text>
                <Code block fz="xs">{JSON.stringify(m.tool_calls, null, 2)}</Code>
              </>
            )}
          </Paper>
        );
      })}
    </Stack>
  );
}
