import { PoliciesAdmin } from "@/components/approvals/policies-admin";

export const metadata = { title: "Approval policies" };

export default function PoliciesPage() {
  return <PoliciesAdmin />;
}
