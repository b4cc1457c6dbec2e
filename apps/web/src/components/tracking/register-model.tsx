"use client";
import { Autocomplete, Button, Modal, Stack, Text, Textarea } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { IconPackageExport } from "@tabler/icons-react";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { useTRPC } from "@/lib/trpc";
import { errorMessage, formOf, type FormSubmit } from "@/lib/format";

/**
 * "Register model" on an artifact folder holding an MLmodel: into an existing model (picked from
 * the caller's readable models) or a new one, as `mlflow.register_model("runs:/<run>/<path>")`
 * does. Opens the new version's page when done.
 */
export function RegisterModelButton({ runId, path }: { runId: string; path: string }) {
  const [opened, setOpened] = useState(false);
  return (
    <>
      <Button size="compact-xs" variant="light" leftSection={<IconPackageExport size={14} />} onClick={() => setOpened(true)} data-testid={`register-model-${path || "root"}`} m={4}>
        Register model
      </Button>
      <RegisterModelModal opened={opened} onClose={() => setOpened(false)} runId={runId} path={path} />
    </>
  );
}

function RegisterModelModal({ opened, onClose, runId, path }: { opened: boolean; onClose: () => void; runId: string; path: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const [name, setName] = useState("");
  const [debounced] = useDebouncedValue(name, 200);
  const suggestions = useQuery({ ...trpc.registry.models.suggest.queryOptions({ prefix: debounced }), enabled: opened });
  const [error, setError] = useState<string | null>(null);
  const createModel = useMutation(trpc.registry.models.create.mutationOptions());
  const createVersion = useMutation(trpc.registry.versions.create.mutationOptions());
  const pending = createModel.isPending || createVersion.isPending;
  const exists = suggestions.data?.includes(name.trim()) ?? false;

  async function onSubmit(e: FormSubmit) {
    e.preventDefault();
    setError(null);
    const model = name.trim();
    const description = String(new FormData(formOf(e)).get("description") ?? "").trim();
    try {
      if (!exists) {
        // like the mlflow client: create the model, and carry on if someone just did
        await createModel.mutateAsync({ name: model }).catch((err: unknown) => {
          if (!/already exists/i.test(errorMessage(err))) throw err;
        });
      }
      const source = path ? `runs:/${runId}/${path}` : `runs:/${runId}`;
      const v = await createVersion.mutateAsync({ name: model, source, run_id: runId, ...(description ? { description } : {}) });
      onClose();
      router.push(`/models/${encodeURIComponent(v.name)}/versions/${v.version}`);
    } catch (err) {
      setError(errorMessage(err));
    }
  }

  return (
    <Modal opened={opened} onClose={onClose} title="Register model">
      <Stack component="form" onSubmit={(e) => void onSubmit(e)} aria-label="Register model">
        <Text size="sm" c="dimmed">
          Source: <code>{path ? `runs:/${runId}/${path}` : `runs:/${runId}`}</code>
        </Text>
        <Autocomplete
          label="Model"
          description={name.trim() && !exists ? "A new registered model will be created" : "Pick an existing model or type a new name"}
          data={suggestions.data ?? []}
          value={name}
          onChange={setName}
          required
          data-autofocus
          error={error ?? undefined}
          data-testid="register-model-name"
        />
        <Textarea name="description" label="Version description" autosize minRows={2} />
        <Button type="submit" loading={pending} disabled={!name.trim()} style={{ alignSelf: "flex-end" }}>
          Register
        </Button>
      </Stack>
    </Modal>
  );
}
