import { LoggedModelPage } from "@/components/logged-models/logged-model-page";

export const metadata = { title: "Logged model" };

export default async function Page({ params }: { params: Promise<{ experimentId: string; modelId: string }> }) {
  const { modelId } = await params;
  return <LoggedModelPage modelId={decodeURIComponent(modelId)} />;
}
