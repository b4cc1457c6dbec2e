"use client";
import { Badge, Card, Group, SimpleGrid, Skeleton, Stack, Text } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { PageHeader } from "@/components/shell/page-header";
import { formatDateTime } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";
import { ChangePasswordForm } from "./change-password-form";
import { TokensPanel } from "./tokens-panel";

export function AccountView() {
  const trpc = useTRPC();
  const me = useQuery(trpc.me.get.queryOptions());
  return (
    <Stack gap="lg" maw={1100}>
      <PageHeader title="Account" description="Your profile, password and access tokens for the API." />
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <Card withBorder>
          <Text fw={600} mb="sm">
            Profile
          </Text>
          {me.data ? (
            <Stack gap={6}>
              <Group gap="xs">
                <Text size="sm" c="dimmed" w={110}>Username</Text>
                <Text size="sm" fw={500}>{me.data.username}</Text>
                <Badge size="sm" variant="light">{me.data.role.toLowerCase()}</Badge>
              </Group>
              <Group gap="xs">
                <Text size="sm" c="dimmed" w={110}>Email</Text>
                <Text size="sm">{me.data.email ?? "—"}</Text>
              </Group>
              <Group gap="xs">
                <Text size="sm" c="dimmed" w={110}>Member since</Text>
                <Text size="sm">{formatDateTime(me.data.createdAt)}</Text>
              </Group>
              <Group gap="xs">
                <Text size="sm" c="dimmed" w={110}>Last sign-in</Text>
                <Text size="sm">{formatDateTime(me.data.lastSignInAt)}</Text>
              </Group>
            </Stack>
          ) : (
            <Skeleton h={90} />
          )}
        </Card>
        <Card withBorder>
          <Text fw={600} mb="sm">
            Change password
          </Text>
          <ChangePasswordForm />
        </Card>
      </SimpleGrid>
      <TokensPanel />
    </Stack>
  );
}
