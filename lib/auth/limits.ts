import type { LimitOptions } from "@/lib/rate-limit";

const TEN_MINUTES = 10 * 60 * 1000;

/** Per client IP, counted before the body is read. */
export const REGISTER_PER_IP: LimitOptions = { max: 20, windowMs: TEN_MINUTES };
export const LOGIN_PER_IP: LimitOptions = { max: 30, windowMs: TEN_MINUTES };
/** Per email address, so one account cannot be guessed at from many IPs. */
export const LOGIN_PER_EMAIL: LimitOptions = { max: 10, windowMs: TEN_MINUTES };
export const REGISTER_PER_EMAIL: LimitOptions = { max: 5, windowMs: TEN_MINUTES };
