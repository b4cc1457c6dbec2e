import { RequestPage } from "@/components/approvals/request-page";

export const metadata = { title: "Approval request" };

export default async function Page({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <RequestPage id={decodeURIComponent(id)} />;
}
