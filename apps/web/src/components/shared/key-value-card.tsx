"use client";
import { Card, Table, Text } from "@mantine/core";
import type { ReactNode } from "react";

/**
 * A titled card of rows, the first cell of each the key (bold; `keyWidth` wide unless there is a
 * `header`). With `scroll`, long lists scroll inside the card under a sticky header.
 */
export function KeyValueCard({
  title,
  testId,
  rows,
  empty = "",
  header,
  keyWidth = "35%",
  scroll = false,
}: {
  title: string;
  testId: string;
  rows: (readonly ReactNode[])[];
  empty?: string;
  header?: string[];
  keyWidth?: string;
  scroll?: boolean;
}) {
  const table = (
    <Table verticalSpacing={4} fz="sm" aria-label={title} stickyHeader={scroll && Boolean(header)}>
      {header && (
        <Table.Thead>
          <Table.Tr>{header.map((h) => <Table.Th key={h}>{h}</Table.Th>)}</Table.Tr>
        </Table.Thead>
      )}
      <Table.Tbody>
        {rows.map((r, i) => (
          <Table.Tr key={i}>
            {r.map((c, j) => (
              <Table.Td key={j} fw={j === 0 ? 500 : undefined} w={j === 0 && !header ? keyWidth : undefined} style={{ wordBreak: "break-word" }}>{c}</Table.Td>
            ))}
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
  return (
    <Card withBorder data-testid={testId}>
      <Text fw={600} mb="xs">{title}</Text>
      {rows.length === 0 ? (
        <Text size="sm" c="dimmed">{empty}</Text>
      ) : scroll ? (
        <Table.ScrollContainer minWidth={300} mah={420}>{table}</Table.ScrollContainer>
      ) : (
        table
      )}
    </Card>
  );
}
