"use client";
import { ActionIcon, Alert, Anchor, Badge, Breadcrumbs, Card, Code, Group, Loader, SimpleGrid, Stack, Text, Title, Tooltip } from "@mantine/core";
import { IconX } from "@tabler/icons-react";
import type { ModelVersionDetail } from "@modelgate/core";
import { useMutation, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import type { ReactNode } from "react";
import { ActivityFeed } from "@/components/approvals/activity-feed";
import { CommentsThread } from "@/components/approvals/comments-thread";
import { OpenRequests } from "@/components/approvals/open-requests";
import { LoggedModelLink } from "@/components/logged-models/logged-model-link";
import { ModelEndpointsCard } from "@/components/serving/model-endpoints-card";
import { KeyValueCard } from "@/components/shared/key-value-card";
import { notifyAndRefresh, notifyError } from "@/components/shared/notify";
import { formatEpoch, runHref } from "@/components/tracking/format";
import { useTRPC } from "@/lib/trpc";
import { AliasBadge, StageBadge } from "./badges";
import { modelHref } from "./format";
import { HistoryTimeline } from "./history-timeline";
import { DescriptionCard } from "./markdown";
import { MlmodelCard } from "./mlmodel-card";
import { isPrompt, withoutPromptTags } from "./prompt";
import { PromptCard } from "./prompt-card";
import { SourceRunCard } from "./source-run-card";
import { TagsCard } from "./tags-card";
import { useModelAccess, useRegistryRefresh } from "./use-registry";
import { VersionActions } from "./version-actions";
import { VersionUris } from "./version-uris";

export function VersionPage({ name, version }: { name: string; version: string }) {
  const trpc = useTRPC();
  const detail = useQuery(trpc.registry.versions.get.queryOptions({ name, version }));
  const access = useModelAccess(name);
  const model = useQuery(trpc.registry.models.get.queryOptions({ name }));
  if (detail.error) return <Alert color="red" title="Model version unavailable" data-testid="version-error">{detail.error.message}</Alert>;
  if (!detail.data) return <Loader />;
  const v = detail.data;
  // a prompt (MLflow 3's prompt registry) has a template instead of files: no MLmodel, nothing to serve
  const prompt = isPrompt(model.data?.tags) || isPrompt(v.tags);
  return (
    <Stack gap="sm" maw={1400}>
      <Breadcrumbs>
        <Anchor component={Link} href="/models" size="sm">Models</Anchor>
        <Anchor component={Link} href={modelHref(name)} size="sm">{name}</Anchor>
        <Text size="sm">Version {v.version}</Text>
      </Breadcrumbs>
      <Group justify="space-between" align="flex-start">
        <Group gap="sm">
          <Title order={2} data-testid="version-title">{name} · version {v.version}</Title>
          {prompt && <Badge color="grape" variant="light" data-testid="prompt-badge">Prompt</Badge>}
          <StageBadge stage={v.current_stage} testId="version-stage" />
          <Badge color={v.status === "READY" ? "green" : v.status === "FAILED_REGISTRATION" ? "red" : "blue"} variant="dot" data-testid="version-status">{v.status}</Badge>
          <VersionAliases name={name} aliases={v.aliases ?? []} canDelete={access?.can.setAlias ?? false} />
        </Group>
        <VersionActions version={v} access={access} />
      </Group>
      {v.status === "FAILED_REGISTRATION" && (
        <Alert color="red" title="Registration failed" data-testid="version-status-message">{v.status_message || "No message."}</Alert>
      )}
      {v.status === "PENDING_REGISTRATION" && <Alert color="blue" title="Registration pending">{v.status_message || "The version's artifacts are still being copied."}</Alert>}
      <SimpleGrid cols={{ base: 1, lg: 2 }}>
        <VersionDetails v={v} />
        <VersionUris name={name} version={v.version} aliases={v.aliases ?? []} prompt={prompt} />
      </SimpleGrid>
      {prompt ? (
        <>
          <PromptCard version={v} />
          {v.run_id && <SourceRunCard runId={v.run_id} experimentId={v.experiment_id} />}
        </>
      ) : (
        <>
          <ModelEndpointsCard name={name} version={v.version} canServe={access?.can.serve ?? false} />
          <SourceRunCard runId={v.run_id} experimentId={v.experiment_id} modelId={v.model_id} />
          <MlmodelCard mlmodel={v.mlmodel} inputExample={v.input_example} />
        </>
      )}
      <SimpleGrid cols={{ base: 1, lg: 2 }}>
        <Stack gap="md">
          <OpenRequests name={name} version={v.version} />
          <ActivityFeed name={name} version={v.version} />
        </Stack>
        <Stack gap="md">
          <VersionDescriptionAndTags v={v} prompt={prompt} canEdit={access?.can.editDescription ?? false} canEditTags={access?.can.editTags ?? false} />
          <VersionHistoryCard name={name} version={v.version} />
          <CommentsThread name={name} version={v.version} />
        </Stack>
      </SimpleGrid>
    </Stack>
  );
}

function VersionAliases({ name, aliases, canDelete }: { name: string; aliases: string[]; canDelete: boolean }) {
  const trpc = useTRPC();
  const refresh = useRegistryRefresh();
  const remove = useMutation(
    trpc.registry.models.deleteAlias.mutationOptions({ onSuccess: notifyAndRefresh((_r, v) => `Alias @${v.alias} deleted`, refresh), onError: notifyError }),
  );
  return (
    <Group gap={4} data-testid="version-aliases">
      {aliases.map((a) => (
        <Group key={a} gap={0} wrap="nowrap">
          <AliasBadge alias={a} />
          {canDelete && (
            <Tooltip label={`Delete @${a}`}>
              <ActionIcon size="xs" variant="subtle" color="gray" aria-label={`Delete @${a}`} onClick={() => remove.mutate({ name, alias: a })} data-testid={`delete-alias-${a}`}>
                <IconX size={12} />
              </ActionIcon>
            </Tooltip>
          )}
        </Group>
      ))}
    </Group>
  );
}

function VersionDetails({ v }: { v: ModelVersionDetail }) {
  const runLink = v.run_id && v.experiment_id ? runHref({ experiment_id: v.experiment_id, run_id: v.run_id }) : null;
  const rows: [string, ReactNode][] = [
    ["Source", <Code key="s" style={{ wordBreak: "break-all" }} data-testid="version-source">{v.source}</Code>],
    ["Storage location", <Code key="l" style={{ wordBreak: "break-all" }}>{v.storage_location || "—"}</Code>],
    ["Run", runLink ? <Anchor key="r" component={Link} href={runLink} size="sm" ff="monospace" data-testid="version-run-link">{v.run_id}</Anchor> : <Text key="r" size="sm" ff="monospace">{v.run_id || "—"}</Text>],
    ...(v.model_id ? ([["Logged model", <LoggedModelLink key="m" modelId={v.model_id} testId="version-logged-model-link" />]] as [string, ReactNode][]) : []),
    ["Created by", v.user_id || "—"],
    ["Created", formatEpoch(v.creation_timestamp)],
    ["Last updated", formatEpoch(v.last_updated_timestamp)],
  ];
  return <KeyValueCard title="Details" testId="version-details" rows={rows} keyWidth="30%" />;
}

function VersionHistoryCard({ name, version }: { name: string; version: string }) {
  const trpc = useTRPC();
  const history = useQuery(trpc.registry.models.history.queryOptions({ name, version }));
  return (
    <Card withBorder>
      <Text fw={600} mb="sm">Stage and alias history</Text>
      {history.error ? <Alert color="red">{history.error.message}</Alert> : history.data ? <HistoryTimeline history={history.data} showVersion={false} /> : <Loader size="sm" />}
    </Card>
  );
}

function VersionDescriptionAndTags({ v, prompt, canEdit, canEditTags }: { v: ModelVersionDetail; prompt: boolean; canEdit: boolean; canEditTags: boolean }) {
  const trpc = useTRPC();
  const refresh = useRegistryRefresh();
  const ref = { name: v.name, version: v.version };
  const setDescription = useMutation(trpc.registry.versions.setDescription.mutationOptions({ onSuccess: notifyAndRefresh("Description saved", refresh) }));
  const setTag = useMutation(trpc.registry.versions.setTag.mutationOptions({ onSuccess: notifyAndRefresh((_r, x) => `Tag ${x.key} set`, refresh) }));
  const deleteTag = useMutation(trpc.registry.versions.deleteTag.mutationOptions({ onSuccess: notifyAndRefresh((_r, x) => `Tag ${x.key} removed`, refresh), onError: notifyError }));
  return (
    <Stack gap="md">
      <DescriptionCard
        description={v.description}
        canEdit={canEdit}
        pending={setDescription.isPending}
        error={setDescription.error?.message}
        onSave={(description, done) => setDescription.mutate({ ...ref, description }, { onSuccess: done })}
      />
      <TagsCard
        tags={prompt ? withoutPromptTags(v.tags) : v.tags}
        canEdit={canEditTags}
        pending={setTag.isPending}
        error={setTag.error?.message}
        onSet={(key, value, done) => setTag.mutate({ ...ref, key, value }, { onSuccess: done })}
        onDelete={(key) => deleteTag.mutate({ ...ref, key })}
      />
    </Stack>
  );
}
