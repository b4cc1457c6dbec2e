"use client";
import { Alert, Autocomplete, Button, Group, Modal, Stack, TextInput } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { errorMessage, type FormSubmit } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";
import { endpointHref, targetInput, type TargetValue } from "./format";
import { TargetFields } from "./target-fields";
import { useModelTargets, useServingRefresh } from "./use-serving";

const DEFAULT_TARGET: TargetValue = { kind: "alias", value: "champion" };

/**
 * "Create endpoint": a name bound to a model and a target. Core refuses what cannot be served
 * (no onnx flavor, nothing behind the alias yet…); its message shows in the form. Opens the new
 * endpoint's page when done.
 */
export function CreateEndpointModal({ opened, onClose, model: initialModel = "", target: initialTarget = DEFAULT_TARGET }: { opened: boolean; onClose: () => void; model?: string; target?: TargetValue }) {
  const trpc = useTRPC();
  const router = useRouter();
  const refresh = useServingRefresh();
  const [name, setName] = useState("");
  const [model, setModel] = useState(initialModel);
  const [target, setTarget] = useState<TargetValue>(initialTarget);
  const [debounced] = useDebouncedValue(model.trim(), 200);
  const suggestions = useQuery({ ...trpc.registry.models.suggest.queryOptions({ prefix: debounced }), enabled: opened });
  const known = suggestions.data?.includes(debounced) ?? false;
  const { aliases, versions } = useModelTargets(debounced, opened && known);
  const create = useMutation(trpc.serving.create.mutationOptions());
  const [error, setError] = useState<string | null>(null);

  function onSubmit(e: FormSubmit) {
    e.preventDefault();
    setError(null);
    create.mutate(
      { name: name.trim(), model_name: model.trim(), ...targetInput(target) },
      {
        onSuccess: async (endpoint) => {
          await refresh();
          onClose();
          router.push(endpointHref(endpoint.name));
        },
        onError: (err) => setError(errorMessage(err)),
      },
    );
  }

  return (
    <Modal opened={opened} onClose={onClose} title="Create serving endpoint" size="lg">
      <Stack component="form" onSubmit={onSubmit} aria-label="Create serving endpoint">
        <TextInput
          label="Endpoint name"
          description="Scored at /serving-endpoints/<name>/invocations: letters, digits, '-' or '_'"
          placeholder="fraud-scoring"
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
          required
          data-autofocus
          data-testid="endpoint-name-input"
        />
        <Autocomplete
          label="Registered model"
          placeholder="Start typing a model name"
          data={suggestions.data ?? []}
          value={model}
          onChange={setModel}
          required
          data-testid="endpoint-model-input"
        />
        <TargetFields value={target} onChange={setTarget} aliases={aliases} versions={versions} />
        {error && (
          <Alert color="red" title="The endpoint was not created" data-testid="create-endpoint-error" style={{ whiteSpace: "pre-wrap" }}>
            {error}
          </Alert>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>Cancel</Button>
          <Button type="submit" loading={create.isPending} disabled={!name.trim() || !model.trim() || !target.value.trim()} data-testid="create-endpoint-submit">
            Create endpoint
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
