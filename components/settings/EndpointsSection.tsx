"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState, type FormEvent } from "react";
import { buttonDanger, buttonPrimary, buttonSecondary, card, fieldInput, fieldLabel } from "@/components/ui/styles";
import type { PublicEndpoint } from "@/lib/ai/model-options";
import { apiJson, errorMessage } from "@/lib/client/api";
import { postJson } from "@/lib/client/api-errors";
import { endpointsKey, modelsKey } from "@/lib/client/query-keys";
import { endpointBody, type EndpointDraft, type EndpointFormErrors } from "./endpoint-form";

const EMPTY_DRAFT: EndpointDraft = { name: "", baseUrl: "", apiKey: "", models: "" };
const SAMPLE_MAX = 120;

const small = "px-3 py-1 text-xs";

/** After an endpoint is added, changed or removed: this list and every model picker. */
function useEndpointsChanged() {
  const queryClient = useQueryClient();
  return (update: (list: PublicEndpoint[]) => PublicEndpoint[]) => {
    queryClient.setQueryData<{ endpoints: PublicEndpoint[] }>(endpointsKey(), (old) => (old ? { endpoints: update(old.endpoints) } : old));
    void queryClient.invalidateQueries({ queryKey: endpointsKey() });
    void queryClient.invalidateQueries({ queryKey: modelsKey() });
  };
}

/** The user's own OpenAI-compatible servers (Ollama, LM Studio, vLLM, a gateway…): add, list, test, refresh, remove. */
export function EndpointsSection() {
  const id = useId();
  const endpoints = useQuery({ queryKey: endpointsKey(), queryFn: () => apiJson<{ endpoints: PublicEndpoint[] }>("/api/endpoints") });
  const changed = useEndpointsChanged();
  const [draft, setDraft] = useState<EndpointDraft>(EMPTY_DRAFT);
  const [errors, setErrors] = useState<EndpointFormErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);

  const edit = (field: keyof EndpointDraft) => (value: string) => setDraft((d) => ({ ...d, [field]: value }));

  async function onAdd(event: FormEvent) {
    event.preventDefault();
    if (adding) return;
    setNotice(null);
    setFormError(null);
    const checked = endpointBody(draft);
    if (!checked.ok) return setErrors(checked.errors);
    setErrors({});
    setAdding(true);
    try {
      const result = await postJson<{ endpoint: PublicEndpoint }>("/api/endpoints", checked.body);
      if (!result.ok) {
        const { problem } = result;
        if (problem.kind === "other" && (problem.field === "name" || problem.field === "baseUrl")) setErrors({ [problem.field]: problem.message });
        else setFormError(problem.message);
        return;
      }
      const added = result.data.endpoint;
      changed((list) => [...list.filter((e) => e.id !== added.id), added]);
      setDraft(EMPTY_DRAFT);
      setNotice(
        added.models.length > 0
          ? `${added.name} added with ${added.models.length} ${added.models.length === 1 ? "model" : "models"}. They are in the model pickers now.`
          : `${added.name} added, but it listed no models. Refresh its models once the server answers, or remove it and add it again with the models typed in.`,
      );
    } finally {
      setAdding(false);
    }
  }

  const fieldError = (field: keyof EndpointFormErrors) =>
    errors[field] && (
      <p id={`${id}-${field}-error`} role="alert" className="mt-1 text-sm text-red-400">
        {errors[field]}
      </p>
    );
  const invalid = (field: keyof EndpointFormErrors) =>
    errors[field] ? { "aria-invalid": true, "aria-describedby": `${id}-${field}-error` } : {};

  return (
    <section aria-labelledby={`${id}-title`} className={card}>
      <h2 id={`${id}-title`} className="text-lg font-semibold text-zinc-50">
        Your AI endpoints
      </h2>
      <p className="mt-1 text-sm text-zinc-400">
        Any server that speaks the OpenAI API: Ollama or LM Studio, vLLM, a company gateway, Together… Its models appear in the model pickers and
        cost no AUTOCREA credits. AUTOCREA&apos;s server makes the calls, so the address must be reachable from it. A key, if you give one, is
        encrypted at rest and only its last 4 characters are ever shown.
      </p>

      <div className="mt-5">
        {endpoints.isPending && <p className="text-sm text-zinc-500">Loading endpoints…</p>}
        {endpoints.isError && (
          <p role="alert" className="text-sm text-red-400">
            Could not load your endpoints: {errorMessage(endpoints.error)}{" "}
            <button type="button" className="underline" onClick={() => void endpoints.refetch()}>
              Retry
            </button>
          </p>
        )}
        {endpoints.data && endpoints.data.endpoints.length === 0 && <p className="text-sm text-zinc-500">No endpoints yet.</p>}
        {endpoints.data && endpoints.data.endpoints.length > 0 && (
          <ul className="divide-y divide-zinc-800 rounded-md border border-zinc-800" data-testid="ai-endpoints">
            {endpoints.data.endpoints.map((endpoint) => (
              <EndpointRow key={endpoint.id} endpoint={endpoint} />
            ))}
          </ul>
        )}
      </div>

      <form onSubmit={onAdd} className="mt-6 grid gap-3 sm:grid-cols-2" noValidate aria-busy={adding} aria-labelledby={`${id}-form-title`}>
        <h3 id={`${id}-form-title`} className="text-sm font-semibold text-zinc-100 sm:col-span-2">
          Add an endpoint
        </h3>
        <div>
          <label htmlFor={`${id}-name`} className={fieldLabel}>
            Name
          </label>
          <input
            id={`${id}-name`}
            value={draft.name}
            onChange={(e) => edit("name")(e.target.value)}
            placeholder="Ollama on my server"
            autoComplete="off"
            maxLength={80}
            className={fieldInput}
            {...invalid("name")}
          />
          {fieldError("name")}
        </div>
        <div>
          <label htmlFor={`${id}-base-url`} className={fieldLabel}>
            Base URL
          </label>
          <input
            id={`${id}-base-url`}
            type="url"
            value={draft.baseUrl}
            onChange={(e) => edit("baseUrl")(e.target.value)}
            placeholder="http://localhost:11434/v1"
            autoComplete="off"
            spellCheck={false}
            className={fieldInput}
            {...invalid("baseUrl")}
          />
          {fieldError("baseUrl")}
        </div>
        <div>
          <label htmlFor={`${id}-key`} className={fieldLabel}>
            API key <span className="font-normal text-zinc-500">(optional)</span>
          </label>
          <input
            id={`${id}-key`}
            type="password"
            value={draft.apiKey}
            onChange={(e) => edit("apiKey")(e.target.value)}
            autoComplete="off"
            spellCheck={false}
            className={fieldInput}
          />
        </div>
        <div>
          <label htmlFor={`${id}-models`} className={fieldLabel}>
            Models <span className="font-normal text-zinc-500">(optional, comma-separated)</span>
          </label>
          <input
            id={`${id}-models`}
            value={draft.models}
            onChange={(e) => edit("models")(e.target.value)}
            placeholder="qwen3-coder:30b, llama3.3"
            autoComplete="off"
            spellCheck={false}
            className={fieldInput}
            aria-describedby={`${id}-models-hint`}
          />
          <p id={`${id}-models-hint`} className="mt-1 text-xs text-zinc-500">
            Leave empty to use what the server lists at /models; type them for servers that list none.
          </p>
        </div>
        <div className="sm:col-span-2">
          <button type="submit" className={buttonPrimary} disabled={adding}>
            {adding ? "Adding… (asking the server for its models)" : "Add endpoint"}
          </button>
        </div>
        {formError && (
          <p role="alert" className="text-sm text-red-400 sm:col-span-2">
            {formError}
          </p>
        )}
        {notice && (
          <p role="status" className="text-sm text-emerald-300 sm:col-span-2">
            {notice}
          </p>
        )}
      </form>
    </section>
  );
}

