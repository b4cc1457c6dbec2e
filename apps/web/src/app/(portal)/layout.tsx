import { redirect } from "next/navigation";
import type { ReactNode } from "react";
import { AppShellLayout } from "@/components/shell/app-shell";
import { currentActor } from "@/server/services";

export const dynamic = "force-dynamic";

export default async function PortalLayout({ children }: { children: ReactNode }) {
  const actor = await currentActor();
  if (!actor || actor.kind !== "user") redirect("/sign-in");
  return (
    <AppShellLayout user={{ username: actor.username, role: actor.role }}>
      {children}
    </AppShellLayout>
  );
}
