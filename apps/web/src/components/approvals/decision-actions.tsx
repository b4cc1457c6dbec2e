"use client";
import { Button, Group, Modal, Stack, Text, Textarea } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { IconCheck, IconX } from "@tabler/icons-react";
import type { RequestView } from "@modelgate/core";
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { ArchiveExistingCheckbox } from "@/components/shared/archive-checkbox";
import { useTRPC } from "@/lib/trpc";
import { useApprovalsRefresh } from "./comments-thread";
import { archivesExisting } from "./format";

type Action = "approve" | "reject" | "cancel";

const LABEL: Record<Action, string> = { approve: "Approve", reject: "Reject", cancel: "Cancel request" };
const COLOR: Record<Action, string> = { approve: "green", reject: "red", cancel: "gray" };

/** Approve / Reject / Cancel, each shown only when the request's available_actions allow it. */
export function DecisionActions({ request }: { request: RequestView }) {
  const [action, setAction] = useState<Action | null>(null);
  const can = (a: RequestView["available_actions"][number]) => request.available_actions.includes(a);
  return (
    <Stack gap={6} align="flex-end">
      <Group gap="xs">
        {can("APPROVE_TRANSITION_REQUEST") && (
          <Button color="green" leftSection={<IconCheck size={16} />} onClick={() => setAction("approve")} data-testid="approve-button">Approve</Button>
        )}
        {can("REJECT_TRANSITION_REQUEST") && (
          <Button color="red" variant="light" leftSection={<IconX size={16} />} onClick={() => setAction("reject")} data-testid="reject-button">Reject</Button>
        )}
        {can("CANCEL_TRANSITION_REQUEST") && (
          <Button variant="default" onClick={() => setAction("cancel")} data-testid="cancel-button">Cancel request</Button>
        )}
      </Group>
      {request.status === "OPEN" && !can("APPROVE_TRANSITION_REQUEST") && request.approve_blocked_reason && (
        <Text size="sm" c="dimmed" maw={420} ta="right" data-testid="approve-blocked-reason">{request.approve_blocked_reason}</Text>
      )}
      {action && <DecisionModal request={request} action={action} onClose={() => setAction(null)} />}
    </Stack>
  );
}

function DecisionModal({ request, action, onClose }: { request: RequestView; action: Action; onClose: () => void }) {
  const trpc = useTRPC();
  const refresh = useApprovalsRefresh();
  const [comment, setComment] = useState("");
  const [archive, setArchive] = useState(request.archive_existing_versions);
  const options = {
    onSuccess: (r: { applied: boolean; request: RequestView }) => {
      notifications.show({
        message:
          action === "cancel" ? `Request #${request.id} cancelled`
          : action === "reject" ? `Request #${request.id} rejected`
          : r.applied ? `Approved: version ${request.version} is now ${request.target_kind === "STAGE" ? `in ${request.target}` : request.target}`
          : `Approved (${r.request.approvals}/${r.request.required_approvals})`,
      });
      onClose();
      return refresh();
    },
  };
  const approve = useMutation(trpc.approvals.requests.approve.mutationOptions(options));
  const reject = useMutation(trpc.approvals.requests.reject.mutationOptions(options));
  const cancel = useMutation(trpc.approvals.requests.cancel.mutationOptions(options));
  const m = action === "approve" ? approve : action === "reject" ? reject : cancel;
  const showArchive = action === "approve" && request.target_kind === "STAGE" && archivesExisting(request.to_stage);
  const onConfirm = () => {
    const input = { id: request.id, ...(comment.trim() ? { comment } : {}) };
    if (action === "approve") approve.mutate({ ...input, ...(showArchive ? { archive_existing_versions: archive } : {}) });
    else if (action === "reject") reject.mutate(input);
    else cancel.mutate(input);
  };
  return (
    <Modal opened onClose={onClose} title={`${LABEL[action]}: ${request.model_name} v${request.version} → ${request.target}`}>
      <Stack>
        <Textarea label="Comment" placeholder="Optional" autosize minRows={3} value={comment} onChange={(e) => setComment(e.currentTarget.value)} data-autofocus data-testid="decision-comment" />
        {showArchive && (
          <ArchiveExistingCheckbox stage={request.target} checked={archive} onChange={setArchive} testId="approve-archive-checkbox" />
        )}
        {m.error && <Text c="red" size="sm" data-testid="decision-error">{m.error.message}</Text>}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>Back</Button>
          <Button color={COLOR[action]} loading={m.isPending} onClick={onConfirm} data-testid={`${action}-confirm`}>{LABEL[action]}</Button>
        </Group>
      </Stack>
    </Modal>
  );
}
