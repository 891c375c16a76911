import { SignIn } from "@clerk/nextjs";
import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { connection } from "next/server";
import { AuthPageShell } from "@/components/auth/AuthPageShell";
import { LocalAuthForm } from "@/components/auth/LocalAuthForm";
import { authMode, getUser } from "@/lib/auth";

export const metadata: Metadata = { title: "Sign in · AUTOCREA" };

export default async function SignInPage() {
  await connection();
  if (authMode() === "clerk") {
    return (
      <AuthPageShell>
        <SignIn path="/sign-in" signUpUrl="/sign-up" fallbackRedirectUrl="/dashboard" />
      </AuthPageShell>
    );
  }
  if (await getUser()) redirect("/dashboard");
  return (
    <AuthPageShell>
      <LocalAuthForm mode="sign-in" />
    </AuthPageShell>
  );
}
