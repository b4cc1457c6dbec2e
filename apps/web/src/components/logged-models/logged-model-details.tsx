"use client";
import { Anchor, Group, Text } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import type { LoggedModelView } from "@modelgate/core";
import Link from "next/link";
import type { ReactNode } from "react";
import { versionHref } from "@/components/registry/format";
import { KeyValueCard } from "@/components/shared/key-value-card";
import { formatEpoch, runHref, runName } from "@/components/tracking/format";
import { useTRPC } from "@/lib/trpc";
import { LoggedModelStatusBadge } from "./status-badge";

/** What the model is: id, status, the run that logged it, type, times, where its files are, and the versions registered from it. */
export function LoggedModelDetails({ model: { info } }: { model: LoggedModelView }) {
  const trpc = useTRPC();
  const run = useQuery({ ...trpc.tracking.runs.get.queryOptions({ run_id: info.source_run_id }), enabled: Boolean(info.source_run_id), retry: false });
  const registrations = info.registrations ?? [];
  const rows: [string, ReactNode][] = [
    ["Model ID", <Text key="id" ff="monospace" size="sm" data-testid="logged-model-id">{info.model_id}</Text>],
    ["Status", <Group key="s" gap={6}><LoggedModelStatusBadge status={info.status} />{info.status_message && <Text size="xs" c="dimmed">{info.status_message}</Text>}</Group>],
    [
      "Source run",
      info.source_run_id ? (
        <Anchor key="r" component={Link} href={runHref({ experiment_id: info.experiment_id, run_id: info.source_run_id })} size="sm" data-testid="logged-model-run-link">
          {run.data ? runName(run.data) : info.source_run_id}
        </Anchor>
      ) : (
        "—"
      ),
    ],
    ["Model type", info.model_type || "—"],
    ["Created", formatEpoch(info.creation_timestamp_ms)],
    ["Last updated", formatEpoch(info.last_updated_timestamp_ms)],
    ["Artifact URI", <Text key="a" ff="monospace" size="xs" style={{ wordBreak: "break-all" }}>{info.artifact_uri}</Text>],
    [
      "Registered versions",
      registrations.length ? (
        <Group key="v" gap="sm" data-testid="logged-model-registrations">
          {registrations.map((r) => (
            <Anchor key={`${r.name}/${r.version}`} component={Link} href={versionHref(r.name, r.version)} size="sm">
              {r.name} v{r.version}
            </Anchor>
          ))}
        </Group>
      ) : (
        <Text key="v" size="sm" c="dimmed" data-testid="logged-model-registrations">Not registered yet.</Text>
      ),
    ],
  ];
  return <KeyValueCard title="Details" testId="logged-model-details" rows={rows} keyWidth="30%" />;
}
