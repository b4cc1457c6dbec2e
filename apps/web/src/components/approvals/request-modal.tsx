"use client";
import { Button, Checkbox, Group, Modal, Stack, Text, Textarea, TextInput } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { IconArrowRight } from "@tabler/icons-react";
import type { Stage } from "@modelgate/core";
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { StageBadge } from "@/components/registry/badges";
import { useTRPC } from "@/lib/trpc";
import { useApprovalsRefresh } from "./comments-thread";
import { archivesExisting } from "./format";

/** What a request asks for: a stage (with the archive flag) or an alias (its name, possibly still to type). */
export type RequestDraft = { kind: "stage"; stage: Stage; archive?: boolean } | { kind: "alias"; alias?: string };

/** Asks for a transition or an alias move of one version; the approvers then decide. */
export function RequestModal({ name, version, currentStage, draft, onClose }: { name: string; version: string; currentStage: Stage; draft: RequestDraft; onClose: () => void }) {
  const trpc = useTRPC();
  const refresh = useApprovalsRefresh();
  const [comment, setComment] = useState("");
  const [alias, setAlias] = useState(draft.kind === "alias" ? (draft.alias ?? "") : "");
  const [archive, setArchive] = useState(draft.kind === "stage" ? Boolean(draft.archive) : false);
  const create = useMutation(
    trpc.approvals.requests.create.mutationOptions({
      onSuccess: (r) => {
        notifications.show({ message: `Request #${r.id} created: version ${r.version} → ${r.target}` });
        onClose();
        return refresh();
      },
    }),
  );
  const canArchive = draft.kind === "stage" && archivesExisting(draft.stage);
  const onSubmit = () => {
    const base = { name, version, ...(comment.trim() ? { comment } : {}) };
    if (draft.kind === "stage") create.mutate({ ...base, stage: draft.stage, ...(canArchive ? { archive_existing_versions: archive } : {}) });
    else create.mutate({ ...base, alias: alias.trim() });
  };
  const title = draft.kind === "stage" ? `Request moving version ${version} to ${draft.stage}` : `Request an alias for version ${version}`;
  return (
    <Modal opened onClose={onClose} title={title}>
      <Stack>
        {draft.kind === "stage" ? (
          <Group gap="xs">
            <StageBadge stage={currentStage} />
            <IconArrowRight size={14} />
            <StageBadge stage={draft.stage} />
          </Group>
        ) : (
          <TextInput label="Alias" placeholder="champion" required value={alias} onChange={(e) => setAlias(e.currentTarget.value)} data-autofocus data-testid="request-alias-input" />
        )}
        <Textarea label="Comment" description="Why this version? Approvers see it on the request." autosize minRows={3} value={comment} onChange={(e) => setComment(e.currentTarget.value)} data-testid="request-comment" />
        {canArchive && draft.kind === "stage" && (
          <Checkbox label={`When approved, archive the versions in ${draft.stage}`} checked={archive} onChange={(e) => setArchive(e.currentTarget.checked)} data-testid="request-archive-checkbox" />
        )}
        {create.error && <Text c="red" size="sm" data-testid="request-error">{create.error.message}</Text>}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>Cancel</Button>
          <Button loading={create.isPending} disabled={draft.kind === "alias" && !alias.trim()} onClick={onSubmit} data-testid="request-submit">Request</Button>
        </Group>
      </Stack>
    </Modal>
  );
}

/** A direct move refused because the target is protected: the error says so. */
export const isProtectedError = (message: string | undefined) => Boolean(message?.includes("is protected by"));
