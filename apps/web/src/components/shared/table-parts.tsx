"use client";
import { Button, Table, Text } from "@mantine/core";
import type { ReactNode } from "react";

/** The one row a table shows when it has nothing to list. */
export function EmptyRow({ colSpan, children }: { colSpan: number; children: ReactNode }) {
  return (
    <Table.Tr>
      <Table.Td colSpan={colSpan}>
        <Text c="dimmed" size="sm" ta="center" py="md">{children}</Text>
      </Table.Td>
    </Table.Tr>
  );
}

/** The next page of an infinite query, below its list. */
export function LoadMoreButton({ query }: { query: { hasNextPage: boolean; isFetchingNextPage: boolean; fetchNextPage: () => Promise<unknown> } }) {
  if (!query.hasNextPage) return null;
  return (
    <Button variant="default" onClick={() => void query.fetchNextPage()} loading={query.isFetchingNextPage} style={{ alignSelf: "center" }}>
      Load more
    </Button>
  );
}
