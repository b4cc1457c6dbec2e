"use client";
import { Alert, Anchor, Badge, Breadcrumbs, Code, Group, Skeleton, Stack, Tabs, Text } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { LoggedModelsTable } from "@/components/logged-models/models-table";
import { PageHeader } from "@/components/shell/page-header";
import { TracesTable } from "@/components/tracing/traces-table";
import { useTRPC } from "@/lib/trpc";
import { PermissionsPanel } from "./permissions-panel";
import { RunsTable } from "./runs-table";

export function ExperimentView({ experimentId }: { experimentId: string }) {
  const trpc = useTRPC();
  const experiment = useQuery(trpc.tracking.experiments.get.queryOptions({ experiment_id: experimentId }));
  const access = useQuery(trpc.tracking.experiments.myAccess.queryOptions({ experiment_id: experimentId })).data;
  const level = access?.level ?? null;
  // the tab is in the URL (?tab=models), so a logged model's page can link back to its list; the
  // Traces tab keeps its filter there too (?tab=traces&filter=…), so runs and models can link to theirs
  const router = useRouter();
  const pathname = usePathname();
  const search = useSearchParams();
  const tab = search.get("tab") ?? "runs";
  const traceFilter = tab === "traces" ? (search.get("filter") ?? "") : "";
  const onTab = (value: string | null) => router.replace(value && value !== "runs" ? `${pathname}?tab=${value}` : pathname, { scroll: false });
  const onTraceFilter = (filter: string) => router.replace(`${pathname}?${new URLSearchParams({ tab: "traces", ...(filter ? { filter } : {}) }).toString()}`, { scroll: false });
  if (experiment.error) return <Alert color="red" title="Experiment unavailable">{experiment.error.message}</Alert>;
  const x = experiment.data;
  return (
    <Stack gap="sm">
      <Breadcrumbs>
        <Anchor component={Link} href="/experiments" size="sm">Experiments</Anchor>
        <Text size="sm">{x?.name ?? experimentId}</Text>
      </Breadcrumbs>
      {x ? (
        <PageHeader
          title={x.name}
          description={
            <Group gap="md" component="span">
              <span>ID {x.experiment_id}</span>
              <span>Artifacts <Code>{x.artifact_location}</Code></span>
              {x.lifecycle_stage === "deleted" && <Badge color="gray" variant="light">deleted</Badge>}
              {level && <Badge variant="outline" size="sm">{level.toLowerCase()}</Badge>}
            </Group>
          }
        />
      ) : (
        <Skeleton h={48} />
      )}
      <Tabs value={tab} onChange={onTab} keepMounted={false}>
        <Tabs.List mb="sm">
          <Tabs.Tab value="runs">Runs</Tabs.Tab>
          <Tabs.Tab value="models" data-testid="tab-models">Models</Tabs.Tab>
          <Tabs.Tab value="traces" data-testid="tab-traces">Traces</Tabs.Tab>
          {access?.canManage && <Tabs.Tab value="permissions">Permissions</Tabs.Tab>}
        </Tabs.List>
        <Tabs.Panel value="runs">
          <RunsTable experimentId={experimentId} canEdit={access?.canEdit ?? false} />
        </Tabs.Panel>
        <Tabs.Panel value="models">
          <LoggedModelsTable experimentId={experimentId} />
        </Tabs.Panel>
        <Tabs.Panel value="traces">
          <TracesTable experimentId={experimentId} filter={traceFilter} onFilter={onTraceFilter} canEdit={access?.canEdit ?? false} canManage={access?.canManage ?? false} />
        </Tabs.Panel>
        {access?.canManage && (
          <Tabs.Panel value="permissions">
            <PermissionsPanel experimentId={experimentId} />
          </Tabs.Panel>
        )}
      </Tabs>
    </Stack>
  );
}
