import { Alert, Code, Stack, Text } from "@mantine/core";

/** What a section shows while its capability has not shipped: said plainly, nothing faked. */
export function NotAvailableYet({ what, origin }: { what: string; origin?: string }) {
  return (
    <Alert variant="light" color="gray" title={`${what} are not available in this version yet`}>
      <Stack gap="xs">
        <Text size="sm">
          The MLflow API answers every endpoint with <Code>ENDPOINT_NOT_FOUND</Code> until this capability ships. Your account and
          access tokens already work with it:
        </Text>
        <Code block>{`export MLFLOW_TRACKING_URI=${origin ?? "http://localhost:3000"}\nexport MLFLOW_TRACKING_TOKEN=<a token from the Account page>`}</Code>
      </Stack>
    </Alert>
  );
}
