import { EndpointsList } from "@/components/serving/endpoints-list";

export const metadata = { title: "Serving" };

export default function ServingPage() {
  return <EndpointsList />;
}
