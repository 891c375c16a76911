import { ClerkProvider } from "@clerk/nextjs";
import type { ReactNode } from "react";
import { env } from "@/lib/env";
import { AuthModeProvider, type ClientAuthMode } from "./AuthModeContext";

/**
 * Server component for the root layout. Only the mode and Clerk's publishable
 * key (public by design) cross to the client.
 */
export function AuthProvider({ children, authMode }: { children: ReactNode; authMode?: ClientAuthMode }) {
  const e = env();
  const mode = authMode ?? e.authMode;
  if (mode === "clerk") {
    return (
      <ClerkProvider
        publishableKey={e.NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY}
        signInUrl="/sign-in"
        signUpUrl="/sign-up"
        signInFallbackRedirectUrl="/dashboard"
        signUpFallbackRedirectUrl="/dashboard"
      >
        <AuthModeProvider mode="clerk">{children}</AuthModeProvider>
      </ClerkProvider>
    );
  }
  return <AuthModeProvider mode="local">{children}</AuthModeProvider>;
}

export default AuthProvider;
