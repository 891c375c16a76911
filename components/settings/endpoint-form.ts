/** The "add an endpoint" form's checks before it is sent (the server checks the address itself). */

export interface EndpointDraft {
  name: string;
  baseUrl: string;
  apiKey: string;
  /** As typed: comma-separated model ids. */
  models: string;
}

export interface EndpointBody {
  name: string;
  baseUrl: string;
  apiKey?: string;
  models?: string[];
}

export type EndpointFormErrors = Partial<Record<"name" | "baseUrl", string>>;

/** "qwen3-coder:30b, llama3.3 ,, qwen3-coder:30b" → ["qwen3-coder:30b", "llama3.3"]. */
export function parseModelNames(text: string): string[] {
  return [...new Set(text.split(",").map((name) => name.trim()).filter(Boolean))];
}

/** The body for POST /api/endpoints, or what to fix first. */
export function endpointBody(draft: EndpointDraft): { ok: true; body: EndpointBody } | { ok: false; errors: EndpointFormErrors } {
  const errors: EndpointFormErrors = {};
  const name = draft.name.trim();
  const baseUrl = draft.baseUrl.trim();
  if (!name) errors.name = "Give the endpoint a name.";
  if (!baseUrl) errors.baseUrl = "Enter the server's base URL, for example http://localhost:11434/v1.";
  else if (!isHttpUrl(baseUrl)) errors.baseUrl = "The base URL must start with http:// or https://, for example http://localhost:11434/v1.";
  if (errors.name || errors.baseUrl) return { ok: false, errors };

  const apiKey = draft.apiKey.trim();
  const models = parseModelNames(draft.models);
  return {
    ok: true,
    body: { name, baseUrl, ...(apiKey ? { apiKey } : {}), ...(models.length > 0 ? { models } : {}) },
  };
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}
