"use client";
import { Badge, Button, Card, Checkbox, Code, Group, Menu, Modal, MultiSelect, PasswordInput, ScrollArea, SegmentedControl, Select, SimpleGrid, Stack, Switch, Table, Text, TextInput } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { IconDots, IconPlus } from "@tabler/icons-react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { PageHeader } from "@/components/shell/page-header";
import { notifyAndRefresh, notifyError } from "@/components/shared/notify";
import { formatDateTime, formOf, type FormSubmit } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";

// Both kinds of webhook on one table: Databricks' registry webhooks (per model or registry-wide)
// and MLflow 3's (named, registry-wide). Each row's actions go to its own API's procedures.

type Api = "DATABRICKS" | "MLFLOW";
type WebhookRow = {
  api: Api;
  id: string;
  name: string | null;
  url: string;
  description: string;
  events: string[];
  status: "ACTIVE" | "DISABLED" | "TEST_MODE";
  model_name?: string | undefined;
  allow_private: boolean;
  has_secret: boolean;
  created: number;
};

const statusColor = { ACTIVE: "green", DISABLED: "gray", TEST_MODE: "yellow", PENDING: "blue", DELIVERED: "green", FAILED: "red" } as const;
const apiLabel: Record<Api, string> = { DATABRICKS: "Databricks", MLFLOW: "MLflow 3" };

