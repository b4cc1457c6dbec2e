"use client";
import { Alert, Anchor, Breadcrumbs, Code, Group, Loader, SimpleGrid, Stack, Text, Title } from "@mantine/core";
import type { ModelVersionDetail } from "@modelgate/core";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState, type ReactNode } from "react";
import { modelHref, versionHref } from "@/components/registry/format";
import { KeyValueCard } from "@/components/shared/key-value-card";
import { formatEpoch } from "@/components/tracking/format";
import { levelLabel } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";
import { EnabledSwitch } from "./enabled-switch";
import { EndpointActions } from "./endpoint-actions";
import { EndpointMetrics } from "./endpoint-metrics";
import { EndpointStateBadge } from "./endpoint-state";
import { ENDPOINTS_REFRESH_MS, type ServingEndpoint } from "./format";
import { exampleBody, exampleRow, formBody, formColumns } from "./scoring-body";
import { ScoringUrl } from "./scoring-url";
import { TryIt } from "./try-it";

/** One endpoint: what it serves and why, its traffic, how to call it, and a form to try it. */
export function EndpointPage({ name }: { name: string }) {
  const trpc = useTRPC();
  const endpoint = useQuery({ ...trpc.serving.get.queryOptions({ name }), refetchInterval: ENDPOINTS_REFRESH_MS });
  const e = endpoint.data;
  const served = e ? (e.status.served_version ?? e.served_version) : null;
  const version = useQuery({ ...trpc.registry.versions.get.queryOptions({ name: e?.model_name ?? "", version: String(served) }), enabled: Boolean(e) && served !== null });

  if (endpoint.error) return <Alert color="red" title="Endpoint unavailable" data-testid="endpoint-error">{endpoint.error.message}</Alert>;
  if (!e) return <Loader />;
  return (
    <Stack gap="sm" maw={1400}>
      <Breadcrumbs>
        <Anchor component={Link} href="/serving" size="sm">Serving</Anchor>
        <Text size="sm">{e.name}</Text>
      </Breadcrumbs>
      <Group justify="space-between" align="flex-start">
        <Group gap="sm">
          <Title order={2} data-testid="endpoint-title">{e.name}</Title>
          <EndpointStateBadge endpoint={e} testId="endpoint-state" />
          <EnabledSwitch endpoint={e} withLabel />
        </Group>
        <EndpointActions endpoint={e} />
      </Group>
      {e.enabled && !e.status.ready && e.status.message && (
        <Alert color={e.status.deployment === "DEPLOYMENT_CREATING" ? "blue" : "red"} title={e.status.deployment === "DEPLOYMENT_CREATING" ? "Loading" : "Not serving"} data-testid="endpoint-state-message">
          {e.status.message}
        </Alert>
      )}
      {!e.enabled && <Alert color="gray" title="Disabled">Scoring requests are refused until the endpoint is enabled again.</Alert>}
      <SimpleGrid cols={{ base: 1, lg: 2 }}>
        <EndpointDetails e={e} served={served} />
        <EndpointMetrics stats={e.stats} sampledAt={endpoint.dataUpdatedAt} />
      </SimpleGrid>
      {served === null ? (
        <Text size="sm" c="dimmed">Nothing is served yet: the form to try it appears once a version is loaded.</Text>
      ) : version.error ? (
        <Alert color="red" title={`Version ${served} unavailable`}>{version.error.message}</Alert>
      ) : !version.data ? (
        <Loader size="sm" />
      ) : (
        <Scoring key={`${e.model_name}/${served}`} e={e} version={version.data} />
      )}
    </Stack>
  );
}

/** The try-it form and the curl example share the request being written. */
function Scoring({ e, version }: { e: ServingEndpoint; version: ModelVersionDetail }) {
  const [body, setBody] = useState<unknown>(() => {
    const columns = formColumns(version.mlmodel?.signature?.inputs);
    return columns ? formBody(columns, exampleRow(version.input_example, columns)) : exampleBody(version.input_example);
  });
  return (
    <SimpleGrid cols={{ base: 1, lg: 2 }}>
      <TryIt endpoint={e.name} model={e.model_name} version={version} onBody={setBody} />
      <ScoringUrl name={e.name} body={body} />
    </SimpleGrid>
  );
}

function EndpointDetails({ e, served }: { e: ServingEndpoint; served: number | null }) {
  const rows: [string, ReactNode][] = [
    ["Model", <Anchor key="m" component={Link} href={modelHref(e.model_name)} size="sm">{e.model_name}</Anchor>],
    ["Target", <Code key="t" data-testid="endpoint-target">{e.target_label}</Code>],
    [
      "Serving",
      <span key="v" data-testid="endpoint-served-version" data-version={served ?? ""}>
        {served === null ? <Text size="sm" c="dimmed" span>no version loaded</Text> : <Anchor component={Link} href={versionHref(e.model_name, served)} size="sm">version {served}</Anchor>}
      </span>,
    ],
    ["State", <Text key="s" size="sm" span>{e.status.deployment.replace("DEPLOYMENT_", "").toLowerCase()}{e.status.message ? ` · ${e.status.message}` : ""}</Text>],
    ["Created by", e.creator || "—"],
    ["Created", formatEpoch(e.created_at)],
    ["Last updated", formatEpoch(e.updated_at)],
    ["Your access", levelLabel(e.permission_level)],
  ];
  return <KeyValueCard title="Details" testId="endpoint-details" rows={rows} keyWidth="30%" />;
}
