import { headers } from "next/headers";
import { PageHeader } from "@/components/shell/page-header";
import { NotAvailableYet } from "@/components/shell/not-available";

export const metadata = { title: "Approvals" };

export default async function ApprovalsPage() {
  const host = (await headers()).get("host");
  return (
    <>
      <PageHeader title="Approvals" description="Requests to promote model versions into protected stages and aliases." />
      <NotAvailableYet what="Approval requests" origin={host ? `http://${host}` : undefined} />
    </>
  );
}
