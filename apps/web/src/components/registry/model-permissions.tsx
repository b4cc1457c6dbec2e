"use client";
import { Button, Card, Group, Select, Table, Text, TextInput } from "@mantine/core";
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

/** Per-user grants on one model. Shown to MANAGE holders; core enforces it either way. */
export function ModelPermissionsPanel({ name }: { name: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const grants = useQuery(trpc.registry.models.permissions.queryOptions({ name }));
  const [level, setLevel] = useState<string | null>("READ");
  const set = useMutation(
    trpc.registry.models.setPermission.mutationOptions({
      onSuccess: notifyAndRefresh(
        (_r, v) => (v.level ? `${v.username} now has ${v.level}` : `Removed ${v.username}'s access`),
        () => queryClient.invalidateQueries({ queryKey: trpc.registry.models.permissions.queryKey({ name }) }),
      ),
    }),
  );
  function onGrant(e: FormSubmit) {
    e.preventDefault();
    const form = formOf(e);
    const username = String(new FormData(form).get("username") ?? "").trim();
    set.mutate({ name, username, level: (level ?? "READ") as ModelPermissionLevel }, { onSuccess: () => form.reset() });
  }

  return (
    <Card withBorder data-testid="model-permissions-panel">
      <Text fw={600} mb={4}>Permissions</Text>
      <Text size="sm" c="dimmed" mb="md">
        Read sees the model and its versions; Edit also registers versions, edits descriptions and tags and sets aliases; Manage staging/production versions
        also moves versions into and out of those stages; Manage also renames, deletes and grants access. Admins and the owner always have Manage.
      </Text>
      <Group component="form" onSubmit={onGrant} align="flex-end" mb="md" aria-label="Grant permission">
        <TextInput name="username" label="Username" required w={240} error={set.error?.message} />
        <Select label="Level" data={levels} value={level} onChange={setLevel} allowDeselect={false} w={240} />
        <Button type="submit" loading={set.isPending}>Grant</Button>
      </Group>
      <Table verticalSpacing="xs" aria-label="Model permissions">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>User</Table.Th>
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
          {grants.data?.length === 0 && <EmptyRow colSpan={3}>No grants yet. The owner and admins always have access; others get the server’s default level.</EmptyRow>}
        </Table.Tbody>
      </Table>
      {grants.error && <Text c="red" size="sm">{grants.error.message}</Text>}
    </Card>
  );
}
