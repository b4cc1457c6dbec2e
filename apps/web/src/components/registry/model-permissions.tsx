"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { ModelPermissionLevel } from "@modelgate/core";
import { GrantsPanel } from "@/components/shared/grants-panel";
import { notifyAndRefresh } from "@/components/shared/notify";
import { useTRPC } from "@/lib/trpc";

const levels: readonly { value: ModelPermissionLevel; label: string }[] = [
  { value: "READ", label: "Read" },
  { value: "EDIT", label: "Edit" },
  { value: "MANAGE_STAGING_VERSIONS", label: "Manage staging versions" },
  { value: "MANAGE_PRODUCTION_VERSIONS", label: "Manage production versions" },
  { value: "MANAGE", label: "Manage" },
];

/** Grants on one model, to users and to groups. */
export function ModelPermissionsPanel({ name }: { name: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const key = { name };
  const grants = useQuery(trpc.registry.models.permissions.queryOptions(key));
  const groupGrants = useQuery(trpc.registry.models.groupPermissions.queryOptions(key));
  const refresh = (queryKey: readonly unknown[]) => () => queryClient.invalidateQueries({ queryKey });
  const setUser = useMutation(
    trpc.registry.models.setPermission.mutationOptions({
      onSuccess: notifyAndRefresh((_r, v) => (v.level ? `${v.username} now has ${v.level}` : `Removed ${v.username}'s access`), refresh(trpc.registry.models.permissions.queryKey(key))),
    }),
  );
  const setGroup = useMutation(
    trpc.registry.models.setGroupPermission.mutationOptions({
      onSuccess: notifyAndRefresh((_r, v) => (v.level ? `Group ${v.group} now has ${v.level}` : `Removed group ${v.group}'s access`), refresh(trpc.registry.models.groupPermissions.queryKey(key))),
    }),
  );
  return (
    <GrantsPanel
      testId="model-permissions-panel"
      tableLabel="Model permissions"
      help={
        <>
          Read sees the model and its versions; Edit also registers versions, edits descriptions and tags and sets aliases; Manage staging/production versions
          also moves versions into and out of those stages; Manage also renames, deletes and grants access. Admins and the owner always have Manage.
          Members of a group get the group’s level when it is higher than their own.
        </>
      }
      levels={levels}
      levelWidth={240}
      userGrants={grants}
      groupGrants={groupGrants}
      setUser={{ ...setUser, mutate: (v, o) => setUser.mutate({ ...key, ...v }, o) }}
      setGroup={{ ...setGroup, mutate: (v, o) => setGroup.mutate({ ...key, ...v }, o) }}
    />
  );
}
