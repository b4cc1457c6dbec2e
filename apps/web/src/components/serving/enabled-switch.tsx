"use client";
import { Switch, Tooltip } from "@mantine/core";
import { useMutation } from "@tanstack/react-query";
import { notifyAndRefresh, notifyError } from "@/components/shared/notify";
import { useTRPC } from "@/lib/trpc";
import type { ServingEndpoint } from "./format";
import { useServingRefresh } from "./use-serving";

/** Enables or disables an endpoint (EDIT on the model); read-only for everyone else. */
export function EnabledSwitch({ endpoint, withLabel = false }: { endpoint: Pick<ServingEndpoint, "name" | "enabled" | "can">; withLabel?: boolean }) {
  const trpc = useTRPC();
  const refresh = useServingRefresh();
  const set = useMutation(
    trpc.serving.setEnabled.mutationOptions({ onSuccess: notifyAndRefresh((_r, v) => `Endpoint ${v.name} ${v.enabled ? "enabled" : "disabled"}`, refresh), onError: notifyError }),
  );
  const allowed = endpoint.can.update;
  const control = (
    <Switch
      checked={set.isPending ? (set.variables?.enabled ?? endpoint.enabled) : endpoint.enabled}
      disabled={!allowed || set.isPending}
      onChange={(e) => set.mutate({ name: endpoint.name, enabled: e.currentTarget.checked })}
      label={withLabel ? (endpoint.enabled ? "Enabled" : "Disabled") : undefined}
      aria-label={`${endpoint.enabled ? "Disable" : "Enable"} endpoint ${endpoint.name}`}
      data-testid={`endpoint-enabled-${endpoint.name}`}
    />
  );
  return allowed ? control : <Tooltip label="Needs EDIT on the model"><span>{control}</span></Tooltip>;
}
