"use client";
import { Anchor, Badge, Button, Card, Checkbox, Group, Table, Text, Tooltip } from "@mantine/core";
import { IconGitCompare } from "@tabler/icons-react";
import type { ModelVersionView } from "@modelgate/core";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { EmptyRow, LoadMoreButton } from "@/components/shared/table-parts";
import { formatEpoch, shortId } from "@/components/tracking/format";
import { AliasBadges, StageBadge } from "./badges";
import { compareHref, versionHref } from "./format";

/** A model's versions, newest first; pick two to compare. */
export function VersionsTable({ name, versions, query }: {
  name: string;
  versions: ModelVersionView[];
  query: { isPending: boolean; error: { message: string } | null; hasNextPage: boolean; isFetchingNextPage: boolean; fetchNextPage: () => Promise<unknown> };
}) {
  const router = useRouter();
  const [selected, setSelected] = useState<string[]>([]);
  const toggle = (v: string) => setSelected((s) => (s.includes(v) ? s.filter((x) => x !== v) : [...s, v].slice(-2)));
  const pair = [...selected].sort((a, b) => Number(a) - Number(b));
  return (
    <Card withBorder p={0}>
      <Group justify="space-between" p="sm">
        <Text size="sm" c="dimmed">{selected.length === 2 ? `Versions ${pair[0]} and ${pair[1]} selected` : "Select two versions to compare them."}</Text>
        <Button
          size="xs"
          variant="light"
          leftSection={<IconGitCompare size={14} />}
          disabled={selected.length !== 2}
          onClick={() => router.push(compareHref(name, pair[0]!, pair[1]!))}
          data-testid="compare-versions-button"
        >
          Compare
        </Button>
      </Group>
      {query.error && <Text c="red" size="sm" px="sm">{query.error.message}</Text>}
      <Table.ScrollContainer minWidth={820}>
        <Table verticalSpacing="xs" highlightOnHover data-testid="versions-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th w={40} />
              <Table.Th>Version</Table.Th>
              <Table.Th>Stage</Table.Th>
              <Table.Th>Aliases</Table.Th>
              <Table.Th>Source run</Table.Th>
              <Table.Th>Created by</Table.Th>
              <Table.Th>Created</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {versions.map((v) => (
              <Table.Tr key={v.version} data-testid={`version-row-${v.version}`}>
                <Table.Td>
                  <Checkbox aria-label={`Pick v${v.version} for comparison`} checked={selected.includes(v.version)} onChange={() => toggle(v.version)} data-testid={`select-version-${v.version}`} />
                </Table.Td>
                <Table.Td>
                  <Group gap={6}>
                    <Anchor component={Link} href={versionHref(name, v.version)} fw={500}>Version {v.version}</Anchor>
                    {v.status !== "READY" && <Badge size="xs" color={v.status === "FAILED_REGISTRATION" ? "red" : "blue"} variant="light">{v.status.toLowerCase().replace("_", " ")}</Badge>}
                  </Group>
                </Table.Td>
                <Table.Td><StageBadge stage={v.current_stage} /></Table.Td>
                <Table.Td><AliasBadges aliases={v.aliases} testIdPrefix={`version-${v.version}-alias-`} /></Table.Td>
                <Table.Td>
                  {v.run_id ? (
                    <Tooltip label={v.run_id}><Text size="sm" ff="monospace">{shortId(v.run_id)}</Text></Tooltip>
                  ) : (
                    <Text size="sm" c="dimmed">—</Text>
                  )}
                </Table.Td>
                <Table.Td>{v.user_id || "—"}</Table.Td>
                <Table.Td>{formatEpoch(v.creation_timestamp)}</Table.Td>
              </Table.Tr>
            ))}
            {query.isPending && <EmptyRow colSpan={7}>Loading versions…</EmptyRow>}
            {!query.isPending && !query.error && versions.length === 0 && (
              <EmptyRow colSpan={7}>No versions yet. Register one with mlflow.register_model(&quot;runs:/&lt;run_id&gt;/model&quot;, &quot;{name}&quot;) or from a run&apos;s artifacts.</EmptyRow>
            )}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <Group justify="center" pb="sm"><LoadMoreButton query={query} /></Group>
    </Card>
  );
}