export function WebhooksAdmin() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const hooks = useQuery(trpc.webhooks.list.queryOptions({}));
  const mlflowHooks = useQuery(trpc.webhooks.mlflow.list.queryOptions({ maxResults: 1000 }));
  const invalidate = () =>
    Promise.all([queryClient.invalidateQueries({ queryKey: trpc.webhooks.list.queryKey() }), queryClient.invalidateQueries({ queryKey: trpc.webhooks.mlflow.list.queryKey() })]);
  const [creating, setCreating] = useState(false);
  const [logOf, setLogOf] = useState<WebhookRow | null>(null);
  const toggled = notifyAndRefresh((w: { status: string }) => `Webhook ${w.status === "ACTIVE" ? "activated" : "disabled"}`, invalidate);
  const update = useMutation(trpc.webhooks.update.mutationOptions({ onSuccess: toggled, onError: notifyError }));
  const updateMlflow = useMutation(trpc.webhooks.mlflow.update.mutationOptions({ onSuccess: toggled, onError: notifyError }));
  const remove = useMutation(trpc.webhooks.delete.mutationOptions({ onSuccess: notifyAndRefresh("Webhook deleted", invalidate), onError: notifyError }));
  const removeMlflow = useMutation(trpc.webhooks.mlflow.delete.mutationOptions({ onSuccess: notifyAndRefresh("Webhook deleted", invalidate), onError: notifyError }));
  const showTest = (r: { statusCode: number | null; error: string | null; durationMs?: number }) =>
    notifications.show({
      color: r.statusCode !== null && r.statusCode < 300 ? "green" : "red",
      title: "Test delivery",
      message: r.error ?? `HTTP ${r.statusCode}${r.durationMs === undefined ? "" : ` in ${r.durationMs} ms`}`,
    });
  const test = useMutation(trpc.webhooks.test.mutationOptions({ onSuccess: showTest, onError: notifyError }));
  const testMlflow = useMutation(trpc.webhooks.mlflow.test.mutationOptions({ onSuccess: showTest, onError: notifyError }));

  const rows: WebhookRow[] = [
    ...(hooks.data?.webhooks ?? []).map((w) => ({
      api: "DATABRICKS" as const,
      id: w.id,
      name: null,
      url: w.http_url_spec.url,
      description: w.description,
      events: w.events,
      status: w.status,
      model_name: w.model_name,
      allow_private: w.allow_private,
      has_secret: w.has_secret,
      created: w.creation_timestamp,
    })),
    ...(mlflowHooks.data?.webhooks ?? []).map((w) => ({
      api: "MLFLOW" as const,
      id: w.webhook_id,
      name: w.name,
      url: w.url,
      description: w.description,
      events: w.events,
      status: w.status,
      allow_private: w.allow_private,
      has_secret: w.has_secret,
      created: w.creation_timestamp,
    })),
  ].sort((a, b) => b.created - a.created);
  const loaded = hooks.data !== undefined && mlflowHooks.data !== undefined;
  const setActive = (w: WebhookRow, active: boolean) => {
    const status = active ? "ACTIVE" : "DISABLED";
    if (w.api === "MLFLOW") updateMlflow.mutate({ id: w.id, status });
    else update.mutate({ id: w.id, status });
  };
  const testing = (w: WebhookRow) => (w.api === "MLFLOW" ? testMlflow.isPending && testMlflow.variables?.id === w.id : test.isPending && test.variables?.id === w.id);

  return (
    <Stack maw={1200}>
      <PageHeader
        title="Webhooks"
        description="Registry events sent to HTTPS endpoints: signed, retried on 429 and 5xx, every attempt logged. Databricks' registry webhooks and MLflow 3's webhooks share one delivery queue."
        actions={
          <Button leftSection={<IconPlus size={16} />} style={{ flexShrink: 0 }} onClick={() => setCreating(true)}>
            New webhook
          </Button>
        }
      />
      <Card withBorder p={0}>
        <Table.ScrollContainer minWidth={1000}>
          <Table verticalSpacing="sm" highlightOnHover aria-label="Webhooks">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>URL</Table.Th>
                <Table.Th w={110}>API</Table.Th>
                <Table.Th>Scope</Table.Th>
                <Table.Th>Events</Table.Th>
                <Table.Th>Active</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {loaded && rows.length === 0 && (
                <Table.Tr>
                  <Table.Td colSpan={6}>
                    <Text c="dimmed" size="sm" ta="center" py="md">No webhooks yet.</Text>
                  </Table.Td>
                </Table.Tr>
              )}
              {rows.map((w) => (
                <Table.Tr key={w.id} data-testid={`webhook-row-${w.id}`}>
                  <Table.Td>
                    {w.name && <Text size="sm" fw={600}>{w.name}</Text>}
                    <Text size="sm" fw={w.name ? undefined : 500} style={{ wordBreak: "break-all" }}>{w.url}</Text>
                    {w.description && <Text size="xs" c="dimmed">{w.description}</Text>}
                    <Group gap={4} mt={4}>
                      {w.has_secret && <Badge size="xs" variant="outline">signed</Badge>}
                      {w.allow_private && <Badge size="xs" variant="outline" color="orange">private target allowed</Badge>}
                      {w.status === "TEST_MODE" && <Badge size="xs" color="yellow">test mode</Badge>}
                    </Group>
                  </Table.Td>
                  <Table.Td style={{ whiteSpace: "nowrap" }}>
                    <Badge size="sm" variant="light" tt="none" color={w.api === "MLFLOW" ? "blue" : "grape"} style={{ overflow: "visible" }}>
                      {apiLabel[w.api]}
                    </Badge>
                  </Table.Td>
                  <Table.Td>{w.model_name ?? <Text size="sm" c="dimmed">Registry-wide</Text>}</Table.Td>
                  <Table.Td>
                    <Group gap={4} maw={320}>
                      {w.events.map((e) => (
                        <Badge key={e} size="xs" variant="light" tt={w.api === "MLFLOW" ? "none" : undefined}>{e}</Badge>
                      ))}
                    </Group>
                  </Table.Td>
                  <Table.Td>
                    <Switch checked={w.status === "ACTIVE"} aria-label={`Active: ${w.name ?? w.url}`} onChange={(e) => setActive(w, e.currentTarget.checked)} />
                  </Table.Td>
                  <Table.Td ta="right">
                    <Group gap="xs" justify="flex-end" wrap="nowrap">
                      <Button size="xs" variant="light" loading={testing(w)} onClick={() => (w.api === "MLFLOW" ? testMlflow.mutate({ id: w.id }) : test.mutate({ id: w.id }))}>
                        Test
                      </Button>
                      <Button size="xs" variant="default" onClick={() => setLogOf(w)}>Deliveries</Button>
                      <Menu position="bottom-end" withinPortal>
                        <Menu.Target>
                          <Button variant="subtle" size="xs" aria-label={`Actions for ${w.name ?? w.url}`} rightSection={<IconDots size={14} />}>
                            More
                          </Button>
                        </Menu.Target>
                        <Menu.Dropdown>
                          {w.api === "DATABRICKS" && <Menu.Item onClick={() => update.mutate({ id: w.id, status: "TEST_MODE" })}>Test mode only</Menu.Item>}
                          <Menu.Item color="red" onClick={() => (w.api === "MLFLOW" ? removeMlflow.mutate({ id: w.id }) : remove.mutate({ id: w.id }))}>Delete</Menu.Item>
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
  const [api, setApi] = useState<Api>("MLFLOW");
  return (
    <Modal opened={opened} onClose={onClose} title="New webhook" size="lg">
      <Stack>
        <SegmentedControl
          aria-label="Webhook API"
          value={api}
          onChange={(v) => setApi(v === "DATABRICKS" ? "DATABRICKS" : "MLFLOW")}
          data={[
            { value: "MLFLOW", label: "MLflow 3" },
            { value: "DATABRICKS", label: "Databricks" },
          ]}
        />
        <Text size="sm" c="dimmed">
          {api === "MLFLOW"
            ? "MLflow 3's webhooks API: named, registry-wide, events as entity.action (prompts get their own events)."
            : "Databricks' registry webhooks: on one model or registry-wide, with an optional authorization header."}
        </Text>
        {api === "MLFLOW" ? <MlflowWebhookForm onClose={onClose} onCreated={onCreated} /> : <DatabricksWebhookForm onClose={onClose} onCreated={onCreated} />}
      </Stack>
    </Modal>
  );
}

function MlflowWebhookForm({ onClose, onCreated }: { onClose: () => void; onCreated: () => void }) {
  const trpc = useTRPC();
  const known = useQuery(trpc.webhooks.mlflow.events.queryOptions());
  const [events, setEvents] = useState<string[]>([]);
  const create = useMutation(trpc.webhooks.mlflow.create.mutationOptions());
  function onSubmit(e: FormSubmit) {
    e.preventDefault();
    const f = new FormData(formOf(e));
    const str = (k: string) => String(f.get(k) ?? "").trim() || undefined;
    create.mutate(
      {
        name: str("name") ?? "",
        url: str("url") ?? "",
        events,
        description: str("description"),
        secret: str("secret"),
        enableSslVerification: f.get("enableSslVerification") === "on",
        allowPrivate: f.get("allowPrivate") === "on",
        status: f.get("active") === "on" ? "ACTIVE" : "DISABLED",
      },
      afterCreate(create, () => setEvents([]), onCreated, onClose),
    );
  }
  return (
    <Stack component="form" onSubmit={onSubmit} aria-label="New MLflow webhook">
      <TextInput name="name" label="Name" placeholder="deploy-notifier" description="Letters, digits, '.', '_' and '-'" required data-autofocus />
      <TextInput name="url" label="URL" placeholder="https://hooks.example.com/modelgate" description="HTTPS only; private and loopback addresses are refused unless allowed below" required />
      <Checkbox.Group label="Events" description="MLflow 3 events; the last three are Modelgate's (stages, approval requests, comments)" value={events} onChange={setEvents} required>
        <SimpleGrid cols={2} spacing={6} mt="xs">
          {(known.data ?? []).map((ev) => (
            <Checkbox key={ev} value={ev} label={ev} size="xs" />
          ))}
        </SimpleGrid>
      </Checkbox.Group>
      <TextInput name="description" label="Description" />
      <PasswordInput name="secret" label="Signing secret" description="Signs every delivery (X-MLflow-Signature); stored encrypted, never shown again" autoComplete="off" />
      <Checkbox name="enableSslVerification" label="Verify the receiver's TLS certificate" defaultChecked />
      <Checkbox name="allowPrivate" label="Allow a private, loopback or link-local target (this URL only)" />
      <Checkbox name="active" label="Active" defaultChecked />
      {create.error && <Text c="red" size="sm" role="alert">{create.error.message}</Text>}
      <Group justify="flex-end">
        <Button variant="default" onClick={onClose}>Cancel</Button>
        <Button type="submit" loading={create.isPending} disabled={events.length === 0}>Create webhook</Button>
      </Group>
    </Stack>
  );
}

/** When a form's webhook is created: say so, refresh the list, clear the form and close it. */
function afterCreate(create: { reset: () => void }, clear: () => void, onCreated: () => void, onClose: () => void) {
  return {
    onSuccess: () => {
      notifications.show({ color: "green", message: "Webhook created" });
      onCreated();
      create.reset();
      clear();
      onClose();
    },
  };
}

function DatabricksWebhookForm({ onClose, onCreated }: { onClose: () => void; onCreated: () => void }) {
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
      afterCreate(create, () => setEvents([]), onCreated, onClose),
    );
  }
  return (
    <Stack component="form" onSubmit={onSubmit} aria-label="New Databricks webhook">
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
  );
}

function DeliveryLogModal({ webhook, onClose }: { webhook: WebhookRow | null; onClose: () => void }) {
  const trpc = useTRPC();
  const log = useQuery({ ...trpc.webhooks.deliveries.queryOptions({ id: webhook?.id ?? "" }), enabled: webhook !== null, refetchInterval: 5000 });
  return (
    <Modal opened={webhook !== null} onClose={onClose} title={`Deliveries to ${webhook?.name ?? webhook?.url ?? ""}`} size="xl">
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
