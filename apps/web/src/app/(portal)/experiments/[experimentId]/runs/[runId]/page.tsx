import { RunPage } from "@/components/tracking/run-page";

export const metadata = { title: "Run" };

export default async function Page({ params }: { params: Promise<{ experimentId: string; runId: string }> }) {
  const { runId } = await params;
  return <RunPage runId={decodeURIComponent(runId)} />;
}
