import { CompareRuns } from "@/components/tracking/compare-runs";
import { parseRunIds } from "@/components/tracking/format";

export const metadata = { title: "Compare runs" };

export default async function ComparePage({ searchParams }: { searchParams: Promise<{ runs?: string | string[] }> }) {
  const { runs } = await searchParams;
  return <CompareRuns runIds={parseRunIds(runs)} />;
}
