"use client";
import { ActionIcon, Anchor, Badge, Button, Card, Group, Menu, Modal, Stack, Switch, Table, Text, TextInput } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { notifications } from "@mantine/notifications";
import { IconDots, IconPencil, IconPlus, IconRestore, IconSearch, IconTrash } from "@tabler/icons-react";
import { useInfiniteQuery, useMutation, useQueryClient } from "@tanstack/react-query";
import type { ExperimentView } from "@modelgate/core";
import Link from "next/link";
import { useState } from "react";
import { notifyAndRefresh, notifyError } from "@/components/shared/notify";
import { EmptyRow, LoadMoreButton } from "@/components/shared/table-parts";
import { PageHeader } from "@/components/shell/page-header";
import { formOf, type FormSubmit } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";
import { formatEpoch } from "./format";
import { RenameModal } from "./rename-modal";

/** MLflow's experiment filter language: a case-insensitive substring match on the name. */
function nameFilter(text: string): string | undefined {
  const t = text.trim();
  return t ? `name ILIKE '%${t.replaceAll("'", "\\'")}%'` : undefined;
}

export function ExperimentsList() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [search, setSearch] = useState("");
  const [debounced] = useDebouncedValue(search, 250);
  const [showDeleted, setShowDeleted] = useState(false);
  const [creating, setCreating] = useState(false);
  const [renaming, setRenaming] = useState<ExperimentView | null>(null);
  const filter = nameFilter(debounced);
  const list = useInfiniteQuery(
    trpc.tracking.experiments.search.infiniteQueryOptions(
      { ...(filter ? { filter } : {}), view_type: showDeleted ? "ALL" : "ACTIVE_ONLY", max_results: 100, order_by: ["last_update_time DESC"] },
      { getNextPageParam: (last) => last.next_page_token || undefined },
    ),
  );
  const experiments = list.data?.pages.flatMap((p) => p.experiments ?? []) ?? [];
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.tracking.experiments.pathKey() });
  const remove = useMutation(
    trpc.tracking.experiments.delete.mutationOptions({ onSuccess: notifyAndRefresh("Experiment deleted; turn on “Show deleted” to restore it", invalidate), onError: notifyError }),
  );
  const restore = useMutation(trpc.tracking.experiments.restore.mutationOptions({ onSuccess: notifyAndRefresh("Experiment restored", invalidate), onError: notifyError }));

  return (
    <Stack maw={1400}>
      <PageHeader
        title="Experiments"
        description="Experiments and runs logged with the mlflow client."
        actions={
          <Button leftSection={<IconPlus size={16} />} onClick={() => setCreating(true)}>
            New experiment
          </Button>
        }
      />
      <Group align="flex-end">
        <TextInput
          label="Search experiments"
          placeholder="Name contains…"
          leftSection={<IconSearch size={16} />}
          value={search}
          onChange={(e) => setSearch(e.currentTarget.value)}
          w={320}
        />
        <Switch label="Show deleted" checked={showDeleted} onChange={(e) => setShowDeleted(e.currentTarget.checked)} mb={8} />
      </Group>
      {list.error && <Text c="red" size="sm">{list.error.message}</Text>}
      <Card withBorder p={0}>
        <Table.ScrollContainer minWidth={720}>
          <Table verticalSpacing="xs" highlightOnHover aria-label="Experiments">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Name</Table.Th>
                <Table.Th>ID</Table.Th>
                <Table.Th>Created</Table.Th>
                <Table.Th>Last updated</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {experiments.map((x) => (
                <Table.Tr key={x.experiment_id} data-testid={`experiment-row-${x.experiment_id}`}>
                  <Table.Td>
                    <Group gap="xs">
                      <Anchor component={Link} href={`/experiments/${x.experiment_id}`} fw={500}>
                        {x.name}
                      </Anchor>
                      {x.lifecycle_stage === "deleted" && <Badge color="gray" variant="light" size="sm">deleted</Badge>}
                    </Group>
                  </Table.Td>
                  <Table.Td><Text size="sm" c="dimmed">{x.experiment_id}</Text></Table.Td>
                  <Table.Td>{formatEpoch(x.creation_time)}</Table.Td>
                  <Table.Td>{formatEpoch(x.last_update_time)}</Table.Td>
                  <Table.Td ta="right">
                    <Menu position="bottom-end" withinPortal>
                      <Menu.Target>
                        <ActionIcon variant="subtle" aria-label={`Actions for ${x.name}`}>
                          <IconDots size={16} />
                        </ActionIcon>
                      </Menu.Target>
                      <Menu.Dropdown>
                        <Menu.Item leftSection={<IconPencil size={14} />} onClick={() => setRenaming(x)}>Rename</Menu.Item>
                        {x.lifecycle_stage === "deleted" ? (
                          <Menu.Item leftSection={<IconRestore size={14} />} onClick={() => restore.mutate({ experiment_id: x.experiment_id })}>Restore</Menu.Item>
                        ) : (
                          <Menu.Item color="red" leftSection={<IconTrash size={14} />} onClick={() => remove.mutate({ experiment_id: x.experiment_id })}>Delete</Menu.Item>
                        )}
                      </Menu.Dropdown>
                    </Menu>
                  </Table.Td>
                </Table.Tr>
              ))}
              {list.isPending && <EmptyRow colSpan={5}>Loading experiments…</EmptyRow>}
              {list.isSuccess && experiments.length === 0 && <EmptyRow colSpan={5}>{filter ? "No experiment matches." : "No experiments yet."}</EmptyRow>}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      </Card>
      <LoadMoreButton query={list} />
      <CreateExperimentModal opened={creating} onClose={() => setCreating(false)} onCreated={invalidate} />
      <RenameExperimentModal experiment={renaming} onClose={() => setRenaming(null)} onRenamed={invalidate} />
    </Stack>
  );
}

