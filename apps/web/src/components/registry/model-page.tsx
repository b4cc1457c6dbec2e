"use client";
import { Alert, Anchor, Badge, Breadcrumbs, Group, SimpleGrid, Skeleton, Stack, Tabs, Text } from "@mantine/core";
import { useInfiniteQuery, useMutation, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { PolicyEditor } from "@/components/approvals/policy-editor";
import { ModelEndpointsCard } from "@/components/serving/model-endpoints-card";
import { notifyAndRefresh, notifyError } from "@/components/shared/notify";
import { PageHeader } from "@/components/shell/page-header";
import { formatEpoch } from "@/components/tracking/format";
import { levelLabel } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";
import { AliasesCard } from "./aliases-card";
import { StageBadge } from "./badges";
import { DescriptionCard } from "./markdown";
import { ModelDangerZone } from "./model-danger-zone";
import { ModelHistoryPanel } from "./model-history";
import { ModelPermissionsPanel } from "./model-permissions";
import { isPrompt, withoutPromptTags } from "./prompt";
import { PromptVersionsCard } from "./prompt-card";
import { TagsCard } from "./tags-card";
import { useModelAccess, useRegistryRefresh } from "./use-registry";
import { VersionsTable } from "./versions-table";

export function ModelPage({ name }: { name: string }) {
  const trpc = useTRPC();
  const refresh = useRegistryRefresh();
  const model = useQuery(trpc.registry.models.get.queryOptions({ name }));
  const access = useModelAccess(name);
  const can = access?.can;
  const versionsQuery = useInfiniteQuery(
    trpc.registry.versions.list.infiniteQueryOptions({ name, max_results: 100 }, { getNextPageParam: (last) => last.next_page_token || undefined }),
  );
  const versions = versionsQuery.data?.pages.flatMap((p) => p.model_versions) ?? [];
  const setDescription = useMutation(trpc.registry.models.setDescription.mutationOptions({ onSuccess: notifyAndRefresh("Description saved", refresh) }));
  const setTag = useMutation(trpc.registry.models.setTag.mutationOptions({ onSuccess: notifyAndRefresh((_r, v) => `Tag ${v.key} set`, refresh) }));
  const deleteTag = useMutation(trpc.registry.models.deleteTag.mutationOptions({ onSuccess: notifyAndRefresh((_r, v) => `Tag ${v.key} removed`, refresh), onError: notifyError }));

  if (model.error) return <Alert color="red" title="Model unavailable" data-testid="model-error">{model.error.message}</Alert>;
  const m = model.data;
  // a prompt (MLflow 3's prompt registry): its templates are what a reader wants, and nothing is served
  const prompt = isPrompt(m?.tags);
  return (
    <Stack gap="sm" maw={1400}>
      <Breadcrumbs>
        <Anchor component={Link} href="/models" size="sm">Models</Anchor>
        <Text size="sm">{name}</Text>
      </Breadcrumbs>
      {m ? (
        <PageHeader
          title={m.name}
          description={
            <Group gap="md" component="span" data-testid="model-meta">
              {prompt && <Badge color="grape" variant="light" size="sm" data-testid="prompt-badge">Prompt</Badge>}
              <span>Owner {m.owner ?? "—"}</span>
              <span>Created {formatEpoch(m.creation_timestamp)}</span>
              <span>Updated {formatEpoch(m.last_updated_timestamp)}</span>
              {(m.latest_versions ?? []).map((v) => <StageBadge key={v.current_stage} stage={v.current_stage} version={v.version} />)}
              {access?.level && <Badge variant="outline" size="sm" data-testid="model-access-level">{levelLabel(access.level)}</Badge>}
            </Group>
          }
        />
      ) : (
        <Skeleton h={48} />
      )}
      {m && (
        <SimpleGrid cols={{ base: 1, lg: 2 }}>
          <DescriptionCard
            description={m.description}
            canEdit={can?.editDescription ?? false}
            pending={setDescription.isPending}
            error={setDescription.error?.message}
            onSave={(description, done) => setDescription.mutate({ name, description }, { onSuccess: done })}
          />
          <Stack gap="md">
            <AliasesCard name={name} aliases={m.aliases ?? []} versions={versions.map((v) => v.version)} canSet={can?.setAlias ?? false} prompt={prompt} />
            <TagsCard
              tags={prompt ? withoutPromptTags(m.tags) : m.tags}
              canEdit={can?.editTags ?? false}
              pending={setTag.isPending}
              error={setTag.error?.message}
              onSet={(key, value, done) => setTag.mutate({ name, key, value }, { onSuccess: done })}
              onDelete={(key) => deleteTag.mutate({ name, key })}
            />
            {!prompt && <ModelEndpointsCard name={name} canServe={access?.can.serve ?? false} />}
          </Stack>
        </SimpleGrid>
      )}
      {prompt && versions.length > 0 && <PromptVersionsCard versions={versions} />}
      <Tabs defaultValue="versions" keepMounted={false} mt="sm">
        <Tabs.List mb="sm">
          <Tabs.Tab value="versions" data-testid="tab-versions">Versions</Tabs.Tab>
          <Tabs.Tab value="history" data-testid="tab-history">History</Tabs.Tab>
          {can?.managePermissions && <Tabs.Tab value="permissions" data-testid="tab-permissions">Permissions</Tabs.Tab>}
          {can?.managePermissions && <Tabs.Tab value="policy" data-testid="tab-policy">Policy</Tabs.Tab>}
        </Tabs.List>
        <Tabs.Panel value="versions">
          <VersionsTable name={name} versions={versions} query={versionsQuery} />
        </Tabs.Panel>
        <Tabs.Panel value="history">
          <ModelHistoryPanel name={name} />
        </Tabs.Panel>
        {can?.managePermissions && (
          <Tabs.Panel value="permissions">
            <ModelPermissionsPanel name={name} />
          </Tabs.Panel>
        )}
        {can?.managePermissions && (
          <Tabs.Panel value="policy">
            <PolicyEditor name={name} />
          </Tabs.Panel>
        )}
      </Tabs>
      {m && <ModelDangerZone name={name} canRename={can?.rename ?? false} canDelete={can?.delete ?? false} />}
    </Stack>
  );
}
