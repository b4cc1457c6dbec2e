"use client";
import { Badge, Button, Card, Grid, Group, Menu, Modal, Select, Stack, Table, Text, TextInput, Textarea } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { IconDots, IconUsersPlus } from "@tabler/icons-react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { PageHeader } from "@/components/shell/page-header";
import { notifyAndRefresh, notifyError } from "@/components/shared/notify";
import { EmptyRow } from "@/components/shared/table-parts";
import { formatDateTime, formOf, type FormSubmit } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";

type GroupRow = { id: string; name: string; description: string; memberCount: number; createdAt: Date; origin: string };

/** Groups the identity provider keeps (SCIM): shown, never edited here. */
const managed = (g: GroupRow) => g.origin === "idp";

/** Admin page: groups of users, their members. Experiments and models are granted to groups from their permission panels. */
export function GroupsAdmin() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const groups = useQuery(trpc.groups.list.queryOptions());
  const [selected, setSelected] = useState<string | null>(null);
  const [editing, setEditing] = useState<GroupRow | "new" | null>(null);
  const [deleting, setDeleting] = useState<GroupRow | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.groups.pathKey() });
  const current = groups.data?.find((g) => g.id === selected) ?? null;

  return (
    <Stack maw={1200}>
      <PageHeader
        title="Groups"
        description="Groups of users. Grant an experiment or a model to a group from its permissions panel: each member gets the highest of their own and their groups’ levels."
        actions={
          <Button leftSection={<IconUsersPlus size={16} />} onClick={() => setEditing("new")}>
            New group
          </Button>
        }
      />
      <Grid>
        <Grid.Col span={{ base: 12, md: 7 }}>
          <Card withBorder p={0}>
            <Table verticalSpacing="sm" highlightOnHover aria-label="Groups">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Group</Table.Th>
                  <Table.Th>Members</Table.Th>
                  <Table.Th>Created</Table.Th>
                  <Table.Th />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {groups.data?.map((g) => (
                  <Table.Tr
                    key={g.id}
                    data-testid={`group-row-${g.name}`}
                    onClick={() => setSelected(g.id)}
                    style={{ cursor: "pointer" }}
                    bg={g.id === selected ? "var(--mantine-primary-color-light)" : undefined}
                  >
                    <Table.Td>
                      <Group gap={6}>
                        <Text fw={500} size="sm">{g.name}</Text>
                        {managed(g) && (
                          <Badge size="xs" variant="outline" color="teal" title="Kept by your identity provider (SCIM or sign-in claims): change it there">
                            IdP
                          </Badge>
                        )}
                      </Group>
                      {g.description && <Text size="xs" c="dimmed">{g.description}</Text>}
                    </Table.Td>
                    <Table.Td>
                      <Badge variant="light" color="gray">{g.memberCount}</Badge>
                    </Table.Td>
                    <Table.Td>{formatDateTime(g.createdAt)}</Table.Td>
                    <Table.Td ta="right" onClick={(e) => e.stopPropagation()}>
                      <Menu position="bottom-end" withinPortal>
                        <Menu.Target>
                          <Button variant="subtle" size="xs" aria-label={`Actions for ${g.name}`} rightSection={<IconDots size={14} />}>
                            Actions
                          </Button>
                        </Menu.Target>
                        <Menu.Dropdown>
                          <Menu.Item disabled={managed(g)} onClick={() => setEditing(g)}>Rename or describe…</Menu.Item>
                          <Menu.Item color="red" disabled={managed(g)} onClick={() => setDeleting(g)}>Delete…</Menu.Item>
                        </Menu.Dropdown>
                      </Menu>
                    </Table.Td>
                  </Table.Tr>
                ))}
                {groups.data?.length === 0 && <EmptyRow colSpan={4}>No groups yet.</EmptyRow>}
              </Table.Tbody>
            </Table>
          </Card>
          {groups.error && <Text c="red" size="sm">{groups.error.message}</Text>}
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 5 }}>
          {current ? <MembersPanel group={current} onChanged={refresh} /> : <Text c="dimmed" size="sm">Select a group to see and manage its members.</Text>}
        </Grid.Col>
      </Grid>
      <GroupModal group={editing} onClose={() => setEditing(null)} onSaved={refresh} />
      <DeleteGroupModal
        group={deleting}
        onClose={() => setDeleting(null)}
        onDeleted={(id) => {
          if (id === selected) setSelected(null);
          return refresh();
        }}
      />
    </Stack>
  );
}

