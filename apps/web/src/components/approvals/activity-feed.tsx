"use client";
import { Alert, Anchor, Card, Loader, Text, Timeline } from "@mantine/core";
import { IconArrowRight, IconCheck, IconGitPullRequest, IconMessage, IconRobot, IconServer, IconTag, IconX } from "@tabler/icons-react";
import type { ActivityType } from "@modelgate/core";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import type { ReactNode } from "react";
import { formatEpoch } from "@/components/tracking/format";
import { useTRPC } from "@/lib/trpc";
import { activityText, requestHref } from "./format";

const BULLET: Record<ActivityType, { icon: ReactNode; color: string }> = {
  REQUESTED_TRANSITION: { icon: <IconGitPullRequest size={12} />, color: "blue" },
  APPROVED_REQUEST: { icon: <IconCheck size={12} />, color: "green" },
  REJECTED_REQUEST: { icon: <IconX size={12} />, color: "red" },
  CANCELLED_REQUEST: { icon: <IconX size={12} />, color: "gray" },
  APPLIED_TRANSITION: { icon: <IconArrowRight size={12} />, color: "teal" },
  SYSTEM_TRANSITION: { icon: <IconRobot size={12} />, color: "gray" },
  NEW_COMMENT: { icon: <IconMessage size={12} />, color: "gray" },
  ALIAS_MOVED: { icon: <IconTag size={12} />, color: "violet" },
  SERVING_SWITCHED: { icon: <IconServer size={12} />, color: "cyan" },
};

/** A version's activity (requests, decisions, moves, comments), newest first. */
export function ActivityFeed({ name, version }: { name: string; version: string }) {
  const trpc = useTRPC();
  const activities = useQuery(trpc.approvals.activities.queryOptions({ name, version }));
  const items = [...(activities.data ?? [])].reverse();
  return (
    <Card withBorder data-testid="activity-feed">
      <Text fw={600} mb="sm">Activity</Text>
      {activities.error ? (
        <Alert color="red">{activities.error.message}</Alert>
      ) : activities.isPending ? (
        <Loader size="sm" />
      ) : items.length === 0 ? (
        <Text size="sm" c="dimmed">No activity yet.</Text>
      ) : (
        <Timeline bulletSize={22} lineWidth={2}>
          {items.map((a) => (
            <Timeline.Item key={a.id} bullet={BULLET[a.activity_type].icon} color={BULLET[a.activity_type].color} title={activityText(a, version)} data-testid={`activity-${a.activity_type}`}>
              <Text size="xs" c="dimmed">
                {formatEpoch(a.creation_timestamp)}
                {a.request_id && (
                  <>
                    {" · "}
                    <Anchor component={Link} href={requestHref(a.request_id)} size="xs">request #{a.request_id}</Anchor>
                  </>
                )}
              </Text>
              {a.comment && <Text size="sm" mt={2} style={{ whiteSpace: "pre-wrap", wordBreak: "break-word" }}>{a.comment}</Text>}
              {a.system_comment && <Text size="xs" c="dimmed" mt={2}>{a.system_comment}</Text>}
            </Timeline.Item>
          ))}
        </Timeline>
      )}
    </Card>
  );
}
