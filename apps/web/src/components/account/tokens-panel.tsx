"use client";
import { Alert, Badge, Button, Card, Code, CopyButton, Group, Modal, Select, Stack, Table, Text, TextInput } from "@mantine/core";
import { IconKey } from "@tabler/icons-react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { notifyAndRefresh, notifyError } from "@/components/shared/notify";
import { EmptyRow } from "@/components/shared/table-parts";
import { formatDateTime, formOf, type FormSubmit } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";

const expiryChoices = [
  { value: "30", label: "30 days" },
  { value: "90", label: "90 days" },
  { value: "365", label: "1 year" },
  { value: "never", label: "Never" },
];

function statusOf(t: { revokedAt: Date | null; expiresAt: Date | null }) {
  if (t.revokedAt) return <Badge color="gray" variant="light">revoked</Badge>;
  if (t.expiresAt && new Date(t.expiresAt) <= new Date()) return <Badge color="orange" variant="light">expired</Badge>;
  return <Badge color="green" variant="light">active</Badge>;
}

export function TokensPanel() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const tokens = useQuery(trpc.tokens.list.queryOptions());
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.tokens.list.queryKey() });
  const [expiry, setExpiry] = useState<string | null>("90");
  const [created, setCreated] = useState<{ name: string; secret: string } | null>(null);
  const create = useMutation(trpc.tokens.create.mutationOptions({ onSuccess: invalidate }));
  const revoke = useMutation(trpc.tokens.revoke.mutationOptions({ onSuccess: notifyAndRefresh((t) => `Token “${t.name}” revoked`, invalidate), onError: notifyError }));

  function onCreate(e: FormSubmit) {
    e.preventDefault();
    const formEl = formOf(e);
    const data = new FormData(formEl);
    const name = String(data.get("name") ?? "");
    const endpoint = String(data.get("endpoint") ?? "").trim();
    create.mutate(
      { name, expiresInDays: expiry && expiry !== "never" ? Number(expiry) : null, endpoint: endpoint || null },
      {
        onSuccess: (r) => {
          formEl.reset();
          setCreated({ name: r.token.name, secret: r.secret });
        },
      },
    );
  }

  const origin = typeof window === "undefined" ? "http://localhost:3000" : window.location.origin;
  return (
    <Card withBorder>
      <Group justify="space-between" mb="xs">
        <Text fw={600}>Access tokens</Text>
      </Group>
      <Text size="sm" c="dimmed" mb="md">
        Tokens let the mlflow client and other services call the API as you. Send one as <Code>Authorization: Bearer …</Code>, or set{" "}
        <Code>MLFLOW_TRACKING_TOKEN</Code>.
      </Text>
      <Group component="form" onSubmit={onCreate} align="flex-end" mb="md" aria-label="Create token">
        <TextInput name="name" label="Token name" placeholder="e.g. laptop, training-pipeline" required maxLength={100} w={280} error={create.error?.message} />
        <Select label="Expires" data={expiryChoices} value={expiry} onChange={setExpiry} allowDeselect={false} w={140} />
        <TextInput name="endpoint" label="Only for serving endpoint" placeholder="optional: endpoint name" maxLength={63} w={220} data-testid="token-endpoint" />
        <Button type="submit" leftSection={<IconKey size={16} />} loading={create.isPending}>
          Create token
        </Button>
      </Group>
      <Table.ScrollContainer minWidth={720}>
        <Table verticalSpacing="xs" striped highlightOnHover aria-label="Access tokens">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th>Token</Table.Th>
              <Table.Th>Created</Table.Th>
              <Table.Th>Last used</Table.Th>
              <Table.Th>Expires</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {tokens.data?.map((t) => (
              <Table.Tr key={t.id}>
                <Table.Td fw={500}>{t.name}</Table.Td>
                <Table.Td>
                  <Code>{t.prefix}</Code>
                  {t.endpoint && <Text size="xs" c="dimmed">scores {t.endpoint} only</Text>}
                </Table.Td>
                <Table.Td>{formatDateTime(t.createdAt)}</Table.Td>
                <Table.Td>{t.lastUsedAt ? formatDateTime(t.lastUsedAt) : "never"}</Table.Td>
                <Table.Td>{t.expiresAt ? formatDateTime(t.expiresAt) : "never"}</Table.Td>
                <Table.Td>{statusOf(t)}</Table.Td>
                <Table.Td ta="right">
                  {!t.revokedAt && (
                    <Button size="xs" color="red" variant="subtle" loading={revoke.isPending && revoke.variables?.tokenId === t.id} onClick={() => revoke.mutate({ tokenId: t.id })} aria-label={`Revoke ${t.name}`}>
                      Revoke
                    </Button>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
            {tokens.data?.length === 0 && <EmptyRow colSpan={7}>No tokens yet.</EmptyRow>}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>

      <Modal opened={created !== null} onClose={() => setCreated(null)} title={`Token “${created?.name ?? ""}” created`} size="lg">
        <Stack>
          <Alert color="yellow" variant="light">Copy it now: it is shown only once and cannot be recovered.</Alert>
          <Group wrap="nowrap" align="center">
            <Code block style={{ flex: 1, wordBreak: "break-all" }} data-testid="new-token-secret">
              {created?.secret}
            </Code>
            <CopyButton value={created?.secret ?? ""}>
              {({ copied, copy }) => (
                <Button variant="light" onClick={copy} color={copied ? "green" : undefined}>
                  {copied ? "Copied" : "Copy"}
                </Button>
              )}
            </CopyButton>
          </Group>
          <Text size="sm">Use it with the mlflow client:</Text>
          <Code block style={{ whiteSpace: "pre-wrap", wordBreak: "break-all" }}>{`export MLFLOW_TRACKING_URI=${origin}\nexport MLFLOW_TRACKING_TOKEN=${created?.secret ?? ""}`}</Code>
          <Button onClick={() => setCreated(null)} style={{ alignSelf: "flex-end" }}>Done</Button>
        </Stack>
      </Modal>
    </Card>
  );
}