function MembersPanel({ group, onChanged }: { group: GroupRow; onChanged: () => Promise<unknown> }) {
  const trpc = useTRPC();
  const members = useQuery(trpc.groups.members.queryOptions({ group: group.name }));
  const users = useQuery(trpc.users.list.queryOptions());
  const [username, setUsername] = useState<string | null>(null);
  const add = useMutation(trpc.groups.addMember.mutationOptions({ onSuccess: notifyAndRefresh((_r, v) => `${v.username} added to ${v.group}`, onChanged) }));
  const remove = useMutation(
    trpc.groups.removeMember.mutationOptions({ onSuccess: notifyAndRefresh((_r, v) => `${v.username} removed from ${v.group}`, onChanged), onError: notifyError }),
  );
  const memberNames = new Set(members.data?.map((m) => m.username));
  const candidates = (users.data ?? []).filter((u) => u.active && !memberNames.has(u.username)).map((u) => u.username);
  function onAdd(e: FormSubmit) {
    e.preventDefault();
    if (username) add.mutate({ group: group.name, username }, { onSuccess: () => setUsername(null) });
  }

  return (
    <Card withBorder data-testid="group-members">
      <Text fw={600} mb="sm">Members of {group.name}</Text>
      {managed(group) ? (
        <Text size="sm" c="dimmed" mb="md" data-testid="group-managed-note">
          Your identity provider keeps this group and its members (SCIM, or the groups claim at sign-in): change them there.
        </Text>
      ) : (
        <Group component="form" onSubmit={onAdd} align="flex-end" mb="md" aria-label="Add member">
          <Select label="User" placeholder="Pick a user" searchable data={candidates} value={username} onChange={setUsername} w={240} error={add.error?.message} />
          <Button type="submit" loading={add.isPending} disabled={!username}>Add</Button>
        </Group>
      )}
      <Table verticalSpacing="xs" aria-label={`Members of ${group.name}`}>
        <Table.Tbody>
          {members.data?.map((m) => (
            <Table.Tr key={m.userId} data-testid={`member-row-${m.username}`}>
              <Table.Td>
                <Text fw={500} size="sm">{m.username}</Text>
                {m.displayName && <Text size="xs" c="dimmed">{m.displayName}</Text>}
              </Table.Td>
              <Table.Td>{!m.active && <Badge variant="dot" color="red">deactivated</Badge>}</Table.Td>
              <Table.Td ta="right">
                {!managed(group) && (
                  <Button size="xs" variant="subtle" color="red" aria-label={`Remove ${m.username}`} onClick={() => remove.mutate({ group: group.name, username: m.username })}>
                    Remove
                  </Button>
                )}
              </Table.Td>
            </Table.Tr>
          ))}
          {members.data?.length === 0 && <EmptyRow colSpan={3}>No members yet.</EmptyRow>}
        </Table.Tbody>
      </Table>
      {members.error && <Text c="red" size="sm">{members.error.message}</Text>}
    </Card>
  );
}

function GroupModal({ group, onClose, onSaved }: { group: GroupRow | "new" | null; onClose: () => void; onSaved: () => Promise<unknown> }) {
  const trpc = useTRPC();
  const create = useMutation(trpc.groups.create.mutationOptions());
  const update = useMutation(trpc.groups.update.mutationOptions());
  const isNew = group === "new";
  const existing = group !== null && group !== "new" ? group : null;
  const done = (message: string) => () => {
    notifications.show({ color: "green", message });
    create.reset();
    update.reset();
    onClose();
    return onSaved();
  };
  function onSubmit(e: FormSubmit) {
    e.preventDefault();
    const f = new FormData(formOf(e));
    const name = String(f.get("name") ?? "").trim();
    const description = String(f.get("description") ?? "").trim();
    if (isNew) create.mutate({ name, description }, { onSuccess: done(`Group ${name} created`) });
    else if (existing) update.mutate({ group: existing.name, ...(name !== existing.name ? { new_name: name } : {}), description }, { onSuccess: done(`Group ${name} saved`) });
  }
  const error = create.error ?? update.error;
  return (
    <Modal opened={group !== null} onClose={onClose} title={isNew ? "New group" : `Edit ${existing?.name ?? ""}`}>
      <Stack component="form" onSubmit={onSubmit} aria-label={isNew ? "New group" : "Edit group"} key={existing?.id ?? "new"}>
        <TextInput name="name" label="Name" required defaultValue={existing?.name ?? ""} data-autofocus />
        <Textarea name="description" label="Description" defaultValue={existing?.description ?? ""} autosize minRows={2} />
        {error && <Text c="red" size="sm" role="alert">{error.message}</Text>}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>Cancel</Button>
          <Button type="submit" loading={create.isPending || update.isPending}>{isNew ? "Create group" : "Save"}</Button>
        </Group>
      </Stack>
    </Modal>
  );
}

function DeleteGroupModal({ group, onClose, onDeleted }: { group: GroupRow | null; onClose: () => void; onDeleted: (id: string) => Promise<unknown> }) {
  const trpc = useTRPC();
  const del = useMutation(
    trpc.groups.delete.mutationOptions({
      onSuccess: notifyAndRefresh(
        (_r, v) => `Group ${v.group} deleted`,
        () => onDeleted(group?.id ?? ""),
      ),
      onError: notifyError,
    }),
  );
  return (
    <Modal opened={group !== null} onClose={onClose} title={`Delete group ${group?.name ?? ""}?`}>
      <Stack>
        <Text size="sm">
          Its {group?.memberCount ?? 0} members lose the access the group gave them, and its grants on experiments and models are removed. The audit log keeps the record.
        </Text>
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>Cancel</Button>
          <Button color="red" loading={del.isPending} onClick={() => group && del.mutate({ group: group.name }, { onSuccess: onClose })}>
            Delete group
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
