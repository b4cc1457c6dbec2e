"use client";
import { Alert, Badge, Card, Code, Group, Stack, Table, Tabs, Text } from "@mantine/core";
import { IconAlertTriangle } from "@tabler/icons-react";
import type { PortalSpan, PortalSpanEvent } from "@modelgate/core";
import { useState } from "react";
import { ChatView } from "./chat-view";
import { formatLatency, spanTypeColor } from "./format";
import { JsonTree } from "./json-tree";
import { TraceStateBadge } from "./trace-state-badge";

const isException = (e: PortalSpanEvent) => e.name === "exception";

function valueText(v: unknown): string {
  return typeof v === "string" ? v : JSON.stringify(v, null, 2);
}

function AttributesTable({ attributes, testId }: { attributes: Record<string, unknown>; testId: string }) {
  const entries = Object.entries(attributes).sort(([a], [b]) => a.localeCompare(b));
  if (!entries.length) return <Text size="sm" c="dimmed" data-testid={testId}>No attributes.</Text>;
  return (
    <Table verticalSpacing={4} fz="sm" data-testid={testId} aria-label="Attributes">
      <Table.Tbody>
        {entries.map(([k, v]) => (
          <Table.Tr key={k}>
            <Table.Td fw={500} w="38%" ff="monospace" fz="xs" style={{ wordBreak: "break-all", verticalAlign: "top" }}>{k}</Table.Td>
            <Table.Td style={{ wordBreak: "break-word" }}>
              {typeof v === "object" && v !== null ? <Code block fz="xs" style={{ whiteSpace: "pre-wrap", wordBreak: "break-word" }}>{valueText(v)}</Code> : <Text size="sm" ff="monospace" style={{ whiteSpace: "pre-wrap" }}>{valueText(v)}</Text>}
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

function Events({ events }: { events: readonly PortalSpanEvent[] }) {
  if (!events.length) return <Text size="sm" c="dimmed" data-testid="span-events">No events.</Text>;
  return (
    <Stack gap="sm" data-testid="span-events">
      {events.map((e, i) => {
        if (isException(e)) {
          const { "exception.type": type, "exception.message": message, "exception.stacktrace": stack, ...rest } = e.attributes;
          return (
            <Alert key={i} color="red" variant="light" icon={<IconAlertTriangle size={18} />} title={`${String(type ?? "Exception")} at ${formatLatency(e.offset_ms)}`} data-testid="span-event-exception">
              {message !== undefined && <Text size="sm" mb={stack || Object.keys(rest).length ? "xs" : 0} style={{ whiteSpace: "pre-wrap" }}>{valueText(message)}</Text>}
              {stack !== undefined && <Code block fz="xs" mah={260} style={{ overflow: "auto", whiteSpace: "pre-wrap", wordBreak: "break-word" }}>{valueText(stack)}</Code>}
              {Object.keys(rest).length > 0 && <AttributesTable attributes={rest} testId={`span-event-${i}-attributes`} />}
            </Alert>
          );
        }
        return (
          <Card key={i} withBorder p="xs" data-testid="span-event">
            <Group gap="xs" mb={Object.keys(e.attributes).length ? 4 : 0}>
              <Text size="sm" fw={600}>{e.name || "(unnamed event)"}</Text>
              <Text size="xs" c="dimmed">at {formatLatency(e.offset_ms)}</Text>
            </Group>
            {Object.keys(e.attributes).length > 0 && <AttributesTable attributes={e.attributes} testId={`span-event-${i}-attributes`} />}
          </Card>
        );
      })}
    </Stack>
  );
}

/** The selected span: what went in and came out (as JSON or as a conversation), its attributes and events. */
export function SpanDetails({ span }: { span: PortalSpan }) {
  const [tab, setTab] = useState<string | null>(null);
  const exceptions = span.events.filter(isException).length;
  const tabs = [...(span.chat ? ["chat"] : []), "inputs", "outputs", "attributes", "events"];
  // the tab chosen stays as spans change, unless this span has no such tab
  const current = tab && tabs.includes(tab) ? tab : tabs[0]!;
  return (
    <Card withBorder p="sm" data-testid="span-details">
      <Group gap="xs" mb={4} wrap="nowrap">
        <Text fw={600} truncate="end" data-testid="span-details-name" title={span.name}>{span.name}</Text>
        {span.span_type && <Badge size="sm" variant="light" color={spanTypeColor(span.span_type)}>{span.span_type}</Badge>}
        {span.status !== "UNSET" && <TraceStateBadge state={span.status} />}
      </Group>
      <Group gap="md" mb="xs">
        <Text size="xs" c="dimmed">Span <Text span ff="monospace" size="xs">{span.span_id}</Text></Text>
        <Text size="xs" c="dimmed">starts at {formatLatency(span.offset_ms)}</Text>
        <Text size="xs" c="dimmed">duration {formatLatency(span.duration_ms)}</Text>
      </Group>
      {span.status === "ERROR" && span.status_message && (
        <Alert color="red" variant="light" p="xs" mb="xs" data-testid="span-status-message">{span.status_message}</Alert>
      )}
      <Tabs value={current} onChange={setTab} keepMounted={false}>
        <Tabs.List mb="xs" style={{ flexWrap: "nowrap", overflowX: "auto", overflowY: "hidden" }}>
          {span.chat && <Tabs.Tab value="chat" data-testid="span-tab-chat">Chat</Tabs.Tab>}
          <Tabs.Tab value="inputs" data-testid="span-tab-inputs">Inputs</Tabs.Tab>
          <Tabs.Tab value="outputs" data-testid="span-tab-outputs">Outputs</Tabs.Tab>
          <Tabs.Tab value="attributes" data-testid="span-tab-attributes">Attributes</Tabs.Tab>
          <Tabs.Tab value="events" data-testid="span-tab-events" rightSection={exceptions ? <Badge size="xs" color="red" circle>{exceptions}</Badge> : undefined}>
            Events{span.events.length > 0 && !exceptions ? ` (${span.events.length})` : ""}
          </Tabs.Tab>
        </Tabs.List>
        <div style={{ maxHeight: "calc(100vh - 360px)", minHeight: 160, overflow: "auto" }}>
          {span.chat && (
            <Tabs.Panel value="chat">
              <ChatView turns={span.chat} />
            </Tabs.Panel>
          )}
          <Tabs.Panel value="inputs">
            <JsonTree key={`${span.span_id}-in`} value={span.inputs} testId="span-inputs" empty="No inputs recorded." />
          </Tabs.Panel>
          <Tabs.Panel value="outputs">
            <JsonTree key={`${span.span_id}-out`} value={span.outputs} testId="span-outputs" empty="No outputs recorded." />
          </Tabs.Panel>
          <Tabs.Panel value="attributes">
            <AttributesTable attributes={span.attributes} testId="span-attributes" />
          </Tabs.Panel>
          <Tabs.Panel value="events">
            <Events events={span.events} />
          </Tabs.Panel>
        </div>
      </Tabs>
    </Card>
  );
}
