import { ExperimentView } from "@/components/tracking/experiment-view";

export const metadata = { title: "Experiment" };

export default async function ExperimentPage({ params }: { params: Promise<{ experimentId: string }> }) {
  const { experimentId } = await params;
  return <ExperimentView experimentId={decodeURIComponent(experimentId)} />;
}
