import type { Metadata, Viewport } from "next";
import AuthProvider from "@/components/auth/AuthProvider";
import { QueryProvider } from "@/components/QueryProvider";
import { SiteHeader } from "@/components/SiteHeader";
import { getUser } from "@/lib/auth";
import { env } from "@/lib/env";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "AUTOCREA — describe an app, get a working project", template: "%s · AUTOCREA" },
  description:
    "AUTOCREA turns a chat description into a multi-file project built live by a team of AI roles. Edit it in the browser, run it in a sandbox, deploy it.",
  applicationName: "AUTOCREA",
};

export const viewport: Viewport = {
  colorScheme: "dark",
  themeColor: "#09090b",
};

export default async function RootLayout({ children }: { children: React.ReactNode }) {
  const user = await getUser();
  return (
    <html lang="en" className="dark">
      <body className="flex min-h-dvh flex-col bg-zinc-950 font-sans text-zinc-100">
        <AuthProvider authMode={env().authMode}>
          <a
            href="#main"
            className="sr-only focus:not-sr-only focus:fixed focus:top-2 focus:left-2 focus:z-50 focus:rounded-md focus:bg-zinc-100 focus:px-3 focus:py-2 focus:text-zinc-950"
          >
            Skip to content
          </a>
          <SiteHeader userEmail={user?.email ?? null} />
          <main id="main" tabIndex={-1} className="flex-1 outline-none">
            <QueryProvider>{children}</QueryProvider>
          </main>
          <footer className="border-t border-zinc-800 py-6 text-center text-xs text-zinc-500">
            AUTOCREA — pay-as-you-go credits, hard spend caps.
          </footer>
        </AuthProvider>
      </body>
    </html>
  );
}
