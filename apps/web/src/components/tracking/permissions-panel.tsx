"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { PermissionLevel } from "@modelgate/core";
import { GrantsPanel } from "@/components/shared/grants-panel";
import { notifyAndRefresh } from "@/components/shared/notify";
import { useTRPC } from "@/lib/trpc";

const levels: readonly { value: PermissionLevel; label: string }[] = [
  { value: "READ", label: "Read" },
  { value: "EDIT", label: "Edit" },
  { value: "MANAGE", label: "Manage" },
];

/** Grants on one experiment, to users and to groups. */
export function PermissionsPanel({ experimentId }: { experimentId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const key = { experiment_id: experimentId };
  const grants = useQuery(trpc.tracking.experiments.permissions.queryOptions(key));
  const groupGrants = useQuery(trpc.tracking.experiments.groupPermissions.queryOptions(key));
  const refresh = (queryKey: readonly unknown[]) => () => queryClient.invalidateQueries({ queryKey });
  const setUser = useMutation(
    trpc.tracking.experiments.setPermission.mutationOptions({
      onSuccess: notifyAndRefresh((_r, v) => (v.level ? `${v.username} now has ${v.level}` : `Removed ${v.username}'s access`), refresh(trpc.tracking.experiments.permissions.queryKey(key))),
    }),
  );
  const setGroup = useMutation(
    trpc.tracking.experiments.setGroupPermission.mutationOptions({
      onSuccess: notifyAndRefresh((_r, v) => (v.level ? `Group ${v.group} now has ${v.level}` : `Removed group ${v.group}'s access`), refresh(trpc.tracking.experiments.groupPermissions.queryKey(key))),
    }),
  );
  return (
    <GrantsPanel
      testId="permissions-panel"
      tableLabel="Experiment permissions"
      help="Read sees runs and artifacts; Edit also logs and changes runs; Manage also renames, deletes and grants access. Admins and the owner always have Manage. Members of a group get the group’s level when it is higher than their own."
      levels={levels}
      levelWidth={140}
      userGrants={grants}
      groupGrants={groupGrants}
      setUser={{ ...setUser, mutate: (v, o) => setUser.mutate({ ...key, ...v }, o) }}
      setGroup={{ ...setGroup, mutate: (v, o) => setGroup.mutate({ ...key, ...v }, o) }}
    />
  );
}
