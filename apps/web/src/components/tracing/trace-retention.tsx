"use client";
import { Button, Group, NumberInput, Popover, Stack, Text } from "@mantine/core";
import { IconClockHour4 } from "@tabler/icons-react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { notifyAndRefresh } from "@/components/shared/notify";
import { useTRPC } from "@/lib/trpc";

const MAX_DAYS = 3650;

/** How long the experiment keeps its traces: shown to readers, set by managers. */
export function TraceRetention({ experimentId, canManage }: { experimentId: string; canManage: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const retention = useQuery(trpc.tracing.getRetention.queryOptions({ experiment_id: experimentId }));
  const [opened, setOpened] = useState(false);
  const [days, setDays] = useState<number | string>("");
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.tracing.getRetention.queryKey({ experiment_id: experimentId }) });
  const save = useMutation(trpc.tracing.setRetention.mutationOptions({ onSuccess: notifyAndRefresh((_r, v) => (v.days === null ? "Traces are kept forever" : `Traces are kept ${v.days} days`), refresh) }));
  const current = retention.data?.days ?? null;
  const label = retention.isPending ? "…" : current === null ? "kept forever" : `${current} day${current === 1 ? "" : "s"}`;
  if (!canManage) {
    return <Text size="xs" c="dimmed" data-testid="trace-retention">Retention: {label}</Text>;
  }
  const valid = typeof days === "number" && Number.isInteger(days) && days >= 1 && days <= MAX_DAYS;
  const submit = (value: number | null) => save.mutate({ experiment_id: experimentId, days: value }, { onSuccess: () => setOpened(false) });
  return (
    <Popover opened={opened} onChange={setOpened} position="bottom-end" withArrow shadow="md" trapFocus>
      <Popover.Target>
        <Button variant="default" size="xs" leftSection={<IconClockHour4 size={14} />} onClick={() => { setDays(current ?? ""); setOpened((o) => !o); }} data-testid="trace-retention">
          Retention: {label}
        </Button>
      </Popover.Target>
      <Popover.Dropdown>
        <Stack gap="xs" w={260}>
          <Text size="sm">Traces older than this are deleted automatically.</Text>
          <NumberInput label="Keep traces for (days)" min={1} max={MAX_DAYS} allowDecimal={false} value={days} onChange={setDays} error={save.error?.message} data-testid="trace-retention-days" />
          <Group justify="space-between">
            <Button variant="subtle" size="xs" onClick={() => submit(null)} loading={save.isPending && save.variables?.days === null}>Keep forever</Button>
            <Button size="xs" disabled={!valid} onClick={() => valid && submit(days)} loading={save.isPending && save.variables?.days !== null}>Save</Button>
          </Group>
        </Stack>
      </Popover.Dropdown>
    </Popover>
  );
}
