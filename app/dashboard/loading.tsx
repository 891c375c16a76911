export default function DashboardLoading() {
  return (
    <div className="mx-auto max-w-6xl px-4 py-10 sm:px-6" role="status" aria-live="polite">
      <span className="sr-only">Loading your dashboard…</span>
      <div className="h-8 w-48 animate-pulse rounded bg-zinc-800" />
      <div className="mt-8 grid gap-6 lg:grid-cols-3">
        <div className="h-32 animate-pulse rounded-xl bg-zinc-900" />
        <div className="h-64 animate-pulse rounded-xl bg-zinc-900 lg:col-span-2" />
      </div>
    </div>
  );
}
