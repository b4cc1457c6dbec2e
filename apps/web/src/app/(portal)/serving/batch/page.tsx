import { BatchJobs } from "@/components/serving/batch-jobs";

export const metadata = { title: "Batch scoring" };

export default function BatchScoringPage() {
  return <BatchJobs />;
}
