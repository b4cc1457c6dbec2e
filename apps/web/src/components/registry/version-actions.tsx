"use client";
import { Button, Group, Menu, Modal, Stack, Text } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { IconArrowRight, IconChevronDown, IconGitPullRequest, IconTag, IconTrash } from "@tabler/icons-react";
import type { ModelAccessView, ModelVersionView, Stage } from "@modelgate/core";
import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { isProtectedError, RequestModal, type RequestDraft } from "@/components/approvals/request-modal";
import { ArchiveExistingCheckbox } from "@/components/shared/archive-checkbox";
import { notifyAndRefresh } from "@/components/shared/notify";
import { useTRPC } from "@/lib/trpc";
import { SetAliasModal } from "./alias-modal";
import { StageBadge } from "./badges";
import { ConfirmDeleteModal } from "./confirm-modal";
import { ARCHIVING_STAGES, modelHref, STAGE_ORDER } from "./format";
import { useRegistryRefresh } from "./use-registry";

/**
 * Transition, alias and delete actions on a version: each shown only to those allowed. Anyone who
 * can read the model may request a transition or an alias move instead; approvers then decide.
 */
export function VersionActions({ version, access }: { version: ModelVersionView; access: ModelAccessView | undefined }) {
  const [target, setTarget] = useState<Stage | null>(null);
  const [aliasing, setAliasing] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [request, setRequest] = useState<RequestDraft | null>(null);
  const targets = access?.transitions[version.current_stage] ?? [];
  const canRequest = Boolean(access?.level);
  const requestInstead = (draft: RequestDraft) => {
    setTarget(null);
    setAliasing(false);
    setRequest(draft);
  };
  return (
    <Group gap="xs">
      {canRequest && (
        <Menu position="bottom-end">
          <Menu.Target>
            <Button variant="light" leftSection={<IconGitPullRequest size={14} />} rightSection={<IconChevronDown size={14} />} data-testid="request-transition-button">
              Request transition
            </Button>
          </Menu.Target>
          <Menu.Dropdown>
            <Menu.Label>Request a move to</Menu.Label>
            {STAGE_ORDER.filter((s) => s !== version.current_stage).map((s) => (
              <Menu.Item key={s} leftSection={<IconArrowRight size={14} />} onClick={() => setRequest({ kind: "stage", stage: s })} data-testid={`request-stage-${s}`}>{s}</Menu.Item>
            ))}
          </Menu.Dropdown>
        </Menu>
      )}
      {canRequest && (
        <Button variant="default" leftSection={<IconGitPullRequest size={14} />} onClick={() => setRequest({ kind: "alias" })} data-testid="request-alias-button">Request alias move</Button>
      )}
      {targets.length > 0 && (
        <Menu position="bottom-end">
          <Menu.Target>
            <Button variant="light" rightSection={<IconChevronDown size={14} />} data-testid="transition-button">Change stage</Button>
          </Menu.Target>
          <Menu.Dropdown>
            <Menu.Label>Move to stage</Menu.Label>
            {targets.map((s) => (
              <Menu.Item key={s} leftSection={<IconArrowRight size={14} />} onClick={() => setTarget(s)} data-testid={`transition-to-${s}`}>{s}</Menu.Item>
            ))}
          </Menu.Dropdown>
        </Menu>
      )}
      {access?.can.setAlias && (
        <Button variant="default" leftSection={<IconTag size={14} />} onClick={() => setAliasing(true)} data-testid="set-alias-button">Add alias</Button>
      )}
      {access?.can.deleteVersion && (
        <Button variant="light" color="red" leftSection={<IconTrash size={14} />} onClick={() => setDeleting(true)} data-testid="delete-version-button">Delete</Button>
      )}
      {target && <TransitionModal version={version} target={target} onClose={() => setTarget(null)} onRequestInstead={requestInstead} />}
      <SetAliasModal name={version.name} opened={aliasing} onClose={() => setAliasing(false)} fixedVersion={version.version} onRequestInstead={(alias) => requestInstead({ kind: "alias", alias })} />
      {request && <RequestModal name={version.name} version={version.version} currentStage={version.current_stage} draft={request} onClose={() => setRequest(null)} />}
      {deleting && <DeleteVersionModal version={version} onClose={() => setDeleting(false)} />}
    </Group>
  );
}

function TransitionModal({ version, target, onClose, onRequestInstead }: { version: ModelVersionView; target: Stage; onClose: () => void; onRequestInstead: (draft: RequestDraft) => void }) {
  const trpc = useTRPC();
  const refresh = useRegistryRefresh();
  const [archive, setArchive] = useState(false);
  const transition = useMutation(
    trpc.registry.versions.transition.mutationOptions({ onSuccess: notifyAndRefresh((r) => `Version ${r.version} is now in ${r.current_stage}`, refresh) }),
  );
  const canArchive = ARCHIVING_STAGES.includes(target);
  const onConfirm = () =>
    transition.mutate({ name: version.name, version: version.version, stage: target, archive_existing_versions: canArchive && archive }, { onSuccess: onClose });
  return (
    <Modal opened onClose={onClose} title={`Move version ${version.version} to ${target}`}>
      <Stack>
        <Group gap="xs">
          <StageBadge stage={version.current_stage} />
          <IconArrowRight size={14} />
          <StageBadge stage={target} />
        </Group>
        {canArchive && (
          <ArchiveExistingCheckbox stage={target} checked={archive} onChange={setArchive} testId="archive-existing-checkbox" />
        )}
        {transition.error && <Text c="red" size="sm" data-testid="transition-error">{transition.error.message}</Text>}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>Cancel</Button>
          {isProtectedError(transition.error?.message) && (
            <Button variant="light" onClick={() => onRequestInstead({ kind: "stage", stage: target, archive: canArchive && archive })} data-testid="request-instead">Request it instead</Button>
          )}
          <Button loading={transition.isPending} onClick={onConfirm} data-testid="transition-confirm">Transition to {target}</Button>
        </Group>
      </Stack>
    </Modal>
  );
}

function DeleteVersionModal({ version, onClose }: { version: ModelVersionView; onClose: () => void }) {
  const trpc = useTRPC();
  const router = useRouter();
  const refresh = useRegistryRefresh();
  const remove = useMutation(trpc.registry.versions.delete.mutationOptions());
  const onConfirm = () =>
    remove.mutate(
      { name: version.name, version: version.version },
      {
        onSuccess: () => {
          notifications.show({ message: `Version ${version.version} deleted` });
          void refresh();
          router.push(modelHref(version.name));
        },
      },
    );
  return (
    <ConfirmDeleteModal opened onClose={onClose} title={`Delete version ${version.version}`} confirmText={version.version} pending={remove.isPending} error={remove.error?.message} onConfirm={onConfirm}>
      This deletes version {version.version} of {version.name}{version.aliases?.length ? ` and its aliases (${version.aliases.map((a) => `@${a}`).join(", ")})` : ""}. Clients loading it will fail.
    </ConfirmDeleteModal>
  );
}
