"use client";

import { useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useId, useState, type FormEvent } from "react";
import { formatDateTime } from "@/components/format";
import { buttonPrimary, buttonSecondary, card, fieldInput, fieldLabel } from "@/components/ui/styles";
import { KEY_PROVIDERS } from "@/lib/ai/model-options";
import { NETWORK_PROBLEM, problemFrom } from "@/lib/client/api-errors";
import { modelsKey } from "@/lib/client/query-keys";

interface StoredKey {
  provider: string;
  last4: string;
  createdAt: number;
}

type TestResult = { state: "testing" } | { state: "ok"; model: string } | { state: "failed"; message: string };

const PROVIDER_NAMES: Record<string, string> = {
  ...Object.fromEntries(KEY_PROVIDERS.map((p) => [p.id, p.label])),
  vercel: "Vercel",
  netlify: "Netlify",
  railway: "Railway",
  github: "GitHub",
  gitlab: "GitLab",
};
const providerName = (p: string) => PROVIDER_NAMES[p] ?? p;
const isModelProvider = (p: string) => KEY_PROVIDERS.some((k) => k.id === p);
const keyPlaceholder = (p: string) => KEY_PROVIDERS.find((k) => k.id === p)?.placeholder || (isModelProvider(p) ? "API key" : "token");

const ENCRYPTION_MESSAGE =
  "Saving keys and tokens is disabled on this server: the administrator has not set AUTOCREA_ENCRYPTION_KEY, so they cannot be stored encrypted.";

async function fetchKeys(): Promise<{ keys: StoredKey[] } | { error: string }> {
  try {
    const response = await fetch("/api/keys", { cache: "no-store" });
    if (!response.ok) return { error: (await problemFrom(response)).message };
    return (await response.json()) as { keys: StoredKey[] };
  } catch {
    return { error: NETWORK_PROBLEM.message };
  }
}

interface SectionText {
  title: string;
  description: string;
  empty: string;
  /** Whether stored keys get a "Test" button (only LLM keys have a test call). */
  testable: boolean;
}

const LLM_TEXT: SectionText = {
  title: "Your API keys",
  description:
    "Use your own account with OpenAI, Anthropic, Google Gemini, Mistral, Groq, DeepSeek or OpenRouter: its models appear in the model pickers, and calls made with your key cost no AUTOCREA credits (the provider bills you). Keys are encrypted at rest and only the last 4 characters are ever shown.",
  empty: "No keys yet: AI calls use the platform's models and your credits.",
  testable: true,
};

export const SERVICE_TOKENS_TEXT: SectionText = {
  title: "Deploy and Git tokens",
  description:
    "Deploy with your own Vercel, Netlify or Railway account and push to your GitHub or GitLab repositories. Tokens are encrypted at rest, used only for the call you start, and only the last 4 characters are ever shown.",
  empty: "No tokens yet: deploys use the platform's account where the server has one.",
  testable: false,
};

