import { headers } from "next/headers";
import { PageHeader } from "@/components/shell/page-header";
import { NotAvailableYet } from "@/components/shell/not-available";

export const metadata = { title: "Experiments" };

export default async function ExperimentsPage() {
  const host = (await headers()).get("host");
  return (
    <>
      <PageHeader title="Experiments" description="Experiments and runs logged with the mlflow client." />
      <NotAvailableYet what="Experiment tracking views" origin={host ? `http://${host}` : undefined} />
    </>
  );
}
