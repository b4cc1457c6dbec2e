"use client";
import { ActionIcon, Button, Card, Group, Modal, Stack, Text, Textarea, Tooltip, Typography } from "@mantine/core";
import { IconPencil } from "@tabler/icons-react";
import { useState } from "react";
import ReactMarkdown from "react-markdown";
import remarkGfm from "remark-gfm";
import { formOf, type FormSubmit } from "@/lib/format";

/** Markdown as GitHub renders it; raw HTML is shown as text, never rendered. */
export function Markdown({ text }: { text: string }) {
  return (
    <Typography>
      <ReactMarkdown remarkPlugins={[remarkGfm]} skipHtml>{text}</ReactMarkdown>
    </Typography>
  );
}

/** A description card with an Edit button for those allowed; the caller runs the mutation. */
export function DescriptionCard({ description, canEdit, pending, error, onSave }: {
  description: string;
  canEdit: boolean;
  pending: boolean;
  error: string | undefined;
  onSave: (description: string, done: () => void) => void;
}) {
  const [editing, setEditing] = useState(false);
  function onSubmit(e: FormSubmit) {
    e.preventDefault();
    onSave(String(new FormData(formOf(e)).get("description") ?? ""), () => setEditing(false));
  }
  return (
    <Card withBorder data-testid="description">
      <Group justify="space-between" mb={4}>
        <Text fw={600}>Description</Text>
        {canEdit && (
          <Tooltip label="Edit description">
            <ActionIcon variant="subtle" aria-label="Edit description" onClick={() => setEditing(true)} data-testid="edit-description">
              <IconPencil size={16} />
            </ActionIcon>
          </Tooltip>
        )}
      </Group>
      {description.trim() ? <Markdown text={description} /> : <Text size="sm" c="dimmed">No description.</Text>}
      <Modal opened={editing} onClose={() => setEditing(false)} title="Edit description" size="lg">
        <Stack component="form" onSubmit={onSubmit} aria-label="Edit description">
          <Textarea name="description" label="Description (Markdown)" defaultValue={description} autosize minRows={8} maxRows={24} data-autofocus error={error} />
          <Button type="submit" loading={pending} style={{ alignSelf: "flex-end" }}>Save</Button>
        </Stack>
      </Modal>
    </Card>
  );
}
