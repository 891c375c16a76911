import type { DeploymentProvider } from "@/lib/store/types";

/** Display names of the deploy hosts (safe to import from client components). */
export const PROVIDER_LABELS: Record<DeploymentProvider, string> = {
  vercel: "Vercel",
  netlify: "Netlify",
  railway: "Railway",
};
