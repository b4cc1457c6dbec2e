import { WebhooksAdmin } from "@/components/admin/webhooks-admin";

export const metadata = { title: "Webhooks" };

export default function WebhooksPage() {
  return <WebhooksAdmin />;
}
