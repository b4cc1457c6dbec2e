"use client";
import { Anchor, Badge, Button, Card, Code, Group, Modal, Stack, Table, Text, Textarea, TextInput } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { notifications } from "@mantine/notifications";
import { IconPlus, IconSearch } from "@tabler/icons-react";
import { useInfiniteQuery, useMutation } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { EmptyRow, LoadMoreButton } from "@/components/shared/table-parts";
import { PageHeader } from "@/components/shell/page-header";
import { formOf, type FormSubmit } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";
import { formatEpoch } from "@/components/tracking/format";
import { AliasBadge, StageBadge } from "./badges";
import { modelFilter, modelHref } from "./format";
import { isPrompt } from "./prompt";
import { useRegistryRefresh } from "./use-registry";

export function ModelsList() {
  const trpc = useTRPC();
  const [search, setSearch] = useState("");
  const [debounced] = useDebouncedValue(search, 250);
  const [creating, setCreating] = useState(false);
  const filter = modelFilter(debounced);
  const list = useInfiniteQuery(
    trpc.registry.models.search.infiniteQueryOptions(
      { ...(filter ? { filter } : {}), max_results: 50, order_by: ["last_updated_timestamp DESC"] },
      { getNextPageParam: (last) => last.next_page_token || undefined },
    ),
  );
  const models = list.data?.pages.flatMap((p) => p.registered_models) ?? [];

  return (
    <Stack maw={1400}>
      <PageHeader
        title="Models"
        description="Registered models, versions, stages and aliases."
        actions={
          <Button leftSection={<IconPlus size={16} />} onClick={() => setCreating(true)} data-testid="create-model-button">
            Create model
          </Button>
        }
      />
      <TextInput
        label="Search models"
        description="Name contains…, or a filter such as tags.team = 'fraud' or name LIKE 'churn%'"
        placeholder="Name contains…"
        leftSection={<IconSearch size={16} />}
        value={search}
        onChange={(e) => setSearch(e.currentTarget.value)}
        w={420}
        data-testid="models-search"
      />
      {list.error && <Text c="red" size="sm" data-testid="models-error">{list.error.message}</Text>}
      <Card withBorder p={0}>
        <Table.ScrollContainer minWidth={860}>
          <Table verticalSpacing="xs" highlightOnHover aria-label="Models" data-testid="models-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Name</Table.Th>
                <Table.Th>Latest versions</Table.Th>
                <Table.Th>Aliases</Table.Th>
                <Table.Th>Owner</Table.Th>
                <Table.Th>Last updated</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {models.map((m) => (
                <Table.Tr key={m.name} data-testid={`model-row-${m.name}`}>
                  <Table.Td>
                    <Group gap={6} wrap="nowrap">
                      <Anchor component={Link} href={modelHref(m.name)} fw={500}>{m.name}</Anchor>
                      {isPrompt(m.tags) && <Badge color="grape" variant="light" size="sm" data-testid={`prompt-badge-${m.name}`}>Prompt</Badge>}
                    </Group>
                  </Table.Td>
                  <Table.Td>
                    <Group gap={4}>
                      {(m.latest_versions ?? []).map((v) => <StageBadge key={v.current_stage} stage={v.current_stage} version={v.version} />)}
                      {!m.latest_versions?.length && <Text size="sm" c="dimmed">—</Text>}
                    </Group>
                  </Table.Td>
                  <Table.Td>
                    <Group gap={4}>
                      {(m.aliases ?? []).map((a) => <AliasBadge key={a.alias} alias={a.alias} version={a.version} />)}
                      {!m.aliases?.length && <Text size="sm" c="dimmed">—</Text>}
                    </Group>
                  </Table.Td>
                  <Table.Td>{m.owner ?? "—"}</Table.Td>
                  <Table.Td>{formatEpoch(m.last_updated_timestamp)}</Table.Td>
                </Table.Tr>
              ))}
              {list.isPending && <EmptyRow colSpan={5}>Loading models…</EmptyRow>}
              {list.isSuccess && models.length === 0 && (
                <EmptyRow colSpan={5}>{filter ? "No model matches." : <EmptyHelp />}</EmptyRow>
              )}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      </Card>
      <LoadMoreButton query={list} />
      <CreateModelModal opened={creating} onClose={() => setCreating(false)} />
    </Stack>
  );
}

function EmptyHelp() {
  return (
    <span data-testid="models-empty">
      No models yet. Register one from the mlflow client, e.g.{" "}
      <Code>mlflow.register_model(&quot;runs:/&lt;run_id&gt;/model&quot;, &quot;my-model&quot;)</Code> or{" "}
      <Code>mlflow.sklearn.log_model(model, &quot;model&quot;, registered_model_name=&quot;my-model&quot;)</Code>, or use “Register model” on a run&apos;s
      model folder, or “Create model” above.
    </span>
  );
}

function CreateModelModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const trpc = useTRPC();
  const router = useRouter();
  const refresh = useRegistryRefresh();
  const create = useMutation(trpc.registry.models.create.mutationOptions());
  function onSubmit(e: FormSubmit) {
    e.preventDefault();
    const data = new FormData(formOf(e));
    const description = String(data.get("description") ?? "");
    create.mutate(
      { name: String(data.get("name") ?? "").trim(), ...(description.trim() ? { description } : {}) },
      {
        onSuccess: (m) => {
          notifications.show({ message: `Model ${m.name} created` });
          create.reset();
          onClose();
          void refresh();
          router.push(modelHref(m.name));
        },
      },
    );
  }
  return (
    <Modal opened={opened} onClose={onClose} title="Create model">
      <Stack component="form" onSubmit={onSubmit} aria-label="Create model">
        <TextInput name="name" label="Model name" required data-autofocus error={create.error?.message} data-testid="create-model-name" />
        <Textarea name="description" label="Description" description="Markdown" autosize minRows={3} />
        <Button type="submit" loading={create.isPending} style={{ alignSelf: "flex-end" }} data-testid="create-model-submit">Create</Button>
      </Stack>
    </Modal>
  );
}
