"use client";
import { Badge, Button, Card, Group, SegmentedControl, Select, Table, Text, TextInput } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { PermissionLevel } from "@modelgate/core";
import { useState } from "react";
import { notifyAndRefresh, notifyError } from "@/components/shared/notify";
import { EmptyRow } from "@/components/shared/table-parts";
import { formOf, type FormSubmit } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";

const levels: { value: PermissionLevel; label: string }[] = [
  { value: "READ", label: "Read" },
  { value: "EDIT", label: "Edit" },
  { value: "MANAGE", label: "Manage" },
];

type Principal = "user" | "group";

/**
 * Grants on one experiment, to users and to groups (a member gets the highest of their own and
 * their groups' levels). Shown to MANAGE holders; core enforces it either way.
 */
export function PermissionsPanel({ experimentId }: { experimentId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const key = { experiment_id: experimentId };
  const grants = useQuery(trpc.tracking.experiments.permissions.queryOptions(key));
  const groupGrants = useQuery(trpc.tracking.experiments.groupPermissions.queryOptions(key));
  const [principal, setPrincipal] = useState<Principal>("user");
  const groupNames = useQuery({ ...trpc.groups.names.queryOptions(), enabled: principal === "group" });
  const [level, setLevel] = useState<string | null>("READ");
  const [group, setGroup] = useState<string | null>(null);
  const set = useMutation(
    trpc.tracking.experiments.setPermission.mutationOptions({
      onSuccess: notifyAndRefresh(
        (_r, v) => (v.level ? `${v.username} now has ${v.level}` : `Removed ${v.username}'s access`),
        () => queryClient.invalidateQueries({ queryKey: trpc.tracking.experiments.permissions.queryKey(key) }),
      ),
    }),
  );
  const setGroupGrant = useMutation(
    trpc.tracking.experiments.setGroupPermission.mutationOptions({
      onSuccess: notifyAndRefresh(
        (_r, v) => (v.level ? `Group ${v.group} now has ${v.level}` : `Removed group ${v.group}'s access`),
        () => queryClient.invalidateQueries({ queryKey: trpc.tracking.experiments.groupPermissions.queryKey(key) }),
      ),
    }),
  );
  function onGrant(e: FormSubmit) {
    e.preventDefault();
    const form = formOf(e);
    const chosen = (level ?? "READ") as PermissionLevel;
    if (principal === "group") {
      if (group) setGroupGrant.mutate({ experiment_id: experimentId, group, level: chosen }, { onSuccess: () => setGroup(null) });
      return;
    }
    const username = String(new FormData(form).get("username") ?? "").trim();
    set.mutate({ experiment_id: experimentId, username, level: chosen }, { onSuccess: () => form.reset() });
  }
  const empty = grants.data?.length === 0 && groupGrants.data?.length === 0;

  return (
    <Card withBorder data-testid="permissions-panel">
      <Text fw={600} mb={4}>Permissions</Text>
      <Text size="sm" c="dimmed" mb="md">
        Read sees runs and artifacts; Edit also logs and changes runs; Manage also renames, deletes and grants access. Admins and the owner always have Manage.
        Members of a group get the group’s level when it is higher than their own.
      </Text>
      <Group component="form" onSubmit={onGrant} align="flex-end" mb="md" aria-label="Grant permission">
        <SegmentedControl
          aria-label="Grant to"
          value={principal}
          onChange={(v) => setPrincipal(v as Principal)}
          data={[
            { value: "user", label: "User" },
            { value: "group", label: "Group" },
          ]}
        />
        {principal === "user" ? (
          <TextInput name="username" label="Username" required w={240} error={set.error?.message} />
        ) : (
          <Select
            label="Group"
            placeholder="Pick a group"
            searchable
            required
            w={240}
            data={groupNames.data?.map((g) => g.name) ?? []}
            value={group}
            onChange={setGroup}
            nothingFoundMessage="No groups: an admin creates them"
            error={setGroupGrant.error?.message}
          />
        )}
        <Select label="Level" data={levels} value={level} onChange={setLevel} allowDeselect={false} w={140} />
        <Button type="submit" loading={set.isPending || setGroupGrant.isPending}>Grant</Button>
      </Group>
      <Table verticalSpacing="xs" aria-label="Experiment permissions">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>User or group</Table.Th>
            <Table.Th>Level</Table.Th>
            <Table.Th />
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {grants.data?.map((g) => (
            <Table.Tr key={g.user_id} data-testid={`permission-row-${g.username}`}>
              <Table.Td fw={500}>{g.username}</Table.Td>
              <Table.Td>
                <Select
                  size="xs"
                  w={130}
                  data={levels}
                  value={g.level}
                  allowDeselect={false}
                  aria-label={`Level for ${g.username}`}
                  onChange={(v) => v && set.mutate({ experiment_id: experimentId, username: g.username, level: v as PermissionLevel }, { onError: notifyError })}
                />
              </Table.Td>
              <Table.Td ta="right">
                <Button size="xs" variant="subtle" color="red" aria-label={`Remove ${g.username}`} onClick={() => set.mutate({ experiment_id: experimentId, username: g.username, level: null }, { onError: notifyError })}>
                  Remove
                </Button>
              </Table.Td>
            </Table.Tr>
          ))}
          {groupGrants.data?.map((g) => (
            <Table.Tr key={`group-${g.group_id}`} data-testid={`group-permission-row-${g.group}`}>
              <Table.Td>
                <Group gap={6}>
                  <Text fw={500} size="sm">{g.group}</Text>
                  <Badge size="xs" variant="light">group</Badge>
                </Group>
              </Table.Td>
              <Table.Td>
                <Select
                  size="xs"
                  w={130}
                  data={levels}
                  value={g.level}
                  allowDeselect={false}
                  aria-label={`Level for group ${g.group}`}
                  onChange={(v) => v && setGroupGrant.mutate({ experiment_id: experimentId, group: g.group, level: v as PermissionLevel }, { onError: notifyError })}
                />
              </Table.Td>
              <Table.Td ta="right">
                <Button
                  size="xs"
                  variant="subtle"
                  color="red"
                  aria-label={`Remove group ${g.group}`}
                  onClick={() => setGroupGrant.mutate({ experiment_id: experimentId, group: g.group, level: null }, { onError: notifyError })}
                >
                  Remove
                </Button>
              </Table.Td>
            </Table.Tr>
          ))}
          {empty && <EmptyRow colSpan={3}>No grants yet. The owner and admins always have access; others get the server’s default level.</EmptyRow>}
        </Table.Tbody>
      </Table>
      {(grants.error ?? groupGrants.error) && <Text c="red" size="sm">{(grants.error ?? groupGrants.error)?.message}</Text>}
    </Card>
  );
}
