import { clerkMiddleware } from "@clerk/nextjs/server";
import { NextResponse, type NextFetchEvent, type NextMiddleware, type NextRequest } from "next/server";
import { env } from "@/lib/env";

let clerk: NextMiddleware | undefined;

function clerkProxy(): NextMiddleware {
  const e = env();
  // Keys passed explicitly: session tokens are verified with the PEM key, no JWKS fetch.
  clerk ??= clerkMiddleware({
    publishableKey: e.NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY,
    secretKey: e.CLERK_SECRET_KEY,
    jwtKey: e.CLERK_JWT_KEY?.replace(/\\n/g, "\n"),
    authorizedParties: e.clerkAuthorizedParties,
    signInUrl: "/sign-in",
    signUpUrl: "/sign-up",
  });
  return clerk;
}

/** Clerk keeps its session cookie fresh here in Clerk mode; local accounts need nothing. */
export function proxy(request: NextRequest, event: NextFetchEvent) {
  if (env().authMode !== "clerk") return NextResponse.next();
  return clerkProxy()(request, event);
}

export const config = {
  matcher: [
    // Everything except Next internals and static files (unless in a query string).
    "/((?!_next|[^?]*\\.(?:html?|css|js(?!on)|jpe?g|webp|png|gif|svg|ttf|woff2?|ico|csv|docx?|xlsx?|zip|webmanifest|txt|map)).*)",
    "/(api|trpc)(.*)",
  ],
};
