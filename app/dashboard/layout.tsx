import { redirect } from "next/navigation";
import { getUser } from "@/lib/auth";

// The sign-in check lives here, above loading.tsx, so a signed-out visitor
// gets a real HTTP redirect before any of the page starts streaming.
export default async function DashboardLayout({ children }: { children: React.ReactNode }) {
  const user = await getUser();
  if (!user) redirect("/sign-in");
  return children;
}