function CreateExperimentModal({ opened, onClose, onCreated }: { opened: boolean; onClose: () => void; onCreated: () => unknown }) {
  const trpc = useTRPC();
  const create = useMutation(trpc.tracking.experiments.create.mutationOptions());
  function onSubmit(e: FormSubmit) {
    e.preventDefault();
    const data = new FormData(formOf(e));
    const location = String(data.get("artifact_location") ?? "").trim();
    create.mutate(
      { name: String(data.get("name") ?? ""), ...(location ? { artifact_location: location } : {}) },
      {
        onSuccess: (r) => {
          notifications.show({ message: `Experiment created (id ${r.experiment_id})` });
          create.reset();
          onClose();
          void onCreated();
        },
      },
    );
  }
  return (
    <Modal opened={opened} onClose={onClose} title="New experiment">
      <Stack component="form" onSubmit={onSubmit} aria-label="Create experiment">
        <TextInput name="name" label="Experiment name" required data-autofocus error={create.error?.message} />
        <TextInput name="artifact_location" label="Artifact location" description="Optional; defaults to the server's artifact store" />
        <Button type="submit" loading={create.isPending} style={{ alignSelf: "flex-end" }}>Create</Button>
      </Stack>
    </Modal>
  );
}

function RenameExperimentModal({ experiment, onClose, onRenamed }: { experiment: ExperimentView | null; onClose: () => void; onRenamed: () => unknown }) {
  const trpc = useTRPC();
  const rename = useMutation(trpc.tracking.experiments.rename.mutationOptions());
  function onRename(new_name: string) {
    if (!experiment) return;
    rename.mutate(
      { experiment_id: experiment.experiment_id, new_name },
      {
        onSuccess: () => {
          rename.reset();
          onClose();
          void onRenamed();
        },
      },
    );
  }
  return (
    <RenameModal
      opened={experiment !== null}
      onClose={onClose}
      title="Rename experiment"
      label="New name"
      defaultValue={experiment?.name}
      error={rename.error?.message}
      pending={rename.isPending}
      onRename={onRename}
    />
  );
}
