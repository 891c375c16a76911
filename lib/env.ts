import { z } from "zod";

/**
 * The one place that reads process.env. Every mode decision (which store,
 * which auth) is taken here, once, so the rest of the code asks `env()`.
 */

const optional = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v === "" ? undefined : v));

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const schema = z
  .object({
    NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
    APP_URL: z.url().default("http://localhost:3000"),
    DATA_DIR: z.string().default(".data"),

    CONVEX_URL: optional.pipe(z.url().optional()),
    AUTOCREA_SERVER_SECRET: optional,

    NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY: optional,
    CLERK_SECRET_KEY: optional,
    CLERK_JWT_KEY: optional,
    CLERK_AUTHORIZED_PARTIES: optional,
    CLERK_WEBHOOK_SECRET: optional,

    STRIPE_SECRET_KEY: optional,
    STRIPE_WEBHOOK_SECRET: optional,
    /** Where the Stripe client sends API calls (tests, stripe-mock); default https://api.stripe.com. */
    STRIPE_API_BASE: optional.pipe(z.url().optional()),

    JOXCODER_API_URL: optional.pipe(z.url().optional()),
    JOXCODER_API_KEY: optional,
    JOXCODER_MODEL: optional,
    OPENAI_API_KEY: optional,
    /** OpenAI-compatible base URL for the "openai" provider (platform and users' keys); default api.openai.com. */
    OPENAI_BASE_URL: optional.pipe(z.url().optional()),
    ANTHROPIC_API_KEY: optional,
    OLLAMA_BASE_URL: optional.pipe(z.url().optional()),
    /**
     * Non-public addresses a user's own AI endpoint may reach (lib/http/outbound-guard.ts). Unset:
     * none, only public addresses are called. `*`: every address (a developer's machine running
     * Ollama or LM Studio). Otherwise a comma-separated list of host names (allowed whatever they
     * resolve to), IP addresses and CIDR ranges, e.g. `127.0.0.1,10.0.0.0/8,gateway.internal`; a
     * name must have every address it resolves to public or allowed.
     */
    AI_ENDPOINT_ALLOWED_PRIVATE: optional,
    /** An LM Studio (or any OpenAI-compatible) server the platform serves, e.g. http://127.0.0.1:1234/v1. */
    LMSTUDIO_BASE_URL: optional.pipe(z.url().optional()),
    /** Platform keys for the providers the AI SDK ships (the SDKs' own variable names). */
    GOOGLE_GENERATIVE_AI_API_KEY: optional,
    MISTRAL_API_KEY: optional,
    GROQ_API_KEY: optional,
    DEEPSEEK_API_KEY: optional,
    OPENROUTER_API_KEY: optional,
    /** The model catalog and prices (default config/ai-models.json; docs/models.md). */
    AI_MODELS_FILE: optional,
    /**
     * Development only: with no provider configured, look for Ollama (127.0.0.1:11434) and LM Studio
     * (127.0.0.1:1234) on this machine and offer their models. "off" turns it off; it never runs in production.
     */
    LOCAL_MODELS: z.enum(["auto", "off"]).default("auto"),
    AUTOCREA_ENCRYPTION_KEY: optional,

    /** Platform deploy accounts, used when a user has stored no token of their own. */
    VERCEL_TOKEN: optional,
    VERCEL_TEAM_ID: optional,
    NETLIFY_AUTH_TOKEN: optional,
    RAILWAY_TOKEN: optional,
    /** Where each deploy client sends API calls (tests, proxies); default the provider's public API. */
    VERCEL_API_URL: optional.pipe(z.url().optional()),
    NETLIFY_API_URL: optional.pipe(z.url().optional()),
    RAILWAY_API_URL: optional.pipe(z.url().optional()),
    /** Hosts (host or host:port, comma-separated) a project may be pushed to; http:// is allowed only for hosts listed with a port. */
    GIT_ALLOWED_HOSTS: z.string().trim().default("github.com,gitlab.com"),

    RUNNER_URL: optional.pipe(z.url().optional()),
    RUNNER_SECRET: optional,
    /** The runner's origin as the browser reaches it (terminal WebSockets); default RUNNER_URL. */
    RUNNER_PUBLIC_URL: optional.pipe(z.url().optional()),

    /**
     * Where a live preview is seen: one origin per preview, `{id}` being its random id. Browsers
     * resolve *.localhost to this machine, so the default needs no DNS; in production use a wildcard
     * DNS name on a registrable domain of its own (e.g. https://{id}.autocrea-preview.app).
     */
    PREVIEW_URL_TEMPLATE: z
      .string()
      .trim()
      .default("http://{id}.preview.localhost:3001")
      .refine((v) => /^https?:\/\/\{id\}\.[^/{}]+\/?$/.test(v), "must look like http(s)://{id}.preview.example.com[:port]"),
    /** The preview proxy's own port and address (lib/preview/proxy-server); it starts with the app. */
    PREVIEW_PORT: z.coerce.number().int().min(0).max(65535).default(3001),
    PREVIEW_HOST: z.string().trim().default("127.0.0.1"),

    /**
     * Whose word the app takes for the client's address (per-address rate limits). Unset: no proxy
     * is trusted, the socket's peer address is the client. A number n: that many reverse proxies in
     * front of the app each append the address they saw to X-Forwarded-For; the n-th entry from the
     * right is the client.
     */
    TRUSTED_PROXY_HOPS: optional.pipe(
      z
        .string()
        .regex(/^\d{1,2}$/, "must be a whole number from 0 to 99: how many reverse proxies in front of the app append to X-Forwarded-For")
        .transform(Number)
        .optional(),
    ),
    /** "vercel": the client address Vercel's edge writes (x-vercel-forwarded-for, x-real-ip); "none": TRUSTED_PROXY_HOPS or the socket. */
    TRUSTED_PROXY: optional.pipe(
      z.optional(z.enum(["none", "vercel"], { error: 'must be "vercel" (the platform\'s client-address headers) or "none"' })),
    ),
    /** Set to 1 by Vercel on its deployments: TRUSTED_PROXY then defaults to "vercel". */
    VERCEL: optional,
    /** The server log's threshold (lib/log.ts): trace, debug, info, warn, error, fatal or silent. */
    LOG_LEVEL: optional.pipe(z.enum(LOG_LEVELS).optional()),
    /** "json" (the default, except in `next dev`) or "pretty": one readable line per entry. */
    LOG_FORMAT: optional.pipe(z.enum(["json", "pretty"]).optional()),
  })
  .superRefine((e, ctx) => {
    if (e.TRUSTED_PROXY === "vercel" && e.TRUSTED_PROXY_HOPS) {
      ctx.addIssue({
        code: "custom",
        path: ["TRUSTED_PROXY_HOPS"],
        message: 'set either TRUSTED_PROXY=vercel or TRUSTED_PROXY_HOPS, not both',
      });
    }
    if (e.CONVEX_URL && !e.AUTOCREA_SERVER_SECRET) {
      ctx.addIssue({
        code: "custom",
        path: ["AUTOCREA_SERVER_SECRET"],
        message: "required when CONVEX_URL is set (it must match the Convex deployment's env)",
      });
    }
    const clerkKeys = [e.NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY, e.CLERK_SECRET_KEY].filter(Boolean).length;
    if (clerkKeys === 1) {
      ctx.addIssue({
        code: "custom",
        path: ["CLERK_SECRET_KEY"],
        message: "set both NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY and CLERK_SECRET_KEY, or neither",
      });
    }
    if (clerkKeys === 2 && !e.CLERK_JWT_KEY) {
      ctx.addIssue({
        code: "custom",
        path: ["CLERK_JWT_KEY"],
        message: "required with Clerk: tokens are verified locally with this PEM public key",
      });
    }
  });

