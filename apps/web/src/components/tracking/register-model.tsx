"use client";
import { Autocomplete, Button, Modal, Stack, Text, Textarea } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { IconPackageExport } from "@tabler/icons-react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { useTRPC } from "@/lib/trpc";
import { errorMessage, formOf, type FormSubmit } from "@/lib/format";

/** What a registration is made from: a run's model folder (`runs:/<run>/<path>`) or a logged model (`models:/<model_id>`). */
export interface RegisterSource {
  source: string;
  /** The run, when the source is one of its folders. */
  runId?: string | undefined;
}

/** A run's artifact folder as a registration source, as `mlflow.register_model("runs:/<run>/<path>")` names it. */
export const runFolderSource = (runId: string, path: string): RegisterSource => ({ source: path ? `runs:/${runId}/${path}` : `runs:/${runId}`, runId });

/** A logged model as a registration source (MLflow 3's `mlflow.register_model("models:/<model_id>")`). */
export const loggedModelSource = (modelId: string): RegisterSource => ({ source: `models:/${modelId}` });

/**
 * "Register model": into an existing model (picked from the caller's readable models) or a new
 * one, from a run's folder holding an MLmodel or from a logged model. Opens the new version's page
 * when done. `compact` is the small button of the artifacts tree.
 */
export function RegisterModelButton({ from, testId, compact = false }: { from: RegisterSource; testId: string; compact?: boolean }) {
  const [opened, setOpened] = useState(false);
  return (
    <>
      <Button
        size={compact ? "compact-xs" : "sm"}
        variant={compact ? "light" : "filled"}
        leftSection={<IconPackageExport size={compact ? 14 : 16} />}
        onClick={() => setOpened(true)}
        data-testid={testId}
        m={compact ? 4 : undefined}
      >
        Register model
      </Button>
      <RegisterModelModal opened={opened} onClose={() => setOpened(false)} from={from} />
    </>
  );
}

function RegisterModelModal({ opened, onClose, from }: { opened: boolean; onClose: () => void; from: RegisterSource }) {
  const trpc = useTRPC();
  const router = useRouter();
  const [name, setName] = useState("");
  const [debounced] = useDebouncedValue(name, 200);
  const suggestions = useQuery({ ...trpc.registry.models.suggest.queryOptions({ prefix: debounced }), enabled: opened });
  const [error, setError] = useState<string | null>(null);
  const createModel = useMutation(trpc.registry.models.create.mutationOptions());
  const queryClient = useQueryClient();
  // the new version shows in the registry's lists and in the logged model's registrations
  const createVersion = useMutation(
    trpc.registry.versions.create.mutationOptions({
      onSuccess: () => Promise.all([queryClient.invalidateQueries({ queryKey: trpc.registry.pathKey() }), queryClient.invalidateQueries({ queryKey: trpc.loggedModels.pathKey() })]),
    }),
  );
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
      const v = await createVersion.mutateAsync({ name: model, source: from.source, ...(from.runId ? { run_id: from.runId } : {}), ...(description ? { description } : {}) });
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
          Source: <code data-testid="register-model-source">{from.source}</code>
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
