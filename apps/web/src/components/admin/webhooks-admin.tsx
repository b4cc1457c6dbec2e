"use client";
import { Badge, Button, Card, Checkbox, Code, Group, Menu, Modal, MultiSelect, PasswordInput, ScrollArea, Select, Stack, Switch, Table, Text, TextInput } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { IconDots, IconPlus } from "@tabler/icons-react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { PageHeader } from "@/components/shell/page-header";
import { notifyAndRefresh, notifyError } from "@/components/shared/notify";
import { formatDateTime, formOf, type FormSubmit } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";

type WebhookRow = { id: string; events: string[]; description: string; status: "ACTIVE" | "DISABLED" | "TEST_MODE"; model_name?: string | undefined; http_url_spec: { url: string }; allow_private: boolean; has_secret: boolean };

const statusColor = { ACTIVE: "green", DISABLED: "gray", TEST_MODE: "yellow", PENDING: "blue", DELIVERED: "green", FAILED: "red" } as const;

export function WebhooksAdmin() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const hooks = useQuery(trpc.webhooks.list.queryOptions({}));
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.webhooks.list.queryKey() });
  const [creating, setCreating] = useState(false);
  const [logOf, setLogOf] = useState<WebhookRow | null>(null);
  const update = useMutation(trpc.webhooks.update.mutationOptions({ onSuccess: notifyAndRefresh((w) => `Webhook ${w.status === "ACTIVE" ? "activated" : "disabled"}`, invalidate), onError: notifyError }));
  const remove = useMutation(trpc.webhooks.delete.mutationOptions({ onSuccess: notifyAndRefresh("Webhook deleted", invalidate), onError: notifyError }));
  const test = useMutation(
    trpc.webhooks.test.mutationOptions({
      onSuccess: (r) =>
        notifications.show({
          color: r.statusCode !== null && r.statusCode < 300 ? "green" : "red",
          title: "Test delivery",
          message: r.error ?? `HTTP ${r.statusCode} in ${r.durationMs} ms`,
        }),
      onError: notifyError,
    }),
  );

  return (
    <Stack maw={1200}>
      <PageHeader
        title="Webhooks"
        description="Registry events sent to HTTPS endpoints: signed, retried on 429 and 5xx, every attempt logged."
        actions={
          <Button leftSection={<IconPlus size={16} />} style={{ flexShrink: 0 }} onClick={() => setCreating(true)}>
            New webhook
          </Button>
        }
      />
      <Card withBorder p={0}>
        <Table.ScrollContainer minWidth={900}>
          <Table verticalSpacing="sm" highlightOnHover aria-label="Webhooks">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>URL</Table.Th>
                <Table.Th>Scope</Table.Th>
                <Table.Th>Events</Table.Th>
                <Table.Th>Active</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {hooks.data?.webhooks.length === 0 && (
                <Table.Tr>
                  <Table.Td colSpan={5}>
                    <Text c="dimmed" size="sm" ta="center" py="md">No webhooks yet.</Text>
                  </Table.Td>
                </Table.Tr>
              )}
              {hooks.data?.webhooks.map((w) => (
                <Table.Tr key={w.id} data-testid={`webhook-row-${w.id}`}>
                  <Table.Td>
                    <Text size="sm" fw={500} style={{ wordBreak: "break-all" }}>{w.http_url_spec.url}</Text>
                    {w.description && <Text size="xs" c="dimmed">{w.description}</Text>}
                    <Group gap={4} mt={4}>
                      {w.has_secret && <Badge size="xs" variant="outline">signed</Badge>}
                      {w.allow_private && <Badge size="xs" variant="outline" color="orange">private target allowed</Badge>}
                      {w.status === "TEST_MODE" && <Badge size="xs" color="yellow">test mode</Badge>}
                    </Group>
                  </Table.Td>
                  <Table.Td>{w.model_name ?? <Text size="sm" c="dimmed">Registry-wide</Text>}</Table.Td>
                  <Table.Td>
                    <Group gap={4} maw={320}>
                      {w.events.map((e) => (
                        <Badge key={e} size="xs" variant="light">{e}</Badge>
                      ))}
                    </Group>
                  </Table.Td>
                  <Table.Td>
                    <Switch
                      checked={w.status === "ACTIVE"}
                      aria-label={`Active: ${w.http_url_spec.url}`}
                      onChange={(e) => update.mutate({ id: w.id, status: e.currentTarget.checked ? "ACTIVE" : "DISABLED" })}
                    />
                  </Table.Td>
                  <Table.Td ta="right">
                    <Group gap="xs" justify="flex-end" wrap="nowrap">
                      <Button size="xs" variant="light" loading={test.isPending && test.variables?.id === w.id} onClick={() => test.mutate({ id: w.id })}>
                        Test
                      </Button>
                      <Button size="xs" variant="default" onClick={() => setLogOf(w)}>Deliveries</Button>
                      <Menu position="bottom-end" withinPortal>
                        <Menu.Target>
                          <Button variant="subtle" size="xs" aria-label={`Actions for ${w.http_url_spec.url}`} rightSection={<IconDots size={14} />}>
                            More
                          </Button>
                        </Menu.Target>
                        <Menu.Dropdown>
                          <Menu.Item onClick={() => update.mutate({ id: w.id, status: "TEST_MODE" })}>Test mode only</Menu.Item>
                          <Menu.Item color="red" onClick={() => remove.mutate({ id: w.id })}>Delete</Menu.Item>
                        </Menu.Dropdown>
                      </Menu>
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      </Card>
      <CreateWebhookModal opened={creating} onClose={() => setCreating(false)} onCreated={invalidate} />
      <DeliveryLogModal webhook={logOf} onClose={() => setLogOf(null)} />
    </Stack>
  );
}

function CreateWebhookModal({ opened, onClose, onCreated }: { opened: boolean; onClose: () => void; onCreated: () => void }) {
  const trpc = useTRPC();
  const known = useQuery(trpc.webhooks.events.queryOptions());
  const [events, setEvents] = useState<string[]>([]);
  const [status, setStatus] = useState<string | null>("ACTIVE");
  const create = useMutation(trpc.webhooks.create.mutationOptions());
  function onSubmit(e: FormSubmit) {
    e.preventDefault();
    const f = new FormData(formOf(e));
    const str = (k: string) => String(f.get(k) ?? "").trim() || undefined;
    create.mutate(
      {
        url: str("url") ?? "",
        events,
        modelName: str("modelName"),
        description: str("description"),
        secret: str("secret"),
        authorization: str("authorization"),
        enableSslVerification: f.get("enableSslVerification") === "on",
        allowPrivate: f.get("allowPrivate") === "on",
        status: status === "DISABLED" || status === "TEST_MODE" ? status : "ACTIVE",
      },
      {
        onSuccess: () => {
          notifications.show({ color: "green", message: "Webhook created" });
          onCreated();
          create.reset();
          setEvents([]);
          onClose();
        },
      },
    );
  }
  return (
    <Modal opened={opened} onClose={onClose} title="New webhook" size="lg">
      <Stack component="form" onSubmit={onSubmit} aria-label="New webhook">
        <TextInput name="url" label="URL" placeholder="https://hooks.example.com/modelgate" description="HTTPS only; private and loopback addresses are refused unless allowed below" required data-autofocus />
        <MultiSelect label="Events" data={known.data ?? []} value={events} onChange={setEvents} searchable required />
        <TextInput name="modelName" label="Registered model" description="Leave empty for a registry-wide webhook" />
        <TextInput name="description" label="Description" />
        <PasswordInput name="secret" label="Signing secret" description="Signs every delivery; stored encrypted, never shown again" autoComplete="off" />
        <PasswordInput name="authorization" label="Authorization header" description="Sent as is, e.g. Bearer <token>; stored encrypted" autoComplete="off" />
        <Checkbox name="enableSslVerification" label="Verify the receiver's TLS certificate" defaultChecked />
        <Checkbox name="allowPrivate" label="Allow a private, loopback or link-local target (this URL only)" />
        <Select label="Status" data={[{ value: "ACTIVE", label: "Active" }, { value: "TEST_MODE", label: "Test mode (test button only)" }, { value: "DISABLED", label: "Disabled" }]} value={status} onChange={setStatus} allowDeselect={false} />
        {create.error && <Text c="red" size="sm" role="alert">{create.error.message}</Text>}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>Cancel</Button>
          <Button type="submit" loading={create.isPending}>Create webhook</Button>
        </Group>
      </Stack>
    </Modal>
  );
}

function DeliveryLogModal({ webhook, onClose }: { webhook: WebhookRow | null; onClose: () => void }) {
  const trpc = useTRPC();
  const log = useQuery({ ...trpc.webhooks.deliveries.queryOptions({ id: webhook?.id ?? "" }), enabled: webhook !== null, refetchInterval: 5000 });
  return (
    <Modal opened={webhook !== null} onClose={onClose} title={`Deliveries to ${webhook?.http_url_spec.url ?? ""}`} size="xl">
      <ScrollArea.Autosize mah="70vh">
        <Table verticalSpacing="xs" aria-label="Deliveries">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Event</Table.Th>
              <Table.Th w={120}>Status</Table.Th>
              <Table.Th w={160}>Created</Table.Th>
              <Table.Th>Attempts</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {log.data?.length === 0 && (
              <Table.Tr>
                <Table.Td colSpan={4}>
                  <Text c="dimmed" size="sm" ta="center" py="md">No deliveries yet.</Text>
                </Table.Td>
              </Table.Tr>
            )}
            {log.data?.map((d) => (
              <Table.Tr key={d.id}>
                <Table.Td>
                  <Text size="sm">{d.event}</Text>
                  <Code fz="xs">{d.id}</Code>
                </Table.Td>
                <Table.Td>
                  <Badge variant="light" color={statusColor[d.status]}>{d.status.toLowerCase()}</Badge>
                </Table.Td>
                <Table.Td>{formatDateTime(d.createdAt)}</Table.Td>
                <Table.Td>
                  <Stack gap={2}>
                    {d.attemptLog.map((a, i) => (
                      <Text key={i} size="xs" c={a.statusCode !== null && a.statusCode < 300 ? undefined : "red"}>
                        {new Date(a.at).toLocaleTimeString("en-GB")} · {a.statusCode ?? "no answer"} · {a.durationMs} ms{a.error ? ` · ${a.error}` : ""}
                      </Text>
                    ))}
                  </Stack>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </ScrollArea.Autosize>
    </Modal>
  );
}
