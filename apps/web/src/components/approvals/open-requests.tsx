"use client";
import { Anchor, Card, Group, Loader, Stack, Text } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { formatEpoch } from "@/components/tracking/format";
import { useTRPC } from "@/lib/trpc";
import { requestHref } from "./format";
import { TargetBadge } from "./target-badge";

/** The version's open approval requests, each linking to its page. */
export function OpenRequests({ name, version }: { name: string; version: string }) {
  const trpc = useTRPC();
  const list = useQuery(trpc.approvals.requests.list.queryOptions({ kind: "version", name, version }));
  const open = (list.data ?? []).filter((r) => r.status === "OPEN");
  return (
    <Card withBorder data-testid="open-requests">
      <Text fw={600} mb="xs">Open requests</Text>
      {list.error ? (
        <Text c="red" size="sm">{list.error.message}</Text>
      ) : list.isPending ? (
        <Loader size="sm" />
      ) : open.length === 0 ? (
        <Text size="sm" c="dimmed">No open requests for this version.</Text>
      ) : (
        <Stack gap={6}>
          {open.map((r) => (
            <Group key={r.id} gap="xs" data-testid={`open-request-${r.id}`}>
              <Anchor component={Link} href={requestHref(r.id)} size="sm" fw={500}>Request #{r.id}</Anchor>
              <TargetBadge request={r} />
              <Text size="xs" c="dimmed">by {r.requester} · {formatEpoch(r.created_at)} · {r.approvals}/{r.required_approvals} approvals</Text>
            </Group>
          ))}
        </Stack>
      )}
    </Card>
  );
}
