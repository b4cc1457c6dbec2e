import { VersionPage } from "@/components/registry/version-page";

export const metadata = { title: "Model version" };

export default async function Page({ params }: { params: Promise<{ name: string; version: string }> }) {
  const { name, version } = await params;
  return <VersionPage name={decodeURIComponent(name)} version={decodeURIComponent(version)} />;
}
