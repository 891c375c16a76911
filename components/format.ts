const dateTime = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" });

/** Epoch ms → "Nov 23, 2025, 4:48 PM UTC". Fixed zone so server and client render the same text. */
export function formatDateTime(epochMs: number): string {
  return `${dateTime.format(new Date(epochMs))} UTC`;
}
