import { ApprovalsInbox } from "@/components/approvals/inbox";

export const metadata = { title: "Approvals" };

export default function ApprovalsPage() {
  return <ApprovalsInbox />;
}
