import { GroupsAdmin } from "@/components/admin/groups-admin";

export const metadata = { title: "Groups" };

export default function GroupsPage() {
  return <GroupsAdmin />;
}
