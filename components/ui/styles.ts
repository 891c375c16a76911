/** Shared class lists, so buttons and fields look the same everywhere. */

export const buttonPrimary =
  "inline-flex items-center justify-center gap-2 rounded-md bg-brand-500 px-4 py-2 text-sm font-semibold text-zinc-950 " +
  "transition-colors hover:bg-brand-400 disabled:cursor-not-allowed disabled:opacity-60";

export const buttonSecondary =
  "inline-flex items-center justify-center gap-2 rounded-md border border-zinc-700 px-4 py-2 text-sm font-semibold " +
  "text-zinc-100 transition-colors hover:border-zinc-500 hover:bg-zinc-900";

export const buttonDanger =
  "inline-flex items-center justify-center gap-2 rounded-md bg-red-600 px-4 py-2 text-sm font-semibold text-white " +
  "transition-colors hover:bg-red-500 disabled:cursor-not-allowed disabled:opacity-60";

export const fieldLabel = "block text-sm font-medium text-zinc-200";

export const fieldInput =
  "mt-1 block w-full rounded-md border border-zinc-700 bg-zinc-900 px-3 py-2 text-sm text-zinc-100 " +
  "placeholder:text-zinc-500 aria-[invalid=true]:border-red-500";

export const card = "rounded-xl border border-zinc-800 bg-zinc-900/60 p-6";
