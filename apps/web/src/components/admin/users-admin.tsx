"use client";
import { Badge, Button, Card, Group, Menu, Modal, PasswordInput, Select, Stack, Table, Text, TextInput } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { IconDots, IconUserPlus } from "@tabler/icons-react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { PageHeader } from "@/components/shell/page-header";
import { notifyAndRefresh, notifyError } from "@/components/shared/notify";
import { formatDateTime, formOf, type FormSubmit } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";

type UserRow = { id: string; username: string; email: string | null; displayName: string | null; role: "ADMIN" | "USER"; active: boolean; createdAt: Date; lastSignInAt: Date | null; origin: string; idpGroups?: string[] };

/** Badges keep their text whole; long user names and emails wrap instead. */
const NO_SHRINK = { minWidth: "max-content" } as const;
const WRAP = { overflowWrap: "anywhere" } as const;

/** Where an account comes from, as the admin reads it. */
const ORIGIN_LABEL: Record<string, string> = { local: "local", scim: "SCIM", oidc: "SSO", workload: "workload" };

export function UsersAdmin() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const users = useQuery(trpc.users.list.queryOptions());
  const me = useQuery(trpc.me.get.queryOptions());
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.users.list.queryKey() });
  const [creating, setCreating] = useState(false);
  const [resetting, setResetting] = useState<UserRow | null>(null);
  const [access, setAccess] = useState<UserRow | null>(null);
  const setActive = useMutation(
    trpc.users.setActive.mutationOptions({ onSuccess: notifyAndRefresh((u) => `${u.username} ${u.active ? "reactivated" : "deactivated"}`, invalidate), onError: notifyError }),
  );
  const setRole = useMutation(trpc.users.setRole.mutationOptions({ onSuccess: invalidate, onError: notifyError }));

  return (
    <Stack maw={1200}>
      <PageHeader
        title="Users"
        description="Create accounts, deactivate them (sessions and tokens stop at once), reset passwords."
        actions={
          <Button leftSection={<IconUserPlus size={16} />} onClick={() => setCreating(true)}>
            New user
          </Button>
        }
      />
      <Card withBorder p={0}>
        <Table.ScrollContainer minWidth={800}>
          <Table verticalSpacing="sm" highlightOnHover aria-label="Users">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Username</Table.Th>
                <Table.Th>Email</Table.Th>
                <Table.Th>Role</Table.Th>
                <Table.Th>Origin</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Created</Table.Th>
                <Table.Th>Last sign-in</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {users.data?.map((u) => (
                <Table.Tr key={u.id} data-testid={`user-row-${u.username}`}>
                  <Table.Td style={WRAP}>
                    <Text fw={500} size="sm">{u.username}</Text>
                    {u.displayName && <Text size="xs" c="dimmed">{u.displayName}</Text>}
                  </Table.Td>
                  <Table.Td style={WRAP}>{u.email ?? "—"}</Table.Td>
                  <Table.Td>
                    <Badge variant="light" style={NO_SHRINK} color={u.role === "ADMIN" ? "indigo" : "gray"}>{u.role.toLowerCase()}</Badge>
                  </Table.Td>
                  <Table.Td>
                    <Badge variant="outline" style={NO_SHRINK} color={u.origin === "local" ? "gray" : "teal"} title={u.origin === "local" ? "Made in Modelgate" : "Managed by your identity provider"}>
                      {ORIGIN_LABEL[u.origin] ?? u.origin}
                    </Badge>
                    {!!u.idpGroups?.length && (
                      <Text size="xs" c="dimmed" mt={4} title="Groups your identity provider keeps this account in">
                        {u.idpGroups.join(", ")}
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>
                    <Badge variant="dot" style={NO_SHRINK} color={u.active ? "green" : "red"}>{u.active ? "active" : "deactivated"}</Badge>
                  </Table.Td>
                  <Table.Td>{formatDateTime(u.createdAt)}</Table.Td>
                  <Table.Td>{formatDateTime(u.lastSignInAt)}</Table.Td>
                  <Table.Td ta="right">
                    <Menu position="bottom-end" withinPortal>
                      <Menu.Target>
                        <Button variant="subtle" size="xs" aria-label={`Actions for ${u.username}`} rightSection={<IconDots size={14} />}>
                          Actions
                        </Button>
                      </Menu.Target>
                      <Menu.Dropdown>
                        <Menu.Item onClick={() => setAccess(u)}>Sessions and tokens…</Menu.Item>
                        {u.origin === "local" && <Menu.Item onClick={() => setResetting(u)}>Reset password…</Menu.Item>}
                        {u.id !== me.data?.id && (
                          <>
                            <Menu.Item onClick={() => setRole.mutate({ userId: u.id, role: u.role === "ADMIN" ? "USER" : "ADMIN" })}>
                              {u.role === "ADMIN" ? "Remove admin role" : "Make admin"}
                            </Menu.Item>
                            <Menu.Item color={u.active ? "red" : undefined} onClick={() => setActive.mutate({ userId: u.id, active: !u.active })}>
                              {u.active ? "Deactivate" : "Reactivate"}
                            </Menu.Item>
                          </>
                        )}
                      </Menu.Dropdown>
                    </Menu>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      </Card>
      <CreateUserModal opened={creating} onClose={() => setCreating(false)} onCreated={invalidate} />
      <ResetPasswordModal user={resetting} onClose={() => setResetting(null)} />
      <AccessModal user={access} onClose={() => setAccess(null)} />
    </Stack>
  );
}

function CreateUserModal({ opened, onClose, onCreated }: { opened: boolean; onClose: () => void; onCreated: () => void }) {
  const trpc = useTRPC();
  const [role, setRole] = useState<string | null>("USER");
  const create = useMutation(trpc.users.create.mutationOptions());
  function onSubmit(e: FormSubmit) {
    e.preventDefault();
    const f = new FormData(formOf(e));
    const str = (k: string) => String(f.get(k) ?? "").trim() || null;
    create.mutate(
      { username: str("username") ?? "", email: str("email"), displayName: str("displayName"), password: String(f.get("password") ?? ""), role: role === "ADMIN" ? "ADMIN" : "USER" },
      {
        onSuccess: (u) => {
          notifications.show({ color: "green", message: `User ${u.username} created` });
          onCreated();
          create.reset();
          onClose();
        },
      },
    );
  }
  return (
    <Modal opened={opened} onClose={onClose} title="New user">
      <Stack component="form" onSubmit={onSubmit} aria-label="New user">
        <TextInput name="username" label="Username" required data-autofocus />
        <TextInput name="email" label="Email" type="email" />
        <TextInput name="displayName" label="Display name" />
        <PasswordInput name="password" label="Initial password" description="At least 12 characters, not the username" required autoComplete="new-password" />
        <Select label="Role" data={[{ value: "USER", label: "User" }, { value: "ADMIN", label: "Admin" }]} value={role} onChange={setRole} allowDeselect={false} />
        {create.error && <Text c="red" size="sm" role="alert">{create.error.message}</Text>}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>Cancel</Button>
          <Button type="submit" loading={create.isPending}>Create user</Button>
        </Group>
      </Stack>
    </Modal>
  );
}

/** An admin's view of a user's access: end all their portal sessions, revoke any of their tokens. */
function AccessModal({ user, onClose }: { user: UserRow | null; onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const tokens = useQuery({ ...trpc.users.tokens.queryOptions({ userId: user?.id ?? "" }), enabled: user !== null });
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.users.tokens.queryKey() });
  const end = useMutation(trpc.users.endSessions.mutationOptions({ onSuccess: () => notifications.show({ color: "green", message: `Every portal session of ${user?.username ?? ""} has ended` }) }));
  const revoke = useMutation(
    trpc.tokens.revoke.mutationOptions({
      onSuccess: (t) => {
        notifications.show({ color: "green", message: `Token ${t.name} revoked` });
        void refresh();
      },
      onError: notifyError,
    }),
  );
  return (
    <Modal opened={user !== null} onClose={onClose} title={`Sessions and tokens of ${user?.username ?? ""}`} size="lg">
      <Stack>
        <Group justify="space-between" align="flex-start">
          <div>
            <Text fw={500} size="sm">Portal sessions</Text>
            <Text size="xs" c="dimmed">Last sign-in: {formatDateTime(user?.lastSignInAt ?? null)}. Ending them signs this user out everywhere, at once.</Text>
          </div>
          <Button color="red" variant="light" loading={end.isPending} onClick={() => user && end.mutate({ userId: user.id })}>
            End all sessions
          </Button>
        </Group>
        <Text fw={500} size="sm">Access tokens</Text>
        {tokens.data?.length === 0 && <Text size="sm" c="dimmed">No tokens.</Text>}
        {!!tokens.data?.length && (
          <Table verticalSpacing="xs" aria-label="Access tokens">
            <Table.Tbody>
              {tokens.data.map((t) => (
                <Table.Tr key={t.id} data-testid={`admin-token-${t.name}`}>
                  <Table.Td>
                    <Text size="sm" fw={500}>{t.name}</Text>
                    <Text size="xs" c="dimmed">{t.prefix}{t.endpoint ? ` · scores ${t.endpoint}` : ""}</Text>
                  </Table.Td>
                  <Table.Td>
                    <Text size="xs" c="dimmed">Last used {formatDateTime(t.lastUsedAt)}</Text>
                  </Table.Td>
                  <Table.Td ta="right">
                    {t.revokedAt ? (
                      <Badge variant="dot" color="gray">revoked</Badge>
                    ) : (
                      <Button size="xs" variant="subtle" color="red" aria-label={`Revoke ${t.name}`} onClick={() => revoke.mutate({ tokenId: t.id })}>
                        Revoke
                      </Button>
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </Stack>
    </Modal>
  );
}

function ResetPasswordModal({ user, onClose }: { user: UserRow | null; onClose: () => void }) {
  const trpc = useTRPC();
  const reset = useMutation(trpc.users.resetPassword.mutationOptions());
  function onSubmit(e: FormSubmit) {
    e.preventDefault();
    if (!user) return;
    const password = String(new FormData(formOf(e)).get("password") ?? "");
    reset.mutate(
      { userId: user.id, password },
      {
        onSuccess: () => {
          notifications.show({ color: "green", message: `Password of ${user.username} reset; their sessions have ended` });
          reset.reset();
          onClose();
        },
      },
    );
  }
  return (
    <Modal opened={user !== null} onClose={onClose} title={`Reset password of ${user?.username ?? ""}`}>
      <Stack component="form" onSubmit={onSubmit}>
        <Text size="sm" c="dimmed">Their portal sessions end at once. Access tokens keep working; revoke them separately.</Text>
        <PasswordInput name="password" label="New password" required autoComplete="new-password" data-autofocus />
        {reset.error && <Text c="red" size="sm" role="alert">{reset.error.message}</Text>}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>Cancel</Button>
          <Button type="submit" loading={reset.isPending}>Reset password</Button>
        </Group>
      </Stack>
    </Modal>
  );
}
