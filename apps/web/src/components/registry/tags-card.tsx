"use client";
import { ActionIcon, Button, Card, Group, Table, Text, TextInput } from "@mantine/core";
import { IconTrash } from "@tabler/icons-react";
import type { RegistryTagView } from "@modelgate/core";
import { formOf, type FormSubmit } from "@/lib/format";

/** Tags of a model or version; add and remove when allowed (the caller runs the mutations). */
export function TagsCard({ tags, canEdit, pending, error, onSet, onDelete }: {
  tags: RegistryTagView[] | undefined;
  canEdit: boolean;
  pending: boolean;
  error: string | undefined;
  onSet: (key: string, value: string, done: () => void) => void;
  onDelete: (key: string) => void;
}) {
  function onSubmit(e: FormSubmit) {
    e.preventDefault();
    const form = formOf(e);
    const data = new FormData(form);
    onSet(String(data.get("key") ?? "").trim(), String(data.get("value") ?? ""), () => form.reset());
  }
  const list = tags ?? [];
  return (
    <Card withBorder data-testid="tags">
      <Text fw={600} mb="xs">Tags</Text>
      {list.length === 0 ? (
        <Text size="sm" c="dimmed">No tags.</Text>
      ) : (
        <Table verticalSpacing={4} fz="sm" aria-label="Tags">
          <Table.Tbody>
            {list.map((t) => (
              <Table.Tr key={t.key} data-testid={`tag-row-${t.key}`}>
                <Table.Td fw={500} w="35%" style={{ wordBreak: "break-word" }}>{t.key}</Table.Td>
                <Table.Td style={{ wordBreak: "break-word" }}>{t.value}</Table.Td>
                {canEdit && (
                  <Table.Td w={40}>
                    <ActionIcon variant="subtle" color="red" aria-label={`Remove tag ${t.key}`} onClick={() => onDelete(t.key)}>
                      <IconTrash size={14} />
                    </ActionIcon>
                  </Table.Td>
                )}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {canEdit && (
        <Group component="form" onSubmit={onSubmit} align="flex-start" mt="sm" gap="xs" aria-label="Add tag">
          <TextInput name="key" placeholder="Key" aria-label="Tag key" required size="xs" w={160} error={error} />
          <TextInput name="value" placeholder="Value" aria-label="Tag value" size="xs" style={{ flex: 1 }} />
          <Button type="submit" size="xs" loading={pending} data-testid="add-tag">Add</Button>
        </Group>
      )}
    </Card>
  );
}
