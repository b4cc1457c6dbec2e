import { headers } from "next/headers";
import { PageHeader } from "@/components/shell/page-header";
import { NotAvailableYet } from "@/components/shell/not-available";

export const metadata = { title: "Models" };

export default async function ModelsPage() {
  const host = (await headers()).get("host");
  return (
    <>
      <PageHeader title="Models" description="Registered models, versions, stages and aliases." />
      <NotAvailableYet what="Model registry views" origin={host ? `http://${host}` : undefined} />
    </>
  );
}
