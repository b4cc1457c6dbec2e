"use client";
import { Button, Card, Group, Loader, Paper, Stack, Text, Textarea } from "@mantine/core";
import type { CommentView } from "@modelgate/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { formatEpoch } from "@/components/tracking/format";
import { useTRPC } from "@/lib/trpc";

/** Invalidates every approvals query (requests, comments, activity, counts). */
export function useApprovalsRefresh() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return () => Promise.all([queryClient.invalidateQueries({ queryKey: trpc.approvals.pathKey() }), queryClient.invalidateQueries({ queryKey: trpc.registry.pathKey() })]);
}

/** A version's comments: anyone who can read may comment; authors edit and delete their own. */
export function CommentsThread({ name, version }: { name: string; version: string }) {
  const trpc = useTRPC();
  const refresh = useApprovalsRefresh();
  const comments = useQuery(trpc.approvals.comments.list.queryOptions({ name, version }));
  const [text, setText] = useState("");
  const create = useMutation(trpc.approvals.comments.create.mutationOptions({ onSuccess: () => { setText(""); return refresh(); } }));
  return (
    <Card withBorder data-testid="comments-thread">
      <Text fw={600} mb="sm">Comments on version {version}</Text>
      <Stack gap="xs">
        {comments.error && <Text c="red" size="sm">{comments.error.message}</Text>}
        {comments.isPending && <Loader size="sm" />}
        {comments.data?.length === 0 && <Text size="sm" c="dimmed">No comments yet.</Text>}
        {comments.data?.map((c) => <CommentItem key={c.id} c={c} />)}
        <Textarea
          placeholder="Add a comment"
          autosize
          minRows={2}
          value={text}
          onChange={(e) => setText(e.currentTarget.value)}
          error={create.error?.message}
          data-testid="comment-input"
        />
        <Button size="xs" style={{ alignSelf: "flex-end" }} disabled={!text.trim()} loading={create.isPending} onClick={() => create.mutate({ name, version, comment: text })} data-testid="comment-submit">
          Comment
        </Button>
      </Stack>
    </Card>
  );
}

function CommentItem({ c }: { c: CommentView }) {
  const trpc = useTRPC();
  const refresh = useApprovalsRefresh();
  const [editing, setEditing] = useState<string | null>(null);
  const update = useMutation(trpc.approvals.comments.update.mutationOptions({ onSuccess: () => { setEditing(null); return refresh(); } }));
  const remove = useMutation(trpc.approvals.comments.delete.mutationOptions({ onSuccess: refresh }));
  return (
    <Paper withBorder p="xs" data-testid={`comment-${c.id}`}>
      <Group justify="space-between" gap="xs">
        <Text size="xs" c="dimmed">
          <b>{c.user_id}</b> · {formatEpoch(c.creation_timestamp)}{c.last_updated_timestamp !== c.creation_timestamp ? " (edited)" : ""}
        </Text>
        {editing === null && (
          <Group gap={4}>
            {c.available_actions.includes("EDIT_COMMENT") && <Button size="compact-xs" variant="subtle" onClick={() => setEditing(c.comment)} data-testid={`comment-edit-${c.id}`}>Edit</Button>}
            {c.available_actions.includes("DELETE_COMMENT") && (
              <Button size="compact-xs" variant="subtle" color="red" loading={remove.isPending} onClick={() => remove.mutate({ id: c.id })} data-testid={`comment-delete-${c.id}`}>Delete</Button>
            )}
          </Group>
        )}
      </Group>
      {editing === null ? (
        <Text size="sm" style={{ whiteSpace: "pre-wrap", wordBreak: "break-word" }}>{c.comment}</Text>
      ) : (
        <Stack gap={4} mt={4}>
          <Textarea autosize minRows={2} value={editing} onChange={(e) => setEditing(e.currentTarget.value)} error={update.error?.message} aria-label="Edit comment" />
          <Group gap="xs" justify="flex-end">
            <Button size="compact-xs" variant="default" onClick={() => setEditing(null)}>Cancel</Button>
            <Button size="compact-xs" disabled={!editing.trim()} loading={update.isPending} onClick={() => update.mutate({ id: c.id, comment: editing })}>Save</Button>
          </Group>
        </Stack>
      )}
      {remove.error && <Text c="red" size="xs">{remove.error.message}</Text>}
    </Paper>
  );
}
