import { AccountView } from "@/components/account/account-view";

export const metadata = { title: "Account" };

export default function AccountPage() {
  return <AccountView />;
}
