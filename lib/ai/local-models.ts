import { z } from "zod";

/**
 * Model servers on the developer's own machine (docs/models.md#local-models): Ollama on
 * 127.0.0.1:11434 and LM Studio on 127.0.0.1:1234, found by asking each for its model list. Only
 * lib/ai/model-choice.ts decides when to look (development, nothing else configured); the answer is
 * kept for a short while so a page that lists models does not probe on every request.
 */

export type LocalProvider = "ollama" | "lmstudio";

interface LocalServer {
  /** Base URL as the provider SDK takes it (Ollama's root; LM Studio's OpenAI-compatible /v1). */
  url: string;
  models: string[];
}

const DEFAULT_ADDRESSES: Record<LocalProvider, string> = {
  ollama: "http://127.0.0.1:11434",
  lmstudio: "http://127.0.0.1:1234/v1",
};

const ollamaTags = z.object({ models: z.array(z.object({ name: z.string() })) });
const openAiModels = z.object({ data: z.array(z.object({ id: z.string() })) });

const PROBE_TIMEOUT_MS = 800;
const REMEMBER_MS = 30_000;

let addresses = DEFAULT_ADDRESSES;
let found: { at: number; servers: Partial<Record<LocalProvider, LocalServer>> } | undefined;
let probing: Promise<Partial<Record<LocalProvider, LocalServer>>> | undefined;

async function modelsAt(provider: LocalProvider, url: string): Promise<string[] | null> {
  try {
    const response = await fetch(provider === "ollama" ? `${url}/api/tags` : `${url}/models`, {
      signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
      redirect: "error",
    });
    if (!response.ok) return null;
    const body: unknown = await response.json();
    if (provider === "ollama") {
      const tags = ollamaTags.safeParse(body);
      return tags.success ? tags.data.models.map((m) => m.name) : null;
    }
    const list = openAiModels.safeParse(body);
    return list.success ? list.data.data.map((m) => m.id) : null;
  } catch {
    return null; // nothing listening, or not that server
  }
}

async function probe(): Promise<Partial<Record<LocalProvider, LocalServer>>> {
  const servers: Partial<Record<LocalProvider, LocalServer>> = {};
  await Promise.all(
    (Object.keys(addresses) as LocalProvider[]).map(async (provider) => {
      const models = await modelsAt(provider, addresses[provider]);
      if (models && models.length > 0) servers[provider] = { url: addresses[provider], models };
    }),
  );
  return servers;
}

/** The local servers answering now, with their models (probed at most every 30 s). */
export async function detectLocalServers(): Promise<Partial<Record<LocalProvider, LocalServer>>> {
  if (found && Date.now() - found.at < REMEMBER_MS) return found.servers;
  probing ??= probe().finally(() => {
    probing = undefined;
  });
  const servers = await probing;
  found = { at: Date.now(), servers };
  return servers;
}

/** The address of a local server found by the last probe, if any. */
export function localServerUrl(provider: LocalProvider): string | undefined {
  return found?.servers[provider]?.url;
}

/** Tests only: where to look (undefined: the default ports), forgetting what was found. */
export function setLocalServerAddressesForTests(overrides?: Partial<Record<LocalProvider, string>>): void {
  addresses = { ...DEFAULT_ADDRESSES, ...overrides };
  found = undefined;
}
