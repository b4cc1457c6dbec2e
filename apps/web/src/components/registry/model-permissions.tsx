"use client";
import { Badge, Button, Card, Group, SegmentedControl, Select, Table, Text, TextInput } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { ModelPermissionLevel } from "@modelgate/core";
import { useState } from "react";
import { notifyAndRefresh, notifyError } from "@/components/shared/notify";
import { EmptyRow } from "@/components/shared/table-parts";
import { formOf, type FormSubmit } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";

const levels: { value: ModelPermissionLevel; label: string }[] = [
  { value: "READ", label: "Read" },
  { value: "EDIT", label: "Edit" },
  { value: "MANAGE_STAGING_VERSIONS", label: "Manage staging versions" },
  { value: "MANAGE_PRODUCTION_VERSIONS", label: "Manage production versions" },
  { value: "MANAGE", label: "Manage" },
];

type Principal = "user" | "group";

/**
 * Grants on one model, to users and to groups (a member gets the highest of their own and
 * their groups' levels). Shown to MANAGE holders; core enforces it either way.
 */
export function ModelPermissionsPanel({ name }: { name: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const key = { name };
  const grants = useQuery(trpc.registry.models.permissions.queryOptions(key));
  const groupGrants = useQuery(trpc.registry.models.groupPermissions.queryOptions(key));
  const [principal, setPrincipal] = useState<Principal>("user");
  const groupNames = useQuery({ ...trpc.groups.names.queryOptions(), enabled: principal === "group" });
  const [level, setLevel] = useState<string | null>("READ");
  const [group, setGroup] = useState<string | null>(null);
  const set = useMutation(
    trpc.registry.models.setPermission.mutationOptions({
      onSuccess: notifyAndRefresh(
        (_r, v) => (v.level ? `${v.username} now has ${v.level}` : `Removed ${v.username}'s access`),
        () => queryClient.invalidateQueries({ queryKey: trpc.registry.models.permissions.queryKey(key) }),
      ),
    }),
  );
  const setGroupGrant = useMutation(
    trpc.registry.models.setGroupPermission.mutationOptions({
      onSuccess: notifyAndRefresh(
        (_r, v) => (v.level ? `Group ${v.group} now has ${v.level}` : `Removed group ${v.group}'s access`),
        () => queryClient.invalidateQueries({ queryKey: trpc.registry.models.groupPermissions.queryKey(key) }),
      ),
    }),
  );
  function onGrant(e: FormSubmit) {
    e.preventDefault();
    const form = formOf(e);
    const chosen = (level ?? "READ") as ModelPermissionLevel;
    if (principal === "group") {
      if (group) setGroupGrant.mutate({ name, group, level: chosen }, { onSuccess: () => setGroup(null) });
      return;
    }
    const username = String(new FormData(form).get("username") ?? "").trim();
    set.mutate({ name, username, level: chosen }, { onSuccess: () => form.reset() });
  }
  const empty = grants.data?.length === 0 && groupGrants.data?.length === 0;

  return (
    <Card withBorder data-testid="model-permissions-panel">
      <Text fw={600} mb={4}>Permissions</Text>
      <Text size="sm" c="dimmed" mb="md">
        Read sees the model and its versions; Edit also registers versions, edits descriptions and tags and sets aliases; Manage staging/production versions
        also moves versions into and out of those stages; Manage also renames, deletes and grants access. Admins and the owner always have Manage.
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
        <Select label="Level" data={levels} value={level} onChange={setLevel} allowDeselect={false} w={240} />
        <Button type="submit" loading={set.isPending || setGroupGrant.isPending}>Grant</Button>
      </Group>
      <Table verticalSpacing="xs" aria-label="Model permissions">
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
                  w={240}
                  data={levels}
                  value={g.level}
                  allowDeselect={false}
                  aria-label={`Level for ${g.username}`}
                  onChange={(v) => v && set.mutate({ name, username: g.username, level: v as ModelPermissionLevel }, { onError: notifyError })}
                />
              </Table.Td>
              <Table.Td ta="right">
                <Button size="xs" variant="subtle" color="red" aria-label={`Remove ${g.username}`} onClick={() => set.mutate({ name, username: g.username, level: null }, { onError: notifyError })}>
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
                  w={240}
                  data={levels}
                  value={g.level}
                  allowDeselect={false}
                  aria-label={`Level for group ${g.group}`}
                  onChange={(v) => v && setGroupGrant.mutate({ name, group: g.group, level: v as ModelPermissionLevel }, { onError: notifyError })}
                />
              </Table.Td>
              <Table.Td ta="right">
                <Button
                  size="xs"
                  variant="subtle"
                  color="red"
                  aria-label={`Remove group ${g.group}`}
                  onClick={() => setGroupGrant.mutate({ name, group: g.group, level: null }, { onError: notifyError })}
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
