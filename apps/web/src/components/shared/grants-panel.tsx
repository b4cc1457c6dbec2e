"use client";
import { Badge, Button, Card, Group, SegmentedControl, Select, Table, Text, TextInput } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useState, type ReactNode } from "react";
import { notifyError } from "@/components/shared/notify";
import { EmptyRow } from "@/components/shared/table-parts";
import { formOf, type FormSubmit } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";

type Principal = "user" | "group";
type Failure = { message: string } | null;

/** One list of grants as its query returns it. */
interface GrantList<T> {
  data?: T[];
  error: Failure;
}

/** A grant mutation with the resource already bound: only who and what level remain. */
export interface GrantSetter<V> {
  mutate: (vars: V, opts?: { onSuccess?: () => void; onError?: (e: unknown) => void }) => void;
  isPending: boolean;
  error: Failure;
}

interface GrantsPanelProps<L extends string> {
  testId: string;
  tableLabel: string;
  help: ReactNode;
  levels: readonly { value: L; label: string }[];
  levelWidth: number;
  userGrants: GrantList<{ user_id: number | string; username: string; level: L }>;
  groupGrants: GrantList<{ group_id: number | string; group: string; level: L }>;
  setUser: GrantSetter<{ username: string; level: L | null }>;
  setGroup: GrantSetter<{ group: string; level: L | null }>;
}

/**
 * Grants on one resource, to users and to groups (a member gets the highest of their own and
 * their groups' levels). Shown to MANAGE holders; core enforces it either way.
 */
export function GrantsPanel<L extends string>({ testId, tableLabel, help, levels, levelWidth, userGrants, groupGrants, setUser, setGroup }: GrantsPanelProps<L>) {
  const trpc = useTRPC();
  const [principal, setPrincipal] = useState<Principal>("user");
  const groupNames = useQuery({ ...trpc.groups.names.queryOptions(), enabled: principal === "group" });
  const [level, setLevel] = useState<string | null>("READ");
  const [group, setGroupName] = useState<string | null>(null);

  function onGrant(e: FormSubmit) {
    e.preventDefault();
    const form = formOf(e);
    const chosen = (level ?? "READ") as L;
    if (principal === "group") {
      if (group) setGroup.mutate({ group, level: chosen }, { onSuccess: () => setGroupName(null) });
      return;
    }
    const username = String(new FormData(form).get("username") ?? "").trim();
    setUser.mutate({ username, level: chosen }, { onSuccess: () => form.reset() });
  }
  const empty = userGrants.data?.length === 0 && groupGrants.data?.length === 0;
  const error = userGrants.error ?? groupGrants.error;

  return (
    <Card withBorder data-testid={testId}>
      <Text fw={600} mb={4}>Permissions</Text>
      <Text size="sm" c="dimmed" mb="md">{help}</Text>
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
          <TextInput name="username" label="Username" required w={240} error={setUser.error?.message} />
        ) : (
          <Select
            label="Group"
            placeholder="Pick a group"
            searchable
            required
            w={240}
            data={groupNames.data?.map((g) => g.name) ?? []}
            value={group}
            onChange={setGroupName}
            nothingFoundMessage="No groups: an admin creates them"
            error={setGroup.error?.message}
          />
        )}
        <Select label="Level" data={levels} value={level} onChange={setLevel} allowDeselect={false} w={levelWidth} />
        <Button type="submit" loading={setUser.isPending || setGroup.isPending}>Grant</Button>
      </Group>
      <Table verticalSpacing="xs" aria-label={tableLabel}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>User or group</Table.Th>
            <Table.Th>Level</Table.Th>
            <Table.Th />
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {userGrants.data?.map((g) => (
            <GrantRow
              key={g.user_id}
              testId={`permission-row-${g.username}`}
              who={<Text span inherit fw={500}>{g.username}</Text>}
              subject={g.username}
              level={g.level}
              levels={levels}
              levelWidth={levelWidth}
              onChange={(l) => setUser.mutate({ username: g.username, level: l }, { onError: notifyError })}
            />
          ))}
          {groupGrants.data?.map((g) => (
            <GrantRow
              key={`group-${g.group_id}`}
              testId={`group-permission-row-${g.group}`}
              who={
                <Group gap={6}>
                  <Text fw={500} size="sm">{g.group}</Text>
                  <Badge size="xs" variant="light">group</Badge>
                </Group>
              }
              subject={`group ${g.group}`}
              level={g.level}
              levels={levels}
              levelWidth={levelWidth}
              onChange={(l) => setGroup.mutate({ group: g.group, level: l }, { onError: notifyError })}
            />
          ))}
          {empty && <EmptyRow colSpan={3}>No grants yet. The owner and admins always have access; others get the server’s default level.</EmptyRow>}
        </Table.Tbody>
      </Table>
      {error && <Text c="red" size="sm">{error.message}</Text>}
    </Card>
  );
}

/** One grant: who, their level (changed in place) and a remove button; `subject` names them in labels. */
function GrantRow<L extends string>(props: {
  testId: string;
  who: ReactNode;
  subject: string;
  level: L;
  levels: readonly { value: L; label: string }[];
  levelWidth: number;
  onChange: (level: L | null) => void;
}) {
  const { testId, who, subject, level, levels, levelWidth, onChange } = props;
  return (
    <Table.Tr data-testid={testId}>
      <Table.Td>{who}</Table.Td>
      <Table.Td>
        <Select size="xs" w={levelWidth} data={levels} value={level} allowDeselect={false} aria-label={`Level for ${subject}`} onChange={(v) => v && onChange(v as L)} />
      </Table.Td>
      <Table.Td ta="right">
        <Button size="xs" variant="subtle" color="red" aria-label={`Remove ${subject}`} onClick={() => onChange(null)}>
          Remove
        </Button>
      </Table.Td>
    </Table.Tr>
  );
}
