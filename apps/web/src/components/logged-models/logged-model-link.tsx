"use client";
import { Anchor, Group, Text } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useTRPC } from "@/lib/trpc";
import { loggedModelHref } from "./format";
import { LoggedModelStatusBadge } from "./status-badge";

/**
 * A link to a logged model known only by its id (a version's model_id): its name and status once
 * read; the bare id when the caller may not read it or it was deleted.
 */
export function LoggedModelLink({ modelId, testId = "logged-model-link" }: { modelId: string; testId?: string }) {
  const trpc = useTRPC();
  const model = useQuery({ ...trpc.loggedModels.get.queryOptions({ model_id: modelId }), retry: false });
  if (!model.data) {
    return (
      <Text size="sm" ff="monospace" data-testid={testId} title={model.error?.message}>
        {modelId}
      </Text>
    );
  }
  const { info } = model.data;
  return (
    <Group gap={6} wrap="nowrap">
      <Anchor component={Link} href={loggedModelHref(info.experiment_id, info.model_id)} size="sm" data-testid={testId}>
        {info.name}
      </Anchor>
      <LoggedModelStatusBadge status={info.status} />
    </Group>
  );
}
