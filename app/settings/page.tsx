import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { ApiKeysSection, SERVICE_TOKENS_TEXT } from "@/components/settings/ApiKeysSection";
import { EndpointsSection } from "@/components/settings/EndpointsSection";
import { UsageSection } from "@/components/settings/UsageSection";
import { KEY_PROVIDERS } from "@/lib/ai/model-options";
import { getUser } from "@/lib/auth";
import { isEncryptionConfigured } from "@/lib/secrets/crypto";
import { SERVICE_TOKEN_PROVIDERS } from "@/lib/secrets/user-keys";

export const metadata: Metadata = { title: "Settings" };
export const dynamic = "force-dynamic";

export default async function SettingsPage() {
  const user = await getUser();
  if (!user) redirect("/sign-in");

  return (
    <div className="mx-auto max-w-4xl space-y-10 px-4 py-10 sm:px-6">
      <div>
        <h1 className="text-3xl font-bold tracking-tight text-zinc-50">Settings</h1>
        <p className="mt-1 text-sm text-zinc-400">Signed in as {user.email}</p>
      </div>
      <ApiKeysSection anchorId="ai-keys" providers={KEY_PROVIDERS.map((p) => p.id)} encryptionAvailable={isEncryptionConfigured()} />
      <EndpointsSection />
      <ApiKeysSection
        providers={[...SERVICE_TOKEN_PROVIDERS]}
        encryptionAvailable={isEncryptionConfigured()}
        text={SERVICE_TOKENS_TEXT}
      />
      <UsageSection />
    </div>
  );
}
