"use client";
import { Alert, Autocomplete, Button, Group, Modal, SegmentedControl, Select, SimpleGrid, Stack, Text, TextInput } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { errorMessage, type FormSubmit } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";
import { useModelTargets } from "./use-serving";

type InputKind = "artifact" | "upload";
type Format = "auto" | "csv" | "jsonl";

/**
 * "New batch job": score a CSV or JSON-lines artifact with one version of a model; predictions
 * land as predictions.csv in a new run of the chosen experiment.
 */
export function NewBatchJobModal({ onClose, onCreated }: { onClose: () => void; onCreated: (id: string) => void }) {
  const trpc = useTRPC();
  const [model, setModel] = useState("");
  const [version, setVersion] = useState<string | null>(null);
  const [inputKind, setInputKind] = useState<InputKind>("artifact");
  const [runId, setRunId] = useState("");
  const [path, setPath] = useState("");
  const [uploadPath, setUploadPath] = useState("");
  const [format, setFormat] = useState<Format>("auto");
  const [experiment, setExperiment] = useState<string | null>(null);
  const [runName, setRunName] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [debounced] = useDebouncedValue(model.trim(), 200);
  const suggestions = useQuery(trpc.registry.models.suggest.queryOptions({ prefix: debounced }));
  const known = suggestions.data?.includes(debounced) ?? false;
  const { versions } = useModelTargets(debounced, known);
  const experiments = useQuery(trpc.tracking.experiments.search.queryOptions({ max_results: 500 }));
  const create = useMutation(trpc.batch.create.mutationOptions());

  const input = inputKind === "artifact" ? { run_id: runId.trim(), path: path.trim() } : { upload_path: uploadPath.trim() };
  const ready = model.trim() && version && experiment && (inputKind === "artifact" ? runId.trim() && path.trim() : uploadPath.trim());

  function onSubmit(e: FormSubmit) {
    e.preventDefault();
    if (!ready) return;
    setError(null);
    create.mutate(
      { model_name: model.trim(), version: version!, input, experiment_id: experiment!, ...(format === "auto" ? {} : { format }), ...(runName.trim() ? { run_name: runName.trim() } : {}) },
      { onSuccess: (job) => onCreated(job.id), onError: (err) => setError(errorMessage(err)) },
    );
  }

  return (
    <Modal opened onClose={onClose} title="New batch scoring job" size="lg">
      <Stack component="form" onSubmit={onSubmit} aria-label="New batch scoring job" data-testid="new-batch-job-form">
        <SimpleGrid cols={2}>
          <Autocomplete label="Registered model" data={suggestions.data ?? []} value={model} onChange={(v) => { setModel(v); setVersion(null); }} required data-autofocus data-testid="batch-model-input" />
          <Select
            label="Version"
            data={versions}
            value={version}
            onChange={setVersion}
            searchable
            required
            placeholder={known ? "Pick a version" : "Pick a model first"}
            disabled={!known}
            data-testid="batch-version-input"
          />
        </SimpleGrid>
        <Stack gap={4}>
          <Text size="sm" fw={500}>Input</Text>
          <SegmentedControl
            value={inputKind}
            onChange={(v) => setInputKind(v as InputKind)}
            data={[
              { value: "artifact", label: "Run artifact" },
              { value: "upload", label: "Uploaded file" },
            ]}
            data-testid="batch-input-kind"
            style={{ alignSelf: "flex-start" }}
          />
          {inputKind === "artifact" ? (
            <SimpleGrid cols={2}>
              <TextInput aria-label="Run ID" placeholder="Run ID" value={runId} onChange={(e) => setRunId(e.currentTarget.value)} ff="monospace" data-testid="batch-input-run" />
              <TextInput aria-label="Artifact path" placeholder="data/input.csv" value={path} onChange={(e) => setPath(e.currentTarget.value)} data-testid="batch-input-path" />
            </SimpleGrid>
          ) : (
            <TextInput
              aria-label="Upload path"
              placeholder="<experiment>/<run>/artifacts/input.csv"
              description="A file uploaded through the artifact proxy (PUT /api/2.0/mlflow-artifacts/artifacts/<path>)"
              value={uploadPath}
              onChange={(e) => setUploadPath(e.currentTarget.value)}
              data-testid="batch-input-upload"
            />
          )}
        </Stack>
        <SimpleGrid cols={2}>
          <Select
            label="Format"
            data={[
              { value: "auto", label: "From the file name" },
              { value: "csv", label: "CSV" },
              { value: "jsonl", label: "JSON lines" },
            ]}
            value={format}
            onChange={(v) => setFormat((v as Format | null) ?? "auto")}
            allowDeselect={false}
            data-testid="batch-format-input"
          />
          <Select
            label="Output experiment"
            description="predictions.csv goes to a new run here"
            data={(experiments.data?.experiments ?? []).map((x) => ({ value: x.experiment_id, label: x.name }))}
            value={experiment}
            onChange={setExperiment}
            searchable
            required
            data-testid="batch-experiment-input"
          />
        </SimpleGrid>
        <TextInput label="Run name" placeholder="optional" value={runName} onChange={(e) => setRunName(e.currentTarget.value)} data-testid="batch-run-name-input" />
        {error && <Alert color="red" title="The job was not created" data-testid="new-batch-job-error" style={{ whiteSpace: "pre-wrap" }}>{error}</Alert>}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>Cancel</Button>
          <Button type="submit" loading={create.isPending} disabled={!ready} data-testid="new-batch-job-submit">Start scoring</Button>
        </Group>
      </Stack>
    </Modal>
  );
}
