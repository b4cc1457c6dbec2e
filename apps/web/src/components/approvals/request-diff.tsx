"use client";
import { Card, Loader, Stack, Text } from "@mantine/core";
import type { RequestView } from "@modelgate/core";
import { useQuery } from "@tanstack/react-query";
import { SignatureDiff, VersionRunsTable } from "@/components/registry/compare-versions";
import { SourceRunCard } from "@/components/registry/source-run-card";
import { useTRPC } from "@/lib/trpc";

/**
 * The requested version next to the one holding the target now: for a stage, the highest version
 * in it; for an alias, the version it points to. With no holder, the requested version's run alone.
 */
export function RequestDiff({ request }: { request: RequestView }) {
  const trpc = useTRPC();
  const name = request.model_name;
  const model = useQuery(trpc.registry.models.get.queryOptions({ name }));
  const holder =
    request.target_kind === "STAGE"
      ? model.data?.latest_versions?.find((v) => v.current_stage === request.to_stage)?.version
      : model.data?.aliases?.find((a) => a.alias === request.alias)?.version;
  const compareWith = holder && holder !== request.version ? holder : null;
  const compare = useQuery({ ...trpc.registry.versions.compare.queryOptions({ name, left: compareWith ?? "", right: request.version }), enabled: compareWith !== null });
  const detail = useQuery({ ...trpc.registry.versions.get.queryOptions({ name, version: request.version }), enabled: model.isSuccess && compareWith === null });
  return (
    <Stack gap="xs" data-testid="request-diff" data-holder={compareWith ?? ""}>
      <Text fw={600}>
        {compareWith
          ? `Version ${request.version} next to version ${compareWith}, which holds ${request.target} now`
          : holder === request.version
            ? `Version ${request.version} holds ${request.target} now`
            : `No version holds ${request.target} now; version ${request.version}'s source run`}
      </Text>
      {model.error ? (
        <Text c="red" size="sm">{model.error.message}</Text>
      ) : !model.data ? (
        <Loader size="sm" />
      ) : compareWith ? (
        compare.error ? <Text c="red" size="sm">{compare.error.message}</Text>
        : !compare.data ? <Loader size="sm" />
        : (
          <>
            <VersionRunsTable sides={[compare.data.left, compare.data.right]} />
            <SignatureDiff rows={compare.data.signature} left={compare.data.left.version.version} right={compare.data.right.version.version} />
          </>
        )
      ) : detail.data ? (
        <SourceRunCard runId={detail.data.run_id} experimentId={detail.data.experiment_id} />
      ) : detail.error ? (
        <Card withBorder><Text c="red" size="sm">{detail.error.message}</Text></Card>
      ) : (
        <Loader size="sm" />
      )}
    </Stack>
  );
}
