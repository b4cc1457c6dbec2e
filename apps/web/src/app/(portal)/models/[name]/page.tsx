import { ModelPage } from "@/components/registry/model-page";

export const metadata = { title: "Model" };

export default async function Page({ params }: { params: Promise<{ name: string }> }) {
  const { name } = await params;
  return <ModelPage name={decodeURIComponent(name)} />;
}
