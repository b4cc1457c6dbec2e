"use client";
import { ActionIcon, AppShell, Badge, Burger, Group, Menu, NavLink, Text, Title, Tooltip, UnstyledButton, useComputedColorScheme, useMantineColorScheme } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { IconCheckbox, IconFlask, IconHistory, IconLogout, IconMoon, IconPackages, IconServer, IconShieldCheck, IconSun, IconUser, IconUsers, IconUsersGroup, IconWebhook } from "@tabler/icons-react";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { signOut } from "next-auth/react";
import type { ReactNode } from "react";
import { NavApprovalsCount } from "@/components/approvals/nav-count";

interface ShellUser {
  username: string;
  role: "ADMIN" | "USER";
}

const main = [
  { href: "/experiments", label: "Experiments", icon: IconFlask },
  { href: "/models", label: "Models", icon: IconPackages },
  { href: "/approvals", label: "Approvals", icon: IconCheckbox },
  { href: "/serving", label: "Serving", icon: IconServer },
];
const admin = [
  { href: "/admin/users", label: "Users", icon: IconUsers },
  { href: "/admin/groups", label: "Groups", icon: IconUsersGroup },
  { href: "/admin/webhooks", label: "Webhooks", icon: IconWebhook },
  { href: "/admin/policies", label: "Policies", icon: IconShieldCheck },
  { href: "/admin/audit", label: "Audit log", icon: IconHistory },
];

function ColorSchemeToggle() {
  const { setColorScheme } = useMantineColorScheme();
  const computed = useComputedColorScheme("light", { getInitialValueInEffect: true });
  const next = computed === "dark" ? "light" : "dark";
  return (
    <Tooltip label={`Switch to ${next} mode`}>
      <ActionIcon variant="default" size="lg" aria-label={`Switch to ${next} mode`} onClick={() => setColorScheme(next)}>
        {computed === "dark" ? <IconSun size={18} /> : <IconMoon size={18} />}
      </ActionIcon>
    </Tooltip>
  );
}

export function AppShellLayout({ user, children }: { user: ShellUser; children: ReactNode }) {
  const [opened, { toggle, close }] = useDisclosure();
  const pathname = usePathname();
  const link = (item: (typeof main)[number]) => (
    <NavLink
      key={item.href}
      component={Link}
      href={item.href}
      label={item.label}
      leftSection={<item.icon size={18} stroke={1.6} />}
      rightSection={item.href === "/approvals" ? <NavApprovalsCount /> : undefined}
      active={pathname === item.href || pathname.startsWith(`${item.href}/`)}
      onClick={close}
    />
  );
  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 220, breakpoint: "sm", collapsed: { mobile: !opened } }} padding="lg">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between">
          <Group gap="sm">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Toggle navigation" />
            <Link href="/" style={{ textDecoration: "none", color: "inherit" }}>
              <Title order={4}>Modelgate</Title>
            </Link>
          </Group>
          <Group gap="xs">
            <ColorSchemeToggle />
            <Menu position="bottom-end" withinPortal>
              <Menu.Target>
                <UnstyledButton aria-label="Account menu" px="xs" py={4}>
                  <Group gap={6}>
                    <IconUser size={18} />
                    <Text size="sm" fw={500} data-testid="current-user">
                      {user.username}
                    </Text>
                    {user.role === "ADMIN" && (
                      <Badge size="xs" variant="light">
                        admin
                      </Badge>
                    )}
                  </Group>
                </UnstyledButton>
              </Menu.Target>
              <Menu.Dropdown>
                <Menu.Item component={Link} href="/account" leftSection={<IconUser size={16} />}>
                  Account and tokens
                </Menu.Item>
                <Menu.Item leftSection={<IconLogout size={16} />} onClick={() => void signOut({ redirectTo: "/sign-in" })}>
                  Sign out
                </Menu.Item>
              </Menu.Dropdown>
            </Menu>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Main navigation">
        {main.map(link)}
        {user.role === "ADMIN" && (
          <>
            <Text size="xs" c="dimmed" fw={600} tt="uppercase" px="sm" pt="md" pb={4}>
              Admin
            </Text>
            {admin.map(link)}
          </>
        )}
        <Text size="xs" c="dimmed" fw={600} tt="uppercase" px="sm" pt="md" pb={4}>
          You
        </Text>
        {link({ href: "/account", label: "Account", icon: IconUser })}
      </AppShell.Navbar>
      <AppShell.Main>{children}</AppShell.Main>
    </AppShell>
  );
}