export type RawEnv = z.infer<typeof schema>;

/**
 * Where the client's address is read (lib/http/client-ip.ts): the socket's peer (no proxy
 * trusted), the `hops`-th X-Forwarded-For entry from the right, or Vercel's headers.
 */
export type ClientAddressSource = { from: "socket" } | { from: "forwarded-for"; hops: number } | { from: "vercel" };

function clientAddressSource(raw: RawEnv): ClientAddressSource {
  if (raw.TRUSTED_PROXY === "vercel") return { from: "vercel" };
  if (raw.TRUSTED_PROXY_HOPS) return { from: "forwarded-for", hops: raw.TRUSTED_PROXY_HOPS };
  // On Vercel every request reaches the function through the platform's proxy: its headers, unless told otherwise.
  if (raw.TRUSTED_PROXY === undefined && raw.TRUSTED_PROXY_HOPS === undefined && raw.VERCEL === "1") return { from: "vercel" };
  return { from: "socket" };
}

export interface Env extends RawEnv {
  storeMode: "convex" | "sqlite";
  authMode: "clerk" | "local";
  paymentsMode: "stripe" | "disabled";
  isProduction: boolean;
  /** APP_URL was given (not the http://localhost:3000 default). */
  appUrlSet: boolean;
  clerkAuthorizedParties: string[];
  clientAddress: ClientAddressSource;
}

export class EnvError extends Error {
  constructor(public readonly issues: string[]) {
    super(`Invalid environment:\n  ${issues.join("\n  ")}`);
    this.name = "EnvError";
  }
}

export function loadEnv(source: Record<string, string | undefined> = process.env): Env {
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    throw new EnvError(parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`));
  }
  const raw = parsed.data;
  return {
    ...raw,
    storeMode: raw.CONVEX_URL ? "convex" : "sqlite",
    authMode: raw.CLERK_SECRET_KEY && raw.NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY ? "clerk" : "local",
    paymentsMode: raw.STRIPE_SECRET_KEY ? "stripe" : "disabled",
    isProduction: raw.NODE_ENV === "production",
    appUrlSet: Boolean(source.APP_URL?.trim()),
    clerkAuthorizedParties: (raw.CLERK_AUTHORIZED_PARTIES ?? raw.APP_URL)
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
    clientAddress: clientAddressSource(raw),
  };
}

let cached: Env | undefined;

export function env(): Env {
  cached ??= loadEnv();
  return cached;
}

/** Tests only: forget the cached env so the next `env()` reads process.env again. */
export function resetEnvForTests(): void {
  cached = undefined;
}

export interface LogSettings {
  level: LogLevel;
  /** JSON lines, or one readable line per entry (the default in development). */
  format: "json" | "pretty";
}

/**
 * What the logger needs, read leniently and apart from `env()`: the logger must work even when the
 * rest of the environment is invalid (that is one of the things it reports). An unknown LOG_LEVEL
 * falls back to the default here; `env()` refuses it like any other invalid setting.
 */
export function logSettings(source: Record<string, string | undefined> = process.env): LogSettings {
  const wanted = source.LOG_LEVEL?.trim();
  const level = LOG_LEVELS.find((l) => l === wanted) ?? (source.VITEST ? "silent" : "info");
  const development = (source.NODE_ENV ?? "development") === "development";
  const chosen = source.LOG_FORMAT?.trim();
  const format = chosen === "json" || chosen === "pretty" ? chosen : development && !source.VITEST ? "pretty" : "json";
  return { level, format };
}
