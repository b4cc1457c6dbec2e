import { EndpointPage } from "@/components/serving/endpoint-page";

export const metadata = { title: "Serving endpoint" };

export default async function Page({ params }: { params: Promise<{ name: string }> }) {
  const { name } = await params;
  return <EndpointPage name={decodeURIComponent(name)} />;
}
