import { TracePage } from "@/components/tracing/trace-page";

export const metadata = { title: "Trace" };

export default async function Page({ params }: { params: Promise<{ experimentId: string; traceId: string }> }) {
  const { traceId } = await params;
  return <TracePage traceId={decodeURIComponent(traceId)} />;
}
