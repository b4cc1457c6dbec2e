"use client";
import { Card, Switch, Table, Text } from "@mantine/core";
import { useState, type ReactNode } from "react";

/** One compared key: its value in each column, and whether they differ (highlighted, kept by the filter). */
export interface DiffRow {
  label: string;
  values: ReactNode[];
  differs: boolean;
}

/** A titled group of rows; the title also names the rows' test ids (`compare-row-<section>-<key>`). */
export type DiffSection = [title: string, rows: DiffRow[]];

/**
 * Things side by side, one column each, grouped into sections with differing rows highlighted and
 * a switch to show only those. `columns` are the header cells; `children` go below the table.
 */
export function DiffTable({ label, testId, columns, sections, minWidth, children }: { label: string; testId: string; columns: ReactNode[]; sections: DiffSection[]; minWidth: number; children?: ReactNode }) {
  const [onlyDiff, setOnlyDiff] = useState(false);
  return (
    <Card withBorder>
      <Switch label="Show only differences" checked={onlyDiff} onChange={(e) => setOnlyDiff(e.currentTarget.checked)} mb="sm" data-testid="only-differences" />
      <Table.ScrollContainer minWidth={minWidth}>
        <Table withColumnBorders verticalSpacing={4} fz="sm" stickyHeader aria-label={label} data-testid={testId}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th w={240} />
              {columns.map((c, i) => <Table.Th key={i}>{c}</Table.Th>)}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {sections.map(([title, rows]) => {
              const shown = onlyDiff ? rows.filter((r) => r.differs) : rows;
              if (!shown.length) return null;
              return [
                <Table.Tr key={`h-${title}`}>
                  <Table.Td colSpan={columns.length + 1} bg="var(--mantine-color-default-hover)"><Text size="xs" fw={700} tt="uppercase" c="dimmed">{title}</Text></Table.Td>
                </Table.Tr>,
                ...shown.map((row) => (
                  <Table.Tr key={`${title}-${row.label}`} data-differs={row.differs || undefined} data-testid={`compare-row-${title.toLowerCase()}-${row.label}`} bg={row.differs ? "var(--mantine-color-yellow-light)" : undefined}>
                    <Table.Td fw={500} style={{ wordBreak: "break-word" }}>{row.label}</Table.Td>
                    {row.values.map((v, i) => <Table.Td key={i} style={{ wordBreak: "break-word" }}>{v}</Table.Td>)}
                  </Table.Tr>
                )),
              ];
            })}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {children}
    </Card>
  );
}
