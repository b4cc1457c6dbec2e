"use client";
import { ActionIcon, Anchor, Button, Card, Group, Table, Text, Tooltip } from "@mantine/core";
import { IconArrowsExchange, IconPlus, IconTrash } from "@tabler/icons-react";
import { useMutation } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { notifyAndRefresh, notifyError } from "@/components/shared/notify";
import { useTRPC } from "@/lib/trpc";
import { SetAliasModal } from "./alias-modal";
import { AliasBadge } from "./badges";
import { versionHref } from "./format";
import { useRegistryRefresh } from "./use-registry";

/** A model's aliases: where each points; set, move and delete when allowed. */
export function AliasesCard({
  name,
  aliases,
  versions,
  canSet,
  prompt = false,
}: {
  name: string;
  aliases: { alias: string; version: string }[];
  versions: string[];
  canSet: boolean;
  /** A prompt is loaded as prompts:/name@alias (mlflow.genai.load_prompt). */
  prompt?: boolean;
}) {
  const trpc = useTRPC();
  const refresh = useRegistryRefresh();
  const [setting, setSetting] = useState(false);
  const [moving, setMoving] = useState<string | null>(null);
  const remove = useMutation(
    trpc.registry.models.deleteAlias.mutationOptions({ onSuccess: notifyAndRefresh((_r, v) => `Alias @${v.alias} deleted`, refresh), onError: notifyError }),
  );
  return (
    <Card withBorder data-testid="aliases">
      <Group justify="space-between" mb="xs">
        <Text fw={600}>Aliases</Text>
        {canSet && (
          <Button size="xs" variant="light" leftSection={<IconPlus size={14} />} onClick={() => setSetting(true)} data-testid="set-alias-button">
            Add alias
          </Button>
        )}
      </Group>
      {aliases.length === 0 ? (
        <Text size="sm" c="dimmed">
          {prompt
            ? `No aliases. An alias such as @production names a version for loading: prompts:/${name}@production.`
            : `No aliases. An alias such as @champion names a version for loading: models:/${name}@champion.`}
        </Text>
      ) : (
        <Table verticalSpacing={4} fz="sm">
          <Table.Tbody>
            {aliases.map((a) => (
              <Table.Tr key={a.alias} data-testid={`alias-row-${a.alias}`}>
                <Table.Td><AliasBadge alias={a.alias} version={a.version} /></Table.Td>
                <Table.Td>
                  <Anchor component={Link} href={versionHref(name, a.version)} size="sm">Open v{a.version}</Anchor>
                </Table.Td>
                {canSet && (
                  <Table.Td ta="right" w={80}>
                    <Group gap={4} justify="flex-end" wrap="nowrap">
                      <Tooltip label="Move to another version">
                        <ActionIcon variant="subtle" aria-label={`Move @${a.alias}`} onClick={() => setMoving(a.alias)} data-testid={`move-alias-${a.alias}`}>
                          <IconArrowsExchange size={14} />
                        </ActionIcon>
                      </Tooltip>
                      <Tooltip label="Delete alias">
                        <ActionIcon variant="subtle" color="red" aria-label={`Delete @${a.alias}`} loading={remove.isPending && remove.variables.alias === a.alias} onClick={() => remove.mutate({ name, alias: a.alias })} data-testid={`delete-alias-${a.alias}`}>
                          <IconTrash size={14} />
                        </ActionIcon>
                      </Tooltip>
                    </Group>
                  </Table.Td>
                )}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <SetAliasModal name={name} opened={setting} onClose={() => setSetting(false)} versions={versions} />
      {moving && <SetAliasModal name={name} opened onClose={() => setMoving(null)} versions={versions} alias={moving} />}
    </Card>
  );
}
