import { ExperimentsList } from "@/components/tracking/experiments-list";

export const metadata = { title: "Experiments" };

export default function ExperimentsPage() {
  return <ExperimentsList />;
}
