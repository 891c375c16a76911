import type { LimitOptions } from "@/lib/rate-limit";

const TEN_MINUTES = 10 * 60_000;

/** Opening a terminal (each reconnect asks for a ticket too): per user. */
export const TERMINAL_OPEN_LIMIT: LimitOptions = { max: 60, windowMs: TEN_MINUTES };
/** Re-writing the files after saves: per user. */
export const TERMINAL_SYNC_LIMIT: LimitOptions = { max: 200, windowMs: TEN_MINUTES };
/** Execution from one address, whoever is signed in (terminals and builds). */
export const EXECUTION_PER_IP_LIMIT: LimitOptions = { max: 300, windowMs: TEN_MINUTES };
/** `npm run build` for the preview: per user. */
export const PREVIEW_BUILD_LIMIT: LimitOptions = { max: 20, windowMs: TEN_MINUTES };
/** Starting or restarting the live preview's app: per user. */
export const APP_START_LIMIT: LimitOptions = { max: 30, windowMs: TEN_MINUTES };
