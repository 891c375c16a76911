import { buttonSecondary } from "@/components/ui/styles";

/** Shared loading / error / empty presentations for workspace panels. */

export function PanelLoading({ label }: { label: string }) {
  return (
    <div role="status" aria-live="polite" className="p-4 text-sm text-zinc-400">
      <span
        className="inline-block h-3 w-3 animate-pulse rounded-full bg-brand-500/60 align-middle"
        aria-hidden="true"
      />{" "}
      Loading {label}…
    </div>
  );
}

export function SkeletonLines({ label, count = 6 }: { label: string; count?: number }) {
  return (
    <div role="status" aria-label={`Loading ${label}`} className="space-y-2 p-3">
      {Array.from({ length: count }, (_, i) => (
        <div
          key={i}
          className="h-4 animate-pulse rounded bg-zinc-800"
          style={{ width: `${55 + ((i * 37) % 40)}%`, marginLeft: `${(i % 3) * 12}px` }}
        />
      ))}
    </div>
  );
}

export function PanelError({ message, onRetry }: { message: string; onRetry?: () => void }) {
  return (
    <div role="alert" className="m-3 rounded-md border border-red-900 bg-red-950/40 p-3 text-sm text-red-200">
      <p>{message}</p>
      {onRetry && (
        <button type="button" onClick={onRetry} className={`${buttonSecondary} mt-2 px-3 py-1 text-xs`}>
          Retry
        </button>
      )}
    </div>
  );
}
