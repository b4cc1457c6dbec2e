import { CompareRuns } from "@/components/tracking/compare-runs";

export const metadata = { title: "Compare runs" };

export default async function ComparePage({ searchParams }: { searchParams: Promise<{ runs?: string | string[] }> }) {
  const { runs } = await searchParams;
  const ids = (Array.isArray(runs) ? runs.join(",") : (runs ?? "")).split(",").map((s) => s.trim()).filter(Boolean);
  return <CompareRuns runIds={[...new Set(ids)]} />;
}
