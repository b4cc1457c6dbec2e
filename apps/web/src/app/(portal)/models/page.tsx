import { ModelsList } from "@/components/registry/models-list";

export const metadata = { title: "Models" };

export default function ModelsPage() {
  return <ModelsList />;
}
