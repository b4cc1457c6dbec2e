import { CompareVersions } from "@/components/registry/compare-versions";

export const metadata = { title: "Compare versions" };

const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v) ?? "";

export default async function Page({ params, searchParams }: { params: Promise<{ name: string }>; searchParams: Promise<{ left?: string | string[]; right?: string | string[] }> }) {
  const [{ name }, { left, right }] = await Promise.all([params, searchParams]);
  return <CompareVersions name={decodeURIComponent(name)} left={one(left)} right={one(right)} />;
}