type TestResult = { state: "ok"; model: string; sample: string } | { state: "failed"; message: string };
type Busy = "testing" | "refreshing" | "removing";

function EndpointRow({ endpoint }: { endpoint: PublicEndpoint }) {
  const id = useId();
  const changed = useEndpointsChanged();
  const [testModel, setTestModel] = useState<string | null>(null);
  const [test, setTest] = useState<TestResult | null>(null);
  const [busy, setBusy] = useState<Busy | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  // The models may have been refreshed since it was picked.
  const chosenModel = testModel !== null && endpoint.models.includes(testModel) ? testModel : (endpoint.models[0] ?? null);
  const base = `/api/endpoints/${encodeURIComponent(endpoint.id)}`;

  function begin(what: Busy) {
    setBusy(what);
    setError(null);
    setNotice(null);
  }

  async function onTest() {
    if (!chosenModel || busy) return;
    begin("testing");
    setTest(null);
    try {
      const result = await postJson<{ ok: boolean; model?: string; sample?: string; error?: string; message?: string }>(`${base}/test`, {
        model: chosenModel,
      });
      if (!result.ok) setTest({ state: "failed", message: result.problem.message });
      else if (result.data.ok) setTest({ state: "ok", model: result.data.model ?? chosenModel, sample: result.data.sample ?? "" });
      else setTest({ state: "failed", message: result.data.message ?? result.data.error ?? "The endpoint did not answer." });
    } finally {
      setBusy(null);
    }
  }

  async function onRefresh() {
    if (busy) return;
    begin("refreshing");
    try {
      const result = await postJson<{ endpoint: PublicEndpoint }>(`${base}/models`, {});
      if (!result.ok) return setError(result.problem.message);
      const fresh = result.data.endpoint;
      changed((list) => list.map((e) => (e.id === fresh.id ? fresh : e)));
      setNotice(fresh.models.length > 0 ? `It lists ${fresh.models.length} ${fresh.models.length === 1 ? "model" : "models"}.` : "It lists no models.");
    } finally {
      setBusy(null);
    }
  }

  async function onRemove() {
    if (busy) return;
    begin("removing");
    try {
      await apiJson(base, { method: "DELETE" });
      changed((list) => list.filter((e) => e.id !== endpoint.id));
    } catch (err) {
      setError(errorMessage(err));
      setBusy(null);
    }
  }

  return (
    <li className="space-y-2 px-4 py-3 text-sm" data-testid="ai-endpoint">
      <div className="flex flex-wrap items-baseline gap-x-4 gap-y-1">
        <span className="font-semibold text-zinc-100">{endpoint.name}</span>
        <span className="min-w-0 font-mono text-xs break-all text-zinc-400">{endpoint.baseUrl}</span>
        {endpoint.last4 ? (
          <span className="font-mono text-xs text-zinc-300" aria-label={`key ending in ${endpoint.last4}`}>
            ••••{endpoint.last4}
          </span>
        ) : (
          <span className="text-xs text-zinc-500">no key</span>
        )}
      </div>

      {endpoint.models.length > 0 ? (
        <ul aria-label={`Models of ${endpoint.name}`} className="flex flex-wrap gap-1.5">
          {endpoint.models.map((model) => (
            <li key={model} className="rounded-full border border-zinc-700 bg-zinc-900 px-2 py-0.5 font-mono text-xs text-zinc-300">
              {model}
            </li>
          ))}
        </ul>
      ) : (
        <p className="text-xs text-amber-300">No models: refresh them once the server answers.</p>
      )}

      <div className="flex flex-wrap items-center gap-2">
        <label htmlFor={`${id}-test-model`} className="sr-only">
          Model to test
        </label>
        <select
          id={`${id}-test-model`}
          value={chosenModel ?? ""}
          onChange={(e) => setTestModel(e.target.value)}
          disabled={endpoint.models.length === 0}
          className="max-w-[14rem] rounded-md border border-zinc-700 bg-zinc-900 px-2 py-1 font-mono text-xs text-zinc-100 disabled:opacity-60"
        >
          {endpoint.models.map((model) => (
            <option key={model} value={model}>
              {model}
            </option>
          ))}
        </select>
        <button type="button" onClick={() => void onTest()} disabled={!chosenModel || busy !== null} className={`${buttonSecondary} ${small} disabled:opacity-60`}>
          {busy === "testing" ? "Testing…" : "Test"}
        </button>
        <button type="button" onClick={() => void onRefresh()} disabled={busy !== null} className={`${buttonSecondary} ${small} disabled:opacity-60`}>
          {busy === "refreshing" ? "Refreshing…" : "Refresh models"}
        </button>
        <span className="ml-auto flex gap-2">
          {confirming ? (
            <>
              <button type="button" onClick={() => void onRemove()} disabled={busy !== null} className={`${buttonDanger} ${small}`}>
                {busy === "removing" ? "Removing…" : "Confirm remove"}
              </button>
              <button type="button" onClick={() => setConfirming(false)} disabled={busy === "removing"} className={`${buttonSecondary} ${small}`}>
                Keep
              </button>
            </>
          ) : (
            <button type="button" onClick={() => setConfirming(true)} disabled={busy !== null} className={`${buttonSecondary} ${small} disabled:opacity-60`}>
              Remove
            </button>
          )}
        </span>
      </div>

      {test && (
        <p role="status" className={`text-xs ${test.state === "ok" ? "text-emerald-300" : "text-red-300"}`}>
          {test.state === "ok" ? `Works: ${test.model} answered${test.sample ? ` “${clip(test.sample)}”` : ""}.` : `It failed: ${test.message}`}
        </p>
      )}
      {error && (
        <p role="alert" className="text-xs text-red-400">
          {error}
        </p>
      )}
      {notice && (
        <p role="status" className="text-xs text-emerald-300">
          {notice}
        </p>
      )}
    </li>
  );
}

function clip(text: string): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > SAMPLE_MAX ? `${line.slice(0, SAMPLE_MAX - 1)}…` : line;
}
