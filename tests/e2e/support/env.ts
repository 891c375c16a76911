// Empty means unset (lib/env treats "" as absent): forces the embedded modes.
export const EXTERNAL_SERVICES = [
  "CONVEX_URL",
  "AUTOCREA_SERVER_SECRET",
  "NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY",
  "CLERK_SECRET_KEY",
  "CLERK_JWT_KEY",
  "CLERK_WEBHOOK_SECRET",
  "STRIPE_SECRET_KEY",
  "STRIPE_WEBHOOK_SECRET",
  "OPENAI_API_KEY",
  "OPENAI_BASE_URL",
  "ANTHROPIC_API_KEY",
  "OLLAMA_BASE_URL",
  "LMSTUDIO_BASE_URL",
  "GOOGLE_GENERATIVE_AI_API_KEY",
  "MISTRAL_API_KEY",
  "GROQ_API_KEY",
  "DEEPSEEK_API_KEY",
  "OPENROUTER_API_KEY",
  "AI_MODELS_FILE",
  "JOXCODER_API_KEY",
  "JOXCODER_MODEL",
  "RUNNER_PUBLIC_URL",
];


/** Where the suite's production build goes (playwright.config.ts), apart from the .next/ of `npm run dev`. */
export const E2E_DIST_DIR = ".next-e2e";