/** The user's own provider keys or tokens: add (never shown again), list as last 4, test, remove. */
export function ApiKeysSection({
  providers,
  encryptionAvailable,
  text = LLM_TEXT,
  anchorId,
}: {
  providers: string[];
  encryptionAvailable: boolean;
  text?: SectionText;
  /** The section's own id, for links to it ("/settings#ai-keys"). */
  anchorId?: string;
}) {
  const id = useId();
  const queryClient = useQueryClient();
  const [keys, setKeys] = useState<StoredKey[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [provider, setProvider] = useState(providers[0] ?? "");
  const [apiKey, setApiKey] = useState("");
  const [saving, setSaving] = useState(false);
  const [formError, setFormError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [encryptionOff, setEncryptionOff] = useState(!encryptionAvailable);
  const [tests, setTests] = useState<Record<string, TestResult>>({});
  const [confirming, setConfirming] = useState<string | null>(null);
  const [removing, setRemoving] = useState<string | null>(null);

  const applyLoad = useCallback((result: { keys: StoredKey[] } | { error: string }) => {
    if ("error" in result) return setLoadError(result.error);
    setKeys(result.keys.filter((k) => providers.includes(k.provider)));
    setLoadError(null);
  }, [providers]);
  const load = useCallback(async () => applyLoad(await fetchKeys()), [applyLoad]);

  useEffect(() => {
    let live = true;
    fetchKeys().then((result) => live && applyLoad(result));
    return () => {
      live = false;
    };
  }, [applyLoad]);

  async function onSave(event: FormEvent) {
    event.preventDefault();
    if (saving) return;
    const value = apiKey.trim();
    if (!value) return setFormError("Paste the API key.");
    setSaving(true);
    setFormError(null);
    setNotice(null);
    try {
      const response = await fetch("/api/keys", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ provider, apiKey: value }),
      });
      if (!response.ok) {
        const problem = await problemFrom(response);
        if (problem.kind === "other" && problem.code === "encryption_unavailable") setEncryptionOff(true);
        else setFormError(problem.message);
        return;
      }
      setApiKey("");
      if (isModelProvider(provider)) void queryClient.invalidateQueries({ queryKey: modelsKey() });
      setNotice(`${providerName(provider)} key saved. It is stored encrypted and never shown again.`);
      setTests((t) => {
        const next = { ...t };
        delete next[provider];
        return next;
      });
      await load();
    } catch {
      setFormError(NETWORK_PROBLEM.message);
    } finally {
      setSaving(false);
    }
  }

  async function onTest(p: string) {
    setTests((t) => ({ ...t, [p]: { state: "testing" } }));
    try {
      const response = await fetch(`/api/keys/${encodeURIComponent(p)}/test`, { method: "POST" });
      if (!response.ok) {
        const problem = await problemFrom(response);
        return setTests((t) => ({ ...t, [p]: { state: "failed", message: problem.message } }));
      }
      const body = (await response.json()) as { ok: boolean; model: string; error?: string };
      setTests((t) => ({ ...t, [p]: body.ok ? { state: "ok", model: body.model } : { state: "failed", message: body.error ?? "The provider refused the key." } }));
    } catch {
      setTests((t) => ({ ...t, [p]: { state: "failed", message: NETWORK_PROBLEM.message } }));
    }
  }

  async function onRemove(p: string) {
    setRemoving(p);
    try {
      const response = await fetch(`/api/keys/${encodeURIComponent(p)}`, { method: "DELETE" });
      if (!response.ok && response.status !== 404) {
        setFormError((await problemFrom(response)).message);
        return;
      }
      if (isModelProvider(p)) void queryClient.invalidateQueries({ queryKey: modelsKey() });
      setNotice(`${providerName(p)} key removed.`);
      setConfirming(null);
      await load();
    } catch {
      setFormError(NETWORK_PROBLEM.message);
    } finally {
      setRemoving(null);
    }
  }

  return (
    <section id={anchorId} aria-labelledby={`${id}-title`} className={card}>
      <h2 id={`${id}-title`} className="text-lg font-semibold text-zinc-50">
        {text.title}
      </h2>
      <p className="mt-1 text-sm text-zinc-400">{text.description}</p>

      {encryptionOff && (
        <p role="alert" className="mt-4 rounded-md border border-amber-700/60 bg-amber-950/40 p-3 text-sm text-amber-100">
          {ENCRYPTION_MESSAGE}
        </p>
      )}

      <div className="mt-5">
        {loadError && (
          <p role="alert" className="text-sm text-red-400">
            Could not load your keys: {loadError}{" "}
            <button type="button" className="underline" onClick={() => void load()}>
              Retry
            </button>
          </p>
        )}
        {keys === null && !loadError && <p className="text-sm text-zinc-500">Loading keys…</p>}
        {keys !== null && keys.length === 0 && <p className="text-sm text-zinc-500">{text.empty}</p>}
        {keys !== null && keys.length > 0 && (
          <ul className="divide-y divide-zinc-800 rounded-md border border-zinc-800" data-testid="api-keys">
            {keys.map((key) => {
              const test = tests[key.provider];
              return (
                <li key={key.provider} className="flex flex-wrap items-center gap-x-4 gap-y-2 px-4 py-3 text-sm">
                  <span className="font-semibold text-zinc-100">{providerName(key.provider)}</span>
                  <span className="font-mono text-zinc-300" aria-label={`ending in ${key.last4}`}>
                    ••••{key.last4}
                  </span>
                  <span className="text-xs text-zinc-500">added {formatDateTime(key.createdAt)}</span>
                  <span className="ml-auto flex gap-2">
                    {text.testable && (
                      <button
                        type="button"
                        onClick={() => void onTest(key.provider)}
                        disabled={test?.state === "testing"}
                        className={`${buttonSecondary} px-3 py-1 text-xs`}
                      >
                        {test?.state === "testing" ? "Testing…" : "Test"}
                      </button>
                    )}
                    {confirming === key.provider ? (
                      <>
                        <button
                          type="button"
                          onClick={() => void onRemove(key.provider)}
                          disabled={removing === key.provider}
                          className="rounded-md bg-red-600 px-3 py-1 text-xs font-semibold text-white hover:bg-red-500 disabled:opacity-60"
                        >
                          {removing === key.provider ? "Removing…" : "Confirm remove"}
                        </button>
                        <button type="button" onClick={() => setConfirming(null)} className={`${buttonSecondary} px-3 py-1 text-xs`}>
                          Keep
                        </button>
                      </>
                    ) : (
                      <button type="button" onClick={() => setConfirming(key.provider)} className={`${buttonSecondary} px-3 py-1 text-xs`}>
                        Remove
                      </button>
                    )}
                  </span>
                  {test && test.state !== "testing" && (
                    <p role="status" className={`basis-full text-xs ${test.state === "ok" ? "text-emerald-300" : "text-red-300"}`}>
                      {test.state === "ok" ? `Works: ${test.model} answered.` : `The provider said: ${test.message}`}
                    </p>
                  )}
                </li>
              );
            })}
          </ul>
        )}
      </div>

      <form onSubmit={onSave} className="mt-6 grid gap-3 sm:grid-cols-[10rem_1fr_auto] sm:items-end" noValidate>
        <div>
          <label htmlFor={`${id}-provider`} className={fieldLabel}>
            Provider
          </label>
          <select id={`${id}-provider`} value={provider} onChange={(e) => setProvider(e.target.value)} className={fieldInput} disabled={encryptionOff}>
            {providers.map((p) => (
              <option key={p} value={p}>
                {providerName(p)}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor={`${id}-key`} className={fieldLabel}>
            API key
          </label>
          <input
            id={`${id}-key`}
            type="password"
            autoComplete="off"
            spellCheck={false}
            value={apiKey}
            onChange={(e) => setApiKey(e.target.value)}
            placeholder={keyPlaceholder(provider)}
            className={fieldInput}
            disabled={encryptionOff}
            aria-invalid={formError ? true : undefined}
            aria-describedby={formError ? `${id}-key-error` : undefined}
          />
        </div>
        <button type="submit" className={buttonPrimary} disabled={saving || encryptionOff}>
          {saving ? "Saving…" : keys?.some((k) => k.provider === provider) ? "Replace key" : "Add key"}
        </button>
        {formError && (
          <p id={`${id}-key-error`} role="alert" className="text-sm text-red-400 sm:col-span-3">
            {formError}
          </p>
        )}
        {notice && (
          <p role="status" className="text-sm text-emerald-300 sm:col-span-3">
            {notice}
          </p>
        )}
      </form>
    </section>
  );
}
