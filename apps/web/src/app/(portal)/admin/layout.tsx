import { Alert } from "@mantine/core";
import type { ReactNode } from "react";
import { can } from "@modelgate/core";
import { currentActor } from "@/server/services";

export const dynamic = "force-dynamic";

// A convenience for the page only: every admin procedure is checked again in core.
export default async function AdminLayout({ children }: { children: ReactNode }) {
  const actor = await currentActor();
  if (!actor || !can(actor, "users:read")) {
    return (
      <Alert color="red" title="Admins only">
        You need the admin role to see this page.
      </Alert>
    );
  }
  return children;
}
