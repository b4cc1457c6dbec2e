"use client";
import { Card, Group, Loader, SimpleGrid, Table, Text } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/lib/trpc";
import { LoggedModelLink } from "./logged-model-link";
import { MetricsByDataset } from "./metrics-by-dataset";

/**
 * For a version registered from a logged model (MLflow 3): the metrics (per dataset) and params the
 * model was logged with, so a reviewer sees the evidence beside the source run's. Nothing otherwise.
 */
export function LoggedModelEvidence({ name, version }: { name: string; version: string }) {
  const trpc = useTRPC();
  const detail = useQuery(trpc.registry.versions.get.queryOptions({ name, version }));
  const modelId = detail.data?.model_id;
  const model = useQuery({ ...trpc.loggedModels.get.queryOptions({ model_id: modelId ?? "" }), enabled: Boolean(modelId), retry: false });
  if (!modelId) return null;
  const params = model.data?.data.params ?? [];
  return (
    <Card withBorder data-testid="logged-model-evidence">
      <Group gap="xs" mb="sm">
        <Text fw={600}>Logged model</Text>
        <LoggedModelLink modelId={modelId} testId="evidence-logged-model-link" />
        <Text size="sm" c="dimmed">· what version {version} was logged with</Text>
      </Group>
      {model.error ? (
        <Text size="sm" c="dimmed">The logged model is not readable: {model.error.message}</Text>
      ) : !model.data ? (
        <Loader size="sm" />
      ) : (
        <SimpleGrid cols={{ base: 1, md: 2 }}>
          <div data-testid="evidence-metrics">
            <Text size="sm" fw={500} mb={4}>Metrics</Text>
            <MetricsByDataset metrics={model.data.data.metrics} compact />
          </div>
          <div data-testid="evidence-params">
            <Text size="sm" fw={500} mb={4}>Parameters ({params.length})</Text>
            {params.length === 0 ? (
              <Text size="sm" c="dimmed">None.</Text>
            ) : (
              <Table verticalSpacing={2} fz="sm" withTableBorder aria-label="Logged model parameters">
                <Table.Tbody>
                  {params.map((p) => (
                    <Table.Tr key={p.key}>
                      <Table.Td fw={500} w="50%" style={{ wordBreak: "break-word" }}>{p.key}</Table.Td>
                      <Table.Td style={{ wordBreak: "break-word" }}>{p.value}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            )}
          </div>
        </SimpleGrid>
      )}
    </Card>
  );
}
