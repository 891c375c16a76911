import { SignUp } from "@clerk/nextjs";
import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { connection } from "next/server";
import { AuthPageShell } from "@/components/auth/AuthPageShell";
import { LocalAuthForm } from "@/components/auth/LocalAuthForm";
import { authMode, getUser } from "@/lib/auth";

export const metadata: Metadata = { title: "Create account · AUTOCREA" };

export default async function SignUpPage() {
  await connection();
  if (authMode() === "clerk") {
    return (
      <AuthPageShell>
        <SignUp path="/sign-up" signInUrl="/sign-in" fallbackRedirectUrl="/dashboard" />
      </AuthPageShell>
    );
  }
  if (await getUser()) redirect("/dashboard");
  return (
    <AuthPageShell>
      <LocalAuthForm mode="sign-up" />
    </AuthPageShell>
  );
}
