import Link from "next/link";
import SignOutButton from "@/components/auth/SignOutButton";
import { buttonSecondary } from "@/components/ui/styles";

interface SiteHeaderProps {
  /** The signed-in user's email, or null when signed out. */
  userEmail: string | null;
}

export function SiteHeader({ userEmail }: SiteHeaderProps) {
  return (
    <header className="border-b border-zinc-800 bg-zinc-950/80">
      <div className="mx-auto flex h-16 max-w-6xl items-center gap-6 px-4 sm:px-6">
        <Link href="/" className="text-lg font-black tracking-[0.2em] text-zinc-50" aria-label="AUTOCREA home">
          AUTO<span className="text-brand-400">CREA</span>
        </Link>
        <nav aria-label="Main" className="flex items-center gap-4 text-sm">
          <Link href="/dashboard" className="text-zinc-300 hover:text-zinc-50">
            Dashboard
          </Link>
          <Link href="/pricing" className="text-zinc-300 hover:text-zinc-50">
            Pricing
          </Link>
          {userEmail && (
            <Link href="/settings" className="text-zinc-300 hover:text-zinc-50">
              Settings
            </Link>
          )}
        </nav>
        <div className="ml-auto flex items-center gap-3 text-sm">
          {userEmail ? (
            <>
              <span className="hidden text-zinc-400 sm:inline" data-testid="user-email">
                {userEmail}
              </span>
              <SignOutButton />
            </>
          ) : (
            <Link href="/sign-in" className={buttonSecondary}>
              Sign in
            </Link>
          )}
        </div>
      </div>
    </header>
  );
}
