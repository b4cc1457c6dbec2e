"use client";
import { Alert, Anchor, Badge, Breadcrumbs, Card, Group, Loader, Stack, Table, Text, Title } from "@mantine/core";
import type { SignatureDiffRow, VersionSide } from "@modelgate/core";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { DiffTable, type DiffSection } from "@/components/shared/diff-table";
import { compareRows, formatEpoch, keyUnion, metricTextOf, paramOf, runHref, runName } from "@/components/tracking/format";
import { useTRPC } from "@/lib/trpc";
import { AliasBadges, StageBadge } from "./badges";
import { modelHref, versionHref } from "./format";

export function CompareVersions({ name, left, right }: { name: string; left: string; right: string }) {
  const trpc = useTRPC();
  const compare = useQuery({ ...trpc.registry.versions.compare.queryOptions({ name, left, right }), enabled: Boolean(left && right) });
  return (
    <Stack gap="md" maw={1400}>
      <Breadcrumbs>
        <Anchor component={Link} href="/models" size="sm">Models</Anchor>
        <Anchor component={Link} href={modelHref(name)} size="sm">{name}</Anchor>
        <Text size="sm">Compare</Text>
      </Breadcrumbs>
      <Title order={2}>{name}: version {left || "?"} vs {right || "?"}</Title>
      {!left || !right ? (
        <Alert title="Nothing to compare">Select two versions in the model&apos;s versions table and press Compare.</Alert>
      ) : compare.error ? (
        <Alert color="red" title="Comparison unavailable" data-testid="compare-error">{compare.error.message}</Alert>
      ) : !compare.data ? (
        <Loader size="sm" />
      ) : (
        <>
          <VersionRunsTable sides={[compare.data.left, compare.data.right]} />
          <SignatureDiff rows={compare.data.signature} left={compare.data.left.version.version} right={compare.data.right.version.version} />
        </>
      )}
    </Stack>
  );
}

/** The two versions and their runs' params and metrics in one table, differences highlighted. */
export function VersionRunsTable({ sides }: { sides: [VersionSide, VersionSide] }) {
  const runs = sides.map((s) => s.run);
  const sections: DiffSection[] = [
    [
      "Version",
      [
        { label: "Stage", values: sides.map((s) => <StageBadge key={s.version.version} stage={s.version.current_stage} />), differs: sides[0].version.current_stage !== sides[1].version.current_stage },
        { label: "Aliases", values: sides.map((s) => <AliasBadges key={s.version.version} aliases={s.version.aliases} testIdPrefix={`compare-v${s.version.version}-alias-`} />), differs: (sides[0].version.aliases ?? []).join() !== (sides[1].version.aliases ?? []).join() },
        { label: "Flavors", values: sides.map((s) => s.version.mlmodel?.flavor_names.join(", ") || "—"), differs: sides[0].version.mlmodel?.flavor_names.join() !== sides[1].version.mlmodel?.flavor_names.join() },
        { label: "Created", values: sides.map((s) => formatEpoch(s.version.creation_timestamp)), differs: false },
        { label: "Created by", values: sides.map((s) => s.version.user_id || "—"), differs: sides[0].version.user_id !== sides[1].version.user_id },
        {
          label: "Source run",
          values: sides.map((s) =>
            s.run ? <Anchor key="r" component={Link} href={runHref(s.run)} size="sm">{runName(s.run)}</Anchor> : <Text key="r" size="sm" c="dimmed">{s.version.run_id ? "not readable" : "—"}</Text>,
          ),
          differs: sides[0].version.run_id !== sides[1].version.run_id,
        },
      ],
    ],
    ["Parameters", compareRows(runs, keyUnion(runs, (r) => r.data.params), paramOf)],
    ["Metrics", compareRows(runs, keyUnion(runs, (r) => r.data.metrics), metricTextOf)],
  ];
  const columns = sides.map((s) => <Anchor key={s.version.version} component={Link} href={versionHref(s.version.name, s.version.version)} size="sm" fw={600}>{s.version.name} v{s.version.version}</Anchor>);
  return (
    <DiffTable label="Version comparison" testId="compare-versions-table" columns={columns} sections={sections} minWidth={620}>
      {runs.every((r) => r === null) && <Text size="sm" c="dimmed" mt="xs">Neither version has a readable source run, so there are no parameters or metrics to compare.</Text>}
    </DiffTable>
  );
}

/** Signature rows by section: changed highlighted, added (only right) and removed (only left) marked. */
export function SignatureDiff({ rows, left, right }: { rows: SignatureDiffRow[]; left: string; right: string }) {
  const changed = rows.filter((r) => r.changed).length;
  return (
    <Card withBorder data-testid="signature-diff">
      <Group justify="space-between" mb="sm">
        <Text fw={600}>Signature</Text>
        <Text size="sm" c="dimmed" data-testid="signature-diff-summary">{rows.length === 0 ? "Neither version has a signature." : changed === 0 ? "Identical signatures." : `${changed} difference${changed === 1 ? "" : "s"}`}</Text>
      </Group>
      {rows.length > 0 && (
        <Table withColumnBorders verticalSpacing={4} fz="sm" aria-label="Signature differences" data-testid="signature-diff-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th w={110}>Section</Table.Th>
              <Table.Th>Name</Table.Th>
              <Table.Th>Version {left}</Table.Th>
              <Table.Th>Version {right}</Table.Th>
              <Table.Th w={100} />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((r, i) => {
              const kind = r.left === null ? "added" : r.right === null ? "removed" : r.changed ? "changed" : "same";
              const bg = kind === "added" ? "var(--mantine-color-green-light)" : kind === "removed" ? "var(--mantine-color-red-light)" : kind === "changed" ? "var(--mantine-color-yellow-light)" : undefined;
              return (
                <Table.Tr key={i} bg={bg} data-diff={kind} data-testid={`signature-diff-${r.section}-${r.name}`}>
                  <Table.Td>{r.section}</Table.Td>
                  <Table.Td fw={500}>{r.name}</Table.Td>
                  <Table.Td>{r.left ?? "—"}</Table.Td>
                  <Table.Td>{r.right ?? "—"}</Table.Td>
                  <Table.Td>{kind !== "same" && <Badge size="xs" variant="light" color={kind === "added" ? "green" : kind === "removed" ? "red" : "yellow"}>{kind}</Badge>}</Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      )}
    </Card>
  );
}
