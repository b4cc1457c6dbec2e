"use client";
import { Alert, Anchor, Breadcrumbs, Card, Group, Loader, SimpleGrid, Stack, Text, Title } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { LoggedModelView } from "@modelgate/core";
import Link from "next/link";
import { KeyValueCard } from "@/components/shared/key-value-card";
import { notifyAndRefresh, notifyError } from "@/components/shared/notify";
import { TagsCard } from "@/components/registry/tags-card";
import { ModelTracesCard } from "@/components/tracing/model-traces-card";
import { ArtifactsBrowser } from "@/components/tracking/artifacts-browser";
import { loggedModelSource, RegisterModelButton } from "@/components/tracking/register-model";
import { useTRPC } from "@/lib/trpc";
import { LoggedModelActions } from "./logged-model-actions";
import { LoggedModelDetails } from "./logged-model-details";
import { MetricsByDataset } from "./metrics-by-dataset";
import { LoggedModelStatusBadge } from "./status-badge";

/** One MLflow 3 logged model: what it is, the evidence it was logged with, its files, and its registrations. */
export function LoggedModelPage({ modelId }: { modelId: string }) {
  const trpc = useTRPC();
  const model = useQuery(trpc.loggedModels.get.queryOptions({ model_id: modelId }));
  const experimentId = model.data?.info.experiment_id;
  const experiment = useQuery({ ...trpc.tracking.experiments.get.queryOptions({ experiment_id: experimentId ?? "" }), enabled: experimentId !== undefined });
  const access = useQuery({ ...trpc.tracking.experiments.myAccess.queryOptions({ experiment_id: experimentId ?? "" }), enabled: experimentId !== undefined }).data;
  if (model.error) return <Alert color="red" title="Logged model unavailable" data-testid="logged-model-error">{model.error.message}</Alert>;
  if (!model.data) return <Loader />;
  const m = model.data;
  const { info } = m;
  return (
    <Stack gap="sm" maw={1400}>
      <Breadcrumbs>
        <Anchor component={Link} href="/experiments" size="sm">Experiments</Anchor>
        <Anchor component={Link} href={`/experiments/${info.experiment_id}?tab=models`} size="sm">{experiment.data?.name ?? info.experiment_id}</Anchor>
        <Text size="sm">{info.name}</Text>
      </Breadcrumbs>
      <Group justify="space-between" align="flex-start">
        <Group gap="sm">
          <Title order={2} data-testid="logged-model-name">{info.name}</Title>
          <LoggedModelStatusBadge status={info.status} />
          {info.model_type && <Text size="sm" c="dimmed">{info.model_type}</Text>}
        </Group>
        <Group gap="xs">
          <RegisterModelButton from={loggedModelSource(info.model_id)} testId="register-logged-model" />
          <LoggedModelActions model={m} canDelete={access?.canManage ?? false} />
        </Group>
      </Group>
      {info.status === "LOGGED_MODEL_UPLOAD_FAILED" && <Alert color="red" title="Upload failed">{info.status_message || "The client could not upload the model's files."}</Alert>}
      {info.status === "LOGGED_MODEL_PENDING" && <Alert color="blue" title="Upload pending">The client has not finished uploading the model&apos;s files. A version registered now completes when it does.</Alert>}
      <SimpleGrid cols={{ base: 1, lg: 2 }}>
        <LoggedModelDetails model={m} />
        <ModelTags model={m} canEdit={access?.canEdit ?? false} />
      </SimpleGrid>
      <SimpleGrid cols={{ base: 1, lg: 2 }}>
        <Card withBorder data-testid="logged-model-metrics">
          <Text fw={600} mb="xs">Metrics</Text>
          <MetricsByDataset metrics={m.data.metrics} />
        </Card>
        <KeyValueCard scroll title={`Parameters (${m.data.params?.length ?? 0})`} testId="logged-model-params" rows={(m.data.params ?? []).map((p) => [p.key, p.value])} empty="No parameters logged with this model." />
      </SimpleGrid>
      <ModelTracesCard experimentId={info.experiment_id} modelId={info.model_id} />
      <Title order={4} mt="sm">Files</Title>
      <ArtifactsBrowser root={{ kind: "model", modelId: info.model_id }} preselect="MLmodel" />
    </Stack>
  );
}

/** The model's own tags (system mlflow.* tags are facts shown elsewhere, such as its registrations). */
function ModelTags({ model, canEdit }: { model: LoggedModelView; canEdit: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.loggedModels.pathKey() });
  const model_id = model.info.model_id;
  const setTags = useMutation(trpc.loggedModels.setTags.mutationOptions({ onSuccess: notifyAndRefresh((_r, v) => `Tag ${v.tags[0]?.key ?? ""} set`, refresh) }));
  const deleteTag = useMutation(trpc.loggedModels.deleteTag.mutationOptions({ onSuccess: notifyAndRefresh((_r, v) => `Tag ${v.key} removed`, refresh), onError: notifyError }));
  return (
    <TagsCard
      tags={(model.info.tags ?? []).filter((t) => !t.key.startsWith("mlflow."))}
      canEdit={canEdit}
      pending={setTags.isPending}
      error={setTags.error?.message}
      onSet={(key, value, done) => setTags.mutate({ model_id, tags: [{ key, value }] }, { onSuccess: done })}
      onDelete={(key) => deleteTag.mutate({ model_id, key })}
    />
  );
}
